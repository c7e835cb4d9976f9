//! `runAsl`, `validateAsl` and `aslGraph`: the definition and the options only `pollflow/asl`
//! has (`simulatedTime`, `waitOverrides`, `format`), read and checked with
//! [`fields`](crate::fields), as `pollflow`'s options are.

use std::collections::BTreeMap;

use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::prelude::*;

use crate::errors::{message, range_error, type_error};
use crate::fields::{is_plain_object, kind, millis_value, read_named, threw, MAX_SAFE_INTEGER};

#[wasm_bindgen]
extern "C" {
    /// `Object.entries(value)`; what a proxy trap or getter throws, as `Err`.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn js_entries(value: &JsValue) -> Result<Array, JsValue>;
}

/// The own enumerable string-keyed properties of `object` (`Object.entries`), in order.
pub(super) fn entries(object: &JsValue, field: &str) -> Result<Vec<(String, JsValue)>, JsValue> {
    let entries = js_entries(object).map_err(|thrown| threw(field, &thrown))?;
    Ok(entries
        .iter()
        .map(|entry| {
            let entry = Array::from(&entry);
            (entry.get(0).as_string().unwrap_or_default(), entry.get(1))
        })
        .collect())
}

/// `field` in errors that name an entry of an object: `options.handlers["key"]` (the key
/// quoted as `JSON.stringify` quotes it).
pub(super) fn entry_field(field: &str, key: &str) -> String {
    format!(
        "{field}[{}]",
        serde_json::to_string(key).unwrap_or_default()
    )
}

/// The latest time a JS `Date` holds (ms since the epoch): the latest simulated start.
const MAX_DATE_MS: f64 = 8.64e15;

/// A `TypeError` whose `cause` is what was thrown.
fn caused(text: &str, cause: &JsValue) -> JsValue {
    let error = type_error(text);
    let _ = Reflect::set(&error, &JsValue::from_str("cause"), cause);
    error
}

/// The definition as JSON text: a string as it is, an object through `JSON.stringify`.
pub(super) fn definition(definition: &JsValue) -> Result<String, JsValue> {
    if let Some(text) = definition.as_string() {
        return Ok(text);
    }
    if !is_plain_object(definition) {
        return Err(type_error(&format!(
            "definition must be an object or a JSON string, got {}",
            kind(definition)
        )));
    }
    let text = JSON::stringify(definition).map_err(|thrown| {
        caused(
            &format!("definition is not JSON-serializable: {}", message(&thrown)),
            &thrown,
        )
    })?;
    // `toJSON` may give something JSON cannot hold.
    text.as_string()
        .ok_or_else(|| type_error("definition is not JSON-serializable: its toJSON gave undefined"))
}

/// `options.simulatedTime`: `None` on the host's time (absent or `false`), else the simulated
/// start in ms since the epoch (`true`: now).
pub(super) fn simulated_start(options: &JsValue) -> Result<Option<f64>, JsValue> {
    let field = "options.simulatedTime";
    let given = read_named(options, "simulatedTime", field)?;
    if given.is_undefined() || given.as_bool() == Some(false) {
        return Ok(None);
    }
    if given.as_bool() == Some(true) {
        return Ok(Some(js_sys::Date::now()));
    }
    if given.as_f64().is_none() {
        return Err(type_error(&format!(
            "{field} must be a boolean or a start time in milliseconds since the epoch, got {}",
            kind(&given)
        )));
    }
    millis_value(&given, field, MAX_DATE_MS).map(Some)
}

/// `options.waitOverrides`: Wait state name → milliseconds.
pub(super) fn wait_overrides(options: &JsValue) -> Result<BTreeMap<String, f64>, JsValue> {
    let field = "options.waitOverrides";
    let given = read_named(options, "waitOverrides", field)?;
    let mut waits = BTreeMap::new();
    if given.is_undefined() {
        return Ok(waits);
    }
    if !is_plain_object(&given) {
        return Err(type_error(&format!(
            "{field} must be an object, got {}",
            kind(&given)
        )));
    }
    for (state, ms) in entries(&given, field)? {
        let ms = millis_value(&ms, &entry_field(field, &state), MAX_SAFE_INTEGER)?;
        waits.insert(state, ms);
    }
    Ok(waits)
}

/// `options.format` of `aslGraph`: `mermaid` (the default) or `dot`.
pub(super) fn format(options: &JsValue) -> Result<String, JsValue> {
    let field = "options.format";
    let given = read_named(options, "format", field)?;
    if given.is_undefined() {
        return Ok("mermaid".to_owned());
    }
    match given.as_string() {
        Some(format) if format == "mermaid" || format == "dot" => Ok(format),
        Some(other) => Err(range_error(&format!(
            "{field} must be 'mermaid' or 'dot', got {other:?}"
        ))),
        None => Err(type_error(&format!(
            "{field} must be 'mermaid' or 'dot', got {}",
            kind(&given)
        ))),
    }
}
