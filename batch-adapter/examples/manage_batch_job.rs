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

#[path = "common/backend.rs"]
mod backend;
#[path = "common/progress.rs"]
mod progress;

use std::sync::Arc;
use std::time::Duration;

use backend::usage;
use clap::Parser;
use pollflow::workflow::{Arm, Choice};
use pollflow::{Engine, Notifier, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::samples::{FAILING_DEFINITION, NOTIFICATION_DEFINITION, NOTIFICATION_QUEUE};
use pollflow_batch::{BatchPoller, LocalNotifier};
use serde_json::json;

/// The Step Functions "Manage a Batch Job" sample: run a Batch job, notify how it went.
#[derive(Debug, Parser)]
#[command(name = "manage_batch_job", version)]
struct Args {
    /// Run a job that fails (exit code 3)
    #[arg(long, conflicts_with = "job_definition")]
    fail: bool,
    /// Also append each notification to PATH as a JSON line
    #[arg(long, value_name = "PATH")]
    jsonl: Option<String>,
    /// The job queue (name or ARN; default: the sample's)
    #[arg(long, value_name = "QUEUE")]
    job_queue: Option<String>,
    /// The job definition (name or ARN; default: the sample's)
    #[arg(long, value_name = "DEF")]
    job_definition: Option<String>,
    /// Publish the notifications to this SNS topic (with --aws)
    #[arg(long, value_name = "ARN", requires = "aws")]
    topic_arn: Option<String>,
    #[command(flatten)]
    backend: backend::BackendOptions,
}

/// The seed's state machine. `.sync` polling is the wait/check loop (every 1 s here).
fn manage_batch_job() -> Result<Workflow, pollflow::workflow::BuildError> {
    let failure = || {
        Arm::notify(
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
            Choice::new()
                .on_succeeded(
                    Arm::notify(
                        "Notify Success",
                        "Batch job submitted through Step Functions succeeded",
                    )
                    .then_succeed("Success Notified"),
                )
                .on_failed(Arm::goto("Notify Failure"))
                .on_error(failure()),
        )
        .build()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let queue = args.job_queue.unwrap_or_else(|| {
        format!("arn:aws:batch:us-east-1:123456789012:job-queue/{NOTIFICATION_QUEUE}")
    });
    let definition = match (args.fail, args.job_definition) {
        (true, _) => FAILING_DEFINITION.to_owned(),
        (false, Some(definition)) => definition,
        (false, None) => format!(
            "arn:aws:batch:us-east-1:123456789012:job-definition/{NOTIFICATION_DEFINITION}:1"
        ),
    };
    let local = match args.jsonl {
        Some(path) => LocalNotifier::new().with_jsonl(path),
        None => LocalNotifier::new(),
    };
    let backend = args.backend;
    let batch = backend
        .batch(None)
        .await
        .unwrap_or_else(|message| usage::<Args>(&message));
    let notifier: Arc<dyn Notifier> = match args.topic_arn {
        None => Arc::new(local),
        Some(topic) => sns_notifier(&backend, topic).await,
    };
    let workflow = manage_batch_job().expect("the Manage a Batch Job workflow is valid");
    let poller = PollGroup::lingering(
        BatchPoller::new(batch),
        100,
        TokioClock::new(),
        Duration::from_millis(20),
    );
    let engine = Engine::builder(workflow, poller, TokioClock::new())
        .notifier(notifier)
        .build();
    let input = json!({ "jobName": "BatchJobNotification", "jobQueue": queue, "jobDefinition": definition });

    let (outcome, _checks) = progress::follow(engine.start(input)).await;
    match outcome {
        Outcome::Succeeded { .. } => println!("execution SUCCEEDED"),
        other => {
            eprintln!("execution did not succeed: {other:?}");
            std::process::exit(1);
        }
    }
}

/// Publishes to SNS (`--aws --topic-arn ARN`).
async fn sns_notifier(backend: &backend::BackendOptions, topic: String) -> Arc<dyn Notifier> {
    #[cfg(feature = "aws")]
    if let Some(config) = backend.aws_config().await {
        return Arc::new(pollflow_batch::aws::SnsNotifier::new(&config, topic));
    }
    let _ = (backend, topic);
    usage::<Args>("--topic-arn needs --aws (and the `aws` feature)")
}
