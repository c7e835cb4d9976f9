//! How events cross to JS (the wire format): [`Execution::poll`](crate::Execution::poll)
//! answers with one number, the *header*: the event's kind code in 4 bits, then the indexes of
//! its `state` and `next` in the workflow's state table ([`states`]) in 8 bits
//! each. The event's other numbers (its id among them) and its JSON text are left in memory:
//! [`SLOT`] holds `f64`s, [`TEXT`] the text. An event that does not pack crosses whole, as the
//! JSON text of code [`OTHER`].
//!
//! A run's data mostly passes from event to event unchanged (a state's output is the next
//! state's input; a Wait or a Choice passes its input on): the engine shares it (`Arc`), and
//! so does the wire. A value a run sent last ([`Sent`]) is not written again: the header's
//! [`SAME`] bit tells JS to reuse the value it decoded then, which saves serializing,
//! decoding and parsing most of an execution's JSON.
//!
//! The JS side (`npm/execution.js`) decodes with tables generated from `KINDS` by this
//! module's test, which also checks every kind against the event's own JSON (serde's names).
//! Change the format here, then `UPDATE_WIRE=1 cargo test -p pollflow-wasm wire` rewrites the
//! JS block.

use std::cell::RefCell;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use pollflow::event::SmolStr;
use pollflow::{Event, EventKind};
use serde_json::Value;

use crate::states;

/// Writes `value`'s JSON text into `out`.
fn write_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Serializing our own types to JSON text cannot fail.
    let _ = serde_json::to_writer(out, value);
}

/// `poll` and `drive`: the run is being polled already (by a callback); JS throws.
pub(crate) const BUSY: f64 = -3.0;
/// `poll` and `drive`: the run must wait; park, then poll again.
pub(crate) const PENDING: f64 = -2.0;
/// `poll` and `drive`: the run ended (after its terminal event).
pub(crate) const END: f64 = -1.0;
/// `drive`: the run can go on, but handed control back (see `DRIVE_STEPS`) so that JS can
/// let the event loop run; drive again.
pub(crate) const MORE: f64 = -4.0;

/// Event kind codes: an event crossing whole as JSON text.
pub(crate) const OTHER: u32 = 0;
const STATE_ENTERED: u32 = 1;
const STATE_EXITED: u32 = 2;
const WAIT_STARTED: u32 = 3;
const CHOICE_TAKEN: u32 = 4;
const EXECUTION_STARTED: u32 = 5;
const TASK_SUBMITTED: u32 = 6;
const STATUS_CHECKED: u32 = 7;
const NOTIFIED: u32 = 8;
const EXECUTION_SUCCEEDED: u32 = 9;

/// What JS reads for a kind: its `state` from the header.
#[cfg(test)]
const STATE: u8 = 1;
/// Its `next` from the header.
#[cfg(test)]
const NEXT: u8 = 2;
/// Its `attempt` from the slot.
#[cfg(test)]
const ATTEMPT: u8 = 4;
/// Its `delay_ms` from the slot.
#[cfg(test)]
const DELAY: u8 = 8;
/// Its text is a shared value: JS keeps it for a later [`SAME`].
#[cfg(test)]
const SHARED: u8 = 16;

/// The header's bit that says the event's value is the one this run sent last (JS kept it);
/// no text was written.
pub(crate) const SAME: u32 = 1 << 20;

/// A kind of packed event, for JS: its `type`, what else it carries (bits of [`STATE`],
/// [`NEXT`], [`ATTEMPT`], [`DELAY`], [`SHARED`]), and the field its JSON text is the value of (`""`:
/// none; for [`OTHER`], the text is the whole event).
#[cfg(test)]
struct Kind {
    name: &'static str,
    has: u8,
    text: &'static str,
}

/// The kinds by code (only JS reads this table: the test generates JS's from it, and checks
/// that [`send`] agrees with it).
#[cfg(test)]
const KINDS: [Kind; 10] = [
    Kind {
        name: "",
        has: 0,
        text: "",
    },
    Kind {
        name: "StateEntered",
        has: STATE | SHARED,
        text: "input",
    },
    Kind {
        name: "StateExited",
        has: STATE | SHARED,
        text: "output",
    },
    Kind {
        name: "WaitStarted",
        has: STATE | ATTEMPT | DELAY,
        text: "",
    },
    Kind {
        name: "ChoiceTaken",
        has: STATE | NEXT,
        text: "",
    },
    Kind {
        name: "ExecutionStarted",
        has: SHARED,
        text: "input",
    },
    Kind {
        name: "TaskSubmitted",
        has: STATE,
        text: "handle",
    },
    Kind {
        name: "StatusChecked",
        has: STATE | ATTEMPT,
        text: "status",
    },
    Kind {
        name: "Notified",
        has: STATE,
        text: "message",
    },
    Kind {
        name: "ExecutionSucceeded",
        has: SHARED,
        text: "output",
    },
];

// The header's fields hold every code and state index (in its low 20 bits, below [`SAME`]).
const _: () = assert!(EXECUTION_SUCCEEDED < 16 && states::COUNT <= 256);

/// Where the numbers are in [`SLOT`].
pub(crate) mod slot {
    /// The event's `timestamp_ms`.
    pub(crate) const TIMESTAMP: usize = 0;
    /// Its `attempt` (0 when it has none).
    pub(crate) const ATTEMPT: usize = 1;
    /// Its `delay_ms` (0 when it has none).
    pub(crate) const DELAY: usize = 2;
    /// Where its text starts in memory.
    pub(crate) const TEXT_AT: usize = 3;
    /// Its text's length in bytes.
    pub(crate) const TEXT_LEN: usize = 4;
    /// Its `id` (exact up to 2^53).
    pub(crate) const ID: usize = 5;
    /// Not an event's: how many calls that may throw on purpose (`start`...) were entered and
    /// have not returned; JS reads it after a throw to tell a trap (see `Unfinished`).
    pub(crate) const UNFINISHED: usize = 6;
    /// How many numbers there are.
    pub(crate) const LEN: usize = 7;
}

/// The last event's numbers (see [`slot`]) as the bits of `f64`s, read by JS straight from
/// memory. Atomics only to be a safe `static`: there are no threads.
static SLOT: [AtomicU64; slot::LEN] = [const { AtomicU64::new(0) }; slot::LEN];

thread_local! {
    /// The last event's text (see [`SLOT`]), kept for JS to read; its memory is reused.
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Where in memory the slot is: [`slot::LEN`] `f64`s.
pub(crate) fn slot_at() -> usize {
    SLOT.as_ptr() as usize
}

fn store(index: usize, number: f64) {
    SLOT[index].store(number.to_bits(), Relaxed);
}

fn load(index: usize) -> f64 {
    f64::from_bits(SLOT[index].load(Relaxed))
}

/// Counts a call that JS makes through `call(f)` (`start`, `startAsl`, `workflowGraph`,
/// `validateAsl`, `aslGraph`, which may throw on purpose for bad input) until it returns: a trap
/// skips the drop, so JS, seeing the count higher after a throw than before the call, knows the
/// instance is broken (see `npm/execution.js`).
pub(crate) struct Unfinished;

impl Unfinished {
    pub(crate) fn enter() -> Self {
        store(slot::UNFINISHED, load(slot::UNFINISHED) + 1.0);
        Self
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        store(slot::UNFINISHED, load(slot::UNFINISHED) - 1.0);
    }
}

/// The value a run's events sent last (see [`SAME`]), held so that its address stays its own.
#[derive(Default)]
pub(crate) struct Sent(Option<Arc<Value>>);

/// The event's header (see the module's documentation), its numbers and text left in memory;
/// `sent` is its run's.
pub(crate) fn send(event: &Event, sent: &mut Sent) -> f64 {
    let mut header = header(event);
    let (attempt, delay_ms) = match &event.kind {
        EventKind::WaitStarted {
            attempt, delay_ms, ..
        } => (*attempt, *delay_ms),
        EventKind::StatusChecked { attempt, .. } => (*attempt, 0),
        _ => (0, 0),
    };
    let (at, len) = match shared_value(event, header & 15) {
        Some(value) if sent.0.as_ref().is_some_and(|last| Arc::ptr_eq(last, value)) => {
            header |= SAME;
            (0, 0)
        }
        shared => {
            if let Some(value) = shared {
                sent.0 = Some(value.clone());
            }
            write_text(event, header & 15)
        }
    };
    store(slot::TIMESTAMP, event.timestamp_ms as f64);
    store(slot::ATTEMPT, f64::from(attempt));
    store(slot::DELAY, delay_ms as f64);
    store(slot::TEXT_AT, at as f64);
    store(slot::TEXT_LEN, len as f64);
    store(slot::ID, event.id as f64);
    f64::from(header)
}

/// Leaves `value`'s JSON text in memory, as an event's.
pub(crate) fn send_text(value: &impl serde::Serialize) {
    let (at, len) = TEXT.with(|text| {
        let text = &mut *text.borrow_mut();
        text.clear();
        write_json(text, value);
        (text.as_ptr() as usize, text.len())
    });
    store(slot::TEXT_AT, at as f64);
    store(slot::TEXT_LEN, len as f64);
}

/// The kind code and state indexes; [`OTHER`] for an event that does not pack.
fn header(event: &Event) -> u32 {
    let (code, state, next) = match &event.kind {
        EventKind::StateEntered { state, .. } => (STATE_ENTERED, Some(state), None),
        EventKind::StateExited { state, .. } => (STATE_EXITED, Some(state), None),
        EventKind::WaitStarted { state, .. } => (WAIT_STARTED, Some(state), None),
        EventKind::ChoiceTaken { state, next } => (CHOICE_TAKEN, Some(state), Some(next)),
        EventKind::ExecutionStarted { .. } => (EXECUTION_STARTED, None, None),
        EventKind::TaskSubmitted { state, .. } => (TASK_SUBMITTED, Some(state), None),
        // A pushed status crosses whole, with its `pushed: true`.
        #[cfg(feature = "push")]
        EventKind::StatusChecked { pushed: true, .. } => (OTHER, None, None),
        EventKind::StatusChecked { state, .. } => (STATUS_CHECKED, Some(state), None),
        EventKind::Notified { state, .. } => (NOTIFIED, Some(state), None),
        EventKind::ExecutionSucceeded { .. } => (EXECUTION_SUCCEEDED, None, None),
        _ => (OTHER, None, None),
    };
    let index = |name: Option<&SmolStr>| name.map_or(Some(0), |n| states::index(n));
    match (index(state), index(next)) {
        // An event inside a Parallel branch or a Map item crosses whole, with its route.
        _ if !event.route.is_empty() => OTHER,
        (Some(state), Some(next)) => code | state << 4 | next << 12,
        _ => OTHER,
    }
}

/// The run's data a packed event (of kind `code`) carries, if it does (a job's handle is not
/// the data: the data before it and after it are often the same).
fn shared_value(event: &Event, code: u32) -> Option<&Arc<Value>> {
    match &event.kind {
        _ if code == OTHER => None,
        EventKind::ExecutionStarted { input: value }
        | EventKind::StateEntered { input: value, .. }
        | EventKind::StateExited { output: value, .. }
        | EventKind::ExecutionSucceeded { output: value } => Some(value),
        _ => None,
    }
}

/// Writes the JSON text `event` carries, if any (see [`SLOT`]); returns where it is and its
/// length, or zeros.
fn write_text(event: &Event, code: u32) -> (usize, usize) {
    TEXT.with(|text| {
        let text = &mut *text.borrow_mut();
        text.clear();
        match &event.kind {
            _ if code == OTHER => write_json(text, event),
            EventKind::ExecutionStarted { input } => write_json(text, &**input),
            EventKind::StateEntered { input: value, .. }
            | EventKind::StateExited { output: value, .. }
            | EventKind::TaskSubmitted { handle: value, .. }
            | EventKind::ExecutionSucceeded { output: value } => write_json(text, value),
            EventKind::StatusChecked { status, .. } => write_json(text, &**status),
            EventKind::Notified { message, .. } => write_json(text, message),
            _ => return (0, 0),
        }
        (text.as_ptr() as usize, text.len())
    })
}

#[cfg(test)]
mod tests;
