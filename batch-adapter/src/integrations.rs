//! Step Functions' service integrations, as pollflow task handlers: the Task states of
//! Amazon States Language definitions (`arn:aws:states:::batch:submitJob.sync`,
//! `arn:aws:states:::batch:submitJob`, `arn:aws:states:::sns:publish`) run against any
//! [`BatchApi`] and [`Notifier`].

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use pollflow::{
    CheckError, JobStatus, Notification, Notifier, PollGroup, Poller, TaskError, TaskHandler, Tasks,
};
use serde_json::{json, Map, Value};

use crate::api::{BatchApi, DESCRIBE_JOBS_MAX};
use crate::model::SubmitJobRequest;
use crate::poller::BatchPoller;

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
pub fn service_tasks<B, N>(api: B, notifier: N) -> Tasks
where
    B: BatchApi + Clone + 'static,
    N: Notifier + 'static,
{
    let jobs = PollGroup::new(BatchPoller::new(api.clone()), DESCRIBE_JOBS_MAX);
    Tasks::new()
        .job(BATCH_SUBMIT_JOB_SYNC, SyncBatchJob(jobs))
        .handler(BATCH_SUBMIT_JOB, SubmitBatchJob(api))
        .handler(
            SNS_PUBLISH,
            SnsPublish {
                notifier,
                published: AtomicU64::new(0),
            },
        )
}

/// A SubmitJob request from Step Functions' PascalCase parameters.
fn submit_request(parameters: &Value) -> Result<SubmitJobRequest, TaskError> {
    serde_json::from_value(camel_case(parameters.clone())).map_err(|e| {
        TaskError::new(
            "Batch.ClientException",
            format!("the parameters are not a SubmitJob request: {e}"),
        )
    })
}

/// `batch:submitJob.sync`: the job poller with PascalCase parameters and results.
struct SyncBatchJob<P>(P);

#[async_trait]
impl<P: Poller> Poller for SyncBatchJob<P> {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        let request = submit_request(input)?;
        let request = serde_json::to_value(request).unwrap_or_default();
        self.0.submit(&request).await
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
struct SubmitBatchJob<B>(B);

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

/// `sns:publish`: `Message` (a string, or JSON sent as its text), `Subject`, `TopicArn`,
/// `MessageAttributes` become a [`Notification`]; returns `{MessageId}`.
struct SnsPublish<N> {
    notifier: N,
    published: AtomicU64,
}

#[async_trait]
impl<N: Notifier> TaskHandler for SnsPublish<N> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let invalid = |why: &str| TaskError::new("SNS.InvalidParameterException", why.to_owned());
        let message = match input.get("Message") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => return Err(invalid("Message is required")),
            Some(json) => json.to_string(),
        };
        let subject = match input.get("Subject") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(invalid("Subject must be a string")),
        };
        let topic = input
            .get("TopicArn")
            .and_then(Value::as_str)
            .unwrap_or("sns:publish");
        self.notifier
            .notify(&Notification {
                state: topic.to_owned(),
                subject,
                message,
                detail: input
                    .get("MessageAttributes")
                    .cloned()
                    .unwrap_or(Value::Null),
            })
            .await?;
        let n = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(json!({ "MessageId": format!("pollflow-local-{n}") }))
    }
}

/// Fields whose values are user-named maps: their keys keep their case.
const NAMED_MAPS: &[&str] = &["parameters", "tags", "Parameters", "Tags"];

/// `JobName` → `jobName`, recursively (not inside parameter and tag maps).
pub(crate) fn camel_case(value: Value) -> Value {
    recase(value, |k| {
        let mut chars = k.chars();
        chars
            .next()
            .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
            .unwrap_or_default()
    })
}

/// `jobName` → `JobName`, recursively (not inside parameter and tag maps).
pub(crate) fn pascal_case(value: Value) -> Value {
    recase(value, |k| {
        let mut chars = k.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    })
}

fn recase(value: Value, case: fn(&str) -> String) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| {
                    let v = if NAMED_MAPS.contains(&k.as_str()) {
                        v
                    } else {
                        recase(v, case)
                    };
                    (case(&k), v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| recase(v, case)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_case_but_parameter_and_tag_names_do_not() {
        let parameters = json!({
            "JobName": "j",
            "ContainerOverrides": {"Environment": [{"Name": "A", "Value": "1"}]},
            "Parameters": {"Seconds": "2"},
            "Tags": {"Team": "x"}
        });
        let camel = camel_case(parameters.clone());
        assert_eq!(
            camel,
            json!({
                "jobName": "j",
                "containerOverrides": {"environment": [{"name": "A", "value": "1"}]},
                "parameters": {"Seconds": "2"},
                "tags": {"Team": "x"}
            })
        );
        assert_eq!(pascal_case(camel), parameters);
    }
}
