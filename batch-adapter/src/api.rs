//! The AWS Batch API as a trait: the local Batch and AWS Batch both implement it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::model::{JobDetail, SubmitJobRequest, SubmitJobResponse};

/// `DescribeJobs` takes at most this many job ids.
pub const DESCRIBE_JOBS_MAX: usize = 100;

/// SubmitJob, DescribeJobs and TerminateJob, shaped like AWS Batch. `Send + Sync`, with
/// `Send` futures (`#[async_trait]`), so pollers over it serve multi-threaded runtimes.
#[async_trait]
pub trait BatchApi: Send + Sync {
    /// Submits a job.
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError>;

    /// Describes up to [`DESCRIBE_JOBS_MAX`] jobs; unknown ids are left out of the answer.
    async fn describe_jobs(&self, job_ids: &[String]) -> Result<Vec<JobDetail>, BatchError>;

    /// Stops a job: it ends `FAILED` with `reason` as its status reason.
    async fn terminate_job(&self, job_id: &str, reason: &str) -> Result<(), BatchError>;

    /// The ids of the jobs named `job_name` in `job_queue` (a name or an ARN), in any status
    /// (`ListJobs` with a `JOB_NAME` filter, every page). What
    /// [`BatchPoller`](crate::BatchPoller) looks a submit key up in. The default cannot.
    async fn list_jobs(&self, job_queue: &str, job_name: &str) -> Result<Vec<String>, BatchError> {
        let _ = (job_queue, job_name);
        Err(BatchError::client(
            "this Batch API does not implement ListJobs",
        ))
    }

    /// How long after a `submit_job` call starts it may still create its job, and the job
    /// still be missing from `list_jobs` (see [`Poller::submit_window`]). The default, zero,
    /// suits a Batch whose calls end with the process that makes them (the local Batch).
    ///
    /// [`Poller::submit_window`]: pollflow::Poller::submit_window
    fn submit_window(&self) -> Duration {
        Duration::ZERO
    }
}

/// An error from the Batch API (not a failed job).
///
/// An error from the AWS SDK keeps the SDK's error as its [`source`](std::error::Error::source).
/// Equality compares the kind and the message.
#[derive(Clone, Debug)]
pub struct BatchError {
    /// What kind of error.
    pub kind: BatchErrorKind,
    /// AWS's message.
    pub message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for BatchError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for BatchError {}

/// Kinds of Batch API errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchErrorKind {
    /// The request is wrong (`ClientException`).
    Client,
    /// The service failed (`ServerException`, HTTP 5xx).
    Server,
    /// Too many requests (HTTP 429).
    Throttling,
    /// The request did not get an answer (connection, timeout).
    Network,
}

impl BatchError {
    /// An error of a kind, with a message.
    pub fn new(kind: BatchErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A `ClientException`.
    pub fn client(message: impl Into<String>) -> Self {
        Self::new(BatchErrorKind::Client, message)
    }

    /// The same error, caused by `source` (what [`std::error::Error::source`] returns).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The error name, as Step Functions names Batch errors (`Batch.ClientException`, ...).
    pub fn name(&self) -> &'static str {
        match self.kind {
            BatchErrorKind::Client => "Batch.ClientException",
            BatchErrorKind::Server => "Batch.ServerException",
            BatchErrorKind::Throttling => "Batch.TooManyRequestsException",
            BatchErrorKind::Network => "Batch.NetworkException",
        }
    }

    /// Whether trying again later may work.
    pub fn is_transient(&self) -> bool {
        !matches!(self.kind, BatchErrorKind::Client)
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[async_trait]
impl<B: BatchApi + ?Sized> BatchApi for std::sync::Arc<B> {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        (**self).submit_job(request).await
    }
    async fn describe_jobs(&self, job_ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        (**self).describe_jobs(job_ids).await
    }
    async fn terminate_job(&self, job_id: &str, reason: &str) -> Result<(), BatchError> {
        (**self).terminate_job(job_id, reason).await
    }
    async fn list_jobs(&self, job_queue: &str, job_name: &str) -> Result<Vec<String>, BatchError> {
        (**self).list_jobs(job_queue, job_name).await
    }
    fn submit_window(&self) -> Duration {
        (**self).submit_window()
    }
}
