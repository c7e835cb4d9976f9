//! Evaluating a JSONata state's fields ([`JsonataFields`]) with Step Functions' rules: what
//! `$states` holds in each, the defaults, and the values each field must give.

use std::sync::Arc;

use serde_json::Value;

use super::JsonataFields;
use crate::error::{names, TaskError};
use crate::execution::json_text;
use crate::expr::{describe, Assigned, Query, Scope, States};
use crate::policy::{Rng, MAX_SECONDS};

/// `States.QueryEvaluationError` with `cause`.
pub(crate) fn query_error(cause: String) -> TaskError {
    TaskError::new(names::QUERY_EVALUATION_ERROR, cause)
}

impl JsonataFields {
    /// `Arguments` over the state's input (default: the input).
    pub(crate) fn arguments(
        &self,
        input: Arc<Value>,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Arc<Value>, TaskError> {
        match &self.arguments {
            None => Ok(input),
            Some(query) => query
                .evaluate("Arguments", States::input(&input), scope, rng)
                .map(Arc::new),
        }
    }

    /// `Output` (default: `otherwise`).
    pub(crate) fn output(
        &self,
        states: States<'_>,
        otherwise: impl FnOnce() -> Arc<Value>,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Arc<Value>, TaskError> {
        match &self.output {
            None => Ok(otherwise()),
            Some(query) => query.evaluate("Output", states, scope, rng).map(Arc::new),
        }
    }

    /// `Assign`: the variables it sets, checked against what the variables may hold.
    pub(crate) fn assign(
        &self,
        states: States<'_>,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Assigned, TaskError> {
        let Some(query) = &self.assign else {
            return Ok(None);
        };
        match query.evaluate("Assign", states, scope, rng)? {
            Value::Object(values) => {
                if let Some(variables) = scope.variables {
                    variables.check_assign(&values, scope.limits)?;
                }
                Ok(Some(values))
            }
            other => Err(query_error(format!(
                "Assign must give an object of variable names and values, not {}",
                describe(&other)
            ))),
        }
    }

    /// `Output` and `Assign` once the state has its `result` (a Task's, or a Parallel's or
    /// Map's array), both over the same `$states` (default output: the result).
    pub(crate) fn finish(
        &self,
        input: &Value,
        result: Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<(Arc<Value>, Assigned), TaskError> {
        let states = States {
            input,
            result: Some(&result),
            error_output: None,
        };
        let assigned = self.assign(states, scope, rng)?;
        let output = match &self.output {
            None => Arc::new(result),
            Some(query) => Arc::new(query.evaluate("Output", states, scope, rng)?),
        };
        Ok((output, assigned))
    }
}

/// A whole number of seconds from `field` (`TimeoutSeconds`, `HeartbeatSeconds`, `Seconds`
/// of a Wait), from `min` to [`MAX_SECONDS`].
pub(crate) fn seconds(
    query: &Query,
    field: &str,
    min: u64,
    input: &Value,
    scope: Scope<'_>,
    rng: &mut Rng,
) -> Result<u64, TaskError> {
    let value = query.evaluate(field, States::input(input), scope, rng)?;
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        })
        .filter(|s| (min..=MAX_SECONDS).contains(s))
        .ok_or_else(|| {
            query_error(format!(
                "{field} must be a whole number of seconds from {min} to {MAX_SECONDS}, not {}",
                json_text(&value)
            ))
        })
}
