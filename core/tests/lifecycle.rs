//! Abort, drop, checkpoint/resume, and transient versus fatal check errors.

mod support;

use std::sync::Arc;
use std::sync::Mutex;

use futures::StreamExt;
use pollflow::checkpoint::ResumeError;
use pollflow::workflow::Choice;
use pollflow::{
    CheckError, Checkpoint, Clock, Engine, EventKind, JobStatus, Outcome, VirtualClock, WaitPolicy,
    Workflow,
};
use serde_json::json;
use support::*;

#[test]
fn abort_handle_cancels_the_job_once_and_ends_aborted() {
    let job = ScriptedJob::never_done();
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(60))),
        job.clone(),
        clock.clone(),
    );
    let mut run = engine.start(json!({"jobName": "my-job"}));
    let abort = run.abort_handle();

    let events = clock.block_on(async {
        let mut seen = Vec::new();
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 2, .. }) {
                abort.abort();
            }
            seen.push(event);
        }
        seen
    });

    let tail: Vec<String> = types(&events).into_iter().rev().take(2).collect();
    assert_eq!(tail, ["ExecutionAborted", "JobCancelled"]);
    assert!(matches!(
        events.last().unwrap().kind,
        EventKind::ExecutionAborted {
            job_cancelled: true
        }
    ));
    let cancels = job.cancels.lock().unwrap();
    assert_eq!(cancels.len(), 1, "cancel is called exactly once");
    assert_eq!(cancels[0].0["jobId"], "job-1");
    assert!(
        cancels[0].1.contains("\"Job Poller\" was aborted"),
        "{}",
        cancels[0].1
    );
    assert_eq!(job.checks.get(), 2, "no check after the abort");
    assert_eq!(
        run.finished(),
        Some(&Outcome::Aborted {
            job_cancelled: true
        })
    );
}

#[test]
fn abort_while_sleeping_wakes_the_run_at_once() {
    let job = ScriptedJob::never_done();
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(3600))),
        job.clone(),
        clock.clone(),
    );
    let mut run = engine.start(json!({}));
    let abort = run.abort_handle();
    let outcome = clock.block_on(async {
        // Run until the first sleep starts, then abort from "elsewhere".
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                break;
            }
        }
        abort.abort();
        run.outcome().await
    });
    assert_eq!(
        outcome,
        Outcome::Aborted {
            job_cancelled: true
        }
    );
    assert_eq!(
        clock.now(),
        secs(0),
        "the hour-long sleep was not waited out"
    );
    assert_eq!(job.checks.get(), 0);
}

#[test]
fn keep_job_on_stop_aborts_without_cancelling() {
    let workflow = Workflow::builder("Keep")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(secs(1)))
        .check("Check")
        .branch("Done?", Choice::new())
        .keep_job_on_stop()
        .build()
        .unwrap();
    let job = ScriptedJob::never_done();
    let clock = VirtualClock::new();
    let mut run = Engine::new(workflow, job.clone(), clock.clone()).start(json!({}));
    run.abort_handle().abort();
    let outcome = clock.block_on(run.outcome());
    assert_eq!(
        outcome,
        Outcome::Aborted {
            job_cancelled: false
        }
    );
    assert!(job.cancels.lock().unwrap().is_empty());
}

#[test]
fn dropping_a_run_cancels_through_the_spawner() {
    let job = ScriptedJob::never_done();
    let clock = VirtualClock::new();
    let spawned = Arc::new(Mutex::new(Vec::new()));
    let queue = spawned.clone();
    let engine = Engine::builder(
        job_poller(WaitPolicy::fixed(secs(60))),
        job.clone(),
        clock.clone(),
    )
    .spawner(move |future| queue.lock().unwrap().push(future))
    .build();
    let mut run = engine.start(json!({}));
    clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { .. }) {
                break;
            }
        }
    });
    drop(run);
    let futures: Vec<_> = spawned.lock().unwrap().drain(..).collect();
    assert_eq!(futures.len(), 1);
    clock.block_on(futures::future::join_all(futures));
    assert_eq!(job.cancels.lock().unwrap().len(), 1);
    assert!(job.cancels.lock().unwrap()[0].1.contains("dropped"));
}

#[test]
fn resume_continues_the_same_job_without_submitting_again() {
    let job = ScriptedJob::succeeding_after(4);
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(60))),
        job.clone(),
        clock.clone(),
    );
    let mut run = engine.start(json!({"jobName": "my-job"}));

    // Stop in the middle of the second wait and keep only the serialized checkpoint.
    let saved = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { attempt: 2, .. }) {
                break;
            }
        }
        serde_json::to_string(&run.checkpoint()).unwrap()
    });
    drop(run);
    clock.advance(secs(20)); // The process was down for 20 s of the 60 s wait.

    let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
    assert_eq!(checkpoint.state(), "Wait X Seconds");
    let resumed = engine.resume(checkpoint).unwrap();
    let events: Vec<_> = clock.block_on(resumed.collect());

    assert_eq!(job.submits.get(), 1, "resume must not submit again");
    // The wait started at 60 s still ends at 120 s; four pending-then-done checks remain.
    assert_eq!(
        check_times(&events),
        vec![120_000, 180_000, 240_000, 300_000]
    );
    assert_eq!(job.checks.get(), 5);
    let first_id = events[0].id;
    assert!(
        first_id > 10,
        "event ids continue from the checkpoint, got {first_id}"
    );
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::ExecutionSucceeded { output } if output["done"] == true)
    );
}

#[test]
fn resume_rejects_a_checkpoint_of_another_workflow() {
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(1))),
        ScriptedJob::never_done(),
        clock.clone(),
    );
    let checkpoint = engine.start(json!({})).checkpoint();
    let other = Workflow::builder("Other")
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(secs(1)))
        .check("Check")
        .branch("Done?", Choice::new())
        .build()
        .unwrap();
    let err = Engine::new(other, ScriptedJob::never_done(), clock)
        .resume(checkpoint)
        .err()
        .unwrap();
    assert_eq!(
        err,
        ResumeError::WorkflowMismatch {
            expected: "Other".into(),
            found: "Job Poller".into()
        }
    );
}

#[test]
fn transient_check_errors_are_retried_then_the_run_goes_on() {
    let job = ScriptedJob::new([
        Err(CheckError::transient(
            "Batch.TooManyRequestsException",
            "slow down",
        )),
        Err(CheckError::transient("Batch.ServerException", "503")),
        Ok(JobStatus::succeeded("ok")),
    ]);
    let clock = VirtualClock::new();
    let workflow = Workflow::builder("Retry")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(secs(10)))
        .check_with_retry("Check", WaitPolicy::fixed(secs(2)).with_max_attempts(3))
        .branch("Done?", Choice::new())
        .build()
        .unwrap();
    let engine = Engine::new(workflow, job.clone(), clock.clone());
    let events = run_to_end(&engine, &clock, json!({}));
    let failures: Vec<(String, Option<u64>, u64)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskFailed {
                error, retry_in_ms, ..
            } => Some((error.error.clone(), *retry_in_ms, e.timestamp_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures,
        vec![
            (
                "Batch.TooManyRequestsException".to_owned(),
                Some(2000),
                10_000
            ),
            ("Batch.ServerException".to_owned(), Some(2000), 12_000),
        ]
    );
    assert_eq!(check_times(&events), vec![14_000]);
    assert!(matches!(
        &events.last().unwrap().kind,
        EventKind::ExecutionSucceeded { .. }
    ));
}

#[test]
fn transient_errors_past_the_retry_budget_fail_with_that_error() {
    let job = ScriptedJob::new([Err(CheckError::transient("Batch.ServerException", "503"))]);
    let clock = VirtualClock::new();
    let workflow = Workflow::builder("Retry")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(secs(1)))
        .check_with_retry("Check", WaitPolicy::fixed(secs(1)).with_max_attempts(2))
        .branch("Done?", Choice::new())
        .build()
        .unwrap();
    let outcome = clock.block_on(
        Engine::new(workflow, job.clone(), clock.clone())
            .start(json!({}))
            .outcome(),
    );
    assert!(
        matches!(outcome, Outcome::Failed { ref error } if error.error == "Batch.ServerException")
    );
    assert_eq!(job.checks.get(), 3, "one try and two retries");
}

#[test]
fn a_fatal_check_error_fails_at_once_and_is_not_a_job_failure() {
    let job = ScriptedJob::new([Err(CheckError::fatal(
        "Batch.ClientException",
        "no such job",
    ))]);
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(5))),
        job.clone(),
        clock.clone(),
    );
    let events = run_to_end(&engine, &clock, json!({}));
    assert_eq!(job.checks.get(), 1);
    assert!(!events
        .iter()
        .any(|e| matches!(e.kind, EventKind::StatusChecked { .. })));
    let EventKind::ExecutionFailed { error } = &events.last().unwrap().kind else {
        panic!()
    };
    assert_eq!(
        (error.error.as_str(), error.cause.as_str()),
        ("Batch.ClientException", "no such job")
    );
    assert!(
        job.cancels.lock().unwrap().is_empty(),
        "a failed check does not cancel the job"
    );
}

#[test]
fn a_failed_submit_fails_the_execution_without_checking() {
    let poller = pollflow::poller_fn(
        |_| async {
            Err(pollflow::TaskError::new(
                "Batch.ClientException",
                "unknown queue",
            ))
        },
        |_| async { Ok(JobStatus::succeeded(1)) },
    );
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(5))),
        poller,
        clock.clone(),
    );
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    assert!(matches!(outcome, Outcome::Failed { ref error } if error.cause == "unknown queue"));
}

#[test]
fn a_waiting_run_lets_go_of_a_pending_status_and_keeps_a_final_one() {
    let job = ScriptedJob::succeeding_after(2);
    let clock = VirtualClock::new();
    let engine = Engine::new(job_poller(WaitPolicy::fixed(secs(60))), job, clock.clone());
    let mut run = engine.start(json!({"jobName": "my-job"}));

    let (held_while_waiting, last) = clock.block_on(async {
        let mut held_while_waiting = Vec::new();
        let mut last = None;
        while let Some(event) = run.next().await {
            match event.kind {
                EventKind::StatusChecked { status, .. } => last = Some(status),
                // The wait after a pending check: the run's own reference is gone, ours is
                // the only one left.
                EventKind::WaitStarted { .. } => {
                    if let Some(status) = &last {
                        held_while_waiting.push(Arc::strong_count(status));
                    }
                }
                _ => {}
            }
        }
        (held_while_waiting, last)
    });

    assert_eq!(held_while_waiting, [1, 1], "two waits after pending checks");
    let last = last.expect("the job was checked");
    assert!(matches!(*last, JobStatus::Succeeded { .. }));
    assert_eq!(
        run.finished(),
        Some(&Outcome::Succeeded {
            output: last.detail().clone()
        })
    );
}
