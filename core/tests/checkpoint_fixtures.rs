//! Checkpoints saved by earlier versions still load and resume the same way.
//!
//! Each case runs a workflow to a point, and its checkpoint from that point is kept in
//! `tests/fixtures/checkpoints/<case>.json` (with the time it was saved at), written once by the
//! version that added the case.
//! The test resumes every kept checkpoint with today's engine and compares what follows with
//! an uninterrupted run of the same workflow and seed: the same events from there on (kinds
//! and times), the same outcome, and no job submitted again. A change to the checkpoint
//! format that breaks old checkpoints fails here; one that means to needs a migration, not a
//! new fixture.
//!
//! `UPDATE_CHECKPOINT_FIXTURES=1 cargo test -p pollflow --test checkpoint_fixtures` writes the
//! fixtures of cases that have none (it never overwrites one).

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pollflow::policy::{Backoff, Jitter};
use pollflow::task::Tasks;
use pollflow::workflow::Choice as Branch;
use pollflow::{
    poller_fn, task_fn, Checkpoint, Clock, Engine, Event, EventKind, JobStatus, TaskError,
    VirtualClock, WaitPolicy, Workflow,
};
use serde_json::{json, Value};
use support::{job_poller, secs};

const SYNC: &str = "arn:aws:states:::batch:submitJob.sync";
const WORK: &str = "arn:aws:lambda:us-east-1:123456789012:function:work";

/// A workflow, its engine's bindings and input, and the event after which to checkpoint.
struct Case {
    name: &'static str,
    workflow: fn() -> Workflow,
    input: Value,
    /// The checkpoint is taken right after the `nth` event (1-based) this accepts.
    at: fn(&EventKind) -> bool,
    nth: usize,
}

/// The engine of a case, and how many jobs it submitted. Jobs and tasks answer by the clock,
/// as real ones do, so a resumed run meets the same answers as an uninterrupted one: a job is
/// done from 150 s on; the task fails before 1 s and works after.
fn engine_of(case: &Case, clock: &VirtualClock) -> (Engine, Arc<AtomicU32>) {
    let submits = Arc::new(AtomicU32::new(0));
    let job = {
        let (submits, clock) = (submits.clone(), clock.clone());
        let clock_for_check = clock.clone();
        poller_fn(
            move |_input: Value| {
                submits.fetch_add(1, Ordering::Relaxed);
                async { Ok(json!("job-1")) }
            },
            move |_handle: Value| {
                let done = clock_for_check.now() >= secs(150);
                async move {
                    Ok(if done {
                        JobStatus::succeeded(json!({"done": true}))
                    } else {
                        JobStatus::pending("RUNNING")
                    })
                }
            },
        )
    };
    let job = Arc::new(job);
    let task_clock = clock.clone();
    let tasks = Tasks::new().job(SYNC, job.clone()).handler(
        WORK,
        task_fn(move |input: Value| {
            let works = task_clock.now() >= secs(1);
            async move {
                if works {
                    Ok(json!({"worked": input}))
                } else {
                    Err(TaskError::new("Flaky", "fails in the first second"))
                }
            }
        }),
    );
    let engine = Engine::builder((case.workflow)(), job, clock.clone())
        .tasks(tasks)
        .seed(7)
        .build();
    (engine, submits)
}

fn asl(definition: Value) -> Workflow {
    Workflow::from_asl(&definition.to_string(), "fixture").expect("a valid definition")
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "job_poller_waiting",
            workflow: || job_poller(WaitPolicy::fixed(secs(60))),
            input: json!({"jobName": "fixture"}),
            at: |kind| matches!(kind, EventKind::WaitStarted { .. }),
            nth: 2,
        },
        Case {
            name: "job_poller_checked_format_1",
            workflow: || job_poller(WaitPolicy::fixed(secs(60))),
            input: json!({"jobName": "fixture"}),
            at: |kind| matches!(kind, EventKind::StatusChecked { .. }),
            nth: 2,
        },
        Case {
            name: "job_poller_checked_format_2",
            workflow: || job_poller(WaitPolicy::fixed(secs(60))),
            input: json!({"jobName": "fixture"}),
            at: |kind| matches!(kind, EventKind::StatusChecked { .. }),
            nth: 2,
        },
        Case {
            name: "job_poller_jittered",
            workflow: || {
                let policy = WaitPolicy::with_backoff(Backoff::Exponential {
                    initial: secs(2),
                    max: secs(120),
                    rate: 2.0,
                    jitter: Jitter::Full,
                })
                .with_max_wait(secs(3600));
                Workflow::builder("Jittered")
                    .submit("Submit Job")
                    .wait("Wait", policy)
                    .check("Check")
                    .branch("Done?", Branch::new())
                    .build()
                    .expect("valid workflow")
            },
            input: json!({"jobName": "fixture"}),
            at: |kind| matches!(kind, EventKind::StatusChecked { .. }),
            nth: 1,
        },
        Case {
            name: "asl_parallel_sync_and_wait",
            workflow: || {
                asl(
                    json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": SYNC, "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 100, "End": true}}}]}}}),
                )
            },
            input: json!({"jobName": "fixture"}),
            at: |kind| matches!(kind, EventKind::StatusChecked { .. }),
            nth: 1,
        },
        Case {
            name: "asl_map_variables_waiting",
            workflow: || {
                asl(json!({"StartAt": "Init", "States": {
                    "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "Each"},
                    "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": {"StartAt": "Mark", "States": {
                        "Mark": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Nap"},
                        "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Show"},
                        "Show": {"Type": "Pass", "Parameters": {"mine.$": "$mine", "outer.$": "$outer"}, "End": true}}}}}}))
            },
            input: json!({"items": ["a", "b", "c"]}),
            at: |kind| matches!(kind, EventKind::WaitStarted { .. }),
            nth: 2,
        },
        Case {
            name: "asl_retry_backing_off",
            workflow: || {
                asl(json!({"StartAt": "Work", "States": {
                    "Work": {"Type": "Task", "Resource": WORK, "ResultPath": "$.result", "Next": "Then",
                        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 5, "BackoffRate": 3, "MaxAttempts": 3, "JitterStrategy": "FULL"}]},
                    "Then": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
                    "Done": {"Type": "Succeed"}}}))
            },
            input: json!({"n": 1}),
            at: |kind| matches!(kind, EventKind::WaitStarted { .. }),
            nth: 1,
        },
    ]
}

fn fixture(case: &Case) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/checkpoints")
        .join(format!("{}.json", case.name))
}

/// Runs a case to its checkpoint and returns the checkpoint and the events so far.
fn run_to_checkpoint(case: &Case) -> (Value, Vec<Event>) {
    let clock = VirtualClock::new();
    let (engine, _) = engine_of(case, &clock);
    let mut run = engine.start(case.input.clone());
    clock.block_on(async {
        let mut events = Vec::new();
        let mut seen = 0;
        while let Some(event) = run.next().await {
            seen += usize::from((case.at)(&event.kind));
            events.push(event);
            if seen == case.nth {
                return (serde_json::to_value(run.checkpoint()).unwrap(), events);
            }
        }
        panic!("{}: the run ended before its checkpoint", case.name);
    })
}

/// (kind, time) of each event: what a resumed run must reproduce.
fn shape(events: &[Event]) -> Vec<(String, u64)> {
    events
        .iter()
        .map(|e| {
            let kind = serde_json::to_value(&e.kind).unwrap();
            (
                kind["type"].as_str().unwrap_or("?").to_owned(),
                e.timestamp_ms,
            )
        })
        .collect()
}

#[test]
fn checkpoints_kept_from_earlier_versions_resume_as_the_run_would_have_gone_on() {
    let update = std::env::var_os("UPDATE_CHECKPOINT_FIXTURES").is_some();
    for case in cases() {
        let path = fixture(&case);
        if update && !path.exists() {
            let (checkpoint, events) = run_to_checkpoint(&case);
            let saved_at_ms = events.last().map_or(0, |e| e.timestamp_ms);
            let fixture = json!({"saved_at_ms": saved_at_ms, "checkpoint": checkpoint});
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(
                &path,
                serde_json::to_string_pretty(&fixture).unwrap() + "\n",
            )
            .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (UPDATE_CHECKPOINT_FIXTURES=1 writes it)",
                path.display()
            )
        });
        let fixture: Value = serde_json::from_str(&text).unwrap();
        let kept: Checkpoint = serde_json::from_value(fixture["checkpoint"].clone())
            .unwrap_or_else(|e| panic!("{}: an old checkpoint no longer loads: {e}", case.name));
        let saved_at = Duration::from_millis(fixture["saved_at_ms"].as_u64().unwrap());

        // The uninterrupted run, from the checkpoint's event on.
        let clock = VirtualClock::new();
        let (engine, _) = engine_of(&case, &clock);
        let whole: Vec<Event> = clock.block_on(engine.start(case.input.clone()).collect());
        let (_, before) = run_to_checkpoint(&case);
        let expected = shape(&whole[before.len()..]);

        // Resumed where it was saved: a new process, the clock where the old one stopped.
        let clock = VirtualClock::new();
        clock.advance(saved_at);
        let (engine, submits) = engine_of(&case, &clock);
        let resumed = engine
            .resume(kept)
            .unwrap_or_else(|e| panic!("{}: the old checkpoint does not fit: {e}", case.name));
        let events: Vec<Event> = clock.block_on(resumed.collect());
        assert_eq!(
            shape(&events),
            expected,
            "{}: the resumed run's events",
            case.name
        );
        assert_eq!(
            events.last().map(|e| &e.kind),
            whole.last().map(|e| &e.kind),
            "{}: the outcome",
            case.name
        );
        assert_eq!(
            submits.load(Ordering::Relaxed),
            0,
            "{}: no job submitted again",
            case.name
        );
        assert!(
            matches!(
                events.last().map(|e| &e.kind),
                Some(EventKind::ExecutionSucceeded { .. })
            ),
            "{}: {:?}",
            case.name,
            events.last()
        );
    }
}

#[test]
fn every_case_has_its_fixture_and_no_fixture_is_orphaned() {
    let names: Vec<String> = cases().iter().map(|c| format!("{}.json", c.name)).collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoints");
    let mut kept: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    let mut names = names;
    names.sort();
    assert_eq!(kept, names);
}

#[test]
fn a_checkpoint_of_this_releases_format_is_kept() {
    let versions: Vec<(String, u64)> = cases()
        .iter()
        .filter_map(|case| {
            let text = std::fs::read_to_string(fixture(case)).ok()?;
            let fixture: Value = serde_json::from_str(&text).ok()?;
            let version = fixture["checkpoint"]["version"].as_u64().unwrap_or(1);
            let kept: Checkpoint = serde_json::from_value(fixture["checkpoint"].clone()).ok()?;
            assert_eq!(u64::from(kept.format_version()), version, "{}", case.name);
            Some((case.name.to_owned(), version))
        })
        .collect();
    assert!(
        versions
            .iter()
            .any(|(_, v)| *v == u64::from(Checkpoint::FORMAT_VERSION)),
        "no fixture of format version {} (a new format needs one): {versions:?}",
        Checkpoint::FORMAT_VERSION
    );
}
