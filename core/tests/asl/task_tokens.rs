//! `.waitForTaskToken` Task states: the callback pattern, heartbeats and timeouts.

use std::time::Duration;

use futures::StreamExt;
use pollflow::{Clock, Event, TokenError};

use super::*;

const SEND: &str = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";

/// A machine whose one callback task (with `extra` fields) passes its token in its input.
fn callback_machine(extra: Value) -> Workflow {
    let mut approve = json!({
        "Type": "Task", "Resource": SEND,
        "Parameters": {"token.$": "$$.Task.Token", "order.$": "$.order"},
        "End": true
    });
    for (k, v) in extra.as_object().unwrap() {
        approve[k] = v.clone();
    }
    machine(json!({"StartAt": "Approve", "States": {"Approve": approve}}))
}

/// An engine (with no handlers) of [`callback_machine`], on a virtual clock.
fn callback_engine(extra: Value) -> (Engine, VirtualClock) {
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(callback_machine(extra), Tasks::new(), clock.clone()).build();
    (engine, clock)
}

/// Runs `engine` on `input` while `script` (given the engine, the clock and the issued tokens,
/// in order) sends; both in the clock's simulated time.
fn drive<F, Fut>(engine: &Engine, clock: &VirtualClock, input: Value, script: F) -> Vec<Event>
where
    F: FnOnce(Engine, VirtualClock, Arc<Mutex<Vec<String>>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let seen = tokens.clone();
    let mut run = engine.start(input);
    let events = async move {
        let mut events = Vec::new();
        while let Some(event) = run.next().await {
            if let EventKind::TaskTokenIssued { token, .. } = &event.kind {
                seen.lock().unwrap().push(token.clone());
            }
            events.push(event);
        }
        events
    };
    let (events, ()) = clock.block_on(futures::future::join(
        events,
        script(engine.clone(), clock.clone(), tokens),
    ));
    events
}

fn outcome(events: &[Event]) -> Outcome {
    Outcome::from_terminal(&events.last().unwrap().kind).unwrap()
}

fn token(tokens: &Mutex<Vec<String>>, i: usize) -> String {
    tokens.lock().unwrap()[i].clone()
}

#[test]
fn a_sent_success_is_the_tasks_result_and_its_handler_gets_the_token() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let tasks = Tasks::new().handler(
        SEND,
        task_fn(move |input| {
            log.lock().unwrap().push(input);
            async { Ok(json!("ignored: the token's result is the state's")) }
        }),
    );
    let clock = VirtualClock::new();
    let workflow = callback_machine(json!({"ResultPath": "$.approval"}));
    let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    let events = drive(
        &engine,
        &clock,
        json!({"order": 7}),
        |engine, clock, tokens| async move {
            clock.sleep(Duration::from_secs(30)).await;
            let token = token(&tokens, 0);
            engine
                .send_task_success(&token, json!({"ok": true}))
                .unwrap();
            // The task has ended: its token is refused from now on.
            assert_eq!(
                engine.send_task_success(&token, json!(1)),
                Err(TokenError::TaskTimedOut)
            );
            assert_eq!(
                engine.send_task_heartbeat(&token),
                Err(TokenError::TaskTimedOut)
            );
        },
    );
    assert_eq!(
        outcome(&events),
        Outcome::Succeeded {
            output: json!({"order": 7, "approval": {"ok": true}})
        }
    );
    let sent = received.lock().unwrap();
    assert_eq!(sent.len(), 1);
    let issued = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TaskTokenIssued { state, token } => Some((state.clone(), token.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(issued.0, "Approve");
    assert_eq!(sent[0], json!({"token": issued.1, "order": 7}));
    let succeeded = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::TaskSucceeded { .. }))
        .unwrap();
    assert_eq!(
        succeeded.timestamp_ms, 30_000,
        "the run waited for the send"
    );
}

#[test]
fn a_sent_failure_fails_the_task_with_its_name_and_catch_takes_it() {
    let clock = VirtualClock::new();
    let workflow = machine(json!({"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": SEND, "End": true,
                    "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "No"}]},
        "No": {"Type": "Pass", "End": true}
    }}));
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let events = drive(
        &engine,
        &clock,
        json!({}),
        |engine, clock, tokens| async move {
            clock.sleep(Duration::from_secs(5)).await;
            engine
                .send_task_failure(&token(&tokens, 0), "Rejected", "not today")
                .unwrap();
        },
    );
    assert_eq!(
        outcome(&events),
        Outcome::Succeeded {
            output: json!({"why": {"Error": "Rejected", "Cause": "not today"}})
        }
    );
}

#[test]
fn no_heartbeat_within_heartbeat_seconds_is_a_heartbeat_timeout() {
    let (engine, clock) = callback_engine(json!({"HeartbeatSeconds": 10}));
    let events = drive(
        &engine,
        &clock,
        json!({"order": 1}),
        |engine, clock, tokens| async move {
            for _ in 0..3 {
                clock.sleep(Duration::from_secs(8)).await;
                engine.send_task_heartbeat(&token(&tokens, 0)).unwrap();
            }
            // Then silence: the task times out 10 s after the last heartbeat (at 24 s).
            clock.sleep(Duration::from_secs(11)).await;
            assert_eq!(
                engine.send_task_heartbeat(&token(&tokens, 0)),
                Err(TokenError::TaskTimedOut)
            );
        },
    );
    let Outcome::Failed { error } = outcome(&events) else {
        panic!("{events:?}")
    };
    assert_eq!(error.error, "States.HeartbeatTimeout");
    let failed = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::TaskFailed { .. }))
        .unwrap();
    assert_eq!(failed.timestamp_ms, 34_000);
}

#[test]
fn heartbeat_seconds_path_reads_the_interval_from_the_effective_input() {
    let (engine, clock) = callback_engine(json!({"HeartbeatSecondsPath": "$.order"}));
    let events = drive(&engine, &clock, json!({"order": 3}), |_, _, _| async {});
    let failed = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TaskFailed { error, .. } => Some((e.timestamp_ms, error.error.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(failed, (3_000, "States.HeartbeatTimeout".to_string()));
}

#[test]
fn timeout_seconds_ends_the_wait_whatever_the_heartbeats() {
    let (engine, clock) = callback_engine(json!({"HeartbeatSeconds": 5, "TimeoutSeconds": 20}));
    let events = drive(
        &engine,
        &clock,
        json!({"order": 1}),
        |engine, clock, tokens| async move {
            for _ in 0..5 {
                clock.sleep(Duration::from_secs(4)).await;
                // The last one (at 20 s) may find the task ended.
                let _ = engine.send_task_heartbeat(&token(&tokens, 0));
            }
        },
    );
    let Outcome::Failed { error } = outcome(&events) else {
        panic!("{events:?}")
    };
    assert_eq!(error.error, "States.Timeout");
    assert_eq!(events.last().unwrap().timestamp_ms, 20_000);
}

#[test]
fn malformed_unknown_and_retried_tokens_are_refused_by_name() {
    let clock = VirtualClock::new();
    let workflow = callback_machine(json!({
        "Retry": [{"ErrorEquals": ["Again"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    }));
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let events = drive(
        &engine,
        &clock,
        json!({"order": 1}),
        |engine, clock, tokens| async move {
            assert_eq!(
                engine.send_task_success("not a token", json!(1)),
                Err(TokenError::InvalidToken)
            );
            assert_eq!(
                engine.send_task_success(&"0".repeat(48), json!(1)),
                Err(TokenError::TaskDoesNotExist)
            );
            clock.sleep(Duration::from_secs(1)).await;
            let first = token(&tokens, 0);
            engine.send_task_failure(&first, "Again", "").unwrap();
            clock.sleep(Duration::from_secs(2)).await;
            // The retry waits for a new token; the first one's task has ended.
            let second = token(&tokens, 1);
            assert_ne!(first, second);
            assert_eq!(
                engine.send_task_success(&first, json!(1)),
                Err(TokenError::TaskTimedOut)
            );
            engine.send_task_success(&second, json!("yes")).unwrap();
        },
    );
    assert_eq!(
        outcome(&events),
        Outcome::Succeeded {
            output: json!("yes")
        }
    );
    assert_eq!(TokenError::TaskDoesNotExist.name(), "TaskDoesNotExist");
}

#[test]
fn a_resumed_run_waits_for_the_same_token() {
    let clock = VirtualClock::new();
    let workflow = callback_machine(json!({}));
    let engine = Engine::with_tasks(workflow.clone(), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(json!({"order": 2}));
    let (token, saved) = clock.block_on(async {
        loop {
            let event = run.next().await.unwrap();
            if let EventKind::TaskTokenIssued { token, .. } = event.kind {
                break (token, serde_json::to_string(&run.checkpoint()).unwrap());
            }
        }
    });
    drop(run);
    // Another process resumes it; the worker answers the token it was given.
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let mut resumed = engine
        .resume(serde_json::from_str(&saved).unwrap())
        .unwrap();
    let outcome = clock.block_on(async {
        let answer = async {
            clock.sleep(Duration::from_secs(1)).await;
            engine.send_task_success(&token, json!("done")).unwrap();
        };
        let events = async {
            let mut kinds = Vec::new();
            while let Some(event) = resumed.next().await {
                kinds.push(event.kind);
            }
            kinds
        };
        let (kinds, ()) = futures::future::join(events, answer).await;
        let announced: Vec<_> = kinds
            .iter()
            .filter_map(|k| match k {
                EventKind::TaskTokenIssued { token, .. } => Some(token),
                _ => None,
            })
            .collect();
        assert_eq!(announced, [&token], "the same token, announced again");
        Outcome::from_terminal(kinds.last().unwrap()).unwrap()
    });
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!("done")
        }
    );
}

#[test]
fn each_map_item_waits_for_its_own_token() {
    let clock = VirtualClock::new();
    let workflow = machine(json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.orders", "End": true,
        "ItemProcessor": {"StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": SEND, "End": true,
            "Parameters": {"token.$": "$$.Task.Token", "order.$": "$"}
        }}}
    }}}));
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let events = drive(
        &engine,
        &clock,
        json!({"orders": [1, 2, 3]}),
        |engine, clock, tokens| async move {
            clock.sleep(Duration::from_secs(1)).await;
            let issued = tokens.lock().unwrap().clone();
            assert_eq!(issued.len(), 3);
            // Answered out of order: each item takes its own token's result.
            for (i, token) in issued.iter().enumerate().rev() {
                engine.send_task_success(token, json!(i * 10)).unwrap();
            }
        },
    );
    assert_eq!(
        outcome(&events),
        Outcome::Succeeded {
            output: json!([0, 10, 20])
        }
    );
}

#[test]
fn an_aborted_run_refuses_its_token() {
    let clock = VirtualClock::new();
    let engine =
        Engine::with_tasks(callback_machine(json!({})), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(json!({"order": 1}));
    let abort = run.abort_handle();
    let (token, outcome) = clock.block_on(async {
        let mut token = None;
        while let Some(event) = run.next().await {
            if let EventKind::TaskTokenIssued { token: t, .. } = event.kind {
                token = Some(t);
                abort.abort();
            }
        }
        (token.unwrap(), run.finished().cloned())
    });
    assert!(matches!(outcome, Some(Outcome::Aborted { .. })));
    assert_eq!(
        engine.send_task_success(&token, json!(1)),
        Err(TokenError::TaskTimedOut)
    );
}
