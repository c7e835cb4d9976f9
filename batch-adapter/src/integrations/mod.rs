//! Step Functions' service integrations, as pollflow task handlers: the Task states of
//! Amazon States Language definitions (`arn:aws:states:::batch:submitJob.sync`,
//! `arn:aws:states:::batch:submitJob`, `arn:aws:states:::sns:publish`) run against any
//! [`BatchApi`] and [`Notifier`].

mod batch;
mod case;
mod sns;

use pollflow::task::Tasks;
use pollflow::{Notifier, PollGroup};

use crate::api::{BatchApi, DESCRIBE_JOBS_MAX};
use crate::poller::BatchPoller;
use batch::{SubmitBatchJob, SyncBatchJob};
#[cfg(feature = "aws")]
pub(crate) use sns::Publish;
use sns::SnsPublish;

/// `batch:submitJob` and its `.sync` form.
pub const BATCH_SUBMIT_JOB: &str = "arn:aws:states:::batch:submitJob";
/// `batch:submitJob.sync`: submit, then wait for the job to end.
pub const BATCH_SUBMIT_JOB_SYNC: &str = "arn:aws:states:::batch:submitJob.sync";
/// `sns:publish`.
pub const SNS_PUBLISH: &str = "arn:aws:states:::sns:publish";

/// Handlers for the Batch and SNS integrations: `.sync` jobs are checked through one
/// [`PollGroup`] (DescribeJobs for up to 100 jobs per call, across every execution); SNS
/// messages go to `notifier`.
///
/// As in Step Functions, parameters and results use the service's field names in PascalCase
/// (`JobName`, `JobQueue`, `ContainerOverrides`; the result of a `.sync` job is its
/// DescribeJobs detail: `Status`, `Attempts`, `Container`...). A FAILED job fails the state
/// with `States.TaskFailed`, its detail as the cause.
///
/// ```
/// use pollflow::{Engine, Outcome, TokioClock, Workflow};
/// use pollflow_batch::integrations::service_tasks;
/// use pollflow_batch::{JobDefinition, JobQueue, LocalBatch, LocalNotifier};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let definition = json!({
///     "StartAt": "Run",
///     "States": {
///         "Run": {
///             "Type": "Task",
///             "Resource": "arn:aws:states:::batch:submitJob.sync",
///             "Parameters": { "JobName": "hello", "JobQueue": "q", "JobDefinition": "hello" },
///             "End": true
///         }
///     }
/// });
/// let batch = LocalBatch::new()
///     .with_queue(JobQueue::new("q", 1))
///     .with_definition(JobDefinition::shell("hello", "echo hello"));
/// let tasks = service_tasks(batch, LocalNotifier::new());
/// let workflow = Workflow::from_asl(&definition.to_string(), "Hello")?;
/// let engine = Engine::with_tasks(workflow, tasks, TokioClock::new()).build();
/// match engine.start(json!({})).outcome().await {
///     // The job's DescribeJobs detail, in PascalCase.
///     Outcome::Succeeded { output } => assert_eq!(output["Status"], "SUCCEEDED"),
///     other => panic!("{other:?}"),
/// }
/// # Ok(()) }
/// ```
pub fn service_tasks<B, N>(api: B, notifier: N) -> Tasks
where
    B: BatchApi + Clone + 'static,
    N: Notifier + 'static,
{
    batch_tasks(api).handler(SNS_PUBLISH, SnsPublish::new(notifier))
}

/// The Batch handlers of [`service_tasks`] alone (`batch:submitJob` and its `.sync` form).
pub fn batch_tasks<B>(api: B) -> Tasks
where
    B: BatchApi + Clone + 'static,
{
    let jobs = PollGroup::new(BatchPoller::new(api.clone()), DESCRIBE_JOBS_MAX);
    Tasks::new()
        .job(BATCH_SUBMIT_JOB_SYNC, SyncBatchJob(jobs))
        .handler(BATCH_SUBMIT_JOB, SubmitBatchJob(api))
}
