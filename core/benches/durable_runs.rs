//! What the SQLite store costs: 10,000 concurrent Job Poller runs with 1 s waits on real time
//! (tokio, 2 workers), each job done on its 5th check, kept in memory only or saved in a
//! `SqliteStore` on local disk (the submit intent, the handle, every wait, the outcome). Passes
//! alternate; each prints its wall time and state transitions per second, and the store's
//! figure divided by the in-memory one.
//!
//! ```text
//! cargo bench -p pollflow --features sqlite,tokio --bench durable_runs            # 10,000 runs
//! cargo bench -p pollflow --features sqlite,tokio --bench durable_runs -- 1000    # fewer
//! ```

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use pollflow::store::SqliteStore;
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, JobStatus, Outcome, Poller, TaskError, TokioClock, WaitPolicy,
    Workflow,
};
use serde_json::{json, Value};

const PASSES: usize = 3;
const CHECKS_PER_JOB: u8 = 5;
/// `StateEntered` events per run: Submit, then 5 × (Wait, Check, Choice), then Succeed.
const TRANSITIONS_PER_RUN: usize = 1 + 3 * CHECKS_PER_JOB as usize + 1;

/// A batch service in memory: job `i` succeeds on its 5th check.
struct Service {
    submitted: AtomicUsize,
    checks: Vec<AtomicU8>,
}

#[async_trait]
impl Poller for Service {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        Ok(json!(self.submitted.fetch_add(1, Ordering::Relaxed)))
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        let id = handle.as_u64().unwrap_or_default() as usize;
        let checks = self.checks[id].fetch_add(1, Ordering::Relaxed) + 1;
        Ok(if checks >= CHECKS_PER_JOB {
            JobStatus::succeeded(json!({"job": id}))
        } else {
            JobStatus::pending("RUNNING")
        })
    }
}

/// One pass: the wall time of `runs` runs, with or without the store.
async fn pass(runs: usize, stored: bool) -> Duration {
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(1)))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("valid workflow");
    let service = Arc::new(Service {
        submitted: AtomicUsize::new(0),
        checks: (0..runs).map(|_| AtomicU8::new(0)).collect(),
    });
    let dir = std::env::temp_dir().join(format!("pollflow-durable-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut builder = Engine::builder(workflow, service, TokioClock::new());
    if stored {
        builder = builder.store(SqliteStore::open(dir.join("runs.db")).expect("the store opens"));
    }
    let engine = builder.build();
    let input = Arc::new(json!({"jobName": "bench", "jobQueue": "q", "jobDefinition": "d"}));
    let started = Instant::now();
    let tasks: Vec<_> = (0..runs)
        .map(|_| tokio::spawn(engine.start_shared(input.clone()).outcome()))
        .collect();
    let outcomes = join_all(tasks).await;
    let elapsed = started.elapsed();
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Ok(Outcome::Succeeded { .. }))));
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
    elapsed
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find(|a| a != "--bench")
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    println!(
        "{runs} concurrent Job Poller runs, 1 s waits, {CHECKS_PER_JOB} checks each, real time, 2 tokio workers"
    );
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..PASSES {
        for (stored, times) in [false, true].into_iter().zip(&mut times) {
            times.push(runtime.block_on(pass(runs, stored)));
        }
    }
    let rate = |d: Duration| (runs * TRANSITIONS_PER_RUN) as f64 / d.as_secs_f64();
    let mut medians = Vec::new();
    for (label, mut times) in ["in memory", "SQLite store"].into_iter().zip(times) {
        let passes: Vec<String> = times
            .iter()
            .map(|t| format!("{:.2} s", t.as_secs_f64()))
            .collect();
        times.sort();
        let median = times[PASSES / 2];
        println!(
            "{label:>13}: {:.2} s = {:.0} transitions/s (passes: {})",
            median.as_secs_f64(),
            rate(median),
            passes.join(", ")
        );
        medians.push(median);
    }
    println!(
        "the store's throughput: {:.2}x the in-memory one",
        rate(medians[1]) / rate(medians[0])
    );
}
