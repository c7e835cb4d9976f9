//! The resources of the Step Functions sample projects, for the local Batch.
//!
//! The seed inputs name their queue and definition by ARN; registering these names lets
//! those inputs run unchanged.

use async_trait::async_trait;
use pollflow::{TaskError, TaskHandler, Tasks};
use serde_json::{json, Value};

use crate::api::BatchApi;
use crate::local::{JobDefinition, JobQueue, LocalBatchConfig};
use crate::model::SubmitJobRequest;

/// The Job Poller sample's queue.
pub const SAMPLE_QUEUE: &str = "SampleJobQueue-4d9d696031e1449";
/// The Job Poller sample's definition: prints a line a second for `Ref::seconds` seconds (default 3).
pub const SAMPLE_DEFINITION: &str = "SampleJobDefinition-343f54b445d5312";
/// A definition that fails: exit code 3 after 2 seconds, with a message on stderr.
pub const FAILING_DEFINITION: &str = "FailingJobDefinition";
/// The Manage a Batch Job sample's queue.
pub const NOTIFICATION_QUEUE: &str = "BatchJobQueue-7049d367474b4dd";
/// The Manage a Batch Job sample's definition (the same job as [`SAMPLE_DEFINITION`]).
pub const NOTIFICATION_DEFINITION: &str = "BatchJobDefinition-74d55ec34c4643c";

/// Queues (two jobs at a time each) and definitions of both samples.
pub fn sample_config() -> LocalBatchConfig {
    let sample_job =
        "for i in $(seq 1 Ref::seconds); do echo \"step $i of Ref::seconds\"; sleep 1; done";
    LocalBatchConfig {
        job_queues: vec![
            JobQueue::new(SAMPLE_QUEUE, 2),
            JobQueue::new(NOTIFICATION_QUEUE, 2),
        ],
        job_definitions: vec![
            JobDefinition::shell(SAMPLE_DEFINITION, sample_job).parameter("seconds", "3"),
            JobDefinition::shell(NOTIFICATION_DEFINITION, sample_job).parameter("seconds", "3"),
            JobDefinition::shell(
                FAILING_DEFINITION,
                "echo starting; sleep 2; echo 'error: out of disk space' >&2; exit 3",
            ),
        ],
    }
}

/// The Job Poller sample's input (seed 001), with `wait_time` in seconds.
pub fn job_poller_input(wait_time: u64) -> Value {
    json!({
        "jobName": "my-job",
        "jobDefinition": format!("arn:aws:batch:us-east-2:123456789012:job-definition/{SAMPLE_DEFINITION}:1"),
        "jobQueue": format!("arn:aws:batch:us-east-2:123456789012:job-queue/{SAMPLE_QUEUE}"),
        "wait_time": wait_time
    })
}

/// The Job Poller sample's `SubmitJob` Lambda function, as its state machine names it.
pub const SUBMIT_JOB_FUNCTION: &str = "arn:aws:lambda:REGION:ACCOUNT_ID:function:SubmitJob";
/// The Job Poller sample's `CheckJob` Lambda function, as its state machine names it.
pub const CHECK_JOB_FUNCTION: &str = "arn:aws:lambda:REGION:ACCOUNT_ID:function:CheckJob";

/// The Job Poller sample's two Lambda functions over `api`, bound to their ARNs in the
/// sample's state machine (`examples/state-machines/job-poller.asl.json`), so it runs unchanged:
/// `SubmitJob` submits `{jobName, jobQueue, jobDefinition, ...}` and returns the SubmitJob
/// response (`{jobArn, jobName, jobId}`); `CheckJob` takes that response (or a job id) and
/// returns the job's status word (`"RUNNABLE"`, `"SUCCEEDED"`, ...).
pub fn job_poller_functions<B: BatchApi + Clone + 'static>(api: B) -> Tasks {
    Tasks::new()
        .handler(SUBMIT_JOB_FUNCTION, SubmitJobFunction(api.clone()))
        .handler(CHECK_JOB_FUNCTION, CheckJobFunction(api))
}

struct SubmitJobFunction<B>(B);

#[async_trait]
impl<B: BatchApi> TaskHandler for SubmitJobFunction<B> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let request: SubmitJobRequest = serde_json::from_value(input).map_err(|e| {
            TaskError::new(
                "Batch.ClientException",
                format!("the input is not a SubmitJob request: {e}"),
            )
        })?;
        let response = self
            .0
            .submit_job(request)
            .await
            .map_err(|e| TaskError::new(e.name(), e.message))?;
        serde_json::to_value(response).map_err(|e| TaskError::task_failed(e.to_string()))
    }
}

struct CheckJobFunction<B>(B);

#[async_trait]
impl<B: BatchApi> TaskHandler for CheckJobFunction<B> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let id = match &input {
            Value::String(id) => id.clone(),
            other => match other.get("jobId").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => {
                    return Err(TaskError::new(
                        "Batch.ClientException",
                        format!("CheckJob takes a job id or {{\"jobId\": ...}}, not {input}"),
                    ))
                }
            },
        };
        let jobs = self
            .0
            .describe_jobs(std::slice::from_ref(&id))
            .await
            .map_err(|e| TaskError::new(e.name(), e.message))?;
        let job = jobs.first().ok_or_else(|| {
            TaskError::new("Batch.ClientException", format!("no job with id {id:?}"))
        })?;
        serde_json::to_value(job.status).map_err(|e| TaskError::task_failed(e.to_string()))
    }
}
