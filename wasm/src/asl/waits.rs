//! `waitOverrides`: Wait states made to wait a given number of milliseconds instead.

use std::collections::BTreeMap;

use pollflow::{DelayUntil, State, StateDef, StateMachine, Workflow};
use wasm_bindgen::JsValue;

use crate::errors::{range_error, type_error};

/// `workflow` with the Wait states named in `waits` (JSON text: state name → milliseconds)
/// waiting that long, also inside Parallel branches and Map processors; a `RangeError` names a state that is missing or not a Wait state.
pub(super) fn apply(workflow: Workflow, waits: &str) -> Result<Workflow, JsValue> {
    let waits: BTreeMap<String, f64> = serde_json::from_str(waits)
        .map_err(|e| type_error(&format!("options.waitOverrides: {e}")))?;
    if waits.is_empty() {
        return Ok(workflow);
    }
    let mut graph = workflow.graph().clone();
    for (state, ms) in waits {
        let field = format!("options.waitOverrides[{state:?}]");
        let def = find_state(&mut graph, &state)
            .ok_or_else(|| range_error(&format!("{field}: there is no state named {state:?}")))?;
        let State::Delay { until, .. } = &mut def.state else {
            return Err(range_error(&format!(
                "{field}: {state:?} is not a Wait state"
            )));
        };
        // `as` saturates: no panic on any number (JS checked it is finite and >= 0).
        *until = DelayUntil::Milliseconds(ms as u64);
    }
    Workflow::from_graph(graph, []).map_err(|e| range_error(&format!("options.waitOverrides: {e}")))
}

/// The state named `name`, also inside Parallel branches and Map processors (state names are
/// unique in the whole machine), as the CLI finds `--wait` states.
fn find_state<'a>(graph: &'a mut StateMachine, name: &str) -> Option<&'a mut StateDef> {
    graph.states.iter_mut().find_map(|def| {
        if def.name == name {
            return Some(def);
        }
        match &mut def.state {
            State::Parallel { branches, .. } => branches
                .iter_mut()
                .find_map(|branch| find_state(branch, name)),
            State::Map { processor, .. } => find_state(processor, name),
            _ => None,
        }
    })
}
