//! Durable runs on the SQLite store: a process that stops at any point — mid-wait, or between
//! a submit reaching the service and its answer — is replaced by one that recovers every
//! unfinished run from the file and finishes it, with one job per run.
//!
//! On real time (tokio), with waits of milliseconds: the store's writes are real I/O, which a
//! virtual clock would jump past.

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::{join_all, select, Either};
use pollflow::run::OutcomeFuture;
use pollflow::store::{Saved, SqliteStore, Store, StoreError};
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, names, CheckError, Checkpoint, Engine, JobStatus, Outcome, Poller, TaskError,
    TokioClock, VirtualClock, WaitPolicy, Workflow,
};
use serde_json::{json, Value};
use support::secs;

/// A job service that outlives the processes: jobs by submit key, each done [`JOB_TAKES`]
/// after it was created. Its first `hang` submits create the job and never answer.
struct Service {
    jobs: Mutex<Vec<(String, Instant)>>,
    submits: AtomicU32,
    hang: AtomicU32,
}

const JOB_TAKES: Duration = Duration::from_millis(250);
const EVERY: Duration = Duration::from_millis(100);

impl Service {
    fn new(hang: u32) -> Arc<Self> {
        Arc::new(Self {
            jobs: Mutex::default(),
            submits: AtomicU32::new(0),
            hang: AtomicU32::new(hang),
        })
    }

    fn job_count(&self) -> usize {
        self.jobs.lock().unwrap().len()
    }
}

#[async_trait]
impl Poller for Service {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        unreachable!("the engine submits with a key")
    }

    async fn submit_keyed(&self, _input: &Value, key: &str) -> Result<Value, TaskError> {
        self.submits.fetch_add(1, Ordering::Relaxed);
        let id = {
            let mut jobs = self.jobs.lock().unwrap();
            jobs.push((key.to_owned(), Instant::now()));
            jobs.len() - 1
        };
        let hang = self
            .hang
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        if hang {
            futures::future::pending::<()>().await;
        }
        Ok(json!(id))
    }

    async fn find_submitted(&self, _input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        let jobs = self.jobs.lock().unwrap();
        Ok(jobs.iter().position(|(k, _)| k == key).map(|id| json!(id)))
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        let created = self.jobs.lock().unwrap()[handle.as_u64().unwrap() as usize].1;
        Ok(if created.elapsed() >= JOB_TAKES {
            JobStatus::succeeded(json!({"job": handle}))
        } else {
            JobStatus::pending("RUNNING")
        })
    }
}

fn job_poller() -> Workflow {
    support::job_poller(WaitPolicy::fixed(EVERY))
}

fn store_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pollflow-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("runs.db")
}

/// A process: an engine on `file` with the service.
fn process(file: &PathBuf, service: &Arc<Service>) -> Engine {
    let store = SqliteStore::open(file).expect("the store opens");
    Engine::builder(job_poller(), service.clone(), TokioClock::new())
        .store(store)
        .build()
}

/// Runs `runs` for `time`, then drops them (the process dies).
async fn run_for(runs: Vec<OutcomeFuture>, time: Duration) {
    let stopped = select(join_all(runs), Box::pin(tokio::time::sleep(time))).await;
    assert!(
        matches!(stopped, Either::Right(_)),
        "no run was done by then"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_stopped_mid_wait_is_replaced_and_every_run_finishes_with_one_job() {
    let file = store_file("mid-wait");
    let service = Service::new(0);
    let engine = process(&file, &service);
    let runs = (0..100)
        .map(|i| engine.start(json!({"n": i})).outcome())
        .collect();
    // The process dies after the first checks: every run waits for its second.
    run_for(runs, EVERY + EVERY / 2).await;
    drop(engine);
    assert_eq!(service.job_count(), 100);

    let engine = process(&file, &service);
    let runs = engine.recover().await.expect("the store reads");
    assert_eq!(runs.len(), 100);
    let outcomes = join_all(runs.into_iter().map(|run| run.outcome())).await;
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Outcome::Succeeded { .. })));
    assert_eq!(service.job_count(), 100, "one job per run");
    assert_eq!(
        service.submits.load(Ordering::Relaxed),
        100,
        "none submitted again"
    );
    drop(engine);

    let engine = process(&file, &service);
    let left = engine.recover().await.expect("the store reads");
    assert!(left.is_empty(), "finished runs are not recovered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_stopped_between_a_submit_and_its_answer_is_replaced_without_a_second_job() {
    let file = store_file("mid-submit");
    let service = Service::new(3);
    let engine = process(&file, &service);
    let runs = (0..3).map(|_| engine.start(json!({})).outcome()).collect();
    run_for(runs, EVERY).await;
    assert_eq!(service.job_count(), 3, "the service created the jobs");
    drop(engine);

    let engine = process(&file, &service);
    let runs = engine.recover().await.expect("the store reads");
    assert_eq!(runs.len(), 3, "the submit intents were saved");
    let outcomes = join_all(runs.into_iter().map(|run| run.outcome())).await;
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Outcome::Succeeded { .. })));
    assert_eq!(service.job_count(), 3, "found by key, not submitted again");
    assert_eq!(service.submits.load(Ordering::Relaxed), 3);
}

/// A store that cannot write.
struct Broken;

impl Store for Broken {
    fn save(&self, _run: &str, _checkpoint: &Checkpoint) -> Saved {
        Box::pin(async { Err(StoreError::new("disk full")) })
    }
    fn finish(&self, _run: &str, _checkpoint: &Checkpoint, _outcome: &Outcome) -> Saved {
        Box::pin(async { Err(StoreError::new("disk full")) })
    }
    fn unfinished(
        &self,
        _workflow: &str,
    ) -> pollflow::platform::BoxFuture<'static, Result<Vec<Checkpoint>, StoreError>> {
        Box::pin(async { Err(StoreError::new("unreadable")) })
    }
}

#[test]
fn a_submit_whose_intent_cannot_be_saved_is_not_made() {
    let service = Service::new(0);
    let clock = VirtualClock::new();
    let engine = Engine::builder(job_poller(), service.clone(), clock.clone())
        .store(Broken)
        .build();
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    let Outcome::Failed { error } = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert_eq!(error.error, names::STORE_FAILED);
    assert!(error.cause.contains("disk full"), "{}", error.cause);
    assert_eq!(service.submits.load(Ordering::Relaxed), 0);
    let recovered = clock.block_on(engine.recover());
    assert_eq!(
        recovered.err().map(|e| e.to_string()).as_deref(),
        Some("unreadable")
    );
}

#[tokio::test]
async fn recover_takes_only_the_runs_of_its_own_workflow() {
    let file = store_file("two-workflows");
    let service = Service::new(0);
    let engine = process(&file, &service);
    run_for(vec![engine.start(json!({})).outcome()], EVERY / 2).await;
    drop(engine);

    let other = Workflow::builder("Other")
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(secs(60)))
        .check("Check")
        .branch("Done?", Choice::new())
        .build()
        .unwrap();
    let store = SqliteStore::open(&file).unwrap();
    let engine = Engine::builder(other, service.clone(), VirtualClock::new())
        .store(store)
        .build();
    assert!(engine.recover().await.unwrap().is_empty());
    drop(engine);
    let engine = process(&file, &service);
    assert_eq!(engine.recover().await.unwrap().len(), 1);
}

#[test]
fn a_file_that_is_not_a_store_is_a_clear_error() {
    let file = store_file("not-sqlite");
    std::fs::write(
        &file,
        "not a database, just text that is long enough to have a header",
    )
    .unwrap();
    let error = SqliteStore::open(&file)
        .err()
        .expect("an error")
        .to_string();
    assert!(error.starts_with("sqlite store:"), "{error}");
}

#[test]
fn a_file_another_store_has_open_is_a_clear_error_until_it_closes() {
    let file = store_file("in-use");
    let first = SqliteStore::open(&file).expect("the store opens");
    let error = SqliteStore::open(&file)
        .err()
        .expect("a second store on the file is refused")
        .to_string();
    assert!(error.contains("in use by another store"), "{error}");
    drop(first);
    SqliteStore::open(&file).expect("the file is free once the first store is dropped");
}
