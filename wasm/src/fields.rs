//! Reading and checking the fields JS passes in, for every entry point (`pollflow`'s `run` and
//! `workflowGraph`, `pollflow/asl`'s `runAsl`, `validateAsl` and `aslGraph`): one
//! implementation of each check and of its message. Every mistake is a `TypeError` or
//! `RangeError` naming the field; a getter or proxy trap that throws is a `TypeError` saying so.

use std::time::Duration;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use crate::errors::{describe, is_array, message, number, range_error, type_error};
use crate::keys::{get, Key};

/// JS's largest safe integer: the most milliseconds a duration may have (about 285,000 years),
/// and the largest seed.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[wasm_bindgen]
extern "C" {
    /// `Object.keys(value)`; what a proxy trap throws, as `Err`.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn js_keys(value: &JsValue) -> Result<Array, JsValue>;
}

/// `undefined` or `null`: the field was not given.
pub(crate) fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// A plain object: not `null`, not an array, not a function.
pub(crate) fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !is_array(value)
}

/// What kind of value `value` is, for "must be ..., got X": `null`, `array`, or its `typeof`
/// (where [`describe`] writes a number itself).
pub(crate) fn kind(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    if is_array(value) {
        return "array".to_owned();
    }
    value.js_typeof().as_string().unwrap_or_default()
}

/// The `TypeError` of reading `field`, which threw `thrown`.
pub(crate) fn threw(field: &str, thrown: &JsValue) -> JsValue {
    type_error(&format!("reading {field} threw: {}", message(thrown)))
}

/// `object[key]`, `field` naming it.
pub(crate) fn read(object: &JsValue, key: Key, field: &str) -> Result<JsValue, JsValue> {
    get(object, key).map_err(|thrown| threw(field, &thrown))
}

/// `object[name]`, `field` naming it.
pub(crate) fn read_named(object: &JsValue, name: &str, field: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).map_err(|thrown| threw(field, &thrown))
}

/// The own enumerable string keys of `object` (`Object.keys`).
pub(crate) fn keys(object: &JsValue, field: &str) -> Result<Vec<String>, JsValue> {
    let keys = js_keys(object).map_err(|thrown| threw(field, &thrown))?;
    Ok(keys
        .iter()
        .map(|k| k.as_string().unwrap_or_default())
        .collect())
}

/// `ms` milliseconds as a `Duration`: `None` unless finite, >= 0 and at most [`MAX_SAFE_INTEGER`].
pub(crate) fn duration(ms: f64) -> Option<Duration> {
    (ms.is_finite() && (0.0..=MAX_SAFE_INTEGER).contains(&ms))
        .then(|| Duration::from_secs_f64(ms / 1000.0))
}

/// `value` as a number of milliseconds from 0 to `max`: not a number → `TypeError`; NaN,
/// infinite, negative or above `max` → `RangeError`.
pub(crate) fn millis_value(value: &JsValue, field: &str, max: f64) -> Result<f64, JsValue> {
    let ms = value.as_f64().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a number of milliseconds, got {}",
            describe(value)
        ))
    })?;
    if !(ms >= 0.0 && ms <= max) {
        return Err(range_error(&format!(
            "{field} must be a finite number >= 0 and <= {} (milliseconds), got {}",
            number(max),
            number(ms)
        )));
    }
    Ok(ms)
}

/// A duration in milliseconds at `object[key]`: absent → `None`; otherwise as
/// [`millis_value`] up to [`MAX_SAFE_INTEGER`].
pub(crate) fn millis(object: &JsValue, key: Key, field: &str) -> Result<Option<Duration>, JsValue> {
    let value = read(object, key, field)?;
    if absent(&value) {
        return Ok(None);
    }
    let ms = millis_value(&value, field, MAX_SAFE_INTEGER)?;
    Ok(duration(ms))
}

/// `value` as a whole number from `min` to `max`: absent → `None`; not a number →
/// `TypeError`; otherwise out of range or not whole → `RangeError`.
pub(crate) fn whole_value(
    value: &JsValue,
    field: &str,
    (min, max): (f64, f64),
) -> Result<Option<u64>, JsValue> {
    if absent(value) {
        return Ok(None);
    }
    let n = value.as_f64().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a number, got {}",
            describe(value)
        ))
    })?;
    if !(n.is_finite() && n.fract() == 0.0 && n >= min && n <= max) {
        return Err(range_error(&format!(
            "{field} must be a whole number from {} to {}, got {}",
            number(min),
            number(max),
            number(n)
        )));
    }
    Ok(Some(n as u64))
}

/// A whole number from `min` to `max` at `object[key]` (see [`whole_value`]).
pub(crate) fn whole(
    object: &JsValue,
    key: Key,
    field: &str,
    range: (f64, f64),
) -> Result<Option<u64>, JsValue> {
    whole_value(&read(object, key, field)?, field, range)
}

/// `options.seed`: a whole number from 0 to 2^53 - 1, or `None` when absent.
pub(crate) fn seed(options: &JsValue) -> Result<Option<u64>, JsValue> {
    whole(options, Key::Seed, "options.seed", (0.0, MAX_SAFE_INTEGER))
}

/// A string at `object[key]`, `default` when absent.
pub(crate) fn text(
    object: &JsValue,
    key: Key,
    field: &str,
    default: &str,
) -> Result<String, JsValue> {
    let value = read(object, key, field)?;
    if absent(&value) {
        return Ok(default.to_owned());
    }
    value.as_string().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a string, got {}",
            describe(&value)
        ))
    })
}

/// A function at `object[key]`; absent → `None`, unless `required`.
pub(crate) fn function(
    object: &JsValue,
    key: Key,
    field: &str,
    required: bool,
) -> Result<Option<Function>, JsValue> {
    let value = read(object, key, field)?;
    if absent(&value) && !required {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|v| type_error(&format!("{field} must be a function, got {}", describe(&v))))
}
