//! When an ASL Wait state ([`DelayUntil`]) wakes.

use serde_json::Value;

use super::DelayUntil;
use crate::error::{names, TaskError};
use crate::execution::json_text;
use crate::expr::{parse_rfc3339, Scope, States};
use crate::policy::Rng;

impl DelayUntil {
    /// The wake-up time in ms since the epoch, for a state entered at `now`; a time that
    /// cannot be read from the input is `States.Runtime` (`States.QueryEvaluationError` for
    /// an expression's).
    pub(crate) fn resolve(
        &self,
        input: &Value,
        scope: Scope<'_>,
        now: u64,
        rng: &mut Rng,
    ) -> Result<u64, TaskError> {
        let seconds = |s: u64| now.saturating_add(s.saturating_mul(1000));
        match self {
            Self::Seconds(s) => Ok(seconds(*s)),
            Self::Milliseconds(ms) => Ok(now.saturating_add(*ms)),
            Self::Timestamp(t) => timestamp(t),
            Self::SecondsPath(path) => match path.select_in(input, scope)? {
                Some(value) => value.as_u64().map(seconds).ok_or_else(|| {
                    runtime(format!(
                        "SecondsPath {:?} must select a non-negative integer, not {}",
                        path.as_str(),
                        json_text(&value)
                    ))
                }),
                None => Err(runtime(format!(
                    "SecondsPath {:?} matches nothing in the state's input",
                    path.as_str()
                ))),
            },
            Self::TimestampPath(path) => match path.select_in(input, scope)? {
                Some(Value::String(t)) => timestamp(&t),
                Some(other) => Err(runtime(format!(
                    "TimestampPath {:?} must select an RFC 3339 timestamp string, not {}",
                    path.as_str(),
                    json_text(&other)
                ))),
                None => Err(runtime(format!(
                    "TimestampPath {:?} matches nothing in the state's input",
                    path.as_str()
                ))),
            },
            Self::SecondsQuery(query) => {
                super::seconds(query, "Seconds", 0, input, scope, rng).map(seconds)
            }
            Self::TimestampQuery(query) => {
                match query.evaluate("Timestamp", States::input(input), scope, rng)? {
                    Value::String(t) => timestamp(&t)
                        .map_err(|e| super::query_error(format!("Timestamp: {}", e.cause))),
                    other => Err(super::query_error(format!(
                        "Timestamp must give an RFC 3339 timestamp string, not {}",
                        json_text(&other)
                    ))),
                }
            }
        }
    }
}

fn runtime(cause: String) -> TaskError {
    TaskError::new(names::RUNTIME, cause)
}

fn timestamp(text: &str) -> Result<u64, TaskError> {
    parse_rfc3339(text)
        .map(|ms| u64::try_from(ms).unwrap_or(0))
        .ok_or_else(|| runtime(format!("{text:?} is not an RFC 3339 timestamp")))
}
