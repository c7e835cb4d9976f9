//! Execution history events, shaped like Step Functions' execution history.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use smol_str::SmolStr;

use crate::error::TaskError;

/// One entry of an execution's history.
///
/// ```
/// use pollflow::{Event, EventKind};
///
/// let input = serde_json::json!({"job": 7});
/// let kind = EventKind::StateEntered { state: "Wait".into(), input: input.clone().into() };
/// let event = Event { id: 3, timestamp_ms: 1_000, route: vec![], kind };
/// assert_eq!(
///     serde_json::to_value(&event).unwrap(),
///     serde_json::json!({"id": 3, "timestamp_ms": 1000, "type": "StateEntered", "state": "Wait", "input": input})
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Sequence number within the execution, from 1.
    pub id: u64,
    /// The clock's time, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Where it happened: empty for the execution's own states; inside a Parallel branch or a
    /// Map item, the chain of `{state, index}` from the outermost Parallel/Map state inward.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub route: Vec<Hop>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// One step into a Parallel or Map state: its branch (or item) `index`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hop {
    /// The Parallel or Map state.
    pub state: SmolStr,
    /// The branch's index, or the item's.
    pub index: u32,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum EventKind {
    /// The execution began with this input.
    ExecutionStarted {
        /// Execution input.
        input: Arc<Value>,
    },
    /// A state began.
    StateEntered {
        /// State name.
        state: SmolStr,
        /// The state's input, as the previous state's output left it (before `InputPath`,
        /// `Parameters` or `Arguments`).
        input: Arc<Value>,
    },
    /// A state finished.
    StateExited {
        /// State name.
        state: SmolStr,
        /// The state's output: what the next state gets as its input.
        output: Arc<Value>,
    },
    /// The poller accepted the job.
    TaskSubmitted {
        /// State name.
        state: SmolStr,
        /// The job's handle.
        handle: Arc<Value>,
    },
    /// A `.waitForTaskToken` Task state issued its task token: it waits until the token is
    /// sent ([`Engine::send_task_success`](crate::Engine::send_task_success) and its kin).
    TaskTokenIssued {
        /// State name.
        state: SmolStr,
        /// The token (also in the state's context object as `$$.Task.Token`).
        token: String,
    },
    /// A submit, notify or check call failed.
    TaskFailed {
        /// State name.
        state: SmolStr,
        /// What failed.
        error: TaskError,
        /// Milliseconds until the call is retried; absent when it is not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u64>,
    },
    /// A sleep began.
    WaitStarted {
        /// State name.
        state: SmolStr,
        /// How long, in milliseconds.
        delay_ms: u64,
        /// Which wait since the job was submitted, from 1 (always 1 for a Delay state).
        attempt: u32,
    },
    /// A check returned a status.
    StatusChecked {
        /// State name.
        state: SmolStr,
        /// Which check since the job was submitted, from 1.
        attempt: u32,
        /// What it returned.
        status: Arc<crate::JobStatus>,
        /// The status was pushed ([`Engine::push_status`](crate::Engine::push_status)): the
        /// poller was not called for this check.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pushed: bool,
    },
    /// A Choice state picked its next state.
    ChoiceTaken {
        /// State name.
        state: SmolStr,
        /// The chosen state.
        next: SmolStr,
    },
    /// A notification was delivered.
    Notified {
        /// State name.
        state: SmolStr,
        /// The message.
        message: String,
    },
    /// A Task state's handler (or `.sync` job) returned its result.
    TaskSucceeded {
        /// State name.
        state: SmolStr,
        /// The result, before `ResultSelector`/`ResultPath`/`OutputPath`.
        output: Arc<Value>,
    },
    /// The job was cancelled (or cancelling it failed) because the execution stopped.
    JobCancelled {
        /// The job's handle.
        handle: Arc<Value>,
        /// Why cancel failed; absent when it worked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<TaskError>,
    },
    /// A Parallel branch or a Map item began (the event's route ends with it).
    BranchStarted {
        /// Its input.
        input: Arc<Value>,
    },
    /// A Parallel branch or a Map item succeeded.
    BranchSucceeded {
        /// Its output.
        output: Arc<Value>,
    },
    /// A Parallel branch or a Map item failed (or ran out of the execution's time).
    BranchFailed {
        /// Error and cause.
        error: TaskError,
    },
    /// A Parallel branch or a Map item was stopped: the execution was aborted, or a sibling failed.
    BranchAborted {
        /// Whether its job was cancelled.
        job_cancelled: bool,
    },
    /// The execution succeeded.
    ExecutionSucceeded {
        /// Its output.
        output: Arc<Value>,
    },
    /// The execution failed.
    ExecutionFailed {
        /// Error and cause.
        error: TaskError,
    },
    /// The execution ran out of time (`States.Timeout`).
    ExecutionTimedOut {
        /// Error and cause.
        error: TaskError,
    },
    /// The execution was aborted.
    ExecutionAborted {
        /// Whether the job was cancelled.
        job_cancelled: bool,
    },
}

impl EventKind {
    /// Whether this event ends the execution.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::ExecutionSucceeded { .. }
                | Self::ExecutionFailed { .. }
                | Self::ExecutionTimedOut { .. }
                | Self::ExecutionAborted { .. }
        )
    }
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Succeeded with this output.
    Succeeded {
        /// The output.
        output: Value,
    },
    /// Failed with this error.
    Failed {
        /// Error and cause.
        error: TaskError,
    },
    /// Ran out of time.
    TimedOut {
        /// Error (`States.Timeout`) and cause.
        error: TaskError,
    },
    /// Was aborted.
    Aborted {
        /// Whether the job was cancelled.
        job_cancelled: bool,
    },
}

/// What `Outcome` reads (see `checkpoint::retagged`).
#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum OutcomeWire {
    Succeeded { output: Value },
    Failed { error: TaskError },
    TimedOut { error: TaskError },
    Aborted { job_cancelled: bool },
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match crate::checkpoint::retagged::<D, OutcomeWire>(deserializer, "status")? {
                OutcomeWire::Succeeded { output } => Self::Succeeded { output },
                OutcomeWire::Failed { error } => Self::Failed { error },
                OutcomeWire::TimedOut { error } => Self::TimedOut { error },
                OutcomeWire::Aborted { job_cancelled } => Self::Aborted { job_cancelled },
            },
        )
    }
}

impl Outcome {
    /// The outcome a terminal event announces.
    pub fn from_terminal(kind: &EventKind) -> Option<Self> {
        Some(match kind {
            EventKind::ExecutionSucceeded { output } => Self::Succeeded {
                output: Value::clone(output),
            },
            EventKind::ExecutionFailed { error } => Self::Failed {
                error: error.clone(),
            },
            EventKind::ExecutionTimedOut { error } => Self::TimedOut {
                error: error.clone(),
            },
            EventKind::ExecutionAborted { job_cancelled } => Self::Aborted {
                job_cancelled: *job_cancelled,
            },
            _ => return None,
        })
    }

    /// The terminal event that announces this outcome (the inverse of
    /// [`from_terminal`](Self::from_terminal)).
    pub(crate) fn terminal_event(&self) -> EventKind {
        match self {
            Self::Succeeded { output } => EventKind::ExecutionSucceeded {
                output: Arc::new(output.clone()),
            },
            Self::Failed { error } => EventKind::ExecutionFailed {
                error: error.clone(),
            },
            Self::TimedOut { error } => EventKind::ExecutionTimedOut {
                error: error.clone(),
            },
            Self::Aborted { job_cancelled } => EventKind::ExecutionAborted {
                job_cancelled: *job_cancelled,
            },
        }
    }

    /// The output, or the error (`States.Timeout` for a timeout, `AbortError` for an abort).
    pub fn into_result(self) -> Result<Value, TaskError> {
        match self {
            Self::Succeeded { output } => Ok(output),
            Self::Failed { error } | Self::TimedOut { error } => Err(error),
            Self::Aborted { .. } => Err(TaskError::new(
                crate::error::names::ABORTED,
                "the execution was aborted",
            )),
        }
    }
}
