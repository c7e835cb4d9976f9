//! Exact sleep schedules, jitter bounds and deadlines, on the virtual clock.

mod support;

use pollflow::policy::{Backoff, Jitter};
use pollflow::{Engine, EventKind, Outcome, VirtualClock, WaitPolicy};
use serde_json::json;
use support::*;

#[test]
fn fixed_policy_sleeps_wait_time_between_checks() {
    let job = ScriptedJob::succeeding_after(3);
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(60))),
        job.clone(),
        clock.clone(),
    );
    let events = run_to_end(
        &engine,
        &clock,
        json!({"jobName": "my-job", "wait_time": 60}),
    );

    assert_eq!(
        waits(&events),
        vec![
            (60_000, 0),
            (60_000, 60_000),
            (60_000, 120_000),
            (60_000, 180_000)
        ]
    );
    assert_eq!(
        check_times(&events),
        vec![60_000, 120_000, 180_000, 240_000]
    );
    assert_eq!(job.submits.get(), 1);
    assert_eq!(job.checks.get(), 4);
}

#[test]
fn the_whole_history_reads_like_step_functions() {
    let job = ScriptedJob::succeeding_after(1);
    let clock = VirtualClock::new();
    let engine = Engine::new(job_poller(WaitPolicy::fixed(secs(5))), job, clock.clone());
    let events = run_to_end(&engine, &clock, json!({"jobName": "my-job"}));
    let loop_once = [
        "StateEntered",
        "WaitStarted",
        "StateExited", // Wait X Seconds
        "StateEntered",
        "StatusChecked",
        "StateExited", // Get Job Status
        "StateEntered",
        "ChoiceTaken",
        "StateExited", // Job Complete?
    ];
    let mut expected = vec![
        "ExecutionStarted",
        "StateEntered",
        "TaskSubmitted",
        "StateExited",
    ];
    expected.extend(loop_once);
    expected.extend(loop_once);
    expected.extend(["StateEntered", "ExecutionSucceeded"]);
    assert_eq!(types(&events), expected);
    let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=events.len() as u64).collect::<Vec<_>>());
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::ExecutionSucceeded { output } if **output == json!({"done": true}))
    );
}

#[test]
fn exponential_policy_without_jitter_doubles_up_to_the_cap() {
    let policy = WaitPolicy::with_backoff(Backoff::Exponential {
        initial: secs(1),
        max: secs(10),
        rate: 2.0,
        jitter: Jitter::None,
    });
    let job = ScriptedJob::succeeding_after(5);
    let clock = VirtualClock::new();
    let engine = Engine::new(job_poller(policy), job, clock.clone());
    let events = run_to_end(&engine, &clock, json!({}));
    let delays: Vec<u64> = waits(&events).iter().map(|w| w.0).collect();
    assert_eq!(delays, vec![1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert_eq!(check_times(&events).last(), Some(&35_000));
}

#[test]
fn sdk_waiter_jitter_stays_in_bounds_and_is_reproducible_with_a_seed() {
    let run = |seed: u64| {
        let job = ScriptedJob::succeeding_after(8);
        let clock = VirtualClock::new();
        let policy = WaitPolicy::exponential(secs(2), secs(60));
        let engine = Engine::builder(job_poller(policy), job, clock.clone())
            .seed(seed)
            .build();
        waits(&run_to_end(&engine, &clock, json!({})))
            .iter()
            .map(|w| w.0)
            .collect::<Vec<_>>()
    };
    let delays = run(7);
    assert_eq!(delays.len(), 9);
    for (i, d) in delays.iter().enumerate() {
        let upper = (2000u64 << i).min(60_000);
        assert!(
            (2000..=upper).contains(d),
            "attempt {}: {d} not in [2000, {upper}]",
            i + 1
        );
    }
    assert_eq!(run(7), delays, "same seed, same schedule");
    assert_ne!(run(8), delays, "another seed, another schedule");
}

#[test]
fn max_wait_clamps_the_last_sleep_and_times_out_after_a_final_check_at_the_deadline() {
    let job = ScriptedJob::never_done();
    let clock = VirtualClock::new();
    let policy = WaitPolicy::fixed(secs(60)).with_max_wait(secs(150));
    let engine = Engine::new(job_poller(policy), job.clone(), clock.clone());
    let events = run_to_end(&engine, &clock, json!({}));

    assert_eq!(
        waits(&events),
        vec![(60_000, 0), (60_000, 60_000), (30_000, 120_000)]
    );
    assert_eq!(check_times(&events), vec![60_000, 120_000, 150_000]);
    let last = events.last().unwrap();
    assert_eq!(last.timestamp_ms, 150_000);
    match &last.kind {
        EventKind::ExecutionTimedOut { error } => {
            assert_eq!(error.error, "States.Timeout");
            assert!(error.cause.contains("150000 ms"), "{}", error.cause);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // Step Functions stops the job when the execution times out; so do we.
    assert_eq!(job.cancels.lock().unwrap().len(), 1);
    assert!(job.cancels.lock().unwrap()[0].1.contains("timed out"));
}

#[test]
fn max_attempts_times_out_after_that_many_checks() {
    let job = ScriptedJob::never_done();
    let clock = VirtualClock::new();
    let policy = WaitPolicy::fixed(secs(1)).with_max_attempts(4);
    let engine = Engine::new(job_poller(policy), job.clone(), clock.clone());
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    assert!(matches!(outcome, Outcome::TimedOut { ref error } if error.cause.contains("4 checks")));
    assert_eq!(job.checks.get(), 4);
}

#[test]
fn status_hints_and_retry_after_override_the_schedule() {
    use pollflow::JobStatus;
    let job = ScriptedJob::new([
        Ok(JobStatus::pending("RUNNABLE")),
        Ok(JobStatus::Pending {
            detail: json!("RUNNING"),
            retry_after: Some(ms(1500)),
        }),
        Ok(JobStatus::pending("RUNNING")),
        Ok(JobStatus::succeeded(1)),
    ]);
    let clock = VirtualClock::new();
    let policy = WaitPolicy::fixed(secs(5)).with_status_delay("RUNNABLE", secs(30));
    let engine = Engine::new(job_poller(policy), job, clock.clone());
    let delays: Vec<u64> = waits(&run_to_end(&engine, &clock, json!({})))
        .iter()
        .map(|w| w.0)
        .collect();
    assert_eq!(delays, vec![5000, 30_000, 1500, 5000]);
}

#[test]
fn a_workflow_that_waits_for_days_finishes_at_once_in_virtual_time() {
    let job = ScriptedJob::succeeding_after(100);
    let clock = VirtualClock::new();
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(3600))),
        job,
        clock.clone(),
    );
    let started = std::time::Instant::now();
    let events = run_to_end(&engine, &clock, json!({}));
    assert_eq!(events.last().unwrap().timestamp_ms, 101 * 3_600_000);
    assert!(
        started.elapsed() < secs(5),
        "virtual time must not sleep for real"
    );
}
