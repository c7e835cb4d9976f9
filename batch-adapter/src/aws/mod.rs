//! AWS Batch, Amazon SNS, Batch's job state-change events through Amazon SQS, and AWS Step
//! Functions, with the AWS SDK (feature `aws`).

mod batch;
mod convert;
mod errors;
mod sns;
mod sqs_job_events;
mod step_functions;

use pollflow::task::Tasks;

use crate::integrations::{batch_tasks, SNS_PUBLISH};

pub use batch::AwsBatch;
pub use sns::{SnsNotifier, SnsPublishTask};
pub use sqs_job_events::{Received, SqsError, SqsJobEvents};
pub use step_functions::{Deployed, ExecutionEvents, SfnError, StepFunctions};

/// Loads AWS configuration the standard way (environment, profile, SSO, IMDS...), with an
/// optional endpoint URL override (for example an AWS-compatible server on loopback).
///
/// Retries use the SDK's standard mode with up to 5 attempts: a throttled or failed
/// DescribeJobs call is retried with jittered exponential backoff, and every execution whose
/// check rides in that batch waits with it — a throttled poll group slows down as a whole
/// instead of failing runs. What still fails after that reaches the Check state's own retry
/// policy as a transient error. (The SDK's adaptive mode also works — pass your own
/// `SdkConfig` to [`AwsBatch::new`] — but its client-side rate limiter reacts to a few
/// throttles at low request rates by waiting many seconds.)
///
/// ```no_run
/// # async fn demo() {
/// use pollflow_batch::aws::{load_config, AwsBatch};
///
/// // AWS itself, as the environment says (AWS_REGION, AWS_PROFILE, ...):
/// let aws = load_config(None).await;
/// // An AWS-compatible server on loopback (moto, LocalStack):
/// let local = load_config(Some("http://127.0.0.1:5000")).await;
/// let batch = AwsBatch::new(&local);
/// # let _ = (aws, batch); }
/// ```
pub async fn load_config(endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5));
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// Step Functions' service integrations on AWS, for ASL definitions run locally: Batch
/// (`batch:submitJob`, `batch:submitJob.sync`) through [`AwsBatch`], and `sns:publish` to
/// each state's topic through [`SnsPublishTask`].
pub fn service_tasks(config: &aws_config::SdkConfig) -> Tasks {
    batch_tasks(AwsBatch::new(config)).handler(SNS_PUBLISH, SnsPublishTask::new(config))
}
