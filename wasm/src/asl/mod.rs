//! `pollflow/asl`: Amazon States Language definitions run with JS handlers (`runAsl`),
//! validated (`validateAsl`) and drawn (`aslGraph`). Built only with the feature `asl`, into
//! its own module (`wasm/npm/dist-asl`), so the base package stays small.
//!
//! The JS wrapper (`npm/asl.js`) checks the options' types and hands over the definition as
//! JSON text; what only the engine can judge (the definition, the handlers' bindings, the
//! overridden Wait states) is checked here.

mod handlers;
mod simulation;
mod waits;

use std::time::Duration;

use pollflow::{Engine, Problem, VirtualClock, Workflow};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::errors::{range_error, type_error};
use crate::{clock, json, Execution};

pub(crate) use simulation::Simulation;

/// The name executions and `$$.StateMachine.Name` give the state machine.
const NAME: &str = "StateMachine";

/// Problems as one line each, joined.
fn listed(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The definition loaded, or a `TypeError` listing every problem.
fn load(definition: &str) -> Result<Workflow, JsValue> {
    Workflow::from_asl(definition, NAME).map_err(|e| {
        type_error(&format!(
            "definition is not a valid state machine: {}",
            listed(&e.problems)
        ))
    })
}

/// Starts an execution of `definition` (JSON text) with `input`, the Task states bound to
/// `handlers` (see `handlers`), Wait states overridden by `waits` (JSON text: state name →
/// milliseconds); on simulated time starting at `start_ms` when `simulated`; its random
/// numbers (jitter, `States.UUID`, `States.MathRandom`) seeded with `seed` (JS checked it is
/// a whole number from 0 to 2^53 - 1, or drew it from `crypto.getRandomValues`); bounded by
/// `limits` (`options.limits` as JS checked it, see `limits::from_js`).
#[wasm_bindgen(js_name = startAsl)]
#[allow(clippy::too_many_arguments)] // One per option: a struct would cross as an object.
pub fn start_asl(
    definition: &str,
    input: JsValue,
    handlers: JsValue,
    waits: &str,
    simulated: bool,
    start_ms: f64,
    seed: f64,
    limits: &[f64],
) -> Result<Execution, JsValue> {
    let _unfinished = crate::wire::Unfinished::enter();
    // `as` saturates: no panic on any number.
    let seed = seed as u64;
    let workflow = waits::apply(load(definition)?, waits)?;
    let tasks = handlers::tasks(&handlers)?;
    let unbound = tasks.unbound(&workflow);
    if !unbound.is_empty() {
        return Err(type_error(&format!(
            "options.handlers: {}",
            listed(&unbound)
        )));
    }
    let input = json::from_js(&input, "options.input")?;
    let limits = crate::limits::from_js(limits);
    if !simulated {
        let engine = Engine::with_tasks(workflow, tasks, clock::JsClock)
            .seed(seed)
            .limits(limits)
            .build();
        return Ok(Execution::new(engine.start(input)));
    }
    // `as` saturates: no panic on any number (JS checked it is finite and >= 0).
    let clock = VirtualClock::starting_at(Duration::from_millis(start_ms as u64));
    let engine = Engine::with_tasks(workflow, tasks, clock.clone())
        .seed(seed)
        .limits(limits)
        .build();
    Ok(Execution {
        simulation: Some(Simulation::new(clock)),
        ..Execution::new(engine.start(input))
    })
}

/// `{"valid": bool, "problems": [{"state", "path", "reason"}]}` as JSON text: every problem of
/// `definition` (JSON text).
#[wasm_bindgen(js_name = validateAsl)]
pub fn validate_asl(definition: &str) -> String {
    let _unfinished = crate::wire::Unfinished::enter();
    let problems = match Workflow::from_asl(definition, NAME) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    };
    let problems: Vec<Value> = problems
        .iter()
        .map(|p| json!({ "state": p.state, "path": p.path, "reason": p.message }))
        .collect();
    json::to_text(&json!({ "valid": problems.is_empty(), "problems": problems }))
}

/// The drawing of `definition` (JSON text): `format` is `mermaid` or `dot`.
#[wasm_bindgen(js_name = aslGraph)]
pub fn asl_graph(definition: &str, format: &str) -> Result<String, JsValue> {
    let _unfinished = crate::wire::Unfinished::enter();
    let draw = match format {
        "mermaid" => pollflow::StateMachine::to_mermaid,
        "dot" => pollflow::StateMachine::to_dot,
        other => {
            return Err(range_error(&format!(
                "options.format must be 'mermaid' or 'dot', got {other:?}"
            )))
        }
    };
    Ok(draw(load(definition)?.graph(), &[]))
}
