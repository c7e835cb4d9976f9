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

use std::rc::Rc;
use std::time::Duration;

use pollflow::{
    Branch, Engine, Notifier, Outcome, Path, PollGroup, TokioClock, WaitPolicy, Workflow,
};
use pollflow_batch::samples::{FAILING_DEFINITION, NOTIFICATION_DEFINITION, NOTIFICATION_QUEUE};
use pollflow_batch::{BatchPoller, LocalNotifier};
use serde_json::json;

const USAGE: &str =
    "usage: manage_batch_job [--fail] [--jsonl PATH] [--job-queue QUEUE] [--job-definition DEF]
                        [--aws [--endpoint-url URL] [--topic-arn ARN]]

  --fail                    run a job that fails (exit code 3)
  --jsonl PATH              also append each notification to PATH as a JSON line
  --job-queue QUEUE         the job queue (name or ARN; default: the sample's)
  --job-definition DEF      the job definition (name or ARN; default: the sample's)
  --aws                     use AWS Batch (standard AWS configuration) instead of the local Batch;
                            needs `--features aws`
  --endpoint-url URL        send AWS requests to URL (an AWS-compatible server)
  --topic-arn ARN           publish the notifications to this SNS topic (with --aws)";

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
    let mut queue = format!("arn:aws:batch:us-east-1:123456789012:job-queue/{NOTIFICATION_QUEUE}");
    let mut definition =
        format!("arn:aws:batch:us-east-1:123456789012:job-definition/{NOTIFICATION_DEFINITION}:1");
    let mut local = LocalNotifier::new();
    let mut topic_arn = None;
    let mut backend = backend::BackendOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match backend.accept(&arg, &mut args) {
            Ok(true) => continue,
            Ok(false) => {}
            Err(message) => usage(&message),
        }
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--fail" => definition = FAILING_DEFINITION.into(),
            "--jsonl" => local = local.with_jsonl(value("--jsonl")),
            "--job-queue" => queue = value("--job-queue"),
            "--job-definition" => definition = value("--job-definition"),
            "--topic-arn" => topic_arn = Some(value("--topic-arn")),
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown option {other:?}")),
        }
    }

    let batch = backend
        .batch()
        .await
        .unwrap_or_else(|message| usage(&message));
    let notifier: Rc<dyn Notifier> = match topic_arn {
        None => Rc::new(local),
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

    let outcome = progress::follow(engine.start(input)).await;
    match outcome {
        Outcome::Succeeded { .. } => println!("execution SUCCEEDED"),
        other => {
            eprintln!("execution did not succeed: {other:?}");
            std::process::exit(1);
        }
    }
}

/// Publishes to SNS (`--aws --topic-arn ARN`).
async fn sns_notifier(backend: &backend::BackendOptions, topic: String) -> Rc<dyn Notifier> {
    #[cfg(feature = "aws")]
    if let Some(config) = backend.aws_config().await {
        return Rc::new(pollflow_batch::aws::SnsNotifier::new(&config, topic));
    }
    let _ = (backend, topic);
    usage("--topic-arn needs --aws (and the `aws` feature)")
}

fn usage(error: &str) -> ! {
    if !error.is_empty() {
        eprintln!("error: {error}\n");
    }
    eprintln!("{USAGE}");
    std::process::exit(if error.is_empty() { 0 } else { 2 });
}
