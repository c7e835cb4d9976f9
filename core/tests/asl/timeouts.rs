//! Task, execution and path-given timeouts.

use super::*;

#[test]
fn task_timeout_stops_a_sync_job_and_can_be_caught() {
    let poller = ScriptedJob::never_done();
    let definition = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync", "TimeoutSeconds": 60,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TooSlow"}], "End": true},
        "TooSlow": {"Type": "Fail", "Error": "TooSlow", "Cause": "gave up"}
    }});
    let tasks = Tasks::new().job("arn:aws:states:::batch:submitJob.sync", poller.clone());
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert_eq!(
        outcome,
        Outcome::Failed {
            error: TaskError::new("TooSlow", "gave up")
        }
    );
    assert_eq!(
        poller.cancels.lock().unwrap().len(),
        1,
        "the job is terminated once"
    );
    assert!(poller.cancels.lock().unwrap()[0].1.contains("\"Run\""));
    let cancelled_at = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::JobCancelled { .. }))
        .unwrap();
    assert_eq!(cancelled_at.timestamp_ms, 60_000);
}

#[test]
fn timeout_seconds_path_reads_the_timeout_from_the_effective_input() {
    let poller = ScriptedJob::never_done();
    let definition = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
                "InputPath": "$.job", "TimeoutSecondsPath": "$.limit", "End": true}
    }});
    let tasks = Tasks::new().job("arn:aws:states:::batch:submitJob.sync", poller.clone());
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({"job": {"limit": 45}}));
    assert!(matches!(outcome, Outcome::Failed { ref error } if error.error == "States.Timeout"));
    assert_eq!(
        poller.cancels.lock().unwrap().len(),
        1,
        "the job is terminated once"
    );
    let cancelled = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::JobCancelled { .. }))
        .unwrap();
    assert_eq!(cancelled.timestamp_ms, 45_000);
}

#[test]
fn a_timeout_seconds_path_without_whole_seconds_fails_with_states_runtime() {
    for limit in [json!("ten"), json!(0), json!(1.5), json!(-3), Value::Null] {
        let definition = json!({"StartAt": "Run", "States": {
            "Run": {"Type": "Task", "Resource": "fast", "TimeoutSecondsPath": "$.limit", "End": true}
        }});
        let tasks = Tasks::new().handler("fast", task_fn(|_| async { Ok(json!("done")) }));
        let outcome = outcome_of(definition, tasks, json!({ "limit": limit }));
        let Outcome::Failed { error } = outcome else {
            panic!("{limit}: {outcome:?}")
        };
        assert_eq!(error.error, "States.Runtime", "{limit}");
        assert!(error.cause.contains("$.limit"), "{limit}: {}", error.cause);
    }
}

#[test]
fn timeout_seconds_and_its_path_do_not_go_together_and_the_path_survives_export() {
    let both = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "r", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true}
    }});
    let err = pollflow::asl::from_asl(&both, "both").unwrap_err();
    assert!(err
        .problems
        .iter()
        .any(|p| p.path == "$.States['Run'].TimeoutSecondsPath" && p.message.contains("not both")));
    let path = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "r", "TimeoutSecondsPath": "$.t", "End": true}
    }});
    let graph = pollflow::asl::from_asl(&path, "path").unwrap();
    let exported = pollflow::asl::to_asl(&graph, &Default::default()).unwrap();
    assert_eq!(exported["States"]["Run"]["TimeoutSecondsPath"], "$.t");
    assert_eq!(pollflow::asl::from_asl(&exported, "path").unwrap(), graph);
}

#[test]
fn machine_timeout_ends_the_execution_timed_out() {
    let definition = json!({"StartAt": "Long", "TimeoutSeconds": 10, "States": {
        "Long": {"Type": "Wait", "Seconds": 3600, "End": true}
    }});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert!(matches!(outcome, Outcome::TimedOut { ref error } if error.error == "States.Timeout"));
    assert_eq!(events.last().unwrap().timestamp_ms, 10_000);
}

#[test]
fn a_request_response_task_past_its_timeout_fails_with_states_timeout() {
    let definition = json!({"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": "slow", "TimeoutSeconds": 5, "End": true}
    }});
    let clock = VirtualClock::new();
    let sleeper = clock.clone();
    let tasks = Tasks::new().handler(
        "slow",
        task_fn(move |_| {
            let clock = sleeper.clone();
            async move {
                pollflow::Clock::sleep(&clock, secs(60)).await;
                Ok(json!("late"))
            }
        }),
    );
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert!(matches!(outcome, Outcome::Failed { ref error } if error.error == "States.Timeout"));
    assert_eq!(events.last().unwrap().timestamp_ms, 5_000);
}
