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
//! ```

#[path = "common/backend.rs"]
mod backend;
#[path = "common/progress.rs"]
mod progress;

use std::time::Duration;

use pollflow::{Branch, Engine, Outcome, Path, PollGroup, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::samples::{job_poller_input, FAILING_DEFINITION};
use pollflow_batch::BatchPoller;
use serde_json::Value;

const USAGE: &str = "\
usage: job_poller [--input JSON | --input-file PATH] [--wait-time SECONDS] [--seconds N] [--fail]
                  [--aws [--endpoint-url URL]]

  --input JSON        execution input, in the seed's shape:
                      {\"jobName\", \"jobDefinition\", \"jobQueue\", \"wait_time\"} (names or ARNs)
  --input-file PATH   the same, from a file
  --wait-time SECONDS how long to wait between checks (the seed uses 60; default 1)
  --seconds N         how long the sample job runs (default 3)
  --fail              run a job that fails (exit code 3)
  --aws               use AWS Batch (the standard AWS configuration: env, profile, region)
                      instead of the embedded local Batch; needs `--features aws`
  --endpoint-url URL  send AWS requests to URL (an AWS-compatible server)";

struct Options {
    input: Value,
    backend: backend::BackendOptions,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut input = job_poller_input(1);
    let mut args = args.peekable();
    let mut overrides: Vec<(String, Value)> = Vec::new();
    let mut backend = backend::BackendOptions::default();
    while let Some(arg) = args.next() {
        if backend.accept(&arg, &mut args)? {
            continue;
        }
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--input" => {
                input =
                    serde_json::from_str(&value("--input")?).map_err(|e| format!("--input: {e}"))?
            }
            "--input-file" => {
                let path = value("--input-file")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                input = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            }
            "--wait-time" => {
                let secs: u64 = value("--wait-time")?
                    .parse()
                    .map_err(|_| "--wait-time takes whole seconds")?;
                overrides.push(("wait_time".into(), secs.into()));
            }
            "--seconds" => {
                let secs: u32 = value("--seconds")?
                    .parse()
                    .map_err(|_| "--seconds takes a whole number")?;
                overrides.push((
                    "parameters".into(),
                    serde_json::json!({ "seconds": secs.to_string() }),
                ));
            }
            "--fail" => overrides.push(("jobDefinition".into(), FAILING_DEFINITION.into())),
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let object = input
        .as_object_mut()
        .ok_or("the input must be a JSON object")?;
    object.extend(overrides);
    Ok(Options { input, backend })
}

/// The seed's state machine, with its state names.
fn job_poller(wait_time: Duration) -> Result<Workflow, pollflow::BuildError> {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(wait_time))
        .check("Get Job Status")
        .branch(
            "Job Complete?",
            Branch::new()
                .on_succeeded(Path::succeed("Get Final Job Status"))
                .on_failed(Path::fail("Job Failed", "States.TaskFailed")),
        )
        .build()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            std::process::exit(if message.is_empty() { 0 } else { 2 });
        }
    };
    let Some(wait_time) = options.input.get("wait_time").and_then(Value::as_u64) else {
        eprintln!("error: the input needs \"wait_time\": a whole number of seconds\n\n{USAGE}");
        std::process::exit(2);
    };
    let workflow =
        job_poller(Duration::from_secs(wait_time)).expect("the Job Poller workflow is valid");
    let batch = match options.backend.batch().await {
        Ok(batch) => batch,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    };
    let engine = Engine::new(
        workflow,
        PollGroup::lingering(
            BatchPoller::new(batch),
            100,
            TokioClock::new(),
            Duration::from_millis(20),
        ),
        TokioClock::new(),
    );

    let outcome = progress::follow(engine.start(options.input)).await;
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
