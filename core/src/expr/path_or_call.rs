//! A field that takes a path or an intrinsic function call (ASL `ErrorPath`, `CausePath`).

use serde_json::Value;

use super::intrinsics::Intrinsic;
use super::path::Path;
use super::variables::Scope;
use crate::error::TaskError;
use crate::policy::Rng;

/// A path (`$.reason`, `$$.Execution.Id`) or an intrinsic function call
/// (`States.Format('order {} failed', $.id)`), as a Fail state's `ErrorPath` and `CausePath`
/// take.
///
/// Serializes as its text, and deserializing parses (and so validates) it.
///
/// ```
/// use pollflow::expr::PathOrCall;
/// use pollflow::policy::Rng;
/// use serde_json::json;
///
/// let cause = PathOrCall::parse("States.Format('order {} failed', $.id)").unwrap();
/// let value = cause.eval(&json!({"id": 42}), &json!({}), &mut Rng::seeded(1)).unwrap();
/// assert_eq!(value, Some(json!("order 42 failed")));
/// assert!(PathOrCall::parse("order failed").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct PathOrCall {
    text: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Path(Path),
    Call(Intrinsic),
}

impl PartialEq for PathOrCall {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl PathOrCall {
    /// Parses a path (starting with `$`) or an intrinsic function call; the error says what is
    /// wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let kind = if text.starts_with('$') {
            Kind::Path(Path::parse(text)?)
        } else if text.starts_with("States.") {
            Kind::Call(Intrinsic::parse(text)?)
        } else {
            return Err("must be a path ($…) or an intrinsic function call (States.…)".to_owned());
        };
        Ok(Self {
            text: text.to_owned(),
            kind,
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What it gives for a state's `input` and the `context` object: the value the path
    /// selects (`None` when it selects nothing), or what the call returns (a failing call is
    /// `States.IntrinsicFailure`). `rng` feeds `States.UUID` and `States.MathRandom`.
    pub fn eval(
        &self,
        input: &Value,
        context: &Value,
        rng: &mut Rng,
    ) -> Result<Option<Value>, TaskError> {
        self.eval_in(input, Scope::of_context(context), rng)
    }

    /// [`Self::eval`], paths also reading the variables of `scope`.
    pub(crate) fn eval_in(
        &self,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Option<Value>, TaskError> {
        match &self.kind {
            Kind::Path(path) => path.select_in(input, scope),
            Kind::Call(call) => call.eval(input, scope, rng).map(Some),
        }
    }
}

serde_as_text!(PathOrCall, "path or call");
