//! Errors, named the way Amazon States Language names them.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Error names with a meaning in Amazon States Language.
pub mod names {
    /// Matches every error name in a Catch or Retry `ErrorEquals`.
    pub const ALL: &str = "States.ALL";
    /// A task failed: the job ended FAILED, or a call to the job's service failed.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// The execution ran out of time (a wait policy's `max_wait` or `max_attempts`).
    pub const TIMEOUT: &str = "States.Timeout";
    /// A `.waitForTaskToken` task got no heartbeat within its `HeartbeatSeconds`.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// The execution was aborted (the name JS gives an aborted operation).
    pub const ABORTED: &str = "AbortError";
    /// The workflow itself is wrong at run time (for example: a check before any submit, or
    /// a path that matches nothing). `States.ALL` does not catch it.
    pub const RUNTIME: &str = "States.Runtime";
    /// No Choice rule matched and the Choice state has no `Default`.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// A `ResultPath` could not be applied to the state's input.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// A value passed a size or nesting limit (see [`Limits`](crate::Limits)): a terminal error
    /// that ends the execution; neither Retry nor Catch applies, and `States.ALL` does not
    /// match it.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// A JSONata expression failed, or gave a value its field cannot take (ASL; a Task,
    /// Parallel or Map state's catchers can catch it).
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    /// An intrinsic function failed (bad arguments at run time).
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// A Task state's resource has no handler bound to it.
    pub const NO_HANDLER: &str = "Pollflow.NoHandler";
    /// A `check_many` call returned a different number of results than handles it was given.
    pub const BATCH_MISMATCH: &str = "Pollflow.BatchMismatch";
    /// The poller cannot cancel jobs.
    pub const CANCEL_UNSUPPORTED: &str = "Pollflow.CancelUnsupported";
    /// The engine's store could not save a run before its submit (the submit was not made),
    /// or no longer holds the run (`Store::holds`: another instance continues it; the call was
    /// not made).
    pub const STORE_FAILED: &str = "Pollflow.StoreFailed";
    /// The poller cannot look jobs up by their submit key.
    pub const FIND_UNSUPPORTED: &str = "Pollflow.FindUnsupported";
    /// A Notify state ran but the engine has no notifier.
    pub const NO_NOTIFIER: &str = "Pollflow.NoNotifier";
    /// A `.waitForTaskToken` task ran in a build without the `push` feature (the npm package
    /// for now): nothing could send its token.
    pub const NO_PUSH: &str = "Pollflow.NoPush";
}

/// A named error with its cause, as Step Functions reports it (`error` + `cause`).
///
/// It may also carry the Rust error it came from ([`TaskError::with_source`]), which
/// [`std::error::Error::source`] returns: an AWS SDK error stays reachable from the failed
/// execution's outcome. The source is not serialized (a checkpoint keeps the name and cause),
/// and equality compares the name and the cause only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskError {
    /// The error name, such as `States.TaskFailed` or `Batch.ClientException`.
    pub error: String,
    /// Human-readable detail; for a failed job, its detail as JSON.
    pub cause: String,
    #[serde(skip)]
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for TaskError {
    fn eq(&self, other: &Self) -> bool {
        self.error == other.error && self.cause == other.cause
    }
}

impl Eq for TaskError {}

impl TaskError {
    /// An error with a name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
            source: None,
        }
    }

    /// The same error, caused by `source` (what [`std::error::Error::source`] returns).
    ///
    /// ```
    /// use std::error::Error;
    /// use pollflow::TaskError;
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 5 s");
    /// let error = TaskError::new("Report.Timeout", "the report service did not answer").with_source(io);
    /// assert_eq!(error.source().unwrap().to_string(), "no answer in 5 s");
    /// ```
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// A `States.TaskFailed` error with the given cause.
    pub fn task_failed(cause: impl Into<String>) -> Self {
        Self::new(names::TASK_FAILED, cause)
    }

    /// Whether an `ErrorEquals` entry matches this error, as in Step Functions: `States.ALL`
    /// matches every error but `States.Runtime`; `States.TaskFailed` matches every error but
    /// `States.Runtime` and `States.Timeout`. Nothing matches `States.DataLimitExceeded`, a
    /// terminal error: no Retry or Catch applies to it.
    pub fn matches(&self, error_equals: &str) -> bool {
        if self.error == names::DATA_LIMIT_EXCEEDED {
            return false;
        }
        error_equals == self.error
            || match error_equals {
                names::ALL => self.error != names::RUNTIME,
                names::TASK_FAILED => self.error != names::RUNTIME && self.error != names::TIMEOUT,
                _ => false,
            }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Why a `check` call did not return a job status.
///
/// This is about the *call*, not the job: a job that ended FAILED is
/// [`JobStatus::Failed`](crate::JobStatus::Failed), not a `CheckError`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "error", rename_all = "snake_case")]
pub enum CheckError {
    /// Worth retrying (throttling, a timeout, a 5xx): retried under the Check state's retry policy.
    Transient(TaskError),
    /// Not worth retrying (bad credentials, unknown job): the execution fails with this error.
    Fatal(TaskError),
}

impl CheckError {
    /// A transient error with a name and cause.
    pub fn transient(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self::Transient(TaskError::new(error, cause))
    }

    /// A fatal error with a name and cause.
    pub fn fatal(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self::Fatal(TaskError::new(error, cause))
    }

    /// The underlying named error.
    pub fn task_error(&self) -> &TaskError {
        match self {
            Self::Transient(e) | Self::Fatal(e) => e,
        }
    }

    /// Whether the error is worth retrying.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_transient() {
            "transient"
        } else {
            "fatal"
        };
        write!(f, "{kind} check error: {}", self.task_error())
    }
}

impl std::error::Error for CheckError {
    /// The source of the underlying [`TaskError`] (its name and cause are in this error's
    /// message already).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(self.task_error())
    }
}
