//! `SubmitJob` validation: a request checked against the local Batch's queues, definitions and
//! jobs, and resolved against its job definition (parameters, command, environment, retry
//! strategy, timeout) — everything a new job needs, or the `ClientException` AWS would give.

use std::collections::{BTreeMap, HashMap};

use super::config::{JobDefinition, JobQueue};
use super::parameters::substitute;
use crate::api::BatchError;
use crate::model::{ArrayJobDependency, JobTimeout, KeyValuePair, RetryStrategy, SubmitJobRequest};

/// A request the local Batch accepts, resolved against its definition.
pub(super) struct Submission {
    /// The request as given.
    pub(super) request: SubmitJobRequest,
    /// The queue's name.
    pub(super) queue: String,
    /// The definition's name.
    pub(super) definition: String,
    /// The array size of an array job.
    pub(super) size: Option<u32>,
    /// The definition's parameters, overridden by the request's.
    pub(super) parameters: BTreeMap<String, String>,
    /// The command, parameters substituted (never empty).
    pub(super) command: Vec<String>,
    /// The definition's environment, overridden by the request's.
    pub(super) environment: Vec<KeyValuePair>,
    /// The request's retry strategy, else the definition's.
    pub(super) retry_strategy: Option<RetryStrategy>,
    /// The request's timeout, else the definition's.
    pub(super) timeout: Option<JobTimeout>,
}

/// The name in a name, `name:revision`, or ARN.
pub(super) fn resource_name(reference: &str) -> &str {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    match name.rsplit_once(':') {
        Some((base, revision)) if revision.chars().all(|c| c.is_ascii_digit()) => base,
        _ => name,
    }
}

fn valid_job_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks `request` in AWS's order (queue, definition, name, array size, dependencies, retry
/// strategy, timeout, command) and resolves it; `job_exists` says whether a job id is known.
pub(super) fn validate(
    request: SubmitJobRequest,
    queues: &HashMap<String, JobQueue>,
    definitions: &HashMap<String, JobDefinition>,
    job_exists: impl Fn(&str) -> bool,
) -> Result<Submission, BatchError> {
    let queue = resource_name(&request.job_queue).to_owned();
    if !queues.contains_key(&queue) {
        return Err(BatchError::client(format!(
            "jobQueue {:?} does not exist",
            request.job_queue
        )));
    }
    let definition_name = resource_name(&request.job_definition).to_owned();
    let Some(definition) = definitions.get(&definition_name) else {
        return Err(BatchError::client(format!(
            "jobDefinition {:?} does not exist",
            request.job_definition
        )));
    };
    if !valid_job_name(&request.job_name) {
        return Err(BatchError::client(format!(
            "jobName {:?} must be 1 to 128 letters, digits, hyphens and underscores, starting with a letter or digit",
            request.job_name
        )));
    }
    let size = request.array_properties.map(|a| a.size);
    if let Some(size) = size.filter(|s| !(2..=10_000).contains(s)) {
        return Err(BatchError::client(format!(
            "arrayProperties.size must be between 2 and 10,000, got {size}"
        )));
    }
    if request.depends_on.len() > 20 {
        return Err(BatchError::client("dependsOn takes at most 20 jobs"));
    }
    for dep in &request.depends_on {
        match &dep.job_id {
            Some(id) if !job_exists(id) => {
                return Err(BatchError::client(format!(
                    "dependsOn: job {id:?} does not exist"
                )))
            }
            None if !(size.is_some() && dep.kind == Some(ArrayJobDependency::Sequential)) => {
                return Err(BatchError::client(
                    "dependsOn: a jobId is required, except for SEQUENTIAL on an array job",
                ))
            }
            _ => {}
        }
    }
    let retry_strategy = request
        .retry_strategy
        .clone()
        .or(definition.retry_strategy.clone());
    if let Some(attempts) = retry_strategy
        .as_ref()
        .map(|r| r.attempts)
        .filter(|a| !(1..=10).contains(a))
    {
        return Err(BatchError::client(format!(
            "retryStrategy.attempts must be between 1 and 10, got {attempts}"
        )));
    }
    let timeout = request.timeout.or(definition.timeout);
    if timeout.is_some_and(|t| t.attempt_duration_seconds == 0) {
        return Err(BatchError::client(
            "timeout.attemptDurationSeconds must be at least 1",
        ));
    }

    let mut parameters = definition.parameters.clone();
    parameters.extend(request.parameters.clone());
    let overrides = request.container_overrides.clone().unwrap_or_default();
    let command: Vec<String> = overrides
        .command
        .unwrap_or(definition.container_properties.command.clone())
        .into_iter()
        .map(|arg| substitute(&arg, &parameters))
        .collect();
    if command.is_empty() {
        return Err(BatchError::client(format!(
            "jobDefinition {definition_name:?} has an empty command"
        )));
    }
    let mut environment = definition.container_properties.environment.clone();
    for var in overrides.environment {
        environment.retain(|v| v.name != var.name);
        environment.push(var);
    }
    Ok(Submission {
        request,
        queue,
        definition: definition_name,
        size,
        parameters,
        command,
        environment,
        retry_strategy,
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_arns_and_revisions() {
        assert_eq!(
            resource_name("arn:aws:batch:us-east-2:123456789012:job-queue/SampleJobQueue-4d9d"),
            "SampleJobQueue-4d9d"
        );
        assert_eq!(
            resource_name("arn:aws:batch:us-east-2:1:job-definition/SampleJobDefinition-343f:1"),
            "SampleJobDefinition-343f"
        );
        assert_eq!(resource_name("Def:7"), "Def");
        assert_eq!(resource_name("Plain"), "Plain");
    }
}
