//! JS values ↔ JSON values, through the host's `JSON`: what cannot be serialized is named.

use js_sys::JSON;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::errors::type_error;

/// A JS value as JSON; `undefined` is `null`. `what` names the value in the error.
pub(crate) fn from_js(value: &JsValue, what: &str) -> Result<Value, JsValue> {
    // Simple values skip the trip through JSON text, to the same result.
    if !value.is_object() {
        if let Some(text) = value.as_string() {
            // Lone surrogates arrive as U+FFFD: let `JSON` and serde judge those.
            if !text.chars().any(|c| c == '\u{FFFD}') {
                return Ok(Value::String(text));
            }
        } else if let Some(n) = value.as_f64() {
            const SAFE: f64 = 9_007_199_254_740_991.0;
            if !n.is_finite() {
                return Ok(Value::Null);
            }
            if n.fract() == 0.0 && n.abs() <= SAFE {
                return Ok(Value::from(n as i64));
            }
        } else if let Some(b) = value.as_bool() {
            return Ok(Value::Bool(b));
        } else if value.is_undefined() || value.is_null() {
            return Ok(Value::Null);
        }
    }
    let text = JSON::stringify(value).map_err(|e| {
        type_error(&format!(
            "{what} is not JSON-serializable: {}",
            crate::errors::message(&e)
        ))
    })?;
    // `JSON.stringify` gives `undefined` for a symbol, a function, or a `toJSON` returning one.
    let Some(text) = text.as_string() else {
        return Err(type_error(&format!(
            "{what} is not JSON-serializable: got {}",
            crate::errors::describe(value)
        )));
    };
    serde_json::from_str(&text)
        .map_err(|e| type_error(&format!("{what} is not JSON-serializable: {e}")))
}

/// A JSON value as JSON text.
pub(crate) fn to_text(value: &impl serde::Serialize) -> String {
    // Serializing our own types to JSON text cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// A JSON value as a plain JS value.
pub(crate) fn to_js(value: &impl serde::Serialize) -> JsValue {
    // The host parses what we printed (through `parse`: one import of `JSON.parse`, not two).
    parse(&JsValue::from_str(&to_text(value)))
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn parse_js(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// `JSON.parse(text)`, `text` being JSON text in a JS string.
pub(crate) fn parse(text: &JsValue) -> JsValue {
    parse_js(text).unwrap_or(JsValue::NULL)
}
