//! An engine in a multi-threaded service, written as a crate outside this workspace would:
//! only `pollflow::` public items. One `Engine` (and one `PollGroup`) shared by the worker
//! threads of a multi-threaded tokio runtime, runs started with `tokio::spawn`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use pollflow::run::OutcomeFuture;
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Clock, Engine, JobStatus, Outcome, PollGroup, Poller, Run, TaskError,
    TokioClock, VirtualClock, WaitPolicy, Workflow,
};
use serde_json::{json, Value};

/// Jobs that succeed on their third check; records the threads that called it.
#[derive(Default)]
struct Jobs {
    next_id: AtomicU64,
    checks: Mutex<HashMap<u64, u32>>,
    /// `(virtual seconds, handles)` of every `check_many` call.
    batches: Mutex<Vec<(u64, usize)>>,
    threads: Mutex<HashSet<ThreadId>>,
    clock: Option<VirtualClock>,
}

impl Jobs {
    fn look(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.threads.lock().unwrap().insert(thread::current().id());
        let id = handle
            .as_u64()
            .ok_or_else(|| CheckError::fatal("Bad.Handle", "not a job"))?;
        let mut checks = self.checks.lock().unwrap();
        let n = checks.entry(id).or_default();
        *n += 1;
        Ok(if *n >= 3 {
            JobStatus::succeeded(json!({"job": id, "checks": *n}))
        } else {
            JobStatus::pending("RUNNING")
        })
    }
}

#[async_trait]
impl Poller for Jobs {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        Ok(json!(self.next_id.fetch_add(1, Ordering::Relaxed)))
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.look(handle)
    }

    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        let at = self.clock.as_ref().map_or(0, |c| c.now().as_secs());
        self.batches.lock().unwrap().push((at, handles.len()));
        handles.iter().map(|h| self.look(h)).collect()
    }
}

fn job_poller(every: Duration) -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(every))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("valid workflow")
}

/// What a service needs of the types it keeps in shared state and spawns.
fn shareable<T: Send + Sync + Clone + 'static>() {}
fn spawnable<T: Send + 'static>() {}

#[test]
fn engine_runs_and_groups_are_send() {
    shareable::<Engine>();
    shareable::<PollGroup<Jobs>>();
    shareable::<VirtualClock>();
    shareable::<TokioClock>();
    spawnable::<Run>();
    spawnable::<OutcomeFuture>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_engine_runs_64_spawned_runs_across_worker_threads() {
    let jobs = Arc::new(Jobs::default());
    let engine = Engine::new(
        job_poller(Duration::from_millis(20)),
        jobs.clone(),
        TokioClock::new(),
    );
    let handles: Vec<_> = (0..64)
        .map(|i| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.start(json!({"jobName": i})).outcome().await })
        })
        .collect();
    let mut seen = HashSet::new();
    for handle in handles {
        match handle.await.expect("the run's task did not panic") {
            Outcome::Succeeded { output } => {
                assert_eq!(output["checks"], 3);
                assert!(
                    seen.insert(output["job"].as_u64().unwrap()),
                    "one job per run"
                );
            }
            other => panic!("a run did not succeed: {other:?}"),
        }
    }
    assert_eq!(seen.len(), 64);
    assert_eq!(jobs.checks.lock().unwrap().values().sum::<u32>(), 64 * 3);
    // Each run's checks happen on whichever worker polls it; four workers share them.
    eprintln!(
        "checks made on {} threads",
        jobs.threads.lock().unwrap().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_poll_group_batches_the_checks_of_runs_on_every_thread() {
    // Virtual time, moved on only when every run waits (`VirtualClock::track`): every round's
    // 64 checks are queued at the same virtual moment, whatever thread runs each, and the
    // group's linger window (1 virtual ms) closes only then. So the count is exact: one
    // `check_many` call per round, with every handle.
    let clock = VirtualClock::new();
    let jobs = Jobs {
        clock: Some(clock.clone()),
        ..Jobs::default()
    };
    let group = PollGroup::lingering(jobs, 100, clock.clone(), Duration::from_millis(1));
    let engine = Engine::new(
        job_poller(Duration::from_secs(60)),
        group.clone(),
        clock.clone(),
    );
    // Tracked from creation: time stays put until all 64 have started and wait.
    let runs: Vec<_> = (0..64)
        .map(|i| clock.track(engine.start(json!({"jobName": i})).outcome()))
        .collect();
    let handles: Vec<_> = runs.into_iter().map(tokio::spawn).collect();
    for handle in handles {
        let outcome = handle.await.expect("the run's task did not panic");
        assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    }
    let jobs = group.poller();
    assert_eq!(
        *jobs.batches.lock().unwrap(),
        vec![(60, 64), (120, 64), (180, 64)],
        "one call per round, 64 handles each, at 60, 120 and 180 virtual seconds"
    );
    assert!(
        jobs.threads.lock().unwrap().len() <= 4,
        "checks are made by the runtime's workers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_batches_leave_as_they_fill_from_every_thread() {
    // 64 runs, batches of 16: each round is four full batches, whichever threads fill them.
    let clock = VirtualClock::new();
    let jobs = Jobs {
        clock: Some(clock.clone()),
        ..Jobs::default()
    };
    let group = PollGroup::lingering(jobs, 16, clock.clone(), Duration::from_millis(1));
    let engine = Engine::new(
        job_poller(Duration::from_secs(60)),
        group.clone(),
        clock.clone(),
    );
    // Tracked from creation: time stays put until all 64 have started and wait.
    let runs: Vec<_> = (0..64)
        .map(|i| clock.track(engine.start(json!({"jobName": i})).outcome()))
        .collect();
    let handles: Vec<_> = runs.into_iter().map(tokio::spawn).collect();
    for handle in handles {
        assert!(matches!(handle.await.unwrap(), Outcome::Succeeded { .. }));
    }
    let batches = group.poller().batches.lock().unwrap().clone();
    assert_eq!(batches.len(), 12, "{batches:?}");
    assert!(batches.iter().all(|&(_, n)| n == 16), "{batches:?}");
}
