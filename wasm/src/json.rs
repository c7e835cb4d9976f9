//! JS values ↔ JSON values, through the host's `JSON`: what cannot be serialized is named.

use js_sys::JSON;
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::errors::type_error;

/// A JS value as JSON; `undefined` is `null`. `what` names the value in the error.
pub(crate) fn from_js(value: &JsValue, what: &str) -> Result<Value, JsValue> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    let text = JSON::stringify(value).map_err(|e| {
        type_error(&format!(
            "{what} is not JSON-serializable: {}",
            crate::errors::message(&e)
        ))
    })?;
    let text: String = text.into();
    serde_json::from_str(&text)
        .map_err(|e| type_error(&format!("{what} is not JSON-serializable: {e}")))
}

/// A JSON value as a plain JS value.
pub(crate) fn to_js(value: &impl serde::Serialize) -> JsValue {
    // Serializing our own types to JSON text cannot fail, and the host parses what it printed.
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    JSON::parse(&text).unwrap_or(JsValue::NULL)
}
