//! The serializable state-machine graph every front end compiles to.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) use crate::expr::Comparison;
use crate::expr::{Path, PathOrCall, Query, ReferencePath, Template};
use crate::policy::{AslRetrier, Backoff, Jitter, WaitPolicy};

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
    /// The execution times out (`States.Timeout`) after this long (ASL `TimeoutSeconds`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::policy::millis_option"
    )]
    pub timeout: Option<std::time::Duration>,
    /// How often Task states with `.sync` resources check their jobs (default
    /// [`default_sync_poll`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_poll: Option<WaitPolicy>,
}

/// How `.sync` Task states poll their jobs unless the graph says otherwise: the AWS SDK
/// waiter formula from 1 s, doubling up to 30 s.
pub fn default_sync_poll() -> WaitPolicy {
    WaitPolicy::exponential(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(30),
    )
}

impl StateMachine {
    /// The state named `name`, also inside Parallel branches and Map processors (state names
    /// are unique in the whole machine), to change before [`Workflow::from_graph`](crate::Workflow::from_graph).
    ///
    /// ```
    /// use pollflow::Workflow;
    /// use pollflow::graph::{DelayUntil, State};
    ///
    /// let workflow = Workflow::from_asl(r#"{"StartAt": "P", "States": {"P": {"Type": "Parallel",
    ///   "Branches": [{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}],
    ///   "End": true}}}"#, "example").unwrap();
    /// let mut graph = workflow.graph().clone();
    /// if let Some(State::Delay { until, .. }) = graph.state_mut("W").map(|def| &mut def.state) {
    ///     *until = DelayUntil::Milliseconds(5);
    /// }
    /// let shorter = Workflow::from_graph(graph, []).unwrap();
    /// # assert_ne!(shorter.graph(), workflow.graph());
    /// ```
    pub fn state_mut(&mut self, name: &str) -> Option<&mut StateDef> {
        self.states.iter_mut().find_map(|def| {
            if def.name == name {
                return Some(def);
            }
            match &mut def.state {
                State::Parallel { branches, .. } => branches
                    .iter_mut()
                    .find_map(|branch| branch.state_mut(name)),
                State::Map { processor, .. } => processor.state_mut(name),
                _ => None,
            }
        })
    }
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
    /// Sleeps according to a wait policy before the next check; gives up (`States.Timeout`)
    /// past its budget. The builder's `wait` step; serialized as `"type": "Wait"`. (ASL's
    /// Wait state is [`State::Delay`].)
    #[serde(rename = "Wait")]
    PollWait {
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
    /// Branches on the last check, or on the state's input.
    Choice {
        /// Rules, tried in order.
        choices: Vec<ChoiceRule>,
        /// Where to go when no rule matches; without one, the execution fails with
        /// `States.NoChoiceMatched`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        /// `input_path` and `output_path` apply.
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
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
    /// Ends successfully with the job's output (or, after data-flow states, the current data).
    Succeed {
        /// `input_path` and `output_path` apply.
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
    },
    /// Ends with an error. Without a cause, the job's last detail (as JSON) is the cause.
    Fail {
        /// Error name, such as `States.TaskFailed`.
        error: String,
        /// Cause text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
        /// Takes the error name from the state's input, or from an intrinsic function,
        /// instead (ASL `ErrorPath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_path: Option<PathOrCall>,
        /// Takes the cause from the state's input, or from an intrinsic function, instead
        /// (ASL `CausePath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause_path: Option<PathOrCall>,
        /// A JSONata state's `Error` and `Cause`, as expressions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg(feature = "asl")]
        jsonata: Option<Box<JsonataFields>>,
    },
    /// Calls the task handler bound to `resource` (or to the state's name) with the state's
    /// effective input; its result flows on through the data-flow fields. A resource ending in
    /// `.sync` is a job: submitted, then polled until it ends (ASL `Task`).
    Task {
        /// The resource ARN, such as `arn:aws:states:::batch:submitJob.sync`.
        resource: String,
        /// Input and output processing.
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
        /// Next state; `None` ends the execution with the state's output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
        /// Retries of failed calls, by error name.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        retry: Vec<AslRetrier>,
        /// Where failures go once retries are spent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        catch: Vec<Catcher>,
        /// The state fails with `States.Timeout` after this long (ASL `TimeoutSeconds`).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::policy::millis_option"
        )]
        timeout: Option<std::time::Duration>,
        /// Reads the timeout, in whole seconds (at least 1), from the state's effective input
        /// instead (ASL `TimeoutSecondsPath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_path: Option<Path>,
        /// A `.waitForTaskToken` task fails with `States.HeartbeatTimeout` when no heartbeat
        /// (nor its result) comes for this long (ASL `HeartbeatSeconds`).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::policy::millis_option"
        )]
        heartbeat: Option<std::time::Duration>,
        /// Reads the heartbeat interval, in whole seconds (at least 1), from the state's
        /// effective input instead (ASL `HeartbeatSecondsPath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heartbeat_path: Option<Path>,
    },
    /// Passes its input on, or a fixed `result`, through the data-flow fields (ASL `Pass`).
    Pass {
        /// Used as the state's result instead of its effective input.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<Value>,
        /// Input and output processing.
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
        /// Next state; `None` ends the execution.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Sleeps for a time or until a timestamp (ASL `Wait`; the polling wait is
    /// [`State::PollWait`]).
    Delay {
        /// How long, or until when.
        until: DelayUntil,
        /// `input_path` and `output_path` apply.
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
        /// Next state; `None` ends the execution.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Runs every branch on the state's effective input at once; the result is the array of
    /// the branches' outputs, in branch order (ASL `Parallel`). A failing branch stops the
    /// others and fails the state with its error.
    Parallel {
        /// The branches: each a sub-machine of its own (its states are scoped to it).
        branches: Vec<StateMachine>,
        /// Input and output processing.
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
        /// Next state; `None` ends the execution.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
        /// Retries of the whole state, by error name.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        retry: Vec<AslRetrier>,
        /// Where failures go once retries are spent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        catch: Vec<Catcher>,
    },
    /// Runs `processor` once per item of an array in the state's input; the result is the array
    /// of the items' outputs, in item order (ASL `Map`, inline mode).
    Map {
        /// What runs for each item (ASL `ItemProcessor`, or the legacy `Iterator`).
        processor: Box<StateMachine>,
        /// Where the items are in the state's effective input (ASL `ItemsPath`).
        #[serde(default = "Path::root")]
        items_path: Path,
        /// Builds each item's input; `$$.Map.Item.Index` and `$$.Map.Item.Value` name the item
        /// (ASL `ItemSelector`, or the legacy `Parameters` of a Map state).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item_selector: Option<Box<Template>>,
        /// How many items run at once; 0 is no limit (ASL `MaxConcurrency`).
        #[serde(default, skip_serializing_if = "is_zero")]
        max_concurrency: u32,
        /// Reads `max_concurrency` from the state's input (ASL `MaxConcurrencyPath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_concurrency_path: Option<Path>,
        /// Input and output processing (`parameters` is unused: see `item_selector`).
        #[serde(default, skip_serializing_if = "DataFlow::is_default")]
        io: DataFlow,
        /// Next state; `None` ends the execution.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
        /// Retries of the whole state, by error name.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        retry: Vec<AslRetrier>,
        /// Where failures go once retries are spent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        catch: Vec<Catcher>,
    },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How long a [`State::Delay`] sleeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayUntil {
    /// A fixed number of seconds (ASL `Seconds`).
    Seconds(u64),
    /// A fixed number of milliseconds (finer than ASL allows; for tests and overrides).
    Milliseconds(u64),
    /// Seconds read from the state's input (ASL `SecondsPath`).
    SecondsPath(Path),
    /// An RFC 3339 timestamp (ASL `Timestamp`).
    Timestamp(String),
    /// A timestamp read from the state's input (ASL `TimestampPath`).
    TimestampPath(Path),
    /// Seconds from a JSONata expression (a JSONata state's `Seconds`).
    #[cfg_attr(not(feature = "asl"), serde(skip))]
    SecondsQuery(Query),
    /// A timestamp from a JSONata expression (a JSONata state's `Timestamp`).
    #[cfg_attr(not(feature = "asl"), serde(skip))]
    TimestampQuery(Query),
}

/// ASL input and output processing: `InputPath` → `Parameters` → the task →
/// `ResultSelector` → `ResultPath` → `OutputPath`, and the variables the state assigns
/// (`Assign`). The defaults pass data through unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFlow {
    /// Selects the state's input; `None` (ASL `null`) means `{}`.
    #[serde(default = "root", skip_serializing_if = "is_root")]
    pub input_path: Option<Path>,
    /// Builds the effective input from a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Template>,
    /// Reshapes the task's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Template>,
    /// Where the result goes in the input; `None` (ASL `null`) discards it.
    #[serde(default = "root_reference", skip_serializing_if = "is_root_reference")]
    pub result_path: Option<ReferencePath>,
    /// Selects the state's output; `None` (ASL `null`) means `{}`.
    #[serde(default = "root", skip_serializing_if = "is_root")]
    pub output_path: Option<Path>,
    /// The variables the state assigns once it is done: a template (an object whose field
    /// names are the variables') rendered from the state's result (after `ResultSelector`),
    /// or its input after `InputPath` for a state without a result (Wait, Choice). Every
    /// path in the state, this one's too, reads the variables as they were when it was
    /// entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Template>,
    /// A JSONata state's `Arguments`, `Output`, `Assign` (and its type's other JSONata
    /// fields), instead of the JSONPath fields above, which keep their defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg(feature = "asl")]
    pub jsonata: Option<Box<JsonataFields>>,
}

impl Default for DataFlow {
    fn default() -> Self {
        Self {
            input_path: root(),
            parameters: None,
            result_selector: None,
            result_path: root_reference(),
            output_path: root(),
            assign: None,
            #[cfg(feature = "asl")]
            jsonata: None,
        }
    }
}

/// The fields of a state written in JSONata (`"QueryLanguage": "JSONata"`), each a
/// [`Query`]: JSON whose `{% … %}` strings are expressions over `$states` and the variables.
/// A state has the ones its type takes; absent ones keep Step Functions' defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonataFields {
    /// The effective input of a Task's call or a Parallel's branches (default: the input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Query>,
    /// The state's output (default: the result of a Task, Parallel or Map, the error of a
    /// catcher, else the input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Query>,
    /// The variables assigned: an object of names and values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Query>,
    /// A Map's items: an array, or an expression giving one (default: the input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Query>,
    /// A Map item's input, with `$states.context.Map.Item` (default: the item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_selector: Option<Query>,
    /// A Map's `MaxConcurrency`, as an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<Query>,
    /// A Task's `TimeoutSeconds`, as an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Query>,
    /// A Task's `HeartbeatSeconds`, as an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<Query>,
    /// A Fail state's `Error`, as an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Query>,
    /// A Fail state's `Cause`, as an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Query>,
}

impl JsonataFields {
    /// Each field that is set, with its name in ASL (for the loader and export, which need
    /// `asl`).
    #[cfg_attr(not(feature = "asl"), allow(dead_code))]
    pub(crate) fn named(&self) -> impl Iterator<Item = (&'static str, &Query)> {
        [
            ("Arguments", &self.arguments),
            ("Output", &self.output),
            ("Assign", &self.assign),
            ("Items", &self.items),
            ("ItemSelector", &self.item_selector),
            ("MaxConcurrency", &self.max_concurrency),
            ("TimeoutSeconds", &self.timeout),
            ("HeartbeatSeconds", &self.heartbeat),
            ("Error", &self.error),
            ("Cause", &self.cause),
        ]
        .into_iter()
        .filter_map(|(name, query)| Some((name, query.as_ref()?)))
    }
}

/// The JSONata fields of the graph's items, read through one accessor each: without the
/// `asl` feature the fields do not exist (the npm base package does not pay for them), and the
/// code that reads them compiles away.
macro_rules! jsonata_accessor {
    ($type:ty) => {
        impl $type {
            /// Its JSONata fields, if it is written in JSONata.
            #[cfg(feature = "asl")]
            pub(crate) fn jsonata(&self) -> Option<&JsonataFields> {
                self.jsonata.as_deref()
            }

            /// Its JSONata fields: none without the `asl` feature.
            #[cfg(not(feature = "asl"))]
            pub(crate) fn jsonata(&self) -> Option<&JsonataFields> {
                None
            }
        }
    };
}

jsonata_accessor!(DataFlow);
jsonata_accessor!(Catcher);
jsonata_accessor!(ChoiceRule);

impl State {
    /// A Fail state with this error name and cause (without a cause, the job's last detail).
    pub fn fail(error: impl Into<String>, cause: Option<String>) -> Self {
        State::Fail {
            error: error.into(),
            cause,
            error_path: None,
            cause_path: None,
            #[cfg(feature = "asl")]
            jsonata: None,
        }
    }

    /// A Fail state's JSONata `Error` and `Cause`.
    pub(crate) fn fail_jsonata(&self) -> Option<&JsonataFields> {
        match self {
            #[cfg(feature = "asl")]
            State::Fail { jsonata, .. } => jsonata.as_deref(),
            _ => None,
        }
    }
}

impl DataFlow {
    /// Whether every field has its default (data passes through unchanged).
    pub fn is_default(&self) -> bool {
        // Field by field: comparing with `Self::default()` would build one, and bring the
        // comparison of every field's type into builder-only programs (the npm package).
        is_root(&self.input_path)
            && self.parameters.is_none()
            && self.result_selector.is_none()
            && is_root_reference(&self.result_path)
            && is_root(&self.output_path)
            && self.assign.is_none()
            && self.jsonata().is_none()
    }
}

fn root() -> Option<Path> {
    Some(Path::root())
}

fn is_root(path: &Option<Path>) -> bool {
    path.as_ref().is_some_and(|p| p.as_str() == "$")
}

fn root_reference() -> Option<ReferencePath> {
    Some(ReferencePath::root())
}

fn is_root_reference(path: &Option<ReferencePath>) -> bool {
    path.as_ref().is_some_and(|p| p.as_str() == "$")
}

/// An ASL `Catch` entry: errors named in `error_equals` (or `States.ALL`, last and alone) go
/// to `next`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catcher {
    /// Error names caught.
    pub error_equals: Vec<String>,
    /// Where they go.
    pub next: String,
    /// Where the error (`{"Error", "Cause"}`) goes in the state's input (ASL `ResultPath`);
    /// absent replaces the input, `null` keeps the input unchanged.
    #[serde(default = "root_reference", skip_serializing_if = "is_root_reference")]
    pub result_path: Option<ReferencePath>,
    /// The variables assigned when it catches (ASL `Assign`), rendered from the error
    /// (`{"Error", "Cause"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Template>,
    /// A JSONata state's catcher: its `Output` and `Assign`, over `$states.errorOutput`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg(feature = "asl")]
    pub jsonata: Option<Box<JsonataFields>>,
}

impl Catcher {
    /// Catches every error (`States.ALL`).
    pub fn all(next: impl Into<String>) -> Self {
        Self {
            error_equals: vec![crate::names::ALL.to_owned()],
            next: next.into(),
            result_path: root_reference(),
            assign: None,
            #[cfg(feature = "asl")]
            jsonata: None,
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
    /// The variables assigned when it is taken (ASL `Assign` in a Choice rule), after the
    /// Choice state's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<Template>,
    /// A JSONata Choice state's rule: its `Output` and `Assign`, which replace the state's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg(feature = "asl")]
    pub jsonata: Option<Box<JsonataFields>>,
}

impl ChoiceRule {
    /// A rule that goes to `next` when `condition` holds.
    pub fn new(condition: Condition, next: impl Into<String>) -> Self {
        Self {
            condition,
            next: next.into(),
            assign: None,
            #[cfg(feature = "asl")]
            jsonata: None,
        }
    }
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
    /// Compares the value at `variable` in the state's input (an ASL Choice rule such as
    /// `{"Variable": "$.status", "StringEquals": "FAILED"}`).
    Compare {
        /// Where the value is.
        variable: Path,
        /// How to compare.
        op: Comparison,
        /// What to compare with.
        with: Operand,
    },
    /// A JSONata expression that must give `true` or `false` (a JSONata Choice rule's
    /// `Condition`).
    #[cfg_attr(not(feature = "asl"), serde(skip))]
    Jsonata(Query),
}

/// The right-hand side of a [`Condition::Compare`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// A literal (for `Is*` tests, `true` or `false`).
    Value(Value),
    /// The value at a path in the state's input (the ASL `*Path` operators).
    Path(Path),
}
