//! The Step Functions "Job Poller" sample, on the embedded local AWS Batch.
//!
//! Submit Job → Wait X Seconds → Get Job Status → Job Complete? → (loop | Job Failed |
//! Get Final Job Status), with the seed's input shape. The job is a real local process.
//!
//! ```text
//! cargo run --example job_poller                          # the sample job (~3 s), wait_time 1 s
//! cargo run --example job_poller -- --fail                # a job that exits 3
//! cargo run --example job_poller -- --wait-time 2 --seconds 5
//! cargo run --example job_poller -- --input '{"jobName":"my-job","jobDefinition":"...","jobQueue":"...","wait_time":1}'
//! cargo run --example job_poller -- --store run.db     # killed and run again: continues the run
//! cargo run --example job_poller -- --push --wait-time 30 --seconds 2   # done in ~2 s, not 30
//! cargo run --features aws --example job_poller -- --aws --events-queue URL --input '...'
//! ```
//!
//! It ends by printing `checks: N` on stderr: the status checks it made. With `--push` the
//! local Batch's job state-change events end each wait as soon as the job changes, and polling
//! is only the fallback; `--events-queue` does the same with AWS Batch's events, read from an
//! SQS queue that an EventBridge rule feeds (docs/push.md).

#[path = "common/backend.rs"]
mod backend;
#[path = "common/progress.rs"]
mod progress;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use backend::usage;
use clap::Parser;
use pollflow::store::SqliteStore;
use pollflow::workflow::{Arm, Choice};
use pollflow::{Engine, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::samples::{job_poller_input, FAILING_DEFINITION};
use pollflow_batch::{BatchApi, BatchPoller, JobEvents};
use serde_json::Value;

/// The Step Functions "Job Poller" sample, on the embedded local AWS Batch (or AWS Batch).
#[derive(Debug, Parser)]
#[command(name = "job_poller", version)]
struct Args {
    /// Execution input, in the seed's shape: {"jobName", "jobDefinition", "jobQueue",
    /// "wait_time"} (names or ARNs)
    #[arg(long, value_name = "JSON", conflicts_with = "input_file")]
    input: Option<String>,
    /// The same, from a file
    #[arg(long, value_name = "PATH")]
    input_file: Option<PathBuf>,
    /// How long to wait between checks (the seed uses 60; default 1)
    #[arg(long, value_name = "SECONDS")]
    wait_time: Option<u64>,
    /// How long the sample job runs (default 3)
    #[arg(long, value_name = "N")]
    seconds: Option<u32>,
    /// Run a job that fails (exit code 3)
    #[arg(long)]
    fail: bool,
    /// Keep the run in this SQLite file as it goes: if the file holds an unfinished run, continue
    /// that run (its job, its wait) instead of starting a new one. The embedded local Batch keeps
    /// its jobs beside it, in PATH.local-batch.json (a job the process was running runs again)
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
    /// Complete from the local Batch's job state-change events (pushed), polling only as the
    /// fallback
    #[arg(long, conflicts_with = "aws")]
    push: bool,
    /// With --aws: complete from AWS Batch's job state-change events, read from the SQS queue at
    /// URL (the target of an EventBridge rule, see docs/push.md), polling only as the fallback
    #[arg(long, value_name = "URL", requires = "aws")]
    events_queue: Option<String>,
    #[command(flatten)]
    backend: backend::BackendOptions,
}

impl Args {
    /// The execution input: `--input` or `--input-file` (default: the seed's, waiting 1 s),
    /// with the other flags applied.
    fn input(&self) -> Result<Value, String> {
        let mut input = match (&self.input, &self.input_file) {
            (Some(text), _) => serde_json::from_str(text).map_err(|e| format!("--input: {e}"))?,
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            (None, None) => job_poller_input(1),
        };
        let object = input
            .as_object_mut()
            .ok_or("the input must be a JSON object")?;
        if let Some(secs) = self.wait_time {
            object.insert("wait_time".into(), secs.into());
        }
        if let Some(secs) = self.seconds {
            object.insert(
                "parameters".into(),
                serde_json::json!({ "seconds": secs.to_string() }),
            );
        }
        if self.fail {
            object.insert("jobDefinition".into(), FAILING_DEFINITION.into());
        }
        Ok(input)
    }
}

/// The seed's state machine, with its state names.
fn job_poller(wait_time: Duration) -> Result<Workflow, pollflow::workflow::BuildError> {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(wait_time))
        .check("Get Job Status")
        .branch(
            "Job Complete?",
            Choice::new()
                .on_succeeded(Arm::succeed("Get Final Job Status"))
                .on_failed(Arm::fail("Job Failed", "States.TaskFailed")),
        )
        .build()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let input = args
        .input()
        .unwrap_or_else(|message| usage::<Args>(message));
    let Some(wait_time) = input.get("wait_time").and_then(Value::as_u64) else {
        usage::<Args>("the input needs \"wait_time\": a whole number of seconds");
    };
    let workflow =
        job_poller(Duration::from_secs(wait_time)).expect("the Job Poller workflow is valid");
    let journal = args.store.as_deref().map(local_batch_journal);
    let (batch, events) = if args.push {
        let local = backend::local_batch(journal.as_deref()).unwrap_or_else(|m| usage::<Args>(m));
        let events = local.subscribe();
        (Arc::new(local) as Arc<dyn BatchApi>, Some(events))
    } else {
        match args.backend.batch(journal.as_deref()).await {
            Ok(batch) => (batch, None),
            Err(message) => usage::<Args>(message),
        }
    };
    let mut engine = Engine::builder(
        workflow,
        PollGroup::lingering(
            BatchPoller::new(batch),
            100,
            TokioClock::new(),
            Duration::from_millis(20),
        ),
        TokioClock::new(),
    );
    if let Some(path) = &args.store {
        match SqliteStore::open(path) {
            Ok(store) => engine = engine.store(store),
            Err(e) => usage::<Args>(format!("--store: {e}")),
        }
    }
    if events.is_some() || args.events_queue.is_some() {
        engine = engine.push();
    }
    let engine = engine.build();
    if let Some(events) = events {
        tokio::spawn(push_statuses(events, engine.clone()));
    }
    let unfinished = match engine.recover().await {
        Ok(runs) => runs.into_iter().next(),
        Err(e) => usage::<Args>(format!("--store: {e}")),
    };
    // After recover: a queued event for a recovered run finds it.
    if let Some(queue_url) = &args.events_queue {
        deliver_sqs_events(&args.backend, queue_url, engine.clone()).await;
    }
    let run = match unfinished {
        Some(run) => {
            eprintln!(
                "continuing run {} from {}",
                run.id(),
                args.store.as_deref().unwrap_or(Path::new("")).display()
            );
            run
        }
        None => engine.start(input),
    };
    let (outcome, checks) = progress::follow(run).await;
    eprintln!("checks: {checks}");
    match outcome {
        Outcome::Succeeded { output } => {
            eprintln!(
                "Job {} SUCCEEDED. Final job detail:",
                output["jobId"].as_str().unwrap_or_default()
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&output).unwrap_or_default()
            );
        }
        Outcome::Failed { error } | Outcome::TimedOut { error } => {
            eprintln!("error: {}", error.error);
            match serde_json::from_str::<Value>(&error.cause) {
                Ok(detail) => {
                    eprintln!(
                        "cause: job {} {} ({})",
                        detail["jobId"].as_str().unwrap_or("?"),
                        detail["status"].as_str().unwrap_or("?"),
                        detail["statusReason"].as_str().unwrap_or("")
                    );
                    print_log_tail(&detail);
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&detail).unwrap_or_default()
                    );
                }
                Err(_) => eprintln!("cause: {}", error.cause),
            }
            std::process::exit(1);
        }
        Outcome::Aborted { job_cancelled } => {
            eprintln!(
                "aborted; the job was {}terminated",
                if job_cancelled { "" } else { "not " }
            );
            std::process::exit(130);
        }
    }
}

/// Delivers each job state-change event of the local Batch to the run polling that job.
async fn push_statuses(mut events: JobEvents, engine: Engine) {
    while let Some(event) = events.next().await {
        let (job, status) = event.job_status();
        engine.push_status(&job, status);
    }
}

/// Delivers AWS Batch's job state-change events from the SQS queue at `queue_url` to the runs
/// polling those jobs, in a task of its own.
#[cfg(feature = "aws")]
async fn deliver_sqs_events(backend: &backend::BackendOptions, queue_url: &str, engine: Engine) {
    let config = backend
        .aws_config()
        .await
        .expect("--events-queue requires --aws");
    let events = pollflow_batch::aws::SqsJobEvents::new(&config, queue_url);
    tokio::spawn(async move {
        let error = events.deliver_to(&engine).await;
        eprintln!("job events stopped ({error}); polling goes on");
    });
}

#[cfg(not(feature = "aws"))]
async fn deliver_sqs_events(_: &backend::BackendOptions, _: &str, _: Engine) {
    usage::<Args>(
        "--events-queue needs the `aws` feature: cargo run --features aws --example job_poller ...",
    );
}

/// Where the embedded local Batch keeps its jobs beside the run's store.
fn local_batch_journal(store: &Path) -> PathBuf {
    let mut path = store.as_os_str().to_owned();
    path.push(".local-batch.json");
    PathBuf::from(path)
}

/// Shows the end of the failed job's output.
fn print_log_tail(detail: &Value) {
    let Some(log) = detail["container"]["logStreamName"].as_str() else {
        return;
    };
    if let Ok(text) = std::fs::read_to_string(log) {
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("last lines of {log}:");
        for line in &lines[lines.len().saturating_sub(5)..] {
            eprintln!("  | {line}");
        }
    }
}
