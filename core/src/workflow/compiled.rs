//! The graph with names resolved to indices and predicates bound: what the interpreter walks.

use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use crate::asl::{Path, ReferencePath};
use crate::policy::WaitPolicy;
use crate::poller::JobStatus;

use super::graph::{Comparison, DataFlow, DelayUntil, Operand};

/// A predicate over the last checked status, bound to a name in the graph.
pub type Predicate = Rc<dyn Fn(&JobStatus) -> bool>;

pub(crate) struct Compiled {
    pub(crate) name: Arc<str>,
    pub(crate) start: u32,
    pub(crate) nodes: Vec<Node>,
    pub(crate) cancel_on_stop: bool,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) sync_poll: WaitPolicy,
    /// Retries of transient errors while a `.sync` Task state checks its job.
    pub(crate) sync_check_retry: WaitPolicy,
}

pub(crate) struct Node {
    pub(crate) name: Arc<str>,
    pub(crate) kind: NodeKind,
    /// Whether its paths read the context object (`$$`), which is then built for it.
    pub(crate) uses_context: bool,
    /// Tried in order when the state's call fails.
    pub(crate) catch: Vec<Catch>,
}

pub(crate) struct Catch {
    pub(crate) errors: Vec<String>,
    pub(crate) next: u32,
    pub(crate) result_path: Option<ReferencePath>,
}

/// One ASL retrier: `None` policy means `MaxAttempts: 0` (matching errors are not retried).
pub(crate) struct Retry {
    pub(crate) errors: Vec<String>,
    pub(crate) policy: Option<WaitPolicy>,
}

impl Node {
    /// The catcher that takes a failure with this error, if any.
    pub(crate) fn catcher_for(&self, error: &crate::TaskError) -> Option<&Catch> {
        self.catch
            .iter()
            .find(|c| c.errors.iter().any(|n| error.matches(n)))
    }
}

pub(crate) enum NodeKind {
    Submit {
        next: u32,
    },
    Wait {
        policy: WaitPolicy,
        next: u32,
    },
    Check {
        next: u32,
        retry: WaitPolicy,
    },
    Choice {
        rules: Vec<(Test, u32)>,
        default: Option<u32>,
        io: DataFlow,
    },
    Notify {
        subject: Option<String>,
        message: String,
        next: u32,
    },
    Succeed {
        io: DataFlow,
    },
    Fail {
        error: String,
        cause: Option<String>,
        error_path: Option<Path>,
        cause_path: Option<Path>,
    },
    Task {
        resource: Arc<str>,
        /// A `.sync` resource: submit, then poll until the job ends.
        sync: bool,
        io: DataFlow,
        next: Option<u32>,
        retry: Vec<Retry>,
        timeout_ms: Option<u64>,
    },
    Pass {
        result: Option<Value>,
        io: DataFlow,
        next: Option<u32>,
    },
    Delay {
        until: DelayUntil,
        io: DataFlow,
        next: Option<u32>,
    },
}

pub(crate) enum Test {
    Succeeded,
    Failed,
    Pending,
    StatusIs(String),
    DetailEquals(String, Value),
    Predicate(Predicate),
    Not(Box<Test>),
    And(Vec<Test>),
    Or(Vec<Test>),
    Compare(Path, Comparison, Operand),
}

impl Test {
    /// Whether the test holds for the last status (`None` before the first check) and the
    /// state's input.
    /// Fails when a comparison's variable or `*Path` operand is not in the input (ASL
    /// `States.Runtime`).
    pub(crate) fn holds(
        &self,
        status: Option<&JobStatus>,
        input: &Value,
        context: &Value,
    ) -> Result<bool, String> {
        match self {
            Self::Succeeded => Ok(matches!(status, Some(JobStatus::Succeeded { .. }))),
            Self::Failed => Ok(matches!(status, Some(JobStatus::Failed { .. }))),
            Self::Pending => Ok(matches!(status, Some(JobStatus::Pending { .. }))),
            Self::StatusIs(word) => Ok(status.and_then(JobStatus::status_word) == Some(word)),
            Self::DetailEquals(pointer, value) => {
                Ok(status.and_then(|s| s.detail().pointer(pointer)) == Some(value))
            }
            Self::Predicate(f) => Ok(status.is_some_and(|s| f(s))),
            Self::Not(t) => Ok(!t.holds(status, input, context)?),
            Self::And(ts) => {
                for t in ts {
                    if !t.holds(status, input, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(ts) => {
                for t in ts {
                    if t.holds(status, input, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Self::Compare(variable, op, operand) => {
                let left = variable.select(input, context);
                let right = match operand {
                    Operand::Value(v) => v.clone(),
                    Operand::Path(p) => p.select(input, context).ok_or_else(|| {
                        format!(
                            "the path {:?} of a {op:?}Path comparison matches nothing in the input",
                            p.as_str()
                        )
                    })?,
                };
                crate::asl::compare(variable.as_str(), left.as_ref(), *op, &right)
            }
        }
    }
}
