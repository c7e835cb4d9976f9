//! Pushed job statuses: they end waits early and stand for checks; polling stays the fallback.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pollflow::task::Tasks;
use pollflow::{
    Clock, Engine, Event, EventKind, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow,
};
use serde_json::{json, Value};
use support::*;

/// Runs `engine` once; `on_event` sees each event (and the clock) as it comes.
fn drive(
    engine: &Engine,
    clock: &VirtualClock,
    mut on_event: impl FnMut(&Event, &VirtualClock),
) -> Vec<Event> {
    let mut run = engine.start(json!({"jobName": "push"}));
    clock.block_on(async {
        let mut events = Vec::new();
        while let Some(event) = run.next().await {
            on_event(&event, clock);
            events.push(event);
        }
        events
    })
}

/// A Job Poller engine that takes pushed statuses, on a virtual clock.
fn pushable(policy: WaitPolicy, poller: Arc<ScriptedJob>) -> (Engine, VirtualClock) {
    let clock = VirtualClock::new();
    let engine = Engine::builder(job_poller(policy), poller, clock.clone())
        .push()
        .build();
    (engine, clock)
}

/// Whether each check's status was pushed.
fn pushed_flags(events: &[Event]) -> Vec<bool> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::StatusChecked { pushed, .. } => Some(pushed),
            _ => None,
        })
        .collect()
}

fn handle() -> Value {
    json!({"jobId": "job-1", "name": "push"})
}

#[test]
fn a_pushed_terminal_status_ends_the_wait_and_stands_for_the_check() {
    let poller = ScriptedJob::never_done();
    let (engine, clock) = pushable(WaitPolicy::fixed(secs(60)), poller.clone());
    let events = drive(&engine, &clock, |event, _| {
        if matches!(event.kind, EventKind::WaitStarted { .. }) {
            assert!(engine.push_status(&handle(), JobStatus::succeeded(json!({"pushed": true}))));
        }
    });
    assert_eq!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Succeeded {
            output: json!({"pushed": true})
        })
    );
    assert_eq!(poller.checks.get(), 0, "the push stood for the check");
    assert_eq!(pushed_flags(&events), [true], "the event says so");
    assert_eq!(check_times(&events), [0], "checked at once, not after 60 s");
    assert!(
        !engine.push_status(&handle(), JobStatus::pending("RUNNING")),
        "the run has ended"
    );
}

#[test]
fn a_pushed_pending_status_counts_as_a_check_and_polling_goes_on() {
    let poller = ScriptedJob::succeeding_after(0);
    let (engine, clock) = pushable(WaitPolicy::fixed(secs(60)), poller.clone());
    let mut pushed = false;
    let events = drive(&engine, &clock, |event, _| {
        if matches!(event.kind, EventKind::WaitStarted { .. }) && !pushed {
            pushed = true;
            assert!(engine.push_status(&handle(), JobStatus::pending("RUNNING")));
        }
    });
    assert!(matches!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Succeeded { .. })
    ));
    // The push was check 1 (at 0 s); the poller made check 2 after a full wait.
    assert_eq!(check_times(&events), [0, 60_000]);
    assert_eq!(poller.checks.get(), 1);
    let attempts: Vec<u32> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::StatusChecked { attempt, .. } => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2]);
    assert_eq!(pushed_flags(&events), [true, false]);
}

#[test]
fn a_late_pending_push_does_not_undo_a_final_one_not_yet_taken() {
    let poller = ScriptedJob::succeeding_after(0);
    let (engine, clock) = pushable(WaitPolicy::fixed(secs(60)), poller.clone());
    let mut pushed = false;
    let events = drive(&engine, &clock, |event, _| {
        // Out of order, as SQS may deliver them: SUCCEEDED, then the RUNNING before it.
        if let EventKind::StateEntered { state, .. } = &event.kind {
            if state == "Get Job Status" && !pushed {
                pushed = true;
                engine.push_status(&handle(), JobStatus::succeeded(json!({"n": 2})));
                engine.push_status(&handle(), JobStatus::pending(json!({"n": 1})));
            }
        }
    });
    assert_eq!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Succeeded {
            output: json!({"n": 2})
        })
    );
    assert_eq!(pushed_flags(&events), [true]);
    assert_eq!(poller.checks.get(), 0);
}

#[test]
fn a_status_pushed_during_a_check_ends_the_next_wait_at_once() {
    let poller = ScriptedJob::never_done();
    let (engine, clock) = pushable(WaitPolicy::fixed(secs(30)), poller.clone());
    let events = drive(&engine, &clock, |event, _| {
        // Pushed after the first check's call was made, before the run waits again.
        if let EventKind::StateEntered { state, .. } = &event.kind {
            if state == "Get Job Status" {
                engine.push_status(&handle(), JobStatus::failed(json!({"reason": "oom"})));
            }
        }
    });
    assert!(matches!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Failed { .. })
    ));
    // Check 1 (at 30 s): the push, taken by the check itself; nothing waits after it.
    assert_eq!(check_times(&events), [30_000]);
    assert_eq!(poller.checks.get(), 0);
}

#[test]
fn without_push_an_engine_refuses_pushed_statuses() {
    let poller = ScriptedJob::succeeding_after(1);
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(5))),
        poller.clone(),
        clock.clone(),
    );
    let events = drive(&engine, &clock, |event, _| {
        if matches!(event.kind, EventKind::WaitStarted { .. }) {
            assert!(!engine.push_status(&handle(), JobStatus::succeeded(json!({}))));
        }
    });
    assert_eq!(check_times(&events), [5_000, 10_000], "it polls as always");
}

#[test]
fn statuses_for_jobs_nobody_polls_are_refused() {
    let clock = VirtualClock::new();
    let engine = Engine::builder(
        job_poller(WaitPolicy::fixed(secs(5))),
        ScriptedJob::succeeding_after(0),
        clock.clone(),
    )
    .push()
    .build();
    assert!(!engine.push_status(&json!("job-9"), JobStatus::succeeded(json!({}))));
    // A run dropped while it waits leaves the index.
    let mut run = engine.start(json!({"jobName": "push"}));
    clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                break;
            }
        }
    });
    assert!(engine.push_status(&handle(), JobStatus::pending("RUNNING")));
    drop(run);
    assert!(!engine.push_status(&handle(), JobStatus::pending("RUNNING")));
}

#[test]
fn each_map_item_takes_the_status_pushed_for_its_own_job() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.jobs", "End": true,
        "ItemProcessor": {"StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync", "End": true
        }}}
    }}});
    let poller = ScriptedJob::never_done();
    let tasks = Tasks::new().job("arn:aws:states:::batch:submitJob.sync", poller.clone());
    let workflow = Workflow::from_asl(&definition.to_string(), "each").unwrap();
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, tasks, clock.clone())
        .push()
        .build();
    let mut run =
        engine.start(json!({"jobs": [{"jobName": "a"}, {"jobName": "b"}, {"jobName": "c"}]}));
    let engine2 = engine.clone();
    let outcome = clock.block_on(async {
        let mut submitted = Vec::new();
        while let Some(event) = run.next().await {
            if let EventKind::TaskSubmitted { handle, .. } = &event.kind {
                submitted.push(Value::clone(handle));
                if submitted.len() == 3 {
                    // All three wait on their poll interval; answer them out of order.
                    for job in submitted.iter().rev() {
                        let output = json!({"job": job["name"]});
                        assert!(engine2.push_status(job, JobStatus::succeeded(output)));
                    }
                }
            }
        }
        run.finished().cloned()
    });
    assert_eq!(
        outcome,
        Some(Outcome::Succeeded {
            output: json!([{"job": "a"}, {"job": "b"}, {"job": "c"}])
        })
    );
    assert_eq!(poller.checks.get(), 0);
    assert_eq!(clock.now(), Duration::ZERO);
}

#[test]
fn pushes_reach_runs_from_other_threads() {
    let poller = ScriptedJob::never_done();
    let (engine, _) = pushable(WaitPolicy::fixed(secs(3600)), poller.clone());
    let pusher = engine.clone();
    let (waiting, waited) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        waited.recv().unwrap();
        assert!(pusher.push_status(&handle(), JobStatus::succeeded(json!("from a thread"))));
    });
    let mut run = engine.start(json!({"jobName": "push"}));
    // Real time: the clock must not jump while the other thread pushes.
    let outcome = futures::executor::block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                waiting.send(()).unwrap();
            }
        }
        run.finished().cloned()
    });
    thread.join().unwrap();
    assert_eq!(
        outcome,
        Some(Outcome::Succeeded {
            output: json!("from a thread")
        })
    );
}

#[test]
fn after_a_pushed_status_the_next_wait_is_the_policys_pushed_delay() {
    let poller = ScriptedJob::succeeding_after(1);
    let policy = WaitPolicy::fixed(secs(2)).with_pushed_delay(secs(60));
    let (engine, clock) = pushable(policy, poller.clone());
    let mut pushed = false;
    let events = drive(&engine, &clock, |event, _| {
        if matches!(event.kind, EventKind::WaitStarted { .. }) && !pushed {
            pushed = true;
            engine.push_status(&handle(), JobStatus::pending("RUNNING"));
        }
    });
    // Wait 1 (2 s) ended by the push at 0 s; wait 2 is the pushed delay (60 s); the check
    // after it (the poller's) is pending, so wait 3 is the schedule's 2 s again.
    let delays: Vec<u64> = waits(&events).iter().map(|(delay, _)| *delay).collect();
    assert_eq!(delays, [2_000, 60_000, 2_000]);
    assert_eq!(check_times(&events), [0, 60_000, 62_000]);
    assert_eq!(poller.checks.get(), 2);
}

#[test]
fn a_resumed_run_takes_pushes_for_the_job_it_submitted_before_its_checkpoint() {
    let poller = ScriptedJob::never_done();
    let (engine, clock) = pushable(WaitPolicy::fixed(secs(3600)), poller.clone());
    let mut first = engine.start(json!({"jobName": "push"}));
    let checkpoint = clock.block_on(async {
        while let Some(event) = first.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                break;
            }
        }
        first.checkpoint()
    });
    drop(first);
    assert!(
        !engine.push_status(&handle(), JobStatus::succeeded(json!("early"))),
        "the dropped run left the index"
    );
    let mut resumed = engine.resume(checkpoint).unwrap();
    assert!(engine.push_status(&handle(), JobStatus::succeeded(json!("pushed"))));
    let outcome = clock.block_on(async {
        while resumed.next().await.is_some() {}
        resumed.finished().cloned()
    });
    assert_eq!(
        outcome,
        Some(Outcome::Succeeded {
            output: json!("pushed")
        })
    );
    assert_eq!(poller.checks.get(), 0);
    assert!(clock.now() < secs(3600), "no hour of waiting");
}
