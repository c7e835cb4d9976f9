//! `Execution`, a run polled from JS one event at a time, and `start` and `workflowGraph`, the
//! exports of `pollflow`'s Job Poller.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::StreamExt;
use pollflow::{AbortHandle, Engine, Event, Outcome, Run};
use wasm_bindgen::prelude::*;

use crate::wake::Parker;
use crate::{clock, json, limits, options, poller, wire};

/// How many events `drive` runs through at most before handing control back to JS, which
/// lets the event loop run when it has worked for a few milliseconds (a run that never waits
/// would otherwise hold the thread for good).
const DRIVE_STEPS: u32 = 64;

/// A running execution, polled from JS one event at a time.
#[wasm_bindgen]
pub struct Execution {
    /// Borrowed while being polled (a callback polling it again gets an error, not a panic);
    /// `None` once ended: an ended run is dropped at once, not when JS collects this object.
    run: RefCell<Option<Run>>,
    finished: RefCell<Option<Outcome>>,
    abort: AbortHandle,
    parker: Rc<Parker>,
    waker: Waker,
    /// The value its events sent JS last (see `wire::SAME`).
    sent: Cell<wire::Sent>,
    /// The virtual clock of a run on simulated time (`pollflow/asl`).
    #[cfg(feature = "asl")]
    pub(crate) simulation: Option<crate::asl::Simulation>,
    /// The run's engine, which takes its pushes (see `push.rs`).
    #[cfg(feature = "push")]
    pub(crate) engine: Engine,
}

impl Execution {
    /// Starts polling `run` of `engine` (on the host's time).
    pub(crate) fn new(engine: &Engine, mut run: Run) -> Self {
        #[cfg(not(feature = "push"))]
        let _ = engine;
        let abort = run.abort_handle();
        let (parker, waker) = Parker::new();
        Self {
            run: RefCell::new(Some(run)),
            finished: RefCell::default(),
            abort,
            parker,
            waker,
            sent: Cell::default(),
            #[cfg(feature = "asl")]
            simulation: None,
            #[cfg(feature = "push")]
            engine: engine.clone(),
        }
    }

    /// Polls the run once, `now` being `Date.now()` as JS just read it, or `None` when no JS
    /// ran since the clock was last read (a callback makes the clock read it again itself):
    /// `Ready(Some(event))`, `Ready(None)` at its end, or `Pending`; `Err` when it is being
    /// polled already.
    fn advance(&self, now: Option<f64>) -> Result<Poll<Option<Event>>, ()> {
        let mut cell = self.run.try_borrow_mut().map_err(drop)?;
        let Some(run) = cell.as_mut() else {
            return Ok(Poll::Ready(None));
        };
        self.parker.reset();
        if let Some(now) = now {
            clock::set_now(now);
        }
        let polled = run.poll_next_unpin(&mut Context::from_waker(&self.waker));
        if self.finished.borrow().is_none() {
            if let Some(outcome) = run.finished() {
                *self.finished.borrow_mut() = Some(outcome.clone());
            }
        }
        if let Poll::Ready(None) = polled {
            *cell = None;
            self.parker.retire();
        }
        Ok(polled)
    }

    /// The same execution, on the simulated time of `simulation`.
    #[cfg(feature = "asl")]
    pub(crate) fn on_simulated_time(mut self, simulation: crate::asl::Simulation) -> Self {
        self.simulation = Some(simulation);
        self
    }

    /// [`wire::END`], the outcome's JSON left in memory for JS (which makes the `Error` of a
    /// failure from it).
    fn ended(&self) -> f64 {
        wire::send_text(&*self.finished.borrow());
        wire::END
    }
}

#[wasm_bindgen]
impl Execution {
    /// Makes progress until the next event, `now` being `Date.now()`, and says what it is:
    /// `-3` the run is being polled already, `-2` it must wait (see `park`), `-1` it ended
    /// (its outcome's JSON left in memory as an event's text); otherwise the event's header,
    /// its numbers and text left in memory (see `wire`).
    /// (Errors are codes: a `Result` would cross through memory, slower.)
    pub fn poll(&self, now: f64) -> f64 {
        match self.advance(Some(now)) {
            Err(()) => wire::BUSY,
            Ok(Poll::Pending) => wire::PENDING,
            Ok(Poll::Ready(None)) => self.ended(),
            Ok(Poll::Ready(Some(event))) => {
                let mut sent = self.sent.take();
                let header = wire::send(&event, &mut sent);
                self.sent.set(sent);
                header
            }
        }
    }

    /// Makes progress until the run must wait (`-2`) or ends (`-1`, as `poll`), dropping the events (for
    /// an execution nobody iterates), `now` being `Date.now()`; `-3` when it is being polled
    /// already; `-4` when it can go on but ran through `DRIVE_STEPS` events (drive again).
    pub fn drive(&self, now: f64) -> f64 {
        let mut now = Some(now);
        // JS does not see these events: the next value it gets is written out.
        self.sent.take();
        for _ in 0..DRIVE_STEPS {
            match self.advance(now.take()) {
                Err(()) => return wire::BUSY,
                Ok(Poll::Pending) => return wire::PENDING,
                Ok(Poll::Ready(None)) => return self.ended(),
                Ok(Poll::Ready(Some(_))) => {}
            }
        }
        wire::MORE
    }

    /// Parks JS until the run can make progress again: the host's `resume(parker)` says
    /// when. `false`: it can already (it was woken since the last poll).
    pub fn park(&self) -> bool {
        self.parker.park()
    }

    /// The number the host's `resume` names this execution by.
    #[wasm_bindgen(getter)]
    pub fn parker(&self) -> u32 {
        self.parker.id()
    }

    /// Stops the execution: its job is cancelled, then `ExecutionAborted` ends it.
    pub fn abort(&self) {
        poller::note_abort();
        self.abort.abort();
    }

    /// Leaves the run's checkpoint (see `pollflow::Run::checkpoint`) in memory as JSON text,
    /// as an event's (`wire::send_text`): `true`, or `false` when the run has ended or is being
    /// polled (the JS wrapper says which). Serialized from the run, not from a copy of it.
    pub fn checkpoint(&self) -> bool {
        let Ok(cell) = self.run.try_borrow() else {
            return false;
        };
        let Some(run) = cell.as_ref() else {
            return false;
        };
        wire::send_text(&run.checkpoint_of());
        true
    }
}

/// Starts an execution of the Job Poller workflow with JS callbacks (see `index.d.ts`);
/// `random_seed` (drawn by JS from `crypto.getRandomValues`) seeds it unless `options.seed`
/// does: wasm32 has no randomness of its own.
#[wasm_bindgen]
pub fn start(options: JsValue, random_seed: f64) -> Result<Execution, JsValue> {
    let _unfinished = wire::Unfinished::enter();
    let (engine, input) = engine(&options, random_seed)?;
    Ok(Execution::new(&engine, engine.start(input)))
}

/// Continues the execution `checkpoint` (the JSON text of `Execution::checkpoint`) with these
/// options' callbacks (see `index.d.ts`): its job is polled on, not submitted again. Only in
/// the build with the feature `resume`, which the JS loads when `resume` is first called.
#[cfg(feature = "resume")]
#[wasm_bindgen]
pub fn resume(options: JsValue, checkpoint: &str, random_seed: f64) -> Result<Execution, JsValue> {
    let _unfinished = wire::Unfinished::enter();
    let (engine, _) = engine(&options, random_seed)?;
    Ok(Execution::new(&engine, resumed(&engine, checkpoint)?))
}

/// The run of `checkpoint` (JSON text) on `engine`; a checkpoint that does not load or fit
/// is an `Error` saying why.
#[cfg(feature = "resume")]
pub(crate) fn resumed(engine: &Engine, checkpoint: &str) -> Result<Run, JsValue> {
    // Through `Value`: its parser is in the module already (`json::from_js`), and the
    // checkpoint's types are then read from one deserializer type only.
    let checkpoint: pollflow::Checkpoint = serde_json::from_str::<serde_json::Value>(checkpoint)
        .and_then(serde_json::from_value)
        .map_err(|e| js_sys::Error::new(&format!("pollflow: the checkpoint does not load: {e}")))?;
    engine
        .resume(checkpoint)
        .map_err(|e| js_sys::Error::new(&format!("pollflow: {e}")).into())
}

/// The engine `options` describe, and their input.
fn engine(options: &JsValue, random_seed: f64) -> Result<(Engine, serde_json::Value), JsValue> {
    let limits = limits::from_options(options)?;
    let options = options::parse(options)?;
    // `as` saturates: no panic on any number.
    let seed = options.seed.unwrap_or(random_seed as u64);
    let mut builder = pollflow::Engine::builder(options.workflow, options.poller, clock::JsClock)
        .seed(seed)
        .limits(limits);
    #[cfg(feature = "push")]
    {
        builder = builder.push();
    }
    if let Some(notifier) = options.notifier {
        builder = builder.notifier(notifier);
    }
    Ok((builder.build(), options.input))
}

/// The state-machine graph `start` would run with these options (for drawing it).
#[wasm_bindgen(js_name = workflowGraph)]
pub fn workflow_graph(options: JsValue) -> Result<JsValue, JsValue> {
    let _unfinished = wire::Unfinished::enter();
    let options = options::parse(&options)?;
    Ok(json::to_js(options.workflow.graph()))
}
