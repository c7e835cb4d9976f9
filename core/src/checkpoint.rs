//! Checkpoints: the whole state of a running execution, as data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::execution::Execution;

/// A snapshot of a run, taken with [`Run::checkpoint`](crate::Run::checkpoint) and continued
/// with [`Engine::resume`](crate::Engine::resume) — in this process or another, with the same
/// workflow. A resumed run keeps polling the same job; it does not submit again.
///
/// Serializes with serde (JSON, bincode, a database row). A run that was waiting sleeps only
/// for what was left of its wait. A checkpoint taken while the submit call itself is in
/// flight resumes by submitting again: take checkpoints after `TaskSubmitted`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    pub(crate) workflow: String,
    pub(crate) state: String,
    pub(crate) execution: Execution,
}

impl Checkpoint {
    /// The workflow's name.
    pub fn workflow(&self) -> &str {
        &self.workflow
    }

    /// The state the execution was in.
    pub fn state(&self) -> &str {
        &self.state
    }
}

/// A checkpoint that does not fit the engine's workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumeError {
    /// The checkpoint is from another workflow.
    WorkflowMismatch {
        /// The engine's workflow.
        expected: String,
        /// The checkpoint's.
        found: String,
    },
    /// The checkpoint's state is not in this version of the workflow.
    UnknownState(String),
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WorkflowMismatch { expected, found } => write!(
                f,
                "checkpoint is from workflow {found:?}, but this engine runs {expected:?}"
            ),
            Self::UnknownState(state) => write!(
                f,
                "checkpoint is at state {state:?}, which this workflow does not have at that position"
            ),
        }
    }
}

impl std::error::Error for ResumeError {}
