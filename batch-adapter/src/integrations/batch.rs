//! `batch:submitJob` and `batch:submitJob.sync`: Step Functions' PascalCase parameters and
//! results over a [`BatchApi`].

use async_trait::async_trait;
use pollflow::task::TaskHandler;
use pollflow::{CheckError, JobStatus, Poller, TaskError};
use serde_json::{json, Value};

use super::case::{camel_case, pascal_case};
use crate::api::BatchApi;
use crate::model::SubmitJobRequest;

/// A SubmitJob request from Step Functions' PascalCase parameters.
fn submit_request(parameters: &Value) -> Result<SubmitJobRequest, TaskError> {
    serde_json::from_value(camel_case(parameters.clone())).map_err(|e| {
        TaskError::new(
            "Batch.ClientException",
            format!("the parameters are not a SubmitJob request: {e}"),
        )
    })
}

/// A state's PascalCase `SubmitJob` parameters as the job poller's (camelCase) input.
fn camel_case_request(input: &Value) -> Result<Value, TaskError> {
    Ok(serde_json::to_value(submit_request(input)?).unwrap_or_default())
}

/// `batch:submitJob.sync`: the job poller with PascalCase parameters and results.
pub(super) struct SyncBatchJob<P>(pub(super) P);

#[async_trait]
impl<P: Poller> Poller for SyncBatchJob<P> {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        self.0.submit(&camel_case_request(input)?).await
    }

    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        self.0.submit_keyed(&camel_case_request(input)?, key).await
    }

    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        self.0
            .find_submitted(&camel_case_request(input)?, key)
            .await
    }

    fn submit_window(&self) -> std::time::Duration {
        self.0.submit_window()
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        Ok(match self.0.check(handle).await? {
            JobStatus::Succeeded { output } => JobStatus::succeeded(pascal_case(output)),
            JobStatus::Failed { detail } => JobStatus::failed(pascal_case(detail)),
            pending => pending,
        })
    }

    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        self.0.cancel(handle, reason).await
    }
}

/// `batch:submitJob`: submits and returns `{JobArn, JobId, JobName}`.
pub(super) struct SubmitBatchJob<B>(pub(super) B);

#[async_trait]
impl<B: BatchApi> TaskHandler for SubmitBatchJob<B> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let response = self
            .0
            .submit_job(submit_request(&input)?)
            .await
            .map_err(|e| TaskError::new(e.name(), e.message))?;
        Ok(json!({
            "JobArn": response.job_arn,
            "JobId": response.job_id,
            "JobName": response.job_name,
        }))
    }
}
