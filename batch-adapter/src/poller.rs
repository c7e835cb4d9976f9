//! A pollflow [`Poller`] for AWS Batch jobs, over any [`BatchApi`].

use std::collections::HashMap;

use async_trait::async_trait;
use pollflow::{CheckError, JobStatus, Poller, TaskError};
use serde_json::Value;

use crate::api::{BatchApi, BatchError, DESCRIBE_JOBS_MAX};
use crate::model::{BatchJobStatus, JobDetail, SubmitJobRequest};

/// Submits Batch jobs and checks them with `DescribeJobs`.
///
/// The execution input is a `SubmitJob` request in AWS's JSON (extra fields such as the seed's
/// `wait_time` are ignored); the job id is the handle. `SUCCEEDED` → success with the job
/// detail as output; `FAILED` → the job detail as `States.TaskFailed` cause; any other status
/// → pending, with the detail (so wait-policy status hints see `RUNNABLE`, `RUNNING`...).
/// Cancel is `TerminateJob`.
///
/// Wrap it in a [`PollGroup`](pollflow::PollGroup) with a batch of 100 and the checks of all
/// concurrent executions share `DescribeJobs` calls.
#[derive(Clone, Debug)]
pub struct BatchPoller<B> {
    api: B,
}

impl<B: BatchApi> BatchPoller<B> {
    /// A poller over `api`: submits with the execution input as the `SubmitJob` request, then
    /// checks until the job ends.
    ///
    /// ```
    /// use pollflow::{JobStatus, Poller};
    /// use pollflow_batch::{BatchPoller, JobDefinition, JobQueue, LocalBatch};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let batch = LocalBatch::new()
    ///     .with_queue(JobQueue::new("q", 1))
    ///     .with_definition(JobDefinition::shell("hello", "echo hello"));
    /// let poller = BatchPoller::new(batch);
    /// let input = json!({"jobName": "hi", "jobQueue": "q", "jobDefinition": "hello"});
    /// let job = poller.submit(&input).await?; // the job id
    /// let detail = loop {
    ///     match poller.check(&job).await? {
    ///         JobStatus::Pending { .. } => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
    ///         JobStatus::Succeeded { output } => break output, // the DescribeJobs detail
    ///         JobStatus::Failed { detail } => panic!("the job failed: {detail}"),
    ///     }
    /// };
    /// assert_eq!(detail["status"], "SUCCEEDED");
    /// assert_eq!(detail["container"]["exitCode"], 0);
    /// # Ok(()) }
    /// ```
    pub fn new(api: B) -> Self {
        Self { api }
    }

    /// The Batch API.
    pub fn api(&self) -> &B {
        &self.api
    }
}

/// The tag in which [`BatchPoller`] keeps a job's submit key
/// ([`Poller::submit_keyed`]), so that a run resumed after a crash finds the job its lost
/// submit created instead of submitting it again.
pub const SUBMIT_KEY_TAG: &str = "pollflow:submit-key";

fn submit_request(input: &Value) -> Result<SubmitJobRequest, TaskError> {
    serde_json::from_value(input.clone()).map_err(|e| {
        TaskError::new(
            "Batch.ClientException",
            format!("the input is not a SubmitJob request: {e}"),
        )
    })
}

/// A job's status as its check reports it: `SUCCEEDED` and `FAILED` end it, with the detail
/// as output or cause; any other status is pending, with the detail.
pub(crate) fn job_status(detail: &JobDetail) -> JobStatus {
    let json = serde_json::to_value(detail).unwrap_or(Value::Null);
    match detail.status {
        BatchJobStatus::Succeeded => JobStatus::succeeded(json),
        BatchJobStatus::Failed => JobStatus::failed(json),
        _ => JobStatus::pending(json),
    }
}

/// The task error of a Batch API error, which stays its source.
fn task_error(e: BatchError) -> TaskError {
    TaskError::new(e.name(), e.message.clone()).with_source(e)
}

fn check_error(e: &BatchError) -> CheckError {
    if e.is_transient() {
        CheckError::Transient(task_error(e.clone()))
    } else {
        CheckError::Fatal(task_error(e.clone()))
    }
}

#[async_trait]
impl<B: BatchApi> Poller for BatchPoller<B> {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        let response = self
            .api
            .submit_job(submit_request(input)?)
            .await
            .map_err(task_error)?;
        Ok(Value::String(response.job_id))
    }

    /// Submits with the key in the job's [`SUBMIT_KEY_TAG`] tag.
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        let mut request = submit_request(input)?;
        request
            .tags
            .insert(SUBMIT_KEY_TAG.to_owned(), key.to_owned());
        let response = self.api.submit_job(request).await.map_err(task_error)?;
        Ok(Value::String(response.job_id))
    }

    /// Lists the jobs of the input's name in its queue (`ListJobs`) and takes the one whose
    /// [`SUBMIT_KEY_TAG`] is `key` (`DescribeJobs`).
    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        let request = submit_request(input)?;
        let ids = self
            .api
            .list_jobs(&request.job_queue, &request.job_name)
            .await
            .map_err(task_error)?;
        for chunk in ids.chunks(DESCRIBE_JOBS_MAX) {
            let details = self.api.describe_jobs(chunk).await.map_err(task_error)?;
            if let Some(job) = details
                .iter()
                .find(|job| job.tags.get(SUBMIT_KEY_TAG).map(String::as_str) == Some(key))
            {
                return Ok(Some(Value::String(job.job_id.clone())));
            }
        }
        Ok(None)
    }

    /// The Batch API's ([`BatchApi::submit_window`]).
    fn submit_window(&self) -> std::time::Duration {
        self.api.submit_window()
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        let mut results = self.check_many(std::slice::from_ref(handle)).await;
        results
            .pop()
            .unwrap_or_else(|| Err(CheckError::fatal("Batch.ClientException", "no answer")))
    }

    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        let mut results = Vec::with_capacity(handles.len());
        for chunk in handles.chunks(DESCRIBE_JOBS_MAX) {
            let ids: Vec<String> = chunk
                .iter()
                .map(|h| h.as_str().unwrap_or_default().to_owned())
                .collect();
            match self.api.describe_jobs(&ids).await {
                Ok(details) => {
                    let by_id: HashMap<&str, &JobDetail> =
                        details.iter().map(|d| (d.job_id.as_str(), d)).collect();
                    for id in &ids {
                        results.push(match by_id.get(id.as_str()) {
                            None => Err(CheckError::fatal(
                                "Batch.ClientException",
                                format!("DescribeJobs does not know job {id:?}"),
                            )),
                            Some(detail) => Ok(job_status(detail)),
                        });
                    }
                }
                Err(e) => results.extend(chunk.iter().map(|_| Err(check_error(&e)))),
            }
        }
        results
    }

    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        let id = handle.as_str().unwrap_or_default();
        self.api.terminate_job(id, reason).await.map_err(task_error)
    }
}
