//! Evaluating a call: its arguments, in order, within the payload limit; then the function.

use super::*;

impl Call {
    /// The call's value. Its arguments together, and its result, stay within the payload
    /// limit and [`Limits::MAX_DEPTH`] (`States.DataLimitExceeded` past them), so that no
    /// call, however nested or repeated, builds more than that.
    pub(super) fn eval(
        &self,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Value, TaskError> {
        let limits = scope.limits;
        let mut left = limits.max_payload_bytes;
        let mut values = Vec::with_capacity(self.args.len());
        for (i, arg) in self.args.iter().enumerate() {
            let value = match arg {
                Arg::Str { value, .. } => Value::String(value.clone()),
                Arg::Number(n) => Value::Number(n.clone()),
                Arg::Bool(b) => Value::Bool(*b),
                Arg::Null => Value::Null,
                Arg::Call(call) => call.eval(input, scope, rng)?,
                Arg::Path(path) => path.select_in(input, scope)?.ok_or_else(|| {
                    TaskError::new(
                        names::RUNTIME,
                        format!(
                            "The JSONPath '{}' given to {} could not be found in {}",
                            path.as_str(),
                            self.func.name(),
                            missing_from(path, input, scope)
                        ),
                    )
                })?,
            };
            match measure(&value, left, Limits::MAX_DEPTH) {
                Ok(size) => left -= size.bytes,
                Err(exceeded) => {
                    drop_deep(value);
                    let what = format!("the arguments of {}", self.func.name());
                    return Err(limit_error(exceeded, limits, &what));
                }
            }
            let allowed = self.func.param(i);
            if !allowed.is_empty() && !allowed.contains(&Kind::of(&value)) {
                return Err(failure(
                    self.func,
                    format!(
                        "argument {} must be {}, but it is {}",
                        i + 1,
                        kinds(allowed),
                        describe(&value)
                    ),
                ));
            }
            values.push(value);
        }
        let result = self.run(values, rng, limits)?;
        if let Err(exceeded) = measure(&result, limits.max_payload_bytes, Limits::MAX_DEPTH) {
            drop_deep(result);
            let what = format!("the result of {}", self.func.name());
            return Err(limit_error(exceeded, limits, &what));
        }
        Ok(result)
    }
}
