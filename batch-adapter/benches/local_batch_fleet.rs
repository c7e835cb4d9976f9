//! 10,000 jobs on the local Batch, most waiting in RUNNABLE behind the queue's concurrency
//! limit, polled by 10,000 concurrent Job Poller workflows through one `PollGroup`.
//!
//! Prints DescribeJobs calls per poll round and the engine's CPU time per check (process CPU
//! time while polling, minus the time the local Batch spent answering).
//!
//! ```text
//! cargo bench -p pollflow-batch --bench local_batch_fleet            # 10,000 jobs
//! cargo bench -p pollflow-batch --bench local_batch_fleet -- 2000
//! ```

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use pollflow::workflow::Choice;
use pollflow::{async_trait, Engine, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::model::{JobDetail, SubmitJobRequest, SubmitJobResponse};
use pollflow_batch::{BatchApi, BatchError, BatchPoller, JobDefinition, JobQueue, LocalBatch};
use serde_json::json;

const CHECKS: u32 = 5;
const WAIT: Duration = Duration::from_secs(1);

/// The local Batch, with its calls counted and timed.
struct Measured {
    batch: LocalBatch,
    /// (when, how many ids) of each DescribeJobs call.
    describes: Mutex<Vec<(Instant, usize)>>,
    /// Wall time spent inside the local Batch (single-threaded, so it is CPU time too).
    serving: Mutex<Duration>,
}

impl Measured {
    fn timed<T>(&self, started: Instant, result: T) -> T {
        *self.serving.lock().unwrap() += started.elapsed();
        result
    }
}

#[async_trait]
impl BatchApi for Measured {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        self.batch.submit_job(request).await
    }
    async fn describe_jobs(&self, ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        let started = Instant::now();
        self.describes.lock().unwrap().push((started, ids.len()));
        let result = self.batch.describe_jobs(ids).await;
        self.timed(started, result)
    }
    async fn terminate_job(&self, id: &str, reason: &str) -> Result<(), BatchError> {
        let started = Instant::now();
        let result = self.batch.terminate_job(id, reason).await;
        self.timed(started, result)
    }
}

/// User + system CPU time of this process (Linux `/proc/self/stat`, 100 ticks a second).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn main() {
    let jobs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(fleet(jobs));
}

async fn fleet(jobs: usize) {
    let logs = std::env::temp_dir().join("pollflow-fleet-bench");
    let batch = LocalBatch::new()
        .with_log_dir(&logs)
        .with_queue(JobQueue::new("fleet", 8))
        .with_definition(JobDefinition::shell("long", "sleep 60"));
    let api = Arc::new(Measured {
        batch,
        describes: Mutex::default(),
        serving: Mutex::default(),
    });
    let poller = PollGroup::lingering(
        BatchPoller::new(api.clone()),
        100,
        TokioClock::new(),
        Duration::from_millis(20),
    );
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait(
            "Wait X Seconds",
            WaitPolicy::fixed(WAIT).with_max_attempts(CHECKS),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("valid workflow");
    let engine = Engine::new(workflow, poller, TokioClock::new());
    let input = std::sync::Arc::new(
        json!({"jobName": "fleet-job", "jobQueue": "fleet", "jobDefinition": "long"}),
    );

    let cpu_before = cpu_time();
    let wall = Instant::now();
    let runs: FuturesUnordered<_> = (0..jobs)
        .map(|_| engine.start_shared(input.clone()).outcome())
        .collect();
    let outcomes: Vec<Outcome> = runs.collect().await;
    let wall = wall.elapsed();
    let cpu = cpu_before.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
    let timed_out = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::TimedOut { .. }))
        .count();

    // Calls more than half a wait apart belong to different rounds.
    let describes = api.describes.lock().unwrap();
    let mut rounds: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<Instant> = None;
    for (at, ids) in describes.iter() {
        if last.is_none_or(|l| at.duration_since(l) > WAIT / 2) {
            rounds.push((0, 0));
        }
        let round = rounds.last_mut().expect("pushed above");
        round.0 += 1;
        round.1 += ids;
        last = Some(*at);
    }
    let checks: usize = rounds.iter().map(|r| r.1).sum();
    println!("{jobs} jobs on a local queue running 8 at a time, {CHECKS} checks each, wait {WAIT:?}, PollGroup(100, linger 20 ms)");
    println!("  {timed_out} of {jobs} workflows ended TimedOut after {CHECKS} checks, as designed (their jobs were terminated)");
    for (i, (calls, ids)) in rounds.iter().enumerate() {
        println!(
            "  round {}: {calls} DescribeJobs calls for {ids} checks",
            i + 1
        );
    }
    let max_calls = rounds.iter().map(|r| r.0).max().unwrap_or(0);
    println!("  DescribeJobs calls per round: at most {max_calls} (target <= 100 for 10,000 jobs)");
    match cpu {
        Some(cpu) => {
            let engine_cpu = cpu.saturating_sub(*api.serving.lock().unwrap());
            println!(
                "  CPU: {:.2} s in all over {:.1} s; local Batch serving {:.2} s; engine {:.2} s = {:.1} µs per check",
                cpu.as_secs_f64(),
                wall.as_secs_f64(),
                api.serving.lock().unwrap().as_secs_f64(),
                engine_cpu.as_secs_f64(),
                engine_cpu.as_secs_f64() * 1e6 / checks.max(1) as f64
            );
        }
        None => println!("  CPU time unavailable (no /proc/self/stat)"),
    }
    let _ = std::fs::remove_dir_all(logs);
}
