//! Choice paths and notifications.

mod support;

use std::sync::Arc;
use std::sync::Mutex;

use pollflow::graph::Condition;
use pollflow::workflow::{Arm, Choice};
use pollflow::{
    notifier_fn, CheckError, Engine, EventKind, JobStatus, Notification, Outcome, TaskError,
    VirtualClock, WaitPolicy, Workflow,
};
use serde_json::json;
use support::*;

fn manage_batch_job() -> Workflow {
    Workflow::builder("Manage a Batch Job")
        .submit("Submit Batch Job")
        .wait("Wait", WaitPolicy::fixed(secs(10)))
        .check("Get Job Status")
        .branch(
            "Job Complete?",
            Choice::new()
                .on_succeeded(
                    Arm::notify(
                        "Notify Success",
                        "Batch job submitted through Step Functions succeeded",
                    )
                    .subject("Job done")
                    .then_succeed("Done"),
                )
                .on_failed(
                    Arm::notify(
                        "Notify Failure",
                        "Batch job submitted through Step Functions failed",
                    )
                    .then_fail("Job Failed", "States.TaskFailed"),
                ),
        )
        .build()
        .unwrap()
}

fn recording_engine(
    job: Arc<ScriptedJob>,
    clock: &VirtualClock,
) -> (Engine, Arc<Mutex<Vec<Notification>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    let engine = Engine::builder(manage_batch_job(), job, clock.clone())
        .notifier(notifier_fn(move |n| {
            log.lock().unwrap().push(n);
            async { Ok(()) }
        }))
        .build();
    (engine, sent)
}

#[test]
fn success_notifies_success_with_the_job_output() {
    let clock = VirtualClock::new();
    let (engine, sent) = recording_engine(ScriptedJob::succeeding_after(2), &clock);
    let events = run_to_end(&engine, &clock, json!({}));
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].state, "Notify Success");
    assert_eq!(sent[0].subject.as_deref(), Some("Job done"));
    assert_eq!(sent[0].detail, json!({"done": true}));
    assert!(events.iter().any(
        |e| matches!(&e.kind, EventKind::Notified { state, .. } if &**state == "Notify Success")
    ));
    assert!(matches!(
        &events.last().unwrap().kind,
        EventKind::ExecutionSucceeded { .. }
    ));
}

#[test]
fn failure_notifies_failure_then_fails_with_the_job_detail_as_cause() {
    let clock = VirtualClock::new();
    let job = ScriptedJob::new([
        Ok(JobStatus::pending("RUNNING")),
        Ok(JobStatus::failed(
            json!({"status": "FAILED", "exitCode": 3}),
        )),
    ]);
    let (engine, sent) = recording_engine(job, &clock);
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    assert_eq!(
        sent.lock()
            .unwrap()
            .iter()
            .map(|n| n.state.as_str())
            .collect::<Vec<_>>(),
        ["Notify Failure"]
    );
    let Outcome::Failed { error } = outcome else {
        panic!("expected failure, got {outcome:?}")
    };
    assert_eq!(error.error, "States.TaskFailed");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&error.cause).unwrap()["exitCode"],
        3
    );
}

#[test]
fn a_failing_notifier_fails_the_execution() {
    let clock = VirtualClock::new();
    let engine = Engine::builder(
        manage_batch_job(),
        ScriptedJob::succeeding_after(0),
        clock.clone(),
    )
    .notifier(notifier_fn(|_| async {
        Err(pollflow::TaskError::new("SNS.NotFound", "no such topic"))
    }))
    .build();
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    assert!(matches!(outcome, Outcome::Failed { ref error } if error.error == "SNS.NotFound"));
}

#[test]
fn notify_without_a_notifier_is_a_named_error() {
    let clock = VirtualClock::new();
    let engine = Engine::new(
        manage_batch_job(),
        ScriptedJob::succeeding_after(0),
        clock.clone(),
    );
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    assert!(
        matches!(outcome, Outcome::Failed { ref error } if error.error == "Pollflow.NoNotifier")
    );
}

#[test]
fn custom_conditions_route_before_the_defaults() {
    let workflow = Workflow::builder("Orders")
        .submit("Place Order")
        .wait("Wait", WaitPolicy::fixed(secs(1)))
        .check("Check Order")
        .branch(
            "Order State?",
            Choice::new()
                .when(
                    Condition::StatusIs("BACKORDERED".into()),
                    Arm::fail("Backordered", "Order.Backordered"),
                )
                .when(
                    Condition::Predicate("big".into()),
                    Arm::succeed("Big Enough"),
                )
                .when(
                    Condition::DetailEquals {
                        pointer: "/phase".into(),
                        value: json!("packing"),
                    },
                    Arm::goto("Wait"),
                ),
        )
        .predicate("big", |s| s.detail()["items"].as_u64() >= Some(100))
        .build()
        .unwrap();

    let route = |statuses: Vec<JobStatus>| {
        let clock = VirtualClock::new();
        let job = ScriptedJob::new(statuses.into_iter().map(Ok));
        let engine = Engine::new(workflow.clone(), job, clock.clone());
        let events = run_to_end(&engine, &clock, json!({}));
        events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ChoiceTaken { next, .. } => Some(next.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        route(vec![JobStatus::pending("BACKORDERED")]),
        ["Backordered"]
    );
    assert_eq!(
        route(vec![JobStatus::pending(json!({"items": 150}))]),
        ["Big Enough"]
    );
    assert_eq!(
        route(vec![
            JobStatus::pending(json!({"phase": "packing"})),
            JobStatus::pending("X"),
            JobStatus::succeeded(1)
        ]),
        ["Wait", "Wait", "Succeeded"]
    );
    assert_eq!(route(vec![JobStatus::failed("boom")]), ["Failed"]);
}

#[test]
fn the_graph_round_trips_through_json_and_runs_the_same() {
    let workflow = manage_batch_job();
    let json = serde_json::to_string(workflow.graph()).unwrap();
    let graph = serde_json::from_str(&json).unwrap();
    let reloaded = Workflow::from_graph(graph, []).unwrap();
    assert_eq!(reloaded.graph(), workflow.graph());

    let clock = VirtualClock::new();
    let (a, _) = recording_engine(ScriptedJob::succeeding_after(1), &clock);
    let b = Engine::builder(reloaded, ScriptedJob::succeeding_after(1), clock.clone())
        .notifier(notifier_fn(|_| async { Ok(()) }))
        .build();
    let types_a = types(&run_to_end(&a, &clock, json!({})));
    let types_b = types(&run_to_end(&b, &clock, json!({})));
    assert_eq!(types_a, types_b);
}

#[test]
fn on_error_catches_submit_and_check_errors_like_asl_catch_states_all() {
    let workflow = Workflow::builder("Manage a Batch Job")
        .submit("Submit Batch Job")
        .wait("Wait", WaitPolicy::fixed(secs(1)))
        .check("Get Job Status")
        .branch(
            "Job Complete?",
            Choice::new()
                .on_succeeded(Arm::notify("Notify Success", "succeeded").then_succeed("Done"))
                .on_failed(Arm::goto("Notify Failure"))
                .on_error(Arm::notify("Notify Failure", "failed").then_succeed("Reported")),
        )
        .build()
        .unwrap();
    let notifications = |poller: Arc<dyn pollflow::Poller>| {
        let clock = VirtualClock::new();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = sent.clone();
        let engine = Engine::builder(workflow.clone(), poller, clock.clone())
            .notifier(notifier_fn(move |n| {
                log.lock().unwrap().push(n.state);
                async { Ok(()) }
            }))
            .build();
        let events = run_to_end(&engine, &clock, json!({}));
        let sent = std::mem::take(&mut *sent.lock().unwrap());
        (types(&events), sent)
    };

    let gone = ScriptedJob::new([Err(CheckError::fatal("Batch.ClientException", "job gone"))]);
    let (events, sent) = notifications(gone);
    assert_eq!(sent, ["Notify Failure"]);
    assert!(events.contains(&"TaskFailed".to_owned()));
    assert_eq!(
        events.last().map(String::as_str),
        Some("ExecutionSucceeded")
    );

    let refused = Arc::new(pollflow::poller_fn(
        |_| async { Err(TaskError::new("Batch.ClientException", "unknown queue")) },
        |_| async { Ok(JobStatus::succeeded(1)) },
    ));
    let (_, sent) = notifications(refused);
    assert_eq!(sent, ["Notify Failure"]);

    let (_, sent) = notifications(ScriptedJob::succeeding_after(0));
    assert_eq!(sent, ["Notify Success"]);
}
