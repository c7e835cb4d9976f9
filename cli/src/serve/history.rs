//! An execution's pollflow [`Event`]s as Step Functions' history (`GetExecutionHistory`):
//! typed state events (`TaskStateEntered`, `WaitStateExited`...), a Task's `TaskScheduled`,
//! `TaskStarted` and `TaskSucceeded` (`LambdaFunction...` for a Lambda function's ARN), Map
//! iterations and Parallel starts, each linked to the event it follows (`previousEventId`,
//! along its branch or iteration).
//!
//! pollflow's own events with no Step Functions counterpart (a `.sync` job's checks and waits,
//! a Choice's pick, a token's issue) are left out.

use std::collections::HashMap;

use pollflow::event::Hop;
use pollflow::graph::{State, StateMachine};
use pollflow::{Event, EventKind, TaskError};
use serde_json::{json, Map, Value};

use super::REGION;
use crate::sfn_protocol::timestamp;

/// A state's type, as Step Functions names its events (`<Type>StateEntered`).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Task,
    Wait,
    Choice,
    Pass,
    Succeed,
    Fail,
    Parallel,
    Map,
}

impl Kind {
    fn of(state: &State) -> Self {
        match state {
            State::PollWait { .. } | State::Delay { .. } => Self::Wait,
            State::Choice { .. } => Self::Choice,
            State::Pass { .. } => Self::Pass,
            State::Succeed { .. } => Self::Succeed,
            State::Fail { .. } => Self::Fail,
            State::Parallel { .. } => Self::Parallel,
            State::Map { .. } => Self::Map,
            _ => Self::Task,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Task => "Task",
            Self::Wait => "Wait",
            Self::Choice => "Choice",
            Self::Pass => "Pass",
            Self::Succeed => "Succeed",
            Self::Fail => "Fail",
            Self::Parallel => "Parallel",
            Self::Map => "Map",
        }
    }
}

/// An open Parallel or Map state: whether it started its branches, and whether one failed.
#[derive(Default)]
struct Open {
    started: bool,
    failed: bool,
}

/// Writes the history of one execution.
pub(crate) struct History<'a> {
    kinds: HashMap<&'a str, (Kind, &'a str)>,
    role_arn: &'a str,
    /// The execution's abort reason (`StopExecution`'s `error` and `cause`).
    stopped: Option<(String, String)>,
    out: Vec<Value>,
    /// The last event's id along each route.
    last: HashMap<Vec<Hop>, i64>,
    /// The Parallel and Map states entered and not yet exited, by their own route and name.
    open: HashMap<(Vec<Hop>, String), Open>,
    /// Task states whose next call is not yet scheduled (after a retried failure).
    unscheduled: HashMap<Vec<Hop>, String>,
    /// The Succeed state each route is in: pollflow's events end there, Step Functions' exit
    /// it first (`SucceedStateExited`).
    succeeding: HashMap<Vec<Hop>, String>,
}

impl<'a> History<'a> {
    pub(crate) fn new(
        graph: &'a StateMachine,
        role_arn: &'a str,
        stopped: Option<(String, String)>,
    ) -> Self {
        let mut kinds = HashMap::new();
        let mut machines = vec![graph];
        while let Some(machine) = machines.pop() {
            for def in &machine.states {
                let resource = match &def.state {
                    State::Task { resource, .. } => resource.as_str(),
                    State::Parallel { branches, .. } => {
                        machines.extend(branches.iter());
                        ""
                    }
                    State::Map { processor, .. } => {
                        machines.push(processor);
                        ""
                    }
                    _ => "",
                };
                kinds.insert(def.name.as_str(), (Kind::of(&def.state), resource));
            }
        }
        Self {
            kinds,
            role_arn,
            stopped,
            out: Vec::new(),
            last: HashMap::new(),
            open: HashMap::new(),
            unscheduled: HashMap::new(),
            succeeding: HashMap::new(),
        }
    }

    /// Step Functions' events for `events`, in order.
    pub(crate) fn write(mut self, events: &[Event]) -> Vec<Value> {
        for (at, event) in events.iter().enumerate() {
            self.close_failed(event);
            self.read(event, &events[at + 1..]);
        }
        self.out
    }

    fn read(&mut self, event: &Event, later: &[Event]) {
        match &event.kind {
            EventKind::ExecutionStarted { input } => {
                let details = json!({
                    "input": input.to_string(),
                    "inputDetails": {"truncated": false},
                    "roleArn": self.role_arn,
                });
                self.push(event, &[], "ExecutionStarted", details);
            }
            EventKind::StateEntered { state, input } => self.entered(event, state, input),
            EventKind::StateExited { state, output } => self.exited(event, state, output),
            EventKind::TaskSubmitted { state, handle } => {
                self.scheduled_again(event);
                let details = self.task_details(state, with_output(handle));
                self.push(event, &event.route, "TaskSubmitted", details);
            }
            EventKind::TaskSucceeded { state, output } => {
                self.scheduled_again(event);
                if self.is_lambda_function(state) {
                    let details = Value::Object(with_output(output));
                    let route = &event.route;
                    self.push(event, route, "LambdaFunctionSucceeded", details);
                } else {
                    let details = self.task_details(state, with_output(output));
                    self.push(event, &event.route, "TaskSucceeded", details);
                }
            }
            EventKind::TaskFailed {
                state,
                error,
                retry_in_ms,
            } => {
                self.scheduled_again(event);
                self.task_failed(event, state, error);
                if retry_in_ms.is_some() {
                    self.unscheduled
                        .insert(event.route.clone(), state.to_string());
                }
            }
            EventKind::BranchStarted { .. } => self.branch_started(event, later),
            EventKind::BranchSucceeded { output } => {
                self.exit_succeed(event, &event.route, output);
                self.branch_ended(event, "Succeeded");
            }
            EventKind::BranchFailed { .. } => {
                if let Some(open) = self.open_of(&event.route) {
                    open.failed = true;
                }
                self.branch_ended(event, "Failed");
            }
            EventKind::BranchAborted { .. } => self.branch_ended(event, "Aborted"),
            EventKind::ExecutionSucceeded { output } => {
                self.exit_succeed(event, &[], output);
                let details = Value::Object(with_output(output));
                self.push(event, &[], "ExecutionSucceeded", details);
            }
            EventKind::ExecutionFailed { error } => {
                self.push(event, &[], "ExecutionFailed", error_details(error));
            }
            EventKind::ExecutionTimedOut { error } => {
                let details = error_details(error);
                self.push(event, &[], "ExecutionTimedOut", details);
            }
            EventKind::ExecutionAborted { .. } => {
                let details = match &self.stopped {
                    Some((error, cause)) => json!({"error": error, "cause": cause}),
                    None => json!({}),
                };
                self.push(event, &[], "ExecutionAborted", details);
            }
            _ => {}
        }
    }

    fn entered(&mut self, event: &Event, state: &str, input: &Value) {
        let kind = self.kind(state);
        let details = json!({
            "name": state,
            "input": input.to_string(),
            "inputDetails": {"truncated": false},
        });
        let name = format!("{}StateEntered", kind.name());
        self.push(event, &event.route, &name, details);
        let key = event.route.clone();
        match kind {
            Kind::Task => self.schedule(event, state),
            Kind::Succeed => {
                self.succeeding.insert(key, state.to_owned());
            }
            Kind::Parallel | Kind::Map => {
                self.open.insert((key, state.to_owned()), Open::default());
            }
            _ => {}
        }
    }

    fn exited(&mut self, event: &Event, state: &str, output: &Value) {
        let kind = self.kind(state).name();
        let route = &event.route;
        if let Some(open) = self.open.remove(&(route.clone(), state.to_owned())) {
            if !open.started {
                // No branch or item ran: the start is still Step Functions' second event.
                match self.kind(state) {
                    Kind::Map => {
                        let details = json!({"length": 0});
                        self.push(event, route, "MapStateStarted", details);
                    }
                    _ => self.push(event, route, "ParallelStateStarted", Value::Null),
                }
            }
            self.push(event, route, &format!("{kind}StateSucceeded"), Value::Null);
        }
        let details = state_exited(state, output);
        self.push(event, route, &format!("{kind}StateExited"), details);
    }

    fn task_failed(&mut self, event: &Event, state: &str, error: &TaskError) {
        let route = &event.route;
        if self.is_lambda_function(state) {
            let details = error_details(error);
            self.push(event, route, "LambdaFunctionFailed", details);
        } else {
            let Value::Object(error) = error_details(error) else {
                return;
            };
            let details = self.task_details(state, error);
            self.push(event, route, "TaskFailed", details);
        }
    }

    /// A branch's or item's start: the first opens its Parallel (`ParallelStateStarted`) or
    /// Map (`MapStateStarted` with the number of items); a Map item is an iteration.
    fn branch_started(&mut self, event: &Event, later: &[Event]) {
        let Some((hop, parent)) = event.route.split_last() else {
            return;
        };
        let kind = self.kind(&hop.state);
        let first = self.open_of(&event.route).is_some_and(|open| {
            let first = !open.started;
            open.started = true;
            first
        });
        if first && kind == Kind::Parallel {
            self.push(event, parent, "ParallelStateStarted", Value::Null);
        } else if first {
            let details = json!({"length": items(hop, parent, later)});
            self.push(event, parent, "MapStateStarted", details);
        }
        if kind == Kind::Map {
            self.iteration(event, "Started", hop);
        }
    }

    /// The open Parallel or Map state a branch or item at `route` belongs to.
    fn open_of(&mut self, route: &[Hop]) -> Option<&mut Open> {
        let (hop, parent) = route.split_last()?;
        self.open.get_mut(&(parent.to_vec(), hop.state.to_string()))
    }

    /// Before the first event on a Parallel or Map state's own level after one of its
    /// branches failed: `ParallelStateFailed` or `MapStateFailed`.
    fn close_failed(&mut self, event: &Event) {
        let failed: Vec<(Vec<Hop>, String)> = self
            .open
            .iter()
            .filter(|((route, _), open)| open.failed && *route == event.route)
            .map(|(key, _)| key.clone())
            .collect();
        for (route, state) in failed {
            self.open.remove(&(route.clone(), state.clone()));
            let name = format!("{}StateFailed", self.kind(&state).name());
            self.push(event, &route, &name, Value::Null);
        }
    }

    /// `SucceedStateExited` of the Succeed state that ended `route` with `output`.
    fn exit_succeed(&mut self, event: &Event, route: &[Hop], output: &Value) {
        if let Some(state) = self.succeeding.remove(route) {
            let details = state_exited(&state, output);
            self.push(event, route, "SucceedStateExited", details);
        }
    }

    /// A Map item's or Parallel branch's end (only Map items have events of their own).
    fn branch_ended(&mut self, event: &Event, how: &str) {
        if let Some(hop) = event.route.last() {
            if self.kind(&hop.state) == Kind::Map {
                self.iteration(event, how, hop);
            }
        }
    }

    /// `MapIteration<how>`, with the Map state's name and the item's index.
    fn iteration(&mut self, event: &Event, how: &str, hop: &Hop) {
        let details = json!({"name": &*hop.state, "index": hop.index});
        self.push(event, &event.route, &format!("MapIteration{how}"), details);
    }

    /// `TaskScheduled` and `TaskStarted` (for a Lambda function's ARN,
    /// `LambdaFunctionScheduled` and `LambdaFunctionStarted`): the engine calls a Task's
    /// handler as it enters.
    fn schedule(&mut self, event: &Event, state: &str) {
        let route = &event.route;
        if self.is_lambda_function(state) {
            let details = json!({"resource": self.resource(state)});
            self.push(event, route, "LambdaFunctionScheduled", details);
            self.push(event, route, "LambdaFunctionStarted", Value::Null);
            return;
        }
        let region = Map::from_iter([("region".to_owned(), json!(REGION))]);
        let scheduled = self.task_details(state, region);
        self.push(event, route, "TaskScheduled", scheduled);
        let started = self.task_details(state, Map::new());
        self.push(event, route, "TaskStarted", started);
    }

    /// A retried Task's next call: scheduled and started again before its outcome.
    fn scheduled_again(&mut self, event: &Event) {
        if let Some(state) = self.unscheduled.remove(&event.route) {
            self.schedule(event, &state);
        }
    }

    /// `resourceType` and `resource`, with `more`. Step Functions splits
    /// `arn:aws:states:::sns:publish` into `sns` and `publish`, and
    /// `arn:aws:states:::aws-sdk:s3:getObject` into `aws-sdk:s3` and `getObject`; a resource
    /// only pollflow knows (a local name) is `pollflow` and the name.
    fn task_details(&self, state: &str, more: Map<String, Value>) -> Value {
        let resource = self.resource(state);
        let (kind, name) = match resource.strip_prefix("arn:aws:states:::") {
            Some(rest) if rest.starts_with(AWS_SDK) => {
                let service_end = rest[AWS_SDK.len()..].find(':').map(|at| at + AWS_SDK.len());
                service_end.map_or((rest, ""), |at| (&rest[..at], &rest[at + 1..]))
            }
            Some(rest) => rest.split_once(':').unwrap_or((rest, "")),
            None => ("pollflow", resource),
        };
        let mut details = Map::from_iter([
            ("resourceType".to_owned(), json!(kind)),
            ("resource".to_owned(), json!(name)),
        ]);
        details.extend(more);
        Value::Object(details)
    }

    fn resource(&self, state: &str) -> &str {
        self.kinds.get(state).map_or("", |(_, resource)| resource)
    }

    /// A Task state calling a Lambda function by its ARN (not `lambda:invoke`): Step
    /// Functions records its calls as `LambdaFunction*` events.
    fn is_lambda_function(&self, state: &str) -> bool {
        self.resource(state).starts_with("arn:aws:lambda:")
    }

    fn kind(&self, state: &str) -> Kind {
        self.kinds.get(state).map_or(Kind::Task, |(kind, _)| *kind)
    }

    /// Appends an event of type `kind` at `event`'s time, its `details` (unless null) under
    /// the name Step Functions gives them ([`details_field`]), following the last event on
    /// `route` (or on the nearest enclosing route).
    fn push(&mut self, event: &Event, route: &[Hop], kind: &str, details: Value) {
        let id = self.out.len() as i64 + 1;
        let previous = (0..=route.len())
            .rev()
            .find_map(|depth| self.last.get(&route[..depth]).copied())
            .unwrap_or(0);
        let mut entry = Map::from_iter([
            ("timestamp".to_owned(), timestamp(event.timestamp_ms)),
            ("type".to_owned(), json!(kind)),
            ("id".to_owned(), json!(id)),
            ("previousEventId".to_owned(), json!(previous)),
        ]);
        if !details.is_null() {
            entry.insert(details_field(kind), details);
        }
        self.out.push(Value::Object(entry));
        self.last.insert(route.to_vec(), id);
    }
}

/// The prefix of an AWS SDK integration's resource after `arn:aws:states:::`.
const AWS_SDK: &str = "aws-sdk:";

/// Where an event of type `kind` keeps its details: `stateEnteredEventDetails` for every
/// `<Type>StateEntered` (and `Exited` alike), `<kind, lower camel case>EventDetails` otherwise.
fn details_field(kind: &str) -> String {
    let name = if kind.ends_with("StateEntered") {
        "stateEntered".to_owned()
    } else if kind.ends_with("StateExited") {
        "stateExited".to_owned()
    } else {
        let mut chars = kind.chars();
        chars
            .next()
            .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
            .unwrap_or_default()
    };
    format!("{name}EventDetails")
}

/// How many items the Map at `parent` + `hop` runs, seen from its first item's start: that
/// one and those started after it before the Map exits.
fn items(hop: &Hop, parent: &[Hop], later: &[Event]) -> usize {
    let exits = |e: &&Event| {
        e.route == parent
            && matches!(&e.kind, EventKind::StateExited { state, .. } if *state == hop.state)
    };
    let ends = later.iter().position(|e| exits(&e)).unwrap_or(later.len());
    let started = |e: &&Event| {
        matches!(e.kind, EventKind::BranchStarted { .. })
            && e.route.len() == parent.len() + 1
            && e.route.starts_with(parent)
            && e.route[parent.len()].state == hop.state
    };
    1 + later[..ends].iter().filter(started).count()
}

/// A `<Type>StateExited` event's details.
fn state_exited(state: &str, output: &Value) -> Value {
    let mut details = with_output(output);
    details.insert("name".into(), json!(state));
    Value::Object(details)
}

/// `output` as Step Functions' details carry it.
fn with_output(output: &Value) -> Map<String, Value> {
    Map::from_iter([
        ("output".to_owned(), json!(output.to_string())),
        ("outputDetails".to_owned(), json!({"truncated": false})),
    ])
}

fn error_details(error: &TaskError) -> Value {
    json!({"error": error.error, "cause": error.cause})
}
