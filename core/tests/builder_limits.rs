//! Limits on builder workflows (they run without the `asl` feature): the event limit ends a
//! job that is never done, and job results are checked like task results.

mod support;

use futures::StreamExt;
use pollflow::{
    poller_fn, Engine, Event, EventKind, JobStatus, Limits, Outcome, VirtualClock, WaitPolicy,
};
use serde_json::{json, Value};
use support::*;

fn run(job: impl pollflow::Poller + 'static, policy: WaitPolicy, limits: Limits) -> Vec<Event> {
    let clock = VirtualClock::new();
    let engine = Engine::builder(job_poller(policy), job, clock.clone())
        .limits(limits)
        .build();
    clock.block_on(engine.start(json!({"jobName": "j"})).collect())
}

fn outcome(events: &[Event]) -> Outcome {
    Outcome::from_terminal(&events.last().expect("events").kind).expect("terminal")
}

#[test]
fn a_job_that_is_never_done_ends_at_the_event_limit() {
    let events = run(
        ScriptedJob::never_done(),
        WaitPolicy::fixed(secs(60)),
        Limits::default(),
    );
    assert_eq!(events.len(), 25_000);
    assert_eq!(events.last().unwrap().id, 25_000);
    let Outcome::Failed { error } = outcome(&events) else {
        panic!("{:?}", events.last());
    };
    assert_eq!(error.error, "States.Runtime");
    assert_eq!(
        error.cause,
        "The execution reached the maximum number of history events (25000)."
    );

    let few = Limits {
        max_events: 50,
        ..Limits::default()
    };
    let events = run(ScriptedJob::never_done(), WaitPolicy::fixed(secs(60)), few);
    assert_eq!(events.len(), 50);
}

#[test]
fn a_job_result_past_the_payload_limit_fails_the_execution() {
    let big = json!({"text": "x".repeat(300_000)});
    let job = ScriptedJob::new([Ok(JobStatus::succeeded(big))]);
    let events = run(job, WaitPolicy::fixed(secs(1)), Limits::default());
    let Outcome::Failed { error } = outcome(&events) else {
        panic!("{:?}", events.last());
    };
    assert_eq!(error.error, "States.DataLimitExceeded");
    assert!(error.cause.contains("the job's status"), "{error}");
    assert!(!events
        .iter()
        .any(|e| matches!(e.kind, EventKind::StatusChecked { .. })));
}

#[test]
fn a_job_result_nested_100000_deep_is_refused_without_recursion() {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let job = poller_fn(
                |_input| async { Ok(json!("job-1")) },
                |_job| async {
                    let mut deep = json!(0);
                    for _ in 0..100_000 {
                        deep = Value::Array(vec![deep]);
                    }
                    Ok(JobStatus::succeeded(deep))
                },
            );
            let events = run(job, WaitPolicy::fixed(secs(1)), Limits::default());
            let Outcome::Failed { error } = outcome(&events) else {
                panic!("{:?}", events.last());
            };
            assert!(
                error.cause.contains("nests deeper than 256 levels"),
                "{error}"
            );
            serde_json::to_string(&events).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}
