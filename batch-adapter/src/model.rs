//! AWS Batch request and response shapes, serialized as AWS's JSON (camelCase): what
//! [`BatchApi`](crate::BatchApi) takes and returns. The names are AWS's, except
//! [`BatchJobStatus`] (AWS's `JobStatus`), named apart from `pollflow::JobStatus` (what one
//! check of a job learned).
//!
//! Unknown input fields are ignored, so a Step Functions input such as the seed's
//! `{"jobName", "jobDefinition", "jobQueue", "wait_time"}` reads as a [`SubmitJobRequest`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// `SubmitJob` input.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitJobRequest {
    /// Name of the job (letters, digits, `-` and `_`; up to 128).
    pub job_name: String,
    /// Queue name or ARN.
    pub job_queue: String,
    /// Definition name, `name:revision`, or ARN.
    pub job_definition: String,
    /// Values for `Ref::name` placeholders in the definition's command.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Command and environment overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_overrides: Option<ContainerOverrides>,
    /// Makes this an array job of `size` children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_properties: Option<ArrayProperties>,
    /// Jobs that must succeed first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<JobDependency>,
    /// Attempts and retry rules (overrides the definition's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// Per-attempt time limit (overrides the definition's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<JobTimeout>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// `containerOverrides`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverrides {
    /// Replaces the definition's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Added to (and overriding) the definition's environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
}

/// An environment variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValuePair {
    /// Variable name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// `arrayProperties` of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayProperties {
    /// Number of children, 2 to 10,000.
    pub size: u32,
}

/// `dependsOn` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDependency {
    /// The job depended on (absent for an array job's own `SEQUENTIAL` chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// How array children depend.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ArrayJobDependency>,
}

/// `dependsOn.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ArrayJobDependency {
    /// Child `i` waits for child `i` of the other array job.
    NToN,
    /// Child `i` waits for child `i - 1` of the same array job.
    Sequential,
}

/// `retryStrategy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// Attempts in all, 1 to 10.
    pub attempts: u32,
    /// Rules deciding, per failed attempt, whether to retry; first match wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluate_on_exit: Vec<EvaluateOnExit>,
}

/// One `evaluateOnExit` rule. Patterns may end with `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateOnExit {
    /// Matches the attempt's status reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_status_reason: Option<String>,
    /// Matches the container's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_reason: Option<String>,
    /// Matches the exit code, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_exit_code: Option<String>,
    /// `RETRY` or `EXIT`.
    pub action: RetryAction,
}

/// `evaluateOnExit.action` (AWS accepts any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryAction {
    /// Try again (while attempts remain).
    #[serde(alias = "retry", alias = "Retry")]
    Retry,
    /// Stop; the job fails.
    #[serde(alias = "exit", alias = "Exit")]
    Exit,
}

/// `timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobTimeout {
    /// Seconds an attempt may run before it is killed (AWS's minimum is 60; the local Batch
    /// accepts 1 and up).
    pub attempt_duration_seconds: u64,
}

/// `SubmitJob` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitJobResponse {
    /// The job's ARN.
    pub job_arn: String,
    /// The job's name.
    pub job_name: String,
    /// The job's id.
    pub job_id: String,
}

/// A Batch job's status, in AWS's lifecycle (AWS's `JobStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchJobStatus {
    /// Accepted.
    Submitted,
    /// Waiting for dependencies.
    Pending,
    /// Waiting for capacity.
    Runnable,
    /// Being placed.
    Starting,
    /// Running.
    Running,
    /// Exited 0.
    Succeeded,
    /// Failed, timed out or was terminated.
    Failed,
}

impl BatchJobStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 7] = [
        Self::Submitted,
        Self::Pending,
        Self::Runnable,
        Self::Starting,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
    ];

    /// Whether the job has ended.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }

    /// The AWS spelling, such as `RUNNABLE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Pending => "PENDING",
            Self::Runnable => "RUNNABLE",
            Self::Starting => "STARTING",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }
}

impl fmt::Display for BatchJobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `DescribeJobs` output: one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    /// ARN.
    pub job_arn: String,
    /// Name.
    pub job_name: String,
    /// Id (`parent:index` for an array child).
    pub job_id: String,
    /// Queue ARN.
    pub job_queue: String,
    /// Status.
    pub status: BatchJobStatus,
    /// Why it is in that status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Finished attempts.
    #[serde(default)]
    pub attempts: Vec<AttemptDetail>,
    /// Creation time, ms since the epoch.
    pub created_at: u64,
    /// Start of the latest attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// End of the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<u64>,
    /// Dependencies.
    #[serde(default)]
    pub depends_on: Vec<JobDependency>,
    /// Definition ARN.
    pub job_definition: String,
    /// Parameters after merging the definition's defaults.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// The container (command, environment, exit code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerDetail>,
    /// Array size and child status counts (parents), or index (children).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_properties: Option<ArrayPropertiesDetail>,
    /// Retry strategy in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// Timeout in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<JobTimeout>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One attempt of a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptDetail {
    /// The container's exit.
    pub container: AttemptContainerDetail,
    /// Start, ms since the epoch (0 when it never started: AWS leaves it out).
    #[serde(default)]
    pub started_at: u64,
    /// End, ms since the epoch (0 when AWS leaves it out).
    #[serde(default)]
    pub stopped_at: u64,
    /// Why it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// The container of an attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptContainerDetail {
    /// Exit code (absent when killed by a signal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why the container stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where its output went (a local file for the local Batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream_name: Option<String>,
}

/// The container of a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDetail {
    /// The command, after parameter substitution.
    #[serde(default)]
    pub command: Vec<String>,
    /// The environment.
    #[serde(default)]
    pub environment: Vec<KeyValuePair>,
    /// Exit code of the latest attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why the latest attempt's container stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the latest attempt's output went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream_name: Option<String>,
}

/// `arrayProperties` of a job detail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArrayPropertiesDetail {
    /// Children per status (parents only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub status_summary: BTreeMap<BatchJobStatus, u32>,
    /// Number of children (parents only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// This child's index (children only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}
