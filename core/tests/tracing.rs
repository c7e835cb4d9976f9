//! Feature `tracing`: a span per run, a span per call inside it, and the outcome recorded.

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pollflow::{CheckError, Engine, JobStatus, VirtualClock, WaitPolicy};
use serde_json::json;
use support::{job_poller, secs, ScriptedJob};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span as the subscriber saw it.
#[derive(Clone, Debug, Default)]
struct SeenSpan {
    name: &'static str,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
    /// The messages of the events logged inside it, with their `error` field if any.
    events: Vec<String>,
}

/// Records every span and which span each event was logged in.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<BTreeMap<u64, SeenSpan>>>,
    entered: Arc<Mutex<Vec<u64>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let parent = match attributes.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if attributes.is_contextual() => self.entered.lock().unwrap().last().copied(),
            None => None,
        };
        let mut span = SeenSpan {
            name: attributes.metadata().name(),
            parent,
            ..SeenSpan::default()
        };
        attributes.record(&mut Fields(&mut span.fields));
        self.spans.lock().unwrap().insert(id, span);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(span) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = match event.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if event.is_contextual() => self.entered.lock().unwrap().last().copied(),
            None => None,
        };
        let text = match (
            fields.get("message"),
            fields.get("error"),
            fields.get("event"),
        ) {
            (Some(message), Some(error), _) => format!("{message} {error}"),
            (Some(message), None, _) => message.clone(),
            (None, _, Some(event)) => {
                format!("event {}", event.split([' ', '{']).next().unwrap_or(""))
            }
            _ => String::new(),
        };
        if let Some(span) = span.and_then(|id| self.spans.lock().unwrap().get_mut(&id).map(|_| id))
        {
            self.spans
                .lock()
                .unwrap()
                .get_mut(&span)
                .unwrap()
                .events
                .push(text);
        }
    }

    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut entered = self.entered.lock().unwrap();
        if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
            entered.remove(at);
        }
    }

    fn clone_span(&self, id: &Id) -> Id {
        id.clone()
    }
}

/// Runs the Job Poller on a job that answers `script`, and returns the spans it made.
fn traced_run(script: Vec<Result<JobStatus, CheckError>>) -> Vec<SeenSpan> {
    let recorder = Recorder::default();
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(5))),
        ScriptedJob::new(script),
        clock.clone(),
    );
    tracing::subscriber::with_default(recorder.clone(), || {
        clock.block_on(engine.start(json!({"job": 1})).outcome());
    });
    let spans = recorder.spans.lock().unwrap();
    spans.values().cloned().collect()
}

#[test]
fn a_run_has_a_span_and_each_call_a_child_span() {
    let spans = traced_run(vec![
        Ok(JobStatus::pending("RUNNING")),
        Ok(JobStatus::succeeded(json!({"done": true}))),
    ]);
    let runs: Vec<_> = spans.iter().filter(|s| s.name == "pollflow.run").collect();
    assert_eq!(runs.len(), 1, "one run span: {spans:#?}");
    let run = runs[0];
    assert_eq!(run.fields["workflow"], "Job Poller");
    assert_eq!(run.fields["execution"], "0");
    assert_eq!(run.fields["outcome"], "SUCCEEDED");
    assert!(
        run.events.contains(&"event ExecutionStarted".to_owned()),
        "{:?}",
        run.events
    );
    assert!(
        run.events.contains(&"event ExecutionSucceeded".to_owned()),
        "{:?}",
        run.events
    );

    let run_id = spans.iter().position(|s| s.name == "pollflow.run").unwrap() as u64 + 1;
    let calls: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "pollflow.call")
        .map(|s| {
            assert_eq!(s.parent, Some(run_id), "a call's parent is its run: {s:?}");
            assert_eq!(s.events, ["ok"], "each call says how it went: {s:?}");
            (s.fields["call"].as_str(), s.fields["state"].as_str())
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("submit", "Submit Job"),
            ("check", "Get Job Status"),
            ("check", "Get Job Status")
        ]
    );
}

#[test]
fn a_failed_call_and_outcome_are_recorded() {
    let spans = traced_run(vec![Err(CheckError::fatal(
        "Batch.ClientException",
        "no such job",
    ))]);
    let run = spans.iter().find(|s| s.name == "pollflow.run").unwrap();
    assert_eq!(run.fields["outcome"], "FAILED");
    let check = spans
        .iter()
        .find(|s| s.name == "pollflow.call" && s.fields["call"] == "check")
        .unwrap();
    assert_eq!(check.events, ["failed Batch.ClientException"]);
}
