//! The Job Poller sample's `SubmitJob` and `CheckJob` Lambda functions, as task handlers over
//! any [`BatchApi`].

use async_trait::async_trait;
use pollflow::task::{TaskHandler, Tasks};
use pollflow::TaskError;
use serde_json::Value;

use crate::api::BatchApi;
use crate::model::SubmitJobRequest;

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
