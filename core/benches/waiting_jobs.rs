//! Resident memory per waiting job: pollflow runs against what services write today.
//!
//! 200,000 jobs, each submitted, then checked every 60 s on the tokio clock (paused: time
//! jumps when every task waits), each job done on its third check. Two ways, one tokio task
//! per job either way:
//! - pollflow: `tokio::spawn(engine.start(input).outcome())` (`TokioClock`, the Job Poller);
//! - a hand-written loop: `submit`, then `loop { sleep(60 s).await; check }`, with the same
//!   `Poller`.
//!
//! Each variant runs in a process of its own (a process's RSS does not shrink when memory is
//! freed), the passes alternating; a pass measures the growth of the resident set (`VmRSS`)
//! from before the jobs are spawned to when all of them wait, divided by the jobs; then again
//! when every job has been checked once and waits for its second check (what a waiting job
//! holds most of its life). Then it lets them finish and checks that every one succeeded.
//!
//! ```text
//! cargo bench -p pollflow --features tokio --bench waiting_jobs            # 200,000 jobs
//! cargo bench -p pollflow --features tokio --bench waiting_jobs -- 20000   # fewer
//! ```

use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use pollflow::run::OutcomeFuture;
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, JobStatus, Outcome, Poller, Run, TaskError, TokioClock,
    WaitPolicy, Workflow,
};
use serde_json::{json, Value};

const PASSES: usize = 3;
const CHECKS_PER_JOB: u8 = 3;
const EVERY: Duration = Duration::from_secs(60);

/// A batch service in memory: job `i` succeeds on its third check.
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
            JobStatus::succeeded(handle.clone())
        } else {
            JobStatus::pending("RUNNING")
        })
    }
}

/// The resident set, in bytes (Linux).
fn resident() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

/// The hand-written loop: submit, then sleep and check until the job is done.
async fn hand_written(service: Arc<Service>, input: Arc<Value>, done: Arc<AtomicUsize>) {
    let Ok(handle) = service.submit(&input).await else {
        return;
    };
    loop {
        tokio::time::sleep(EVERY).await;
        match service.check(&handle).await {
            Ok(JobStatus::Pending { .. }) | Err(CheckError::Transient(_)) => continue,
            Ok(JobStatus::Succeeded { .. }) => break,
            _ => return,
        }
    }
    done.fetch_add(1, Ordering::Relaxed);
}

/// A pollflow run, counted when it succeeds: `run.outcome()`, as a service spawns it (an
/// `async move` block would hold the `Run` beside its `OutcomeFuture`).
fn pollflow_run(run: Run, done: Arc<AtomicUsize>) -> impl Future<Output = ()> + Send {
    run.outcome().map(move |outcome| {
        if let Outcome::Succeeded { .. } = outcome {
            done.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// One pass in this process: bytes of resident memory per waiting job, at the first wait and
/// after the first check.
fn pass(variant: &str, jobs: usize) -> (f64, f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let service = Arc::new(Service {
            submitted: AtomicUsize::new(0),
            checks: (0..jobs).map(|_| AtomicU8::new(0)).collect(),
        });
        let workflow = Workflow::builder("Job Poller")
            .submit("Submit Job")
            .wait("Wait X Seconds", WaitPolicy::fixed(EVERY))
            .check("Get Job Status")
            .branch("Job Complete?", Choice::new())
            .build()
            .expect("valid workflow");
        let engine = Engine::new(workflow, service.clone(), TokioClock::new());
        let input = Arc::new(json!({"jobName": "my-job", "jobQueue": "q", "jobDefinition": "d"}));
        let done = Arc::new(AtomicUsize::new(0));
        let before = resident();
        for _ in 0..jobs {
            let done = done.clone();
            match variant {
                "pollflow" => {
                    let run = engine.start_shared(input.clone());
                    drop(tokio::spawn(pollflow_run(run, done)));
                }
                _ => drop(tokio::spawn(hand_written(
                    service.clone(),
                    input.clone(),
                    done,
                ))),
            }
        }
        // Every task runs up to its first sleep (time stands still while this task runs).
        while service.submitted.load(Ordering::Relaxed) < jobs {
            tokio::task::yield_now().await;
        }
        tokio::task::yield_now().await;
        let waiting = resident();
        // Past the first round of checks (due at EVERY), when every job waits again.
        tokio::time::sleep(EVERY + Duration::from_millis(1)).await;
        tokio::task::yield_now().await;
        let checked = resident();
        // Let them finish: each job is checked three times, a minute apart.
        while done.load(Ordering::Relaxed) < jobs {
            tokio::time::sleep(EVERY).await;
        }
        assert_eq!(done.load(Ordering::Relaxed), jobs, "every job succeeded");
        let per_job = |at: usize| at.saturating_sub(before) as f64 / jobs as f64;
        (per_job(waiting), per_job(checked))
    })
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let first = args.next();
    if first.as_deref() == Some("--pass") {
        let variant = args.next().expect("a variant");
        let jobs: usize = args.next().and_then(|j| j.parse().ok()).expect("jobs");
        let (waiting, checked) = pass(&variant, jobs);
        println!("{waiting} {checked}");
        return;
    }
    let jobs: usize = first
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(200_000);
    println!(
        "{jobs} jobs waiting {} s between checks on the tokio clock (paused), one task per job",
        EVERY.as_secs()
    );
    println!(
        "sizes: Run {} B, OutcomeFuture {} B, pollflow task future {} B; tokio Sleep {} B, hand-written task future {} B",
        std::mem::size_of::<Run>(),
        std::mem::size_of::<OutcomeFuture>(),
        size_of_future(pollflow_run),
        std::mem::size_of::<tokio::time::Sleep>(),
        std::mem::size_of_val(&hand_written(
            Arc::new(Service {
                submitted: AtomicUsize::new(0),
                checks: Vec::new()
            }),
            Arc::new(Value::Null),
            Arc::default()
        )),
    );
    let me = std::env::current_exe().expect("this benchmark's path");
    let mut measured: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..PASSES {
        for (variant, results) in ["pollflow", "loop"].into_iter().zip(&mut measured) {
            let out = Command::new(&me)
                .args(["--pass", variant, &jobs.to_string()])
                .output()
                .expect("a pass runs");
            assert!(
                out.status.success(),
                "{variant}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let bytes: Vec<f64> = stdout
                .split_whitespace()
                .map(|b| b.parse().expect("bytes per job"))
                .collect();
            results.push((bytes[0], bytes[1]));
        }
    }
    for (label, results) in ["pollflow runs", "hand-written loop"]
        .into_iter()
        .zip(measured)
    {
        let (waiting, checked): (Vec<f64>, Vec<f64>) = results.into_iter().unzip();
        println!(
            "{label:>18}: {} resident per waiting job; after a check, {}",
            median_and_passes(waiting),
            median_and_passes(checked),
        );
    }
}

/// "median B (median of N passes: a, b, c)".
fn median_and_passes(mut bytes: Vec<f64>) -> String {
    bytes.sort_by(f64::total_cmp);
    let passes: Vec<String> = bytes.iter().map(|b| format!("{b:.0}")).collect();
    format!(
        "{:.0} B (median of {PASSES} passes: {})",
        bytes[PASSES / 2],
        passes.join(", ")
    )
}

/// The size of the future `make` returns (without running it).
fn size_of_future<F: Future>(make: impl Fn(Run, Arc<AtomicUsize>) -> F) -> usize {
    let _ = &make;
    std::mem::size_of::<F>()
}
