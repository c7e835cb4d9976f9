//! `pollflow/asl`: Amazon States Language definitions run with JS handlers (`runAsl`),
//! validated (`validateAsl`) and drawn (`aslGraph`). Built only with the feature `asl`, into
//! its own module (`wasm/npm/dist-asl`), so the base package stays small.
//!
//! The definition and every option are read and checked here (module `options`, with the
//! checks `pollflow`'s `run` uses, in `crate::fields`); the JS wrapper (`npm/asl.js`) only
//! checks `options.signal` (an `AbortSignal`, which it handles) and wraps the handlers so that
//! simulated time knows when they run.

mod handlers;
mod options;
mod simulation;
mod waits;

use std::time::Duration;

use js_sys::Function;
use pollflow::workflow::Problem;
use pollflow::{Engine, VirtualClock, Workflow};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::errors::type_error;
use crate::fields::{read, seed};
use crate::keys::Key;
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

/// Starts an execution of `definition` (an object, or JSON text) with `options` (see
/// `asl.d.ts`): its input, its Task states bound to `options.handlers` (each function as
/// `wrap` makes it), Wait states overridden by `options.waitOverrides`, on simulated time
/// when `options.simulatedTime` says so, its random numbers (jitter, `States.UUID`,
/// `States.MathRandom`) seeded by `options.seed` or else `random_seed` (drawn by JS from
/// `crypto.getRandomValues`), bounded by `options.limits`.
#[wasm_bindgen(js_name = startAsl)]
pub fn start_asl(
    definition: JsValue,
    options: JsValue,
    wrap: Function,
    random_seed: f64,
) -> Result<Execution, JsValue> {
    begin(definition, options, wrap, random_seed, None)
}

/// `startAsl` continuing the execution `checkpoint` (the JSON text of `Execution::checkpoint`)
/// instead of starting one. Only in the build with the feature `resume`, which the JS loads for
/// `resumeAsl`.
#[cfg(feature = "resume")]
#[wasm_bindgen(js_name = resumeAsl)]
pub fn resume_asl(
    definition: JsValue,
    options: JsValue,
    wrap: Function,
    random_seed: f64,
    checkpoint: &str,
) -> Result<Execution, JsValue> {
    begin(definition, options, wrap, random_seed, Some(checkpoint))
}

/// `startAsl`, or with `checkpoint` `resumeAsl`.
fn begin(
    definition: JsValue,
    options: JsValue,
    wrap: Function,
    random_seed: f64,
    checkpoint: Option<&str>,
) -> Result<Execution, JsValue> {
    let _unfinished = crate::wire::Unfinished::enter();
    let definition = options::definition(&definition)?;
    let start = options::simulated_start(&options)?;
    let tasks = handlers::tasks(&options, &wrap)?;
    let input = read(&options, Key::Input, "options.input")?;
    let input = if input.is_undefined() {
        json!({})
    } else {
        json::from_js(&input, "options.input")?
    };
    let waits = options::wait_overrides(&options)?;
    // `as` saturates: no panic on any number.
    let seed = seed(&options)?.unwrap_or(random_seed as u64);
    let limits = crate::limits::from_options(&options)?;
    let workflow = waits::apply(load(&definition)?, waits)?;
    let unbound = tasks.unbound(&workflow);
    if !unbound.is_empty() {
        return Err(type_error(&format!(
            "options.handlers: {}",
            listed(&unbound)
        )));
    }
    // Only `resumeAsl` passes a checkpoint, and only the build with the feature `resume`.
    #[cfg(not(feature = "resume"))]
    let _ = checkpoint;
    let run = |engine: &Engine| -> Result<pollflow::Run, JsValue> {
        #[cfg(feature = "resume")]
        if let Some(text) = checkpoint {
            return crate::execution::resumed(engine, text);
        }
        Ok(engine.start(input))
    };
    let Some(start_ms) = start else {
        let engine = pushable(Engine::with_tasks(workflow, tasks, clock::JsClock))
            .seed(seed)
            .limits(limits)
            .build();
        return Ok(Execution::new(&engine, run(&engine)?));
    };
    // `as` saturates: no panic on any number (checked finite and >= 0).
    let clock = VirtualClock::starting_at(Duration::from_millis(start_ms as u64));
    let engine = pushable(Engine::with_tasks(workflow, tasks, clock.clone()))
        .seed(seed)
        .limits(limits)
        .build();
    Ok(Execution::new(&engine, run(&engine)?).on_simulated_time(Simulation::new(clock)))
}

/// `builder`, taking pushes (task-token sends, job statuses) in the build that can.
fn pushable(builder: pollflow::EngineBuilder) -> pollflow::EngineBuilder {
    #[cfg(feature = "push")]
    return builder.push();
    #[cfg(not(feature = "push"))]
    builder
}

/// `{"valid": bool, "problems": [{"state", "path", "reason"}]}` as JSON text: every problem of
/// `definition` (an object, or JSON text).
#[wasm_bindgen(js_name = validateAsl)]
pub fn validate_asl(definition: JsValue) -> Result<String, JsValue> {
    let _unfinished = crate::wire::Unfinished::enter();
    let definition = options::definition(&definition)?;
    let problems = match Workflow::from_asl(&definition, NAME) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    };
    let problems: Vec<Value> = problems
        .iter()
        .map(|p| json!({ "state": p.state, "path": p.path, "reason": p.message }))
        .collect();
    Ok(json::to_text(
        &json!({ "valid": problems.is_empty(), "problems": problems }),
    ))
}

/// The drawing of `definition` (an object, or JSON text) in `options.format`: `mermaid` (the
/// default) or `dot`.
#[wasm_bindgen(js_name = aslGraph)]
pub fn asl_graph(definition: JsValue, options: JsValue) -> Result<String, JsValue> {
    let _unfinished = crate::wire::Unfinished::enter();
    let draw = match options::format(&options)?.as_str() {
        "dot" => pollflow::graph::StateMachine::to_dot,
        _ => pollflow::graph::StateMachine::to_mermaid,
    };
    let definition = options::definition(&definition)?;
    Ok(draw(load(&definition)?.graph(), &[]))
}
