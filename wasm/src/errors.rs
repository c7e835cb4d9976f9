//! Errors crossing the boundary: JS `TypeError`/`RangeError` for bad input, ASL-named `Error`s
//! for outcomes, and JS exceptions turned into task errors.

use js_sys::{Error, RangeError, Reflect, TypeError};
use pollflow::TaskError;
use wasm_bindgen::{JsCast, JsValue};

use crate::keys::{get, Key};

pub(crate) fn type_error(message: &str) -> JsValue {
    TypeError::new(message).into()
}

pub(crate) fn range_error(message: &str) -> JsValue {
    RangeError::new(message).into()
}

/// The message of a thrown value (an `Error`'s `message`, or the value as text).
pub(crate) fn message(thrown: &JsValue) -> String {
    match thrown.dyn_ref::<Error>() {
        Some(error) => String::from(error.message()),
        None => thrown.as_string().unwrap_or_else(|| format!("{thrown:?}")),
    }
}

/// A thrown value or rejection as `States.TaskFailed`, the cause naming the callback and the
/// error.
pub(crate) fn task_error(thrown: &JsValue, what: &str) -> TaskError {
    let name = thrown
        .dyn_ref::<Error>()
        .map(|e| String::from(e.name()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Error".to_owned());
    TaskError::task_failed(format!("{what} threw {name}: {}", message(thrown)))
}

/// Whether a thrown value asks to be retried (`error.retryable === true`).
pub(crate) fn is_retryable(thrown: &JsValue) -> bool {
    get(thrown, Key::Retryable).as_bool() == Some(true)
}

/// An `Error` named like ASL (`States.TaskFailed`...) with the cause as message and `cause`.
pub(crate) fn asl_error(error: &TaskError) -> JsValue {
    let js: Error = match error.error.as_str() {
        "TypeError" => TypeError::new(&error.cause).into(),
        "RangeError" => RangeError::new(&error.cause).into(),
        name => {
            let js = Error::new(&error.cause);
            js.set_name(name);
            js
        }
    };
    let _ = Reflect::set(&js, &"cause".into(), &error.cause.as_str().into());
    js.into()
}
