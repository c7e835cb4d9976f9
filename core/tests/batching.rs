//! Poll groups: the checks of concurrent executions go out as few `check_many` calls.

mod support;

use std::sync::Arc;
use std::sync::Mutex;

use futures::stream::{FuturesUnordered, StreamExt};
use pollflow::{
    async_trait, CheckError, Engine, JobStatus, Outcome, PollGroup, Poller, TaskError,
    VirtualClock, WaitPolicy,
};
use serde_json::{json, Value};
use support::*;

/// Jobs that finish on their `n`th check; only the batched call is allowed.
#[derive(Default)]
struct Fleet {
    submitted: SyncCell<u64>,
    checks: Mutex<std::collections::HashMap<u64, u32>>,
    calls: Mutex<Vec<(u64, usize)>>,
    clock: VirtualClock,
    finish_on: u32,
    /// Return one result fewer than asked (a broken service).
    short_by_one: bool,
}

#[async_trait]
impl Poller for Fleet {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        self.submitted.set(self.submitted.get() + 1);
        Ok(json!(self.submitted.get()))
    }

    async fn check(&self, _handle: &Value) -> Result<JobStatus, CheckError> {
        panic!("a poll group must only call check_many")
    }

    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        use pollflow::Clock;
        self.calls
            .lock()
            .unwrap()
            .push((self.clock.now().as_secs(), handles.len()));
        let mut checks = self.checks.lock().unwrap();
        let mut results: Vec<_> = handles
            .iter()
            .map(|h| {
                let n = checks.entry(h.as_u64().unwrap()).or_default();
                *n += 1;
                Ok(if *n >= self.finish_on {
                    JobStatus::succeeded(*n)
                } else {
                    JobStatus::pending("RUNNING")
                })
            })
            .collect();
        if self.short_by_one {
            results.pop();
        }
        results
    }
}

fn run_fleet(jobs: usize, max_batch: usize, fleet: Fleet) -> (Arc<Fleet>, Vec<Outcome>) {
    let clock = fleet.clock.clone();
    let fleet = Arc::new(fleet);
    let group = PollGroup::new(fleet.clone(), max_batch);
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(30))),
        group,
        clock.clone(),
    );
    let input = std::sync::Arc::new(json!({"jobName": "fleet"}));
    let outcomes = clock.block_on(
        (0..jobs)
            .map(|_| engine.start_shared(input.clone()).outcome())
            .collect::<FuturesUnordered<_>>()
            .collect::<Vec<_>>(),
    );
    (fleet, outcomes)
}

#[test]
fn ten_thousand_waiting_jobs_cost_a_hundred_calls_per_round() {
    let (fleet, outcomes) = run_fleet(
        10_000,
        100,
        Fleet {
            finish_on: 5,
            ..Fleet::default()
        },
    );
    assert_eq!(outcomes.len(), 10_000);
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Outcome::Succeeded { .. })));
    assert_eq!(fleet.submitted.get(), 10_000);

    let calls = fleet.calls.lock().unwrap();
    let rounds: Vec<u64> = {
        let mut r: Vec<u64> = calls.iter().map(|c| c.0).collect();
        r.dedup();
        r
    };
    assert_eq!(
        rounds,
        vec![30, 60, 90, 120, 150],
        "five checks, thirty seconds apart"
    );
    for round in rounds {
        let in_round: Vec<usize> = calls.iter().filter(|c| c.0 == round).map(|c| c.1).collect();
        assert_eq!(in_round.len(), 100, "round at {round}s");
        assert!(in_round.iter().all(|n| *n == 100));
    }
}

#[test]
fn a_partial_last_batch_is_still_sent() {
    let (fleet, outcomes) = run_fleet(
        250,
        100,
        Fleet {
            finish_on: 1,
            ..Fleet::default()
        },
    );
    assert_eq!(outcomes.len(), 250);
    let sizes: Vec<usize> = fleet.calls.lock().unwrap().iter().map(|c| c.1).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
}

#[test]
fn a_short_answer_from_check_many_fails_only_the_unanswered_job() {
    let (_, outcomes) = run_fleet(
        3,
        100,
        Fleet {
            finish_on: 1,
            short_by_one: true,
            ..Fleet::default()
        },
    );
    let failed: Vec<&TaskError> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Failed { error } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error, "Pollflow.BatchMismatch");
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Succeeded { .. }))
            .count(),
        2
    );
}

#[test]
fn an_aborted_run_leaves_the_group_working_for_the_others() {
    let clock = VirtualClock::new();
    let fleet = Arc::new(Fleet {
        finish_on: 3,
        clock: clock.clone(),
        ..Fleet::default()
    });
    let group = PollGroup::new(fleet.clone(), 10);
    let engine = Engine::new(job_poller(WaitPolicy::fixed(secs(1))), group, clock.clone());
    let mut doomed = engine.start(json!({}));
    let abort = doomed.abort_handle();
    let others: FuturesUnordered<_> = (0..5).map(|_| engine.start(json!({})).outcome()).collect();
    let (aborted, rest) = clock.block_on(async {
        let doomed = async {
            // Abort after its first check.
            while let Some(event) = doomed.next().await {
                if matches!(event.kind, pollflow::EventKind::StatusChecked { .. }) {
                    abort.abort();
                }
            }
            doomed.finished().cloned()
        };
        futures::join!(doomed, others.collect::<Vec<_>>())
    });
    assert!(matches!(aborted, Some(Outcome::Aborted { .. })));
    assert_eq!(rest.len(), 5);
    assert!(rest.iter().all(|o| matches!(o, Outcome::Succeeded { .. })));
}

#[test]
fn a_linger_window_gathers_checks_that_are_due_a_few_milliseconds_apart() {
    use pollflow::policy::{Backoff, Jitter};
    use pollflow::workflow::Choice;
    use pollflow::Workflow;
    // Every wait is uniform in [0, 50] ms, so the checks of a round spread over 50 ms.
    let spread = WaitPolicy::with_backoff(Backoff::Exponential {
        initial: ms(50),
        max: ms(50),
        rate: 1.0,
        jitter: Jitter::Full,
    });
    let calls = |linger: Option<u64>| {
        let clock = VirtualClock::new();
        let fleet = Arc::new(Fleet {
            finish_on: 3,
            clock: clock.clone(),
            ..Fleet::default()
        });
        let group = match linger {
            Some(l) => PollGroup::lingering(fleet.clone(), 100, clock.clone(), ms(l)),
            None => PollGroup::new(fleet.clone(), 100),
        };
        let workflow = Workflow::builder("Spread")
            .submit("Submit")
            .wait("Wait", spread.clone())
            .check("Check")
            .branch("Done?", Choice::new())
            .build()
            .unwrap();
        let engine = Engine::builder(workflow, group, clock.clone())
            .seed(9)
            .build();
        let outcomes: Vec<Outcome> = clock.block_on(
            (0..50)
                .map(|_| engine.start(json!({})).outcome())
                .collect::<FuturesUnordered<_>>()
                .collect(),
        );
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Succeeded { .. })));
        let calls = fleet.calls.lock().unwrap().len();
        calls
    };
    let scattered = calls(None);
    let gathered = calls(Some(60));
    assert!(
        scattered > 20,
        "without a linger the spread checks go out apart: {scattered} calls"
    );
    assert_eq!(gathered, 3, "one call per round of 50 checks");
}
