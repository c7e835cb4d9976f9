//! The pollflow engine for JavaScript: the npm package `pollflow`.
//!
//! This crate only adapts: JS callbacks become a [`pollflow::Poller`] and
//! [`pollflow::Notifier`], the host's timers a [`pollflow::Clock`], events and outcomes plain
//! objects. The JS wrapper in `npm/` adds the async iterator, `AbortSignal` and the promises.
#![forbid(unsafe_code)]

mod clock;
mod errors;
mod json;
mod options;
mod poller;

use std::cell::RefCell;
use std::rc::Rc;

use futures::StreamExt;
use js_sys::Promise;
use pollflow::{AbortHandle, Engine, Outcome, Run};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A running execution, driven from JS one event at a time.
#[wasm_bindgen]
pub struct Execution {
    run: Rc<RefCell<Option<Run>>>,
    finished: Rc<RefCell<Option<Outcome>>>,
    abort: AbortHandle,
}

#[wasm_bindgen]
impl Execution {
    /// The next event as a plain object, or `undefined` after the last one.
    pub fn next(&self) -> Promise {
        let (cell, finished) = (self.run.clone(), self.finished.clone());
        future_to_promise(async move {
            let taken = cell.borrow_mut().take();
            let Some(mut run) = taken else {
                return Err(errors::type_error(
                    "next() was called while another next() is pending",
                ));
            };
            let event = run.next().await;
            if let Some(outcome) = run.finished() {
                *finished.borrow_mut() = Some(outcome.clone());
            }
            *cell.borrow_mut() = Some(run);
            Ok(event.map_or(JsValue::UNDEFINED, |e| json::to_js(&e)))
        })
    }

    /// Stops the execution: its job is cancelled, then `ExecutionAborted` ends it.
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// How it ended (a plain object), or `undefined` while it runs.
    pub fn outcome(&self) -> JsValue {
        self.finished
            .borrow()
            .as_ref()
            .map_or(JsValue::UNDEFINED, json::to_js)
    }

    /// The error of a failed, timed-out or aborted execution, as an `Error` named like ASL
    /// (`States.TaskFailed`, `States.Timeout`, `AbortError`...); `undefined` otherwise.
    pub fn error(&self) -> JsValue {
        match self.finished.borrow().clone().map(Outcome::into_result) {
            Some(Err(error)) => errors::asl_error(&error),
            _ => JsValue::UNDEFINED,
        }
    }
}

/// Starts an execution of the Job Poller workflow with JS callbacks (see `index.d.ts`).
#[wasm_bindgen]
pub fn start(options: JsValue) -> Result<Execution, JsValue> {
    let options = options::parse(&options)?;
    let mut builder = pollflow::Engine::builder(options.workflow, options.poller, clock::JsClock)
        .seed(options.seed);
    if let Some(notifier) = options.notifier {
        builder = builder.notifier(notifier);
    }
    let engine: Engine = builder.build();
    let mut run = engine.start(options.input);
    let abort = run.abort_handle();
    Ok(Execution {
        run: Rc::new(RefCell::new(Some(run))),
        finished: Rc::default(),
        abort,
    })
}

/// The state-machine graph `start` would run with these options (for drawing it).
#[wasm_bindgen(js_name = workflowGraph)]
pub fn workflow_graph(options: JsValue) -> Result<JsValue, JsValue> {
    let options = options::parse(&options)?;
    Ok(json::to_js(options.workflow.graph()))
}
