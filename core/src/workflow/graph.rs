//! The serializable state-machine graph every front end compiles to.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{Backoff, Jitter, WaitPolicy};

/// A whole workflow as data: what the builder produces, what Amazon States Language loads
/// into, what the interpreter runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateMachine {
    /// The workflow's name (checkpoints record it).
    pub name: String,
    /// The first state.
    pub start_at: String,
    /// Every state, in definition order.
    pub states: Vec<StateDef>,
    /// Cancel the job when the execution is aborted or times out (Step Functions does).
    #[serde(default = "yes")]
    pub cancel_on_stop: bool,
}

fn yes() -> bool {
    true
}

/// A named state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateDef {
    /// Unique name.
    pub name: String,
    /// What it does.
    #[serde(flatten)]
    pub state: State,
}

/// What a state does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum State {
    /// Submits the job through the poller; its handle is kept for checks.
    Submit {
        /// Next state.
        next: String,
        /// Where a failed submit goes instead of failing the execution.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        catch: Vec<Catcher>,
    },
    /// Sleeps according to a wait policy; gives up (`States.Timeout`) past its budget.
    Wait {
        /// When to wake and when to give up.
        policy: WaitPolicy,
        /// Next state.
        next: String,
    },
    /// Checks the job once. Transient check errors are retried under `retry`.
    Check {
        /// Next state.
        next: String,
        /// Retry schedule for transient check errors; `max_attempts` bounds the retries.
        #[serde(default = "default_check_retry")]
        retry: WaitPolicy,
        /// Where a failed check (fatal, or out of retries) goes instead of failing the execution.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        catch: Vec<Catcher>,
    },
    /// Branches on the last check.
    Choice {
        /// Rules, tried in order.
        choices: Vec<ChoiceRule>,
        /// Where to go when no rule matches.
        default: String,
    },
    /// Sends a message through the notifier.
    Notify {
        /// Subject line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// Message text.
        message: String,
        /// Next state.
        next: String,
        /// Where a failed notification goes instead of failing the execution.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        catch: Vec<Catcher>,
    },
    /// Ends successfully with the job's output.
    Succeed,
    /// Ends with an error. Without a cause, the job's last detail (as JSON) is the cause.
    Fail {
        /// Error name, such as `States.TaskFailed`.
        error: String,
        /// Cause text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
}

/// An ASL `Catch` entry: errors named in `error_equals` (or `States.ALL`, last and alone) go
/// to `next`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catcher {
    /// Error names caught.
    pub error_equals: Vec<String>,
    /// Where they go.
    pub next: String,
}

impl Catcher {
    /// Catches every error (`States.ALL`).
    pub fn all(next: impl Into<String>) -> Self {
        Self {
            error_equals: vec![crate::names::ALL.to_owned()],
            next: next.into(),
        }
    }
}

/// The retry policy of a Check state unless given: up to 5 retries, 1 s doubling to 30 s, jittered.
pub fn default_check_retry() -> WaitPolicy {
    WaitPolicy::with_backoff(Backoff::Exponential {
        initial: std::time::Duration::from_secs(1),
        max: std::time::Duration::from_secs(30),
        rate: 2.0,
        jitter: Jitter::Bounded,
    })
    .with_max_attempts(5)
}

/// One branch of a Choice state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceRule {
    /// When to take it.
    pub condition: Condition,
    /// Where it goes.
    pub next: String,
}

/// A test on the last checked status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The job succeeded.
    Succeeded,
    /// The job failed.
    Failed,
    /// The job is still running.
    Pending,
    /// The status word (see [`JobStatus::status_word`](crate::JobStatus::status_word)) equals this.
    StatusIs(String),
    /// The value at a JSON pointer (RFC 6901) into the detail equals `value`.
    DetailEquals {
        /// Such as `/progress/phase`.
        pointer: String,
        /// The value to compare with.
        value: Value,
    },
    /// A Rust or JS predicate registered with the workflow under this name.
    Predicate(String),
    /// Negation.
    Not(Box<Condition>),
    /// All must hold.
    And(Vec<Condition>),
    /// Any must hold.
    Or(Vec<Condition>),
}
