//! `options.limits`: the engine's bounds ([`pollflow::Limits`]), as the wrapper checked them
//! (`limits` in `npm/execution.js`).

use pollflow::Limits;

/// The limits from one number per field, in the order of `LIMITS` in `npm/execution.js`
/// (`maxPayloadBytes`, `maxVariablesBytes`, `maxEvents`, `maxMapConcurrency`, `maxPathVisits`);
/// NaN, or a missing number, keeps Step Functions' default. The wrapper checked each is a whole
/// number in range (`as` saturates besides: no panic on any number).
pub(crate) fn from_js(values: &[f64]) -> Limits {
    let given = |i: usize| values.get(i).copied().filter(|v| !v.is_nan());
    let mut limits = Limits::default();
    if let Some(bytes) = given(0) {
        limits.max_payload_bytes = bytes as u64;
    }
    if let Some(bytes) = given(1) {
        limits.max_variables_bytes = bytes as u64;
    }
    if let Some(events) = given(2) {
        limits.max_events = events as u64;
    }
    if let Some(items) = given(3) {
        limits.max_map_concurrency = items as u32;
    }
    if let Some(visits) = given(4) {
        limits.max_path_visits = visits as u64;
    }
    limits
}
