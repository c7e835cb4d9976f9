//! Errors crossing the boundary: JS `TypeError`/`RangeError` for bad input, and JS exceptions
//! turned into task errors. (The wrapper makes the `Error`s of failed outcomes.)

use js_sys::{Error, JsString, RangeError, Reflect, TypeError, JSON};
use pollflow::TaskError;
use wasm_bindgen::prelude::*;

use crate::keys::{get, Key};

pub(crate) fn type_error(message: &str) -> JsValue {
    TypeError::new(message).into()
}

pub(crate) fn range_error(message: &str) -> JsValue {
    RangeError::new(message).into()
}

#[wasm_bindgen]
extern "C" {
    /// `String(value)`; what its `toString` throws, as `Err`.
    #[wasm_bindgen(catch, js_name = String)]
    fn js_string(value: &JsValue) -> Result<JsString, JsValue>;

    /// `Array.isArray(value)`; it throws for a revoked proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn js_is_array(value: &JsValue) -> Result<bool, JsValue>;
}

/// Whether `value` is an array; never throws (a revoked proxy is not one).
pub(crate) fn is_array(value: &JsValue) -> bool {
    js_is_array(value).unwrap_or(false)
}

/// What a wrong value is, for "must be ..., got X": a number as JS writes it, `null`, `array`,
/// or its `typeof`.
pub(crate) fn describe(value: &JsValue) -> String {
    if let Some(n) = value.as_f64() {
        return number(n);
    }
    if value.is_null() {
        return "null".to_owned();
    }
    if is_array(value) {
        return "array".to_owned();
    }
    value.js_typeof().as_string().unwrap_or_default()
}

/// `n` as JS writes it (`String(n)`): Rust's float formatting would add kilobytes to the `.wasm`.
pub(crate) fn number(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map_or_else(|_| String::new(), String::from)
}

/// `value` as text: a string as it is, otherwise its JSON, or `String(value)` when it has none
/// (never throwing: a value whose conversion throws is "(unprintable value)").
fn text(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    JSON::stringify(value)
        .ok()
        .and_then(|json| json.as_string())
        .or_else(|| js_string(value).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "(unprintable value)".to_owned())
}

/// A property of a thrown value as text, `None` when absent or empty; reading it never throws
/// (a getter that does gives a note saying so).
fn property(thrown: &JsValue, key: &str) -> Option<String> {
    let value = match Reflect::get(thrown, &key.into()) {
        Ok(value) => value,
        Err(reading) => {
            // What the getter threw, without reading through getters again.
            let why = Reflect::get(&reading, &"message".into())
                .ok()
                .and_then(|message| message.as_string())
                .unwrap_or_else(|| text(&reading));
            return Some(format!("({key} unreadable: {why})"));
        }
    };
    if value.is_undefined() || value.is_null() {
        return None;
    }
    Some(text(&value)).filter(|text| !text.is_empty())
}

/// The message of a thrown value: an `Error`'s `message`, or the value as text. Never throws,
/// whatever the value's getters do.
pub(crate) fn message(thrown: &JsValue) -> String {
    if thrown.is_instance_of::<Error>() {
        property(thrown, "message").unwrap_or_default()
    } else {
        text(thrown)
    }
}

/// The name of a thrown `Error` (`TypeError`, a custom name), `None` for other values or an
/// empty name. Never throws.
pub(crate) fn error_name(thrown: &JsValue) -> Option<String> {
    if thrown.is_instance_of::<Error>() {
        property(thrown, "name")
    } else {
        None
    }
}

/// A thrown value or rejection as `States.TaskFailed`, the cause naming the callback and the
/// error.
pub(crate) fn task_error(thrown: &JsValue, what: &str) -> TaskError {
    let name = error_name(thrown).unwrap_or_else(|| "Error".to_owned());
    TaskError::task_failed(format!("{what} threw {name}: {}", message(thrown)))
}

/// Whether a thrown value asks to be retried (`error.retryable === true`).
pub(crate) fn is_retryable(thrown: &JsValue) -> bool {
    get(thrown, Key::Retryable).is_ok_and(|retryable| retryable.as_bool() == Some(true))
}
