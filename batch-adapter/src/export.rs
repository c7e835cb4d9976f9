//! Export options for workflows whose poller is a [`BatchPoller`](crate::BatchPoller).

use pollflow::asl::{ExportOptions, JobTasks};
use serde_json::json;

use crate::integrations::BATCH_SUBMIT_JOB_SYNC;

/// Export options for a builder workflow polled by a [`BatchPoller`](crate::BatchPoller): each
/// Submit → Wait → Check loop becomes one `batch:submitJob.sync` Task, so Step Functions waits
/// for the job itself (no Lambda function, no polling of your own), and Notify states publish
/// to `topic_arn`.
///
/// The Task builds the request from the execution input's `jobName`, `jobQueue` and
/// `jobDefinition`, the fields `BatchPoller` reads. Its result is Step Functions' job
/// description, whose fields are `PascalCase` (`JobId`, `Status`), where `BatchPoller`'s detail
/// is the `camelCase` of the Batch API.
///
/// ```
/// use std::time::Duration;
/// use pollflow::asl::to_asl;
/// use pollflow::workflow::Choice;
/// use pollflow::{WaitPolicy, Workflow};
///
/// let workflow = Workflow::builder("Job Poller")
///     .submit("Submit Job")
///     .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
///     .check("Get Job Status")
///     .branch("Job Complete?", Choice::new())
///     .build()?;
/// let options = pollflow_batch::batch_sync_export("arn:aws:sns:us-east-1:123456789012:jobs");
/// let asl = to_asl(workflow.graph(), &options)?;
/// assert_eq!(asl["States"]["Submit Job"]["Resource"], "arn:aws:states:::batch:submitJob.sync");
/// assert_eq!(asl["States"]["Submit Job"]["Next"], "Job Complete?");
/// assert!(asl["States"].get("Wait X Seconds").is_none());
/// # Ok::<(), pollflow::workflow::BuildError>(())
/// ```
pub fn batch_sync_export(topic_arn: impl Into<String>) -> ExportOptions {
    ExportOptions {
        jobs: JobTasks::Sync {
            resource: BATCH_SUBMIT_JOB_SYNC.into(),
            parameters: json!({
                "JobName.$": "$.jobName",
                "JobQueue.$": "$.jobQueue",
                "JobDefinition.$": "$.jobDefinition",
            }),
        },
        topic_arn: topic_arn.into(),
    }
}
