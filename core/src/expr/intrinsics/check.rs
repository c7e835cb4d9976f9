//! The checks made when a call is parsed: arity, and the kinds of literal arguments.

use super::*;

impl Call {
    /// The static checks of [`Intrinsic::parse`].
    pub(super) fn check(&self) -> Result<(), String> {
        let name = self.func.name();
        let n = self.args.len();
        match self.func.arity() {
            (min, Some(max)) if min == max && n != min => {
                return Err(format!("{name} takes {} but was given {n}", count(min)))
            }
            (min, _) if n < min => {
                return Err(format!(
                    "{name} takes at least {} but was given {n}",
                    count(min)
                ))
            }
            (_, Some(max)) if n > max => {
                return Err(format!(
                    "{name} takes at most {} but was given {n}",
                    count(max)
                ))
            }
            _ => {}
        }
        for (i, arg) in self.args.iter().enumerate() {
            let allowed = self.func.param(i);
            if let Some(kind) = arg.static_kind() {
                if !allowed.is_empty() && !allowed.contains(&kind) {
                    return Err(format!(
                        "{name}'s argument {} must be {}, not {}",
                        i + 1,
                        kinds(allowed),
                        kind.name()
                    ));
                }
            }
        }
        if let (Func::Format, Some(Arg::Str { raw, .. })) = (self.func, self.args.first()) {
            let placeholders = count_placeholders(raw, true);
            if placeholders != n - 1 {
                return Err(format!(
                    "{name}'s template has {placeholders} '{{}}' but {} value{} follow{} it",
                    n - 1,
                    if n == 2 { "" } else { "s" },
                    if n == 2 { "s" } else { "" },
                ));
            }
        }
        match (self.func, self.args.get(1), self.args.get(2)) {
            (Func::Hash, Some(Arg::Str { value, .. }), _)
                if !HASH_ALGORITHMS.contains(&value.as_str()) =>
            {
                return Err(format!(
                    "{name}: unsupported algorithm '{value}'; use one of {}",
                    HASH_ALGORITHMS.join(", ")
                ))
            }
            (Func::JsonMerge, _, Some(Arg::Bool(true))) => {
                return Err(format!(
                    "{name}: deep merging is not supported; the third argument must be false"
                ))
            }
            _ => {}
        }
        if self.args.iter().all(Arg::is_constant) {
            // Nothing depends on the input: errors now are errors every time.
            let mut rng = Rng::seeded(0);
            self.eval(&Value::Null, Scope::of_context(&Value::Null), &mut rng)
                .map_err(|e| e.cause)?;
        }
        Ok(())
    }
}

/// "no arguments", "1 argument", "3 arguments".
fn count(n: usize) -> String {
    match n {
        0 => "no arguments".to_owned(),
        1 => "1 argument".to_owned(),
        n => format!("{n} arguments"),
    }
}

/// "a string", "a string or a number", ….
pub(super) fn kinds(allowed: &[Kind]) -> String {
    allowed
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(" or ")
}
