//! What the engine asks of the outside world: submit a job, check it, cancel it.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{names, CheckError, TaskError};
use crate::execution::Completion;
use crate::platform::{async_trait_outside_wasm, SendOutsideWasm, SyncOutsideWasm};

/// What one check learned about a job.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Still running; check again later.
    Pending {
        /// What the service said, such as `"RUNNABLE"` or a progress object.
        detail: Value,
        /// The service asked to be checked again after this long (an HTTP `Retry-After`).
        #[serde(
            default,
            rename = "retry_after_ms",
            with = "crate::policy::millis_option",
            skip_serializing_if = "Option::is_none"
        )]
        retry_after: Option<Duration>,
    },
    /// Done; `output` becomes the execution's output.
    Succeeded {
        /// The job's result.
        output: Value,
    },
    /// The job itself failed; its detail becomes the cause of `States.TaskFailed`.
    Failed {
        /// The job's detail (exit code, reason, ...).
        detail: Value,
    },
}

/// What `JobStatus` reads (see `checkpoint::retagged`).
#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum JobStatusWire {
    Pending {
        detail: Value,
        #[serde(
            default,
            rename = "retry_after_ms",
            with = "crate::policy::millis_option"
        )]
        retry_after: Option<Duration>,
    },
    Succeeded {
        output: Value,
    },
    Failed {
        detail: Value,
    },
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match crate::checkpoint::retagged::<D, JobStatusWire>(deserializer, "status")? {
                JobStatusWire::Pending {
                    detail,
                    retry_after,
                } => Self::Pending {
                    detail,
                    retry_after,
                },
                JobStatusWire::Succeeded { output } => Self::Succeeded { output },
                JobStatusWire::Failed { detail } => Self::Failed { detail },
            },
        )
    }
}

impl JobStatus {
    /// Still running, with what the service said.
    pub fn pending(detail: impl Into<Value>) -> Self {
        Self::Pending {
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// Done, with the job's result.
    pub fn succeeded(output: impl Into<Value>) -> Self {
        Self::Succeeded {
            output: output.into(),
        }
    }

    /// The job failed.
    pub fn failed(detail: impl Into<Value>) -> Self {
        Self::Failed {
            detail: detail.into(),
        }
    }

    /// The detail or output the service returned.
    pub fn detail(&self) -> &Value {
        match self {
            Self::Pending { detail, .. } | Self::Failed { detail } => detail,
            Self::Succeeded { output } => output,
        }
    }

    /// Whether the job has finished, either way.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Pending { .. })
    }

    /// The status word used by wait-policy hints: the detail when it is a string, else its
    /// `"status"` field.
    pub fn status_word(&self) -> Option<&str> {
        let detail = self.detail();
        detail
            .as_str()
            .or_else(|| detail.get("status").and_then(Value::as_str))
    }
}

async_trait_outside_wasm! {
/// Something that can be polled: submit a job, then check on it until it is done.
///
/// Implement this for a batch service, an HTTP API that answers "not ready yet", a query, an
/// order. The trait is object-safe. On native targets it is implemented with the ordinary
/// `#[async_trait]` (re-exported as [`pollflow::async_trait`](crate::async_trait)): its
/// futures are `Send` and the poller `Send + Sync`, so an engine holding it can be shared by
/// the threads of a multi-threaded runtime. On `wasm32` write `#[async_trait(?Send)]`: there
/// nothing needs to be `Send` (JS promises are not). See [`SendOutsideWasm`].
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use pollflow::{async_trait, CheckError, JobStatus, Poller, TaskError};
/// use serde_json::{json, Value};
///
/// /// A "report" that is ready on the third look.
/// struct Reports { looks: AtomicU32 }
///
/// #[async_trait]
/// impl Poller for Reports {
///     async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
///         Ok(json!({ "report": input["name"] }))
///     }
///     async fn check(&self, _handle: &Value) -> Result<JobStatus, CheckError> {
///         let looks = self.looks.fetch_add(1, Ordering::Relaxed) + 1;
///         Ok(if looks < 3 { JobStatus::pending("BUILDING") } else { JobStatus::succeeded(42) })
///     }
/// }
/// ```
pub trait Poller: SendOutsideWasm + SyncOutsideWasm {
    /// Starts the job; returns the handle that `check` and `cancel` receive (a job id, a URL...).
    async fn submit(&self, input: &Value) -> Result<Value, TaskError>;

    /// Looks at a job once.
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError>;

    /// Looks at many jobs in one call; returns one result per handle, in order.
    ///
    /// Override it when the service has a batched form (AWS Batch `DescribeJobs` takes 100
    /// ids) and wrap the poller in a [`PollGroup`](crate::PollGroup). The default checks one
    /// by one.
    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        let mut results = Vec::with_capacity(handles.len());
        for handle in handles {
            results.push(self.check(handle).await);
        }
        results
    }

    /// Stops a job (the execution was aborted or timed out). The default cannot.
    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        let _ = (handle, reason);
        Err(TaskError::new(
            names::CANCEL_UNSUPPORTED,
            "this poller does not implement cancel",
        ))
    }

    /// Starts the job under an idempotency key, which the engine always calls instead of
    /// [`submit`](Self::submit). `key` is the same for every attempt at one submission of one
    /// run — after a retry of a failed submit, and after its run is checkpointed and resumed
    /// in another process — and differs between submissions (another run, a second Submit
    /// state, each Parallel branch and Map item). A poller passes it to a service that takes an
    /// idempotency token, or keeps it with the job (a tag) for
    /// [`find_submitted`](Self::find_submitted). The default ignores it and calls `submit`.
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        let _ = key;
        self.submit(input).await
    }

    /// The handle of the job submitted under `key`, or `None` if there is none; `input` is
    /// what that submit was given (where to look: a queue, a job name).
    ///
    /// A run checkpointed while its submit call was in flight (a crash between the service's
    /// answer and the save of its handle) does not know whether the job exists; resumed, it
    /// asks this before submitting again, once the [submit window](Self::submit_window) after
    /// that call has passed. The default cannot tell ([`names::FIND_UNSUPPORTED`]): the run
    /// then submits again, and if the first submit had reached the service, the job runs
    /// twice — unless `submit_keyed` passes the key to a service that refuses a second job
    /// under it.
    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        let _ = (input, key);
        Err(TaskError::new(
            names::FIND_UNSUPPORTED,
            "this poller cannot find jobs by their submit key",
        ))
    }

    /// How long after a submit call starts the service may still create its job: the call's
    /// own retries, a request still queued on its way when the process that sent it stopped,
    /// and how long the service takes to list a job it created. A run resumed with a submit
    /// in flight calls [`find_submitted`](Self::find_submitted) only once this much time has
    /// passed since that call started (at once if it has), so that a request left in flight
    /// cannot create the job after the lookup found none. The default, zero, suits a poller
    /// whose calls end with its process (an in-process service) or that cannot look keys up;
    /// one that looks them up on a remote service returns a bound (for AWS,
    /// `pollflow_batch::aws::AwsBatch` uses the five minutes within which a signed request
    /// must reach AWS, plus its own retries).
    fn submit_window(&self) -> Duration {
        Duration::ZERO
    }
}
}

async_trait_outside_wasm! {
impl<P: Poller + ?Sized> Poller for Arc<P> {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        (**self).submit(input).await
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        (**self).check(handle).await
    }
    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        (**self).check_many(handles).await
    }
    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        (**self).cancel(handle, reason).await
    }
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        (**self).submit_keyed(input, key).await
    }
    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        (**self).find_submitted(input, key).await
    }
    fn submit_window(&self) -> Duration {
        (**self).submit_window()
    }
}
}

/// Looks up the job of a submit under `key` that was in flight when its run was checkpointed:
/// the job found is the submit's answer; a poller that cannot look finds none (the run submits
/// again).
pub(crate) async fn find_in_flight(poller: &dyn Poller, input: &Value, key: &str) -> Completion {
    match poller.find_submitted(input, key).await {
        Ok(Some(handle)) => Completion::Submitted(Ok(handle)),
        Ok(None) => Completion::Looked(Ok(())),
        Err(e) if e.error == names::FIND_UNSUPPORTED => Completion::Looked(Ok(())),
        Err(e) => Completion::Looked(Err(e)),
    }
}

/// The poller of an engine built without one: Submit and Check states fail with
/// `States.Runtime` (Task states use their own bindings).
pub(crate) struct NoPoller;

async_trait_outside_wasm! {
impl Poller for NoPoller {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        Err(no_poller())
    }

    async fn check(&self, _handle: &Value) -> Result<JobStatus, CheckError> {
        Err(CheckError::Fatal(no_poller()))
    }
}
}

fn no_poller() -> TaskError {
    TaskError::new(
        names::RUNTIME,
        "Submit and Check states need a poller: build the engine with Engine::builder",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_serializes_with_a_status_tag() {
        let pending = JobStatus::Pending {
            detail: json!("RUNNABLE"),
            retry_after: Some(Duration::from_millis(1500)),
        };
        let json = serde_json::to_value(&pending).unwrap();
        assert_eq!(
            json,
            json!({"status": "PENDING", "detail": "RUNNABLE", "retry_after_ms": 1500})
        );
        assert_eq!(serde_json::from_value::<JobStatus>(json).unwrap(), pending);
        assert_eq!(
            serde_json::to_value(JobStatus::succeeded(1)).unwrap(),
            json!({"status": "SUCCEEDED", "output": 1})
        );
    }

    #[test]
    fn status_word_reads_strings_and_status_fields() {
        assert_eq!(
            JobStatus::pending("RUNNABLE").status_word(),
            Some("RUNNABLE")
        );
        assert_eq!(
            JobStatus::pending(json!({"status": "STARTING"})).status_word(),
            Some("STARTING")
        );
        assert_eq!(JobStatus::pending(json!({"pct": 5})).status_word(), None);
    }
}
