//! Push versus poll: 1,000 Job Poller runs on the local Batch, each job a 1 s process (100 at
//! a time, so most wait in RUNNABLE first), with the same wait policy: 2 s between checks, and
//! 60 s after a check whose status was pushed (`with_pushed_delay`). Polling only, then with
//! the local Batch's job state-change events pushed to the engine (polling stays as the
//! fallback); passes alternate, twice each.
//!
//! Prints, per pass: status checks per job (DescribeJobs ids asked for), the most any one job
//! had, and the completion lag — from the job's end (`stoppedAt`) to its run's end — at the
//! median and the 99th percentile.
//!
//! ```text
//! cargo bench -p pollflow-batch --bench push_vs_poll            # 1,000 jobs, ~1 min
//! cargo bench -p pollflow-batch --bench push_vs_poll -- 200
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::stream::{FuturesUnordered, StreamExt};
use pollflow::workflow::Choice;
use pollflow::{async_trait, Engine, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::model::{JobDetail, SubmitJobRequest, SubmitJobResponse};
use pollflow_batch::{BatchApi, BatchError, BatchPoller, JobDefinition, JobQueue, LocalBatch};
use serde_json::json;

/// The fallback interval: the wait between checks, with or without push.
const INTERVAL: Duration = Duration::from_secs(2);
/// The wait after a pushed status (the same policy in both modes; only push has them).
const PUSHED_DELAY: Duration = Duration::from_secs(60);
const CONCURRENCY: usize = 100;

/// The local Batch, with the job ids of each DescribeJobs call counted.
struct Counted {
    batch: LocalBatch,
    checks: Mutex<HashMap<String, u32>>,
}

#[async_trait]
impl BatchApi for Counted {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        self.batch.submit_job(request).await
    }
    async fn describe_jobs(&self, ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        {
            let mut checks = self.checks.lock().unwrap();
            for id in ids {
                *checks.entry(id.clone()).or_default() += 1;
            }
        }
        self.batch.describe_jobs(ids).await
    }
    async fn terminate_job(&self, id: &str, reason: &str) -> Result<(), BatchError> {
        self.batch.terminate_job(id, reason).await
    }
}

struct Pass {
    checks_per_job: f64,
    most_checks: u32,
    lag_p50: Duration,
    lag_p99: Duration,
    wall: Duration,
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(u64::MAX)
}

async fn pass(jobs: usize, push: bool) -> Pass {
    let logs = std::env::temp_dir().join("pollflow-push-bench");
    let batch = LocalBatch::new()
        .with_log_dir(&logs)
        .with_queue(JobQueue::new("q", CONCURRENCY))
        .with_definition(JobDefinition::shell("second", "sleep 1"));
    let mut events = push.then(|| batch.subscribe());
    let api = Arc::new(Counted {
        batch,
        checks: Mutex::default(),
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
            WaitPolicy::fixed(INTERVAL).with_pushed_delay(PUSHED_DELAY),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("valid workflow");
    let mut engine = Engine::builder(workflow, poller, TokioClock::new());
    if push {
        engine = engine.push();
    }
    let engine = engine.build();
    let pusher = events.take().map(|mut events| {
        let engine = engine.clone();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let (job, status) = event.job_status();
                engine.push_status(&job, status);
            }
        })
    });
    let input = Arc::new(json!({"jobName": "bench", "jobQueue": "q", "jobDefinition": "second"}));
    let started = std::time::Instant::now();
    let mut runs: FuturesUnordered<_> = (0..jobs)
        .map(|_| {
            let run = engine.start_shared(input.clone()).outcome();
            async move { (run.await, now_ms()) }
        })
        .collect();
    let mut lags = Vec::with_capacity(jobs);
    while let Some((outcome, ended_ms)) = runs.next().await {
        let Outcome::Succeeded { output } = outcome else {
            panic!("a run did not succeed: {outcome:?}");
        };
        let stopped = output["stoppedAt"]
            .as_u64()
            .expect("a finished job has stoppedAt");
        lags.push(Duration::from_millis(ended_ms.saturating_sub(stopped)));
    }
    let wall = started.elapsed();
    if let Some(pusher) = pusher {
        pusher.abort();
    }
    lags.sort();
    let checks = api.checks.lock().unwrap();
    let total: u32 = checks.values().sum();
    Pass {
        checks_per_job: f64::from(total) / jobs as f64,
        most_checks: checks.values().copied().max().unwrap_or(0),
        lag_p50: lags[lags.len() / 2],
        lag_p99: lags[(lags.len() * 99 / 100).min(lags.len() - 1)],
        wall,
    }
}

fn main() {
    let jobs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "{jobs} jobs of 1 s on the local Batch ({CONCURRENCY} at a time), {} s between checks \
         ({} s after a pushed status)",
        INTERVAL.as_secs(),
        PUSHED_DELAY.as_secs()
    );
    println!("pass   mode  checks/job  most  lag p50   lag p99   wall");
    for round in 1..=2 {
        for push in [false, true] {
            let p = runtime.block_on(pass(jobs, push));
            println!(
                "{round}      {:<5} {:>10.2}  {:>4}  {:>6} ms  {:>6} ms  {:.1} s",
                if push { "push" } else { "poll" },
                p.checks_per_job,
                p.most_checks,
                p.lag_p50.as_millis(),
                p.lag_p99.as_millis(),
                p.wall.as_secs_f64(),
            );
        }
    }
}
