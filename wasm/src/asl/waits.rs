//! `waitOverrides`: Wait states made to wait a given number of milliseconds instead.

use std::collections::BTreeMap;

use pollflow::graph::{DelayUntil, State};
use pollflow::Workflow;
use wasm_bindgen::JsValue;

use crate::errors::range_error;

/// `workflow` with the Wait states named in `waits` (state name → milliseconds, checked by
/// `options::wait_overrides`) waiting that long, also inside Parallel branches and Map
/// processors; a `RangeError` names a state that is missing or not a Wait state.
pub(super) fn apply(workflow: Workflow, waits: BTreeMap<String, f64>) -> Result<Workflow, JsValue> {
    if waits.is_empty() {
        return Ok(workflow);
    }
    let mut graph = workflow.graph().clone();
    for (state, ms) in waits {
        let field = format!("options.waitOverrides[{state:?}]");
        let def = graph
            .state_mut(&state)
            .ok_or_else(|| range_error(&format!("{field}: there is no state named {state:?}")))?;
        let State::Delay { until, .. } = &mut def.state else {
            return Err(range_error(&format!(
                "{field}: {state:?} is not a Wait state"
            )));
        };
        // `as` saturates: no panic on any number (checked finite and >= 0).
        *until = DelayUntil::Milliseconds(ms as u64);
    }
    Workflow::from_graph(graph, []).map_err(|e| range_error(&format!("options.waitOverrides: {e}")))
}
