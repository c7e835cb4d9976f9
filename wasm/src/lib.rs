//! The pollflow engine for JavaScript: the npm package `pollflow`.
//!
//! This crate only adapts: JS callbacks become a [`pollflow::Poller`] and
//! [`pollflow::Notifier`], the host's timers a [`pollflow::Clock`], events and outcomes plain
//! objects. The JS wrapper in `npm/` adds the async iterator, `AbortSignal` and the promises.
//!
//! The wrapper drives an execution by polling it: [`Execution::poll`] makes progress until the
//! next event, synchronously, and when the run has to wait (for a callback's promise, a timer)
//! the wrapper parks on a promise that the run's waker resolves (module `wake`). Promises,
//! timers and those wake-ups go through a host object the wrapper lends (module `host`), so no
//! Rust closure is ever handed to JS. Events cross as numbers (see [`Execution::poll`]) and,
//! for their JSON values, as UTF-8 text the wrapper reads from memory (see `SLOT`): no string
//! is made per event on the Rust side.
//!
//! No export returns a JS object (an `externref`): V8 in Node 20 inlines JS-to-wasm calls and
//! aborts (`unreachable code` in `DoComputeBuiltinContinuation`) when it has to deoptimize the
//! caller of an inlined call returning a reference. Numbers, strings and thrown errors are fine.
#![forbid(unsafe_code)]

#[cfg(feature = "asl")]
mod asl;
mod clock;
mod errors;
mod host;
mod json;
mod keys;
mod options;
mod poller;
mod slab;
mod states;
mod wake;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::StreamExt;
use pollflow::{AbortHandle, Engine, Event, EventKind, Outcome, Run};
use wasm_bindgen::prelude::*;

#[cfg(feature = "asl")]
pub use crate::asl::{asl_graph, start_asl, validate_asl};
pub use crate::host::{ring, set_host, settle};
use crate::wake::Parker;

/// [`Execution::poll`]: the run is being polled already (by a callback): JS throws.
const BUSY: f64 = -3.0;
/// [`Execution::poll`]: the run must wait; park, then poll again.
const PENDING: f64 = -2.0;
/// [`Execution::poll`]: the run ended (after its terminal event).
const END: f64 = -1.0;
/// [`Execution::poll`]: an event to read whole from its text.
const OTHER: u32 = 0;
/// [`Execution::poll`]: `StateEntered` (`state`).
const STATE_ENTERED: u32 = 1;
/// [`Execution::poll`]: `StateExited` (`state`).
const STATE_EXITED: u32 = 2;
/// [`Execution::poll`]: `WaitStarted` (`state`; `attempt` and `delay_ms` in the slot).
const WAIT_STARTED: u32 = 3;
/// [`Execution::poll`]: `ChoiceTaken` (`state`, `next`).
const CHOICE_TAKEN: u32 = 4;
/// [`Execution::poll`]: `ExecutionStarted` (text: `input`).
const EXECUTION_STARTED: u32 = 5;
/// [`Execution::poll`]: `TaskSubmitted` (`state`; text: `handle`).
const TASK_SUBMITTED: u32 = 6;
/// [`Execution::poll`]: `StatusChecked` (`state`; `attempt` in the slot; text: `status`).
const STATUS_CHECKED: u32 = 7;
/// [`Execution::poll`]: `Notified` (`state`; text: `message`).
const NOTIFIED: u32 = 8;
/// [`Execution::poll`]: `ExecutionSucceeded` (text: `output`).
const EXECUTION_SUCCEEDED: u32 = 9;

/// An event's kind and state names packed in [`Execution::poll`]'s answer: the kind in 4 bits,
/// then the indexes (see [`states`]) of `state` and `next` in 8 bits each, then the event id;
/// [`OTHER`] for an event that does not pack.
fn pack(event: &Event) -> f64 {
    let (code, state, next) = match &event.kind {
        EventKind::StateEntered { state } => (STATE_ENTERED, Some(state), None),
        EventKind::StateExited { state } => (STATE_EXITED, Some(state), None),
        EventKind::WaitStarted { state, .. } => (WAIT_STARTED, Some(state), None),
        EventKind::ChoiceTaken { state, next } => (CHOICE_TAKEN, Some(state), Some(next)),
        EventKind::ExecutionStarted { .. } => (EXECUTION_STARTED, None, None),
        EventKind::TaskSubmitted { state, .. } => (TASK_SUBMITTED, Some(state), None),
        EventKind::StatusChecked { state, .. } => (STATUS_CHECKED, Some(state), None),
        EventKind::Notified { state, .. } => (NOTIFIED, Some(state), None),
        EventKind::ExecutionSucceeded { .. } => (EXECUTION_SUCCEEDED, None, None),
        _ => (OTHER, None, None),
    };
    let index = |name: Option<&Arc<str>>| name.map_or(Some(0), |n| states::index(n));
    let packed = match (index(state), index(next)) {
        // An event inside a Parallel branch or a Map item crosses whole, with its route.
        _ if !event.route.is_empty() => OTHER,
        (Some(state), Some(next)) => code | state << 4 | next << 12,
        _ => OTHER,
    };
    f64::from(packed) + event.id as f64 * f64::from(1 << 20)
}

/// The last event's numbers, read by JS straight from memory (see [`set_host`]), as the bits of
/// `f64`s: its `timestamp_ms`, `attempt` and `delay_ms` (0 when it has none), then where its
/// text is and how long: the JSON of its field named by its kind, or of the whole event (kind
/// [`OTHER`]). Atomics only to be a safe `static`: there are no threads.
static SLOT: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

thread_local! {
    /// The last event's text (see [`SLOT`]), kept for JS to read; its memory is reused.
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Where in memory [`Execution::poll`] leaves the event's numbers: five `f64`s.
pub(crate) fn event_slot() -> usize {
    SLOT.as_ptr() as usize
}

/// Writes the JSON text `event` carries, if any (see [`SLOT`]); returns where it is and its
/// length, or zeros.
fn write_text(event: &Event, packed: u32) -> (usize, usize) {
    TEXT.with(|text| {
        let text = &mut *text.borrow_mut();
        text.clear();
        match &event.kind {
            _ if packed & 15 == OTHER => json::write(text, event),
            EventKind::ExecutionStarted { input } => json::write(text, &**input),
            EventKind::TaskSubmitted { handle: value, .. }
            | EventKind::ExecutionSucceeded { output: value } => json::write(text, value),
            EventKind::StatusChecked { status, .. } => json::write(text, &**status),
            EventKind::Notified { message, .. } => json::write(text, message),
            _ => return (0, 0),
        }
        (text.as_ptr() as usize, text.len())
    })
}

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
    /// The virtual clock of a run on simulated time (`pollflow/asl`).
    #[cfg(feature = "asl")]
    simulation: Option<asl::Simulation>,
}

impl Execution {
    /// Starts polling `run` (on the host's time).
    fn new(mut run: Run) -> Self {
        let abort = run.abort_handle();
        let (parker, waker) = Parker::new();
        Self {
            run: RefCell::new(Some(run)),
            finished: RefCell::default(),
            abort,
            parker,
            waker,
            #[cfg(feature = "asl")]
            simulation: None,
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
}

#[wasm_bindgen]
impl Execution {
    /// Makes progress until the next event, `now` being `Date.now()`, and says what it is:
    /// `-3` the run is being polled already, `-2` it must wait (see `park`), `-1` it ended;
    /// otherwise the event's kind, states and id, packed (see `pack`), its numbers left in
    /// the slot (see [`set_host`]), its text in memory too. (Errors are codes: a
    /// `Result` would cross through memory, slower.)
    pub fn poll(&self, now: f64) -> f64 {
        match self.advance(Some(now)) {
            Err(()) => BUSY,
            Ok(Poll::Pending) => PENDING,
            Ok(Poll::Ready(None)) => END,
            Ok(Poll::Ready(Some(event))) => {
                let (attempt, delay_ms) = match &event.kind {
                    EventKind::WaitStarted {
                        attempt, delay_ms, ..
                    } => (*attempt, *delay_ms),
                    EventKind::StatusChecked { attempt, .. } => (*attempt, 0),
                    _ => (0, 0),
                };
                let packed = pack(&event);
                let (at, len) = write_text(&event, packed as u32);
                let numbers = [
                    event.timestamp_ms as f64,
                    f64::from(attempt),
                    delay_ms as f64,
                    at as f64,
                    len as f64,
                ];
                for (slot, number) in SLOT.iter().zip(numbers) {
                    slot.store(number.to_bits(), Relaxed);
                }
                packed
            }
        }
    }

    /// Makes progress until the run must wait (`-2`) or ends (`-1`), dropping the events (for
    /// an execution nobody iterates), `now` being `Date.now()`; `-3` when it is being polled
    /// already.
    pub fn drive(&self, now: f64) -> f64 {
        let mut now = Some(now);
        loop {
            match self.advance(now.take()) {
                Err(()) => return BUSY,
                Ok(Poll::Pending) => return PENDING,
                Ok(Poll::Ready(None)) => return END,
                Ok(Poll::Ready(Some(_))) => {}
            }
        }
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

    /// How it ended, as JSON text; `undefined` while it runs.
    #[wasm_bindgen(js_name = outcomeJson)]
    pub fn outcome_json(&self) -> Option<String> {
        self.finished.borrow().as_ref().map(json::to_text)
    }

    /// Throws the error of a failed, timed-out or aborted execution, as an `Error` named like
    /// ASL (`States.TaskFailed`, `States.Timeout`, `AbortError`...); returns otherwise.
    #[wasm_bindgen(js_name = throwError)]
    pub fn throw_error(&self) -> Result<(), JsValue> {
        match self.finished.borrow().clone().map(Outcome::into_result) {
            Some(Err(error)) => Err(errors::asl_error(&error)),
            _ => Ok(()),
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
    Ok(Execution::new(engine.start(options.input)))
}

/// The name of a state, from its index in an event packed by [`Execution::poll`].
#[wasm_bindgen(js_name = stateName)]
pub fn state_name(index: u32) -> Option<String> {
    states::name(index).map(str::to_owned)
}

/// The state-machine graph `start` would run with these options (for drawing it).
#[wasm_bindgen(js_name = workflowGraph)]
pub fn workflow_graph(options: JsValue) -> Result<JsValue, JsValue> {
    let options = options::parse(&options)?;
    Ok(json::to_js(options.workflow.graph()))
}
