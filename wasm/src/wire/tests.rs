//! The wire format against the events' own JSON, and JS's tables against [`KINDS`].

use std::sync::Arc;

use pollflow::event::{Hop, SmolStr};
use pollflow::{Event, EventKind, JobStatus, TaskError};
use serde_json::{json, Map, Value};

use super::*;

/// The slot is one for the process: tests that send events or count calls take turns.
static SLOT_IN_USE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn slot_in_use() -> std::sync::MutexGuard<'static, ()> {
    SLOT_IN_USE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An event numbered `id` of `kind`, on the execution's own states.
fn event(id: u64, kind: EventKind) -> Event {
    Event {
        id,
        timestamp_ms: 1_700_000_000_123,
        route: vec![],
        kind,
    }
}

/// One event of every kind, with states in the table, states not in it, and a route; ids
/// past the 20 bits the header once shared with them, up to 2^53.
fn samples() -> Vec<Event> {
    let state = |name: &str| -> SmolStr { name.into() };
    let status = |s: JobStatus| Arc::new(s);
    let kinds = vec![
        EventKind::ExecutionStarted {
            input: Arc::new(json!({"a": [1, "é"]})),
        },
        EventKind::StateEntered {
            state: state(states::SUBMIT),
            input: Arc::new(json!({"n": 1})),
        },
        EventKind::StateEntered {
            state: state("not in the table"),
            input: Arc::new(json!({"n": 1})),
        },
        EventKind::StateExited {
            state: state(states::FAILED),
            output: Arc::new(json!([2])),
        },
        EventKind::TaskSubmitted {
            state: state(states::SUBMIT),
            handle: Arc::new(json!({"jobId": "j"})),
        },
        EventKind::TaskFailed {
            state: state(states::CHECK),
            error: TaskError::new("E", "why"),
            retry_in_ms: Some(5),
        },
        EventKind::WaitStarted {
            state: state(states::WAIT),
            delay_ms: 1_500,
            attempt: 3,
        },
        EventKind::StatusChecked {
            state: state(states::CHECK),
            attempt: 2,
            status: status(JobStatus::pending("RUNNING")),
            pushed: false,
        },
        EventKind::StatusChecked {
            state: state(states::CHECK),
            attempt: 3,
            status: status(JobStatus::succeeded(json!({"rows": 7}))),
            pushed: false,
        },
        EventKind::ChoiceTaken {
            state: state(states::CHOICE),
            next: state(states::NOTIFY_SUCCESS),
        },
        EventKind::ChoiceTaken {
            state: state(states::CHOICE),
            next: state("elsewhere"),
        },
        EventKind::Notified {
            state: state(states::NOTIFY_SUCCESS),
            message: "done \"quoted\"".into(),
        },
        EventKind::TaskSucceeded {
            state: state("Task"),
            output: Arc::new(json!(1)),
        },
        EventKind::ExecutionSucceeded {
            output: Arc::new(json!({"rows": 7})),
        },
        EventKind::ExecutionFailed {
            error: TaskError::new("States.TaskFailed", "no"),
        },
        EventKind::ExecutionAborted {
            job_cancelled: true,
        },
    ];
    let ids = [1, 4_095, 4_096, 1 << 20, (1 << 53) - 1];
    let mut events: Vec<Event> = kinds
        .into_iter()
        .zip(ids.iter().cycle())
        .map(|(kind, &id)| event(id, kind))
        .collect();
    let mut routed = event(
        1 << 33,
        EventKind::StateEntered {
            state: state(states::WAIT),
            input: Arc::new(json!({"n": 1})),
        },
    );
    routed.route = vec![Hop {
        state: state("Map"),
        index: 999,
    }];
    events.push(routed);
    events
}

/// The text [`send`] left in memory.
fn sent_text() -> Value {
    TEXT.with(|text| serde_json::from_slice(&text.borrow()).expect("JSON text"))
}

/// What JS makes of the header [`send`] returned and the slot, following [`KINDS`] (the
/// decoder in `npm/execution.js`, written with the same tables); `kept` is the run's last
/// shared value, as JS keeps it.
fn decode(header: f64, kept: &mut Option<Value>) -> Value {
    let header = header as u32;
    let kind = &KINDS[(header & 15) as usize];
    if kind.name.is_empty() {
        return sent_text();
    }
    let name = |index: u32| json!(states::name(index & 255).expect("a state in the table"));
    let mut event = Map::new();
    event.insert("id".into(), json!(load(slot::ID)));
    event.insert("timestamp_ms".into(), json!(load(slot::TIMESTAMP)));
    event.insert("type".into(), json!(kind.name));
    if kind.has & STATE != 0 {
        event.insert("state".into(), name(header >> 4));
    }
    if kind.has & NEXT != 0 {
        event.insert("next".into(), name(header >> 12));
    }
    if kind.has & ATTEMPT != 0 {
        event.insert("attempt".into(), json!(load(slot::ATTEMPT)));
    }
    if kind.has & DELAY != 0 {
        event.insert("delay_ms".into(), json!(load(slot::DELAY)));
    }
    if !kind.text.is_empty() {
        let value = if header & SAME != 0 {
            kept.clone().expect("a value kept")
        } else {
            sent_text()
        };
        if kind.has & SHARED != 0 {
            *kept = Some(value.clone());
        }
        event.insert(kind.text.into(), value);
    }
    Value::Object(event)
}

/// Numbers compared as JS sees them (every number an `f64`).
fn as_js(value: Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => items.into_iter().map(as_js).collect(),
        Value::Object(fields) => fields.into_iter().map(|(k, v)| (k, as_js(v))).collect(),
        other => other,
    }
}

#[test]
fn every_event_decodes_to_its_own_json() {
    let _turn = slot_in_use();
    let mut codes = std::collections::BTreeSet::new();
    for event in samples() {
        let header = send(&event, &mut Sent::default());
        codes.insert(header as u32 & 15);
        assert_eq!(header as u32 & SAME, 0);
        assert_eq!(
            as_js(decode(header, &mut None)),
            as_js(serde_json::to_value(&event).unwrap()),
            "{event:?} (header {header})"
        );
    }
    // Every kind in the table was sent at least once.
    assert_eq!(codes.len(), KINDS.len());
}

/// A run's events as the engine makes them: one input shared by the first state's entry and
/// the execution's start, passed on by a Wait, then a new value (equal to an old one, but not
/// it), a job's handle and a status between them.
fn run_events() -> Vec<Event> {
    let input = Arc::new(json!({"job": "a"}));
    let output = Arc::new(json!({"job": "a"}));
    let state = |name: &str| -> SmolStr { name.into() };
    [
        EventKind::ExecutionStarted {
            input: input.clone(),
        },
        EventKind::StateEntered {
            state: state(states::SUBMIT),
            input: input.clone(),
        },
        EventKind::TaskSubmitted {
            state: state(states::SUBMIT),
            handle: Arc::new(json!("job-1")),
        },
        EventKind::StateExited {
            state: state(states::SUBMIT),
            output: input.clone(),
        },
        EventKind::StateEntered {
            state: state(states::WAIT),
            input: input.clone(),
        },
        EventKind::WaitStarted {
            state: state(states::WAIT),
            delay_ms: 0,
            attempt: 1,
        },
        EventKind::StatusChecked {
            state: state(states::CHECK),
            attempt: 1,
            status: Arc::new(JobStatus::pending("RUNNING")),
            pushed: false,
        },
        EventKind::StateExited {
            state: state(states::WAIT),
            output: output.clone(),
        },
        EventKind::ExecutionSucceeded { output },
    ]
    .into_iter()
    .enumerate()
    .map(|(id, kind)| event(id as u64 + 1, kind))
    .collect()
}

#[test]
fn a_value_sent_last_crosses_as_same_and_decodes_to_itself() {
    let _turn = slot_in_use();
    let mut sent = Sent::default();
    let mut kept = None;
    let mut same = vec![];
    for event in run_events() {
        let header = send(&event, &mut sent);
        same.push(header as u32 & SAME != 0);
        assert_eq!(
            as_js(decode(header, &mut kept)),
            as_js(serde_json::to_value(&event).unwrap()),
            "{event:?} (header {header})"
        );
    }
    // The start's input is written once and reused by the first state; the handle and the
    // status between do not count; an equal value that is not the same is written.
    let expected = [false, true, false, true, true, false, false, false, true];
    assert_eq!(same, expected);
}

#[test]
fn a_run_that_was_driven_sends_its_value_again() {
    let _turn = slot_in_use();
    let events = run_events();
    let mut sent = Sent::default();
    send(&events[0], &mut sent);
    assert_ne!(send(&events[1], &mut sent) as u32 & SAME, 0);
    // Driven, the run's events do not reach JS: it forgets what it sent.
    let mut sent = Sent::default();
    assert_eq!(send(&events[1], &mut sent) as u32 & SAME, 0);
    assert_eq!(sent_text(), json!({"job": "a"}));
}

#[test]
fn unfinished_counts_calls_until_they_return() {
    let _turn = slot_in_use();
    let before = load(slot::UNFINISHED);
    let outer = Unfinished::enter();
    drop(Unfinished::enter());
    assert_eq!(load(slot::UNFINISHED), before + 1.0);
    // A trap skips the drop.
    std::mem::forget(outer);
    assert_eq!(load(slot::UNFINISHED), before + 1.0);
}

/// The JS block between the markers in `npm/execution.js`, made from [`KINDS`].
fn js_tables() -> String {
    let list =
        |item: &dyn Fn(&Kind) -> String| KINDS.iter().map(item).collect::<Vec<_>>().join(", ");
    let quoted = |text: &str| serde_json::to_string(text).unwrap();
    format!(
        "const BUSY = {BUSY};\nconst PENDING = {PENDING};\nconst END = {END};\nconst MORE = {MORE};\n\
         /** The header's bit: the event's value is the one its run sent last. */\nconst SAME = {SAME};\n\
         /** By kind code: the event's `type`; what it carries ({STATE}: state, {NEXT}: next, \
         {ATTEMPT}: attempt, {DELAY}: delay_ms, {SHARED}: the run's data, kept for SAME); the field of its text (kind 0: the whole event). */\n\
         const TYPE = [{}];\nconst HAS = [{}];\nconst FIELD = [{}];\n\
         /** The workflow's state names, by the index in a header. */\nconst NAMES = [{}];\n\
         /** Where the numbers are in the slot. */\n\
         const TIMESTAMP = {}, ATTEMPT = {}, DELAY = {}, TEXT_AT = {}, TEXT_LEN = {}, ID = {}, UNFINISHED = {}, SLOT_LEN = {};\n",
        list(&|k| quoted(k.name)),
        list(&|k| k.has.to_string()),
        list(&|k| quoted(k.text)),
        states::NAMES.map(quoted).join(", "),
        slot::TIMESTAMP,
        slot::ATTEMPT,
        slot::DELAY,
        slot::TEXT_AT,
        slot::TEXT_LEN,
        slot::ID,
        slot::UNFINISHED,
        slot::LEN,
    )
}

const BEGIN: &str = "// BEGIN wire format: generated from wasm/src/wire.rs by its test (UPDATE_WIRE=1 cargo test -p pollflow-wasm wire)\n";
const FINISH: &str = "// END wire format\n";

#[test]
fn js_tables_are_generated_from_kinds() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/npm/execution.js");
    let source = std::fs::read_to_string(path).unwrap();
    let start = source.find(BEGIN).expect("the BEGIN marker") + BEGIN.len();
    let end = start + source[start..].find(FINISH).expect("the END marker");
    let wanted = js_tables();
    if source[start..end] == wanted {
        return;
    }
    if std::env::var_os("UPDATE_WIRE").is_some() {
        std::fs::write(
            path,
            format!("{}{wanted}{}", &source[..start], &source[end..]),
        )
        .unwrap();
        return;
    }
    panic!(
        "npm/execution.js's wire tables are not wasm/src/wire.rs's: run UPDATE_WIRE=1 cargo test -p pollflow-wasm wire\nwanted:\n{wanted}"
    );
}
