//! `options.limits`: the engine's bounds ([`pollflow::Limits`]), read and checked for both
//! entry points (`run` and `runAsl`).

use pollflow::Limits;
use wasm_bindgen::JsValue;

use crate::errors::type_error;
use crate::fields::{
    absent, is_plain_object, keys, kind, read_named, whole_value, MAX_SAFE_INTEGER,
};

/// The fields of `options.limits`, in the order their errors list them.
const FIELDS: [&str; 5] = [
    "maxPayloadBytes",
    "maxVariablesBytes",
    "maxEvents",
    "maxMapConcurrency",
    "maxPathVisits",
];

/// `options.limits`, each field absent keeping Step Functions' default. `TypeError` for a
/// non-object, an unknown field or a non-number; `RangeError` for a number that is not a whole
/// number from 0 to 2^53 - 1 (`maxMapConcurrency`: 2^32 - 1).
pub(crate) fn from_options(options: &JsValue) -> Result<Limits, JsValue> {
    let given = read_named(options, "limits", "options.limits")?;
    let mut limits = Limits::default();
    if absent(&given) {
        return Ok(limits);
    }
    if !is_plain_object(&given) {
        return Err(type_error(&format!(
            "options.limits must be an object, got {}",
            kind(&given)
        )));
    }
    for key in keys(&given, "options.limits")? {
        if !FIELDS.contains(&key.as_str()) {
            return Err(type_error(&format!(
                "options.limits.{key} is not a limit (there are {})",
                FIELDS.join(", ")
            )));
        }
    }
    for (i, name) in FIELDS.into_iter().enumerate() {
        let field = format!("options.limits.{name}");
        let max = if i == 3 {
            f64::from(u32::MAX)
        } else {
            MAX_SAFE_INTEGER
        };
        let value = read_named(&given, name, &field)?;
        let Some(n) = whole_value(&value, &field, (0.0, max))? else {
            continue;
        };
        match i {
            0 => limits.max_payload_bytes = n,
            1 => limits.max_variables_bytes = n,
            2 => limits.max_events = n,
            // In range: checked above.
            3 => limits.max_map_concurrency = u32::try_from(n).unwrap_or(u32::MAX),
            _ => limits.max_path_visits = n,
        }
    }
    Ok(limits)
}
