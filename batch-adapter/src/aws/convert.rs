//! Our AWS-shaped model ↔ the SDK's types.

use aws_sdk_batch::types as sdk;

use crate::api::BatchError;
use crate::model::{
    ArrayJobDependency, ArrayPropertiesDetail, AttemptContainerDetail, AttemptDetail,
    BatchJobStatus, ContainerDetail, JobDependency, JobDetail, JobTimeout, KeyValuePair,
    RetryAction, RetryStrategy,
};

fn int(field: &str, value: u64) -> Result<i32, BatchError> {
    i32::try_from(value).map_err(|_| BatchError::client(format!("{field} is too large: {value}")))
}

pub(crate) fn key_value(kv: &KeyValuePair) -> sdk::KeyValuePair {
    sdk::KeyValuePair::builder()
        .name(&kv.name)
        .value(&kv.value)
        .build()
}

pub(crate) fn dependency(dep: &JobDependency) -> sdk::JobDependency {
    sdk::JobDependency::builder()
        .set_job_id(dep.job_id.clone())
        .set_type(dep.kind.map(|k| match k {
            ArrayJobDependency::NToN => sdk::ArrayJobDependency::NToN,
            ArrayJobDependency::Sequential => sdk::ArrayJobDependency::Sequential,
        }))
        .build()
}

pub(crate) fn retry_strategy(strategy: &RetryStrategy) -> Result<sdk::RetryStrategy, BatchError> {
    let mut builder = sdk::RetryStrategy::builder()
        .attempts(int("retryStrategy.attempts", strategy.attempts.into())?);
    for rule in &strategy.evaluate_on_exit {
        let action = match rule.action {
            RetryAction::Retry => sdk::RetryAction::Retry,
            RetryAction::Exit => sdk::RetryAction::Exit,
        };
        let rule = sdk::EvaluateOnExit::builder()
            .set_on_status_reason(rule.on_status_reason.clone())
            .set_on_reason(rule.on_reason.clone())
            .set_on_exit_code(rule.on_exit_code.clone())
            .action(action)
            .build();
        builder = builder.evaluate_on_exit(rule);
    }
    Ok(builder.build())
}

pub(crate) fn timeout(timeout: &JobTimeout) -> Result<sdk::JobTimeout, BatchError> {
    Ok(sdk::JobTimeout::builder()
        .attempt_duration_seconds(int(
            "timeout.attemptDurationSeconds",
            timeout.attempt_duration_seconds,
        )?)
        .build())
}

fn status(status: &sdk::JobStatus) -> BatchJobStatus {
    match status {
        sdk::JobStatus::Submitted => BatchJobStatus::Submitted,
        sdk::JobStatus::Pending => BatchJobStatus::Pending,
        sdk::JobStatus::Runnable => BatchJobStatus::Runnable,
        sdk::JobStatus::Starting => BatchJobStatus::Starting,
        sdk::JobStatus::Running => BatchJobStatus::Running,
        sdk::JobStatus::Succeeded => BatchJobStatus::Succeeded,
        // FAILED, and any status a newer service version adds, ends the job.
        _ => BatchJobStatus::Failed,
    }
}

fn millis(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0)
}

pub(crate) fn job_detail(job: &sdk::JobDetail) -> JobDetail {
    JobDetail {
        job_arn: job.job_arn().unwrap_or_default().to_owned(),
        job_name: job.job_name().unwrap_or_default().to_owned(),
        job_id: job.job_id().unwrap_or_default().to_owned(),
        job_queue: job.job_queue().unwrap_or_default().to_owned(),
        status: job.status().map_or(BatchJobStatus::Submitted, status),
        status_reason: job.status_reason().map(str::to_owned),
        attempts: job
            .attempts()
            .iter()
            .map(|a| AttemptDetail {
                container: AttemptContainerDetail {
                    exit_code: a.container().and_then(|c| c.exit_code()),
                    reason: a.container().and_then(|c| c.reason()).map(str::to_owned),
                    log_stream_name: a
                        .container()
                        .and_then(|c| c.log_stream_name())
                        .map(str::to_owned),
                },
                started_at: millis(a.started_at()).unwrap_or_default(),
                stopped_at: millis(a.stopped_at()).unwrap_or_default(),
                status_reason: a.status_reason().map(str::to_owned),
            })
            .collect(),
        created_at: millis(job.created_at()).unwrap_or_default(),
        started_at: millis(job.started_at()),
        stopped_at: millis(job.stopped_at()),
        depends_on: job
            .depends_on()
            .iter()
            .map(|d| JobDependency {
                job_id: d.job_id().map(str::to_owned),
                kind: d.r#type().map(|t| match t {
                    sdk::ArrayJobDependency::Sequential => ArrayJobDependency::Sequential,
                    _ => ArrayJobDependency::NToN,
                }),
            })
            .collect(),
        job_definition: job.job_definition().unwrap_or_default().to_owned(),
        parameters: job
            .parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        container: job.container().map(|c| ContainerDetail {
            command: c.command().to_vec(),
            environment: c
                .environment()
                .iter()
                .map(|kv| KeyValuePair {
                    name: kv.name().unwrap_or_default().to_owned(),
                    value: kv.value().unwrap_or_default().to_owned(),
                })
                .collect(),
            exit_code: c.exit_code(),
            reason: c.reason().map(str::to_owned),
            log_stream_name: c.log_stream_name().map(str::to_owned),
        }),
        array_properties: job.array_properties().map(|a| ArrayPropertiesDetail {
            status_summary: a
                .status_summary()
                .map(|s| {
                    s.iter()
                        .filter_map(|(k, v)| {
                            let status =
                                serde_json::from_value(serde_json::Value::String(k.clone()))
                                    .ok()?;
                            Some((status, u32::try_from(*v).unwrap_or_default()))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            size: a.size().and_then(|s| u32::try_from(s).ok()),
            index: a.index().and_then(|i| u32::try_from(i).ok()),
        }),
        retry_strategy: job.retry_strategy().map(|r| RetryStrategy {
            attempts: r
                .attempts()
                .and_then(|a| u32::try_from(a).ok())
                .unwrap_or(1),
            evaluate_on_exit: Vec::new(),
        }),
        timeout: job
            .timeout()
            .and_then(|t| t.attempt_duration_seconds())
            .map(|s| JobTimeout {
                attempt_duration_seconds: u64::try_from(s).unwrap_or_default(),
            }),
        tags: job
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}
