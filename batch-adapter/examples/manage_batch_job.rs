//! The Step Functions "Manage a Batch Job" sample (seed 002), on the embedded local Batch.
//!
//! Submit Batch Job (and wait for it, as `batch:submitJob.sync` does) → Notify Success; on
//! any error (`Catch: States.ALL`) → Notify Failure. As in the sample, the execution itself
//! succeeds either way: the notification tells which way the job went.
//!
//! ```text
//! cargo run --example manage_batch_job
//! cargo run --example manage_batch_job -- --fail --jsonl notifications.jsonl
//! ```

#[path = "common/progress.rs"]
mod progress;

use std::time::Duration;

use futures::StreamExt;
use pollflow::{Branch, Engine, Outcome, Path, PollGroup, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::samples::{
    sample_config, FAILING_DEFINITION, NOTIFICATION_DEFINITION, NOTIFICATION_QUEUE,
};
use pollflow_batch::{BatchPoller, LocalBatch, LocalNotifier};
use serde_json::json;

const USAGE: &str = "usage: manage_batch_job [--fail] [--jsonl PATH]

  --fail        run a job that fails (exit code 3)
  --jsonl PATH  also append each notification to PATH as a JSON line";

/// The seed's state machine. `.sync` polling is the wait/check loop (every 1 s here).
fn manage_batch_job() -> Result<Workflow, pollflow::BuildError> {
    let failure = || {
        Path::notify(
            "Notify Failure",
            "Batch job submitted through Step Functions failed",
        )
        .then_succeed("Failure Notified")
    };
    Workflow::builder("Manage a Batch Job")
        .submit("Submit Batch Job")
        .wait(
            "Wait for Batch Job",
            WaitPolicy::fixed(Duration::from_secs(1)).with_max_wait(Duration::from_secs(3600)),
        )
        .check("Get Batch Job Status")
        .branch(
            "Batch Job Complete?",
            Branch::new()
                .on_succeeded(
                    Path::notify(
                        "Notify Success",
                        "Batch job submitted through Step Functions succeeded",
                    )
                    .then_succeed("Success Notified"),
                )
                .on_failed(Path::goto("Notify Failure"))
                .on_error(failure()),
        )
        .build()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut definition = NOTIFICATION_DEFINITION;
    let mut notifier = LocalNotifier::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fail" => definition = FAILING_DEFINITION,
            "--jsonl" => match args.next() {
                Some(path) => notifier = notifier.with_jsonl(path),
                None => usage("--jsonl needs a path"),
            },
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown option {other:?}")),
        }
    }

    let batch = LocalBatch::from_config(sample_config());
    let workflow = manage_batch_job().expect("the Manage a Batch Job workflow is valid");
    let engine = Engine::builder(
        workflow,
        PollGroup::lingering(
            BatchPoller::new(batch),
            100,
            TokioClock::new(),
            Duration::from_millis(20),
        ),
        TokioClock::new(),
    )
    .notifier(notifier)
    .build();
    let input = json!({
        "jobName": "BatchJobNotification",
        "jobQueue": format!("arn:aws:batch:us-east-1:123456789012:job-queue/{NOTIFICATION_QUEUE}"),
        "jobDefinition": format!("arn:aws:batch:us-east-1:123456789012:job-definition/{definition}:1"),
    });

    let mut progress = progress::Progress::new();
    let mut run = engine.start(input);
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            event = run.next() => match event {
                Some(event) => progress.event(&event),
                None => break,
            },
            _ = ticks.tick() => progress.tick(),
        }
    }
    progress.finish();
    match run.finished() {
        Some(Outcome::Succeeded { .. }) => println!("execution SUCCEEDED"),
        other => {
            eprintln!("execution did not succeed: {other:?}");
            std::process::exit(1);
        }
    }
}

fn usage(error: &str) -> ! {
    if !error.is_empty() {
        eprintln!("error: {error}\n");
    }
    eprintln!("{USAGE}");
    std::process::exit(if error.is_empty() { 0 } else { 2 });
}
