//! The graph with names resolved to indices and predicates bound: what the interpreter walks.

use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use crate::policy::WaitPolicy;
use crate::poller::JobStatus;

/// A predicate over the last checked status, bound to a name in the graph.
pub type Predicate = Rc<dyn Fn(&JobStatus) -> bool>;

pub(crate) struct Compiled {
    pub(crate) name: Arc<str>,
    pub(crate) start: u32,
    pub(crate) nodes: Vec<Node>,
    pub(crate) cancel_on_stop: bool,
}

pub(crate) struct Node {
    pub(crate) name: Arc<str>,
    pub(crate) kind: NodeKind,
    /// `(error names, target)`, tried in order when the state's call fails.
    pub(crate) catch: Vec<(Vec<String>, u32)>,
}

impl Node {
    /// Where a failure with this error goes, if a catcher takes it.
    pub(crate) fn catcher_for(&self, error: &crate::TaskError) -> Option<u32> {
        self.catch
            .iter()
            .find(|(names, _)| names.iter().any(|n| error.matches(n)))
            .map(|(_, next)| *next)
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
        default: u32,
    },
    Notify {
        subject: Option<String>,
        message: String,
        next: u32,
    },
    Succeed,
    Fail {
        error: String,
        cause: Option<String>,
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
}

impl Test {
    /// Whether the test holds for the last status (`None` before the first check).
    pub(crate) fn holds(&self, status: Option<&JobStatus>) -> bool {
        match self {
            Self::Succeeded => matches!(status, Some(JobStatus::Succeeded { .. })),
            Self::Failed => matches!(status, Some(JobStatus::Failed { .. })),
            Self::Pending => matches!(status, Some(JobStatus::Pending { .. })),
            Self::StatusIs(word) => status.and_then(JobStatus::status_word) == Some(word),
            Self::DetailEquals(pointer, value) => {
                status.and_then(|s| s.detail().pointer(pointer)) == Some(value)
            }
            Self::Predicate(f) => status.is_some_and(|s| f(s)),
            Self::Not(t) => !t.holds(status),
            Self::And(ts) => ts.iter().all(|t| t.holds(status)),
            Self::Or(ts) => ts.iter().any(|t| t.holds(status)),
        }
    }
}
