//! An execution's pollflow [`Event`]s as Step Functions' history (`GetExecutionHistory`):
//! typed state events (`TaskStateEntered`, `WaitStateExited`...), a Task's `TaskScheduled`,
//! `TaskStarted` and `TaskSucceeded`, Map iterations and Parallel starts, each linked to the
//! event it follows (`previousEventId`, along its branch or iteration).
//!
//! pollflow's own events with no Step Functions counterpart (a `.sync` job's checks and waits,
//! a Choice's pick, a token's issue) are left out.

use std::collections::HashMap;

use pollflow::event::Hop;
use pollflow::graph::{State, StateMachine};
use pollflow::{Event, EventKind};
use serde_json::{json, Map, Value};

use super::protocol::timestamp;
use super::REGION;

/// A state's kind as Step Functions names its events, and a Task's resource.
struct Kind {
    name: &'static str,
    resource: Option<String>,
}

/// An open Parallel or Map state: whether it started its branches, and whether one failed.
#[derive(Default)]
struct Open {
    started: bool,
    failed: bool,
}

/// Writes the history of one execution.
pub(crate) struct History<'a> {
    kinds: HashMap<&'a str, Kind>,
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
                let (name, resource) = match &def.state {
                    State::Task { resource, .. } => ("Task", Some(resource.clone())),
                    State::Submit { .. } | State::Check { .. } | State::Notify { .. } => {
                        ("Task", None)
                    }
                    State::PollWait { .. } | State::Delay { .. } => ("Wait", None),
                    State::Choice { .. } => ("Choice", None),
                    State::Pass { .. } => ("Pass", None),
                    State::Succeed { .. } => ("Succeed", None),
                    State::Fail { .. } => ("Fail", None),
                    State::Parallel { branches, .. } => {
                        machines.extend(branches.iter());
                        ("Parallel", None)
                    }
                    State::Map { processor, .. } => {
                        machines.push(processor);
                        ("Map", None)
                    }
                };
                kinds.insert(def.name.as_str(), Kind { name, resource });
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
        let route = &event.route;
        match &event.kind {
            EventKind::ExecutionStarted { input } => self.push(
                event,
                route,
                "ExecutionStarted",
                json!({"executionStartedEventDetails": {
                    "input": input.to_string(),
                    "inputDetails": {"truncated": false},
                    "roleArn": self.role_arn,
                }}),
            ),
            EventKind::StateEntered { state, input } => {
                let kind = self.kind(state);
                self.push(
                    event,
                    route,
                    &format!("{kind}StateEntered"),
                    json!({"stateEnteredEventDetails": {
                        "name": &**state,
                        "input": input.to_string(),
                        "inputDetails": {"truncated": false},
                    }}),
                );
                match kind {
                    "Task" => self.schedule(event, route, state),
                    "Succeed" => {
                        self.succeeding.insert(route.clone(), state.to_string());
                    }
                    "Parallel" | "Map" => {
                        self.open
                            .insert((route.clone(), state.to_string()), Open::default());
                    }
                    _ => {}
                }
            }
            EventKind::StateExited { state, output } => {
                let kind = self.kind(state);
                if let Some(open) = self.open.remove(&(route.clone(), state.to_string())) {
                    if !open.started && kind == "Map" {
                        self.push(event, route, "MapStateStarted", json!({"mapStateStartedEventDetails": {"length": 0}}));
                    }
                    if kind == "Parallel" && !open.started {
                        self.push(event, route, "ParallelStateStarted", json!({}));
                    }
                    self.push(event, route, &format!("{kind}StateSucceeded"), json!({}));
                }
                self.push(
                    event,
                    route,
                    &format!("{kind}StateExited"),
                    json!({"stateExitedEventDetails": {
                        "name": &**state,
                        "output": output.to_string(),
                        "outputDetails": {"truncated": false},
                    }}),
                );
            }
            EventKind::TaskSubmitted { state, handle } => {
                self.scheduled_again(event, route);
                let details = self.task_details(state, [("output", Value::String(handle.to_string())), ("outputDetails", json!({"truncated": false}))]);
                self.push(event, route, "TaskSubmitted", json!({"taskSubmittedEventDetails": details}));
            }
            EventKind::TaskSucceeded { state, output } => {
                self.scheduled_again(event, route);
                let output = [("output", Value::String(output.to_string())), ("outputDetails", json!({"truncated": false}))];
                if self.is_lambda_function(state) {
                    self.push(event, route, "LambdaFunctionSucceeded", json!({"lambdaFunctionSucceededEventDetails": Map::from_iter(output.map(|(k, v)| (k.to_owned(), v)))}));
                } else {
                    let details = self.task_details(state, output);
                    self.push(event, route, "TaskSucceeded", json!({"taskSucceededEventDetails": details}));
                }
            }
            EventKind::TaskFailed { state, error, retry_in_ms } => {
                self.scheduled_again(event, route);
                if self.is_lambda_function(state) {
                    self.push(event, route, "LambdaFunctionFailed", json!({"lambdaFunctionFailedEventDetails": {"error": error.error, "cause": error.cause}}));
                } else {
                    let details = self.task_details(state, [("error", json!(error.error)), ("cause", json!(error.cause))]);
                    self.push(event, route, "TaskFailed", json!({"taskFailedEventDetails": details}));
                }
                if retry_in_ms.is_some() {
                    self.unscheduled.insert(route.clone(), state.to_string());
                }
            }
            EventKind::BranchStarted { .. } => {
                let Some((hop, parent)) = route.split_last() else {
                    return;
                };
                let kind = self.kind(&hop.state);
                let key = (parent.to_vec(), hop.state.to_string());
                let first = self.open.get(&key).is_some_and(|open| !open.started);
                if let Some(open) = self.open.get_mut(&key) {
                    open.started = true;
                }
                if first && kind == "Parallel" {
                    self.push(event, parent, "ParallelStateStarted", json!({}));
                } else if first {
                    let length = later
                        .iter()
                        .chain([event])
                        .filter(|e| matches!(e.kind, EventKind::BranchStarted { .. }))
                        .filter(|e| e.route.len() == route.len() && e.route[..parent.len()] == *parent)
                        .filter(|e| e.route[parent.len()].state == hop.state)
                        .count();
                    self.push(event, parent, "MapStateStarted", json!({"mapStateStartedEventDetails": {"length": length}}));
                }
                if kind == "Map" {
                    self.iteration(event, "MapIterationStarted", hop);
                }
            }
            EventKind::BranchSucceeded { output } => {
                self.exit_succeed(event, route, output);
                self.branch_ended(event, "Succeeded");
            }
            EventKind::BranchFailed { .. } => {
                if let Some((hop, parent)) = route.split_last() {
                    if let Some(open) = self.open.get_mut(&(parent.to_vec(), hop.state.to_string())) {
                        open.failed = true;
                    }
                }
                self.branch_ended(event, "Failed");
            }
            EventKind::BranchAborted { .. } => self.branch_ended(event, "Aborted"),
            EventKind::ExecutionSucceeded { output } => {
                self.exit_succeed(event, &[], output);
                self.push(
                    event,
                    &[],
                    "ExecutionSucceeded",
                    json!({"executionSucceededEventDetails": {
                        "output": output.to_string(),
                        "outputDetails": {"truncated": false},
                    }}),
                );
            }
            EventKind::ExecutionFailed { error } => self.push(
                event,
                &[],
                "ExecutionFailed",
                json!({"executionFailedEventDetails": {"error": error.error, "cause": error.cause}}),
            ),
            EventKind::ExecutionTimedOut { error } => self.push(
                event,
                &[],
                "ExecutionTimedOut",
                json!({"executionTimedOutEventDetails": {"error": error.error, "cause": error.cause}}),
            ),
            EventKind::ExecutionAborted { .. } => {
                let details = match &self.stopped {
                    Some((error, cause)) => json!({"executionAbortedEventDetails": {"error": error, "cause": cause}}),
                    None => json!({}),
                };
                self.push(event, &[], "ExecutionAborted", details);
            }
            _ => {}
        }
    }

    /// `SucceedStateExited` of the Succeed state that ended `route` with `output`.
    fn exit_succeed(&mut self, event: &Event, route: &[Hop], output: &Value) {
        if let Some(state) = self.succeeding.remove(route) {
            self.push(
                event,
                route,
                "SucceedStateExited",
                json!({"stateExitedEventDetails": {
                    "name": state,
                    "output": output.to_string(),
                    "outputDetails": {"truncated": false},
                }}),
            );
        }
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
        for key in failed {
            self.open.remove(&key);
            let kind = self.kind(&key.1);
            self.push(event, &key.0, &format!("{kind}StateFailed"), json!({}));
        }
    }

    /// A Map item's or Parallel branch's end (only Map items have events of their own).
    fn branch_ended(&mut self, event: &Event, how: &str) {
        if let Some(hop) = event.route.last() {
            if self.kind(&hop.state) == "Map" {
                self.iteration(event, &format!("MapIteration{how}"), hop);
            }
        }
    }

    /// A Map iteration's event, its details named after it (`mapIterationStartedEventDetails`).
    fn iteration(&mut self, event: &Event, kind: &str, hop: &Hop) {
        let mut details = Map::new();
        details.insert(
            format!("{}EventDetails", lower_first(kind)),
            json!({"name": &*hop.state, "index": hop.index}),
        );
        self.push(event, &event.route, kind, Value::Object(details));
    }

    /// `TaskScheduled` and `TaskStarted` (for a Lambda function's ARN,
    /// `LambdaFunctionScheduled` and `LambdaFunctionStarted`): the engine calls a Task's
    /// handler as it enters.
    fn schedule(&mut self, event: &Event, route: &[Hop], state: &str) {
        if self.is_lambda_function(state) {
            let resource = self.resource(state).to_owned();
            self.push(
                event,
                route,
                "LambdaFunctionScheduled",
                json!({"lambdaFunctionScheduledEventDetails": {"resource": resource}}),
            );
            self.push(event, route, "LambdaFunctionStarted", json!({}));
            return;
        }
        let scheduled = self.task_details(state, [("region", json!(REGION))]);
        self.push(
            event,
            route,
            "TaskScheduled",
            json!({"taskScheduledEventDetails": scheduled}),
        );
        let started = self.task_details(state, []);
        self.push(
            event,
            route,
            "TaskStarted",
            json!({"taskStartedEventDetails": started}),
        );
    }

    /// A retried Task's next call: scheduled and started again before its outcome.
    fn scheduled_again(&mut self, event: &Event, route: &[Hop]) {
        if let Some(state) = self.unscheduled.remove(route) {
            self.schedule(event, route, &state);
        }
    }

    /// `resourceType` and `resource` (Step Functions splits `arn:aws:states:::sns:publish`
    /// into `sns` and `publish`; a Lambda function's ARN is `lambda` and the ARN), with `more`.
    fn task_details<const N: usize>(&self, state: &str, more: [(&str, Value); N]) -> Value {
        let resource = self.resource(state);
        let (kind, name) = match resource.strip_prefix("arn:aws:states:::") {
            Some(rest) => rest.split_once(':').unwrap_or((rest, "")),
            None => (resource.split(':').nth(2).unwrap_or("activity"), resource),
        };
        let mut details = Map::new();
        details.insert("resourceType".into(), json!(kind));
        details.insert("resource".into(), json!(name));
        for (key, value) in more {
            details.insert(key.into(), value);
        }
        Value::Object(details)
    }

    fn resource(&self, state: &str) -> &str {
        self.kinds
            .get(state)
            .and_then(|k| k.resource.as_deref())
            .unwrap_or_default()
    }

    /// A Task state calling a Lambda function by its ARN (not `lambda:invoke`): Step
    /// Functions records its calls as `LambdaFunction*` events.
    fn is_lambda_function(&self, state: &str) -> bool {
        self.resource(state).starts_with("arn:aws:lambda:")
    }

    fn kind(&self, state: &str) -> &'static str {
        self.kinds.get(state).map_or("Task", |k| k.name)
    }

    /// Appends an event of `kind` at `event`'s time, following the last on `route` (or on
    /// the nearest enclosing route).
    fn push(&mut self, event: &Event, route: &[Hop], kind: &str, details: Value) {
        let id = self.out.len() as i64 + 1;
        let previous = (0..=route.len())
            .rev()
            .find_map(|depth| self.last.get(&route[..depth]).copied())
            .unwrap_or(0);
        let mut entry = json!({
            "timestamp": timestamp(event.timestamp_ms),
            "type": kind,
            "id": id,
            "previousEventId": previous,
        });
        if let (Value::Object(entry), Value::Object(details)) = (&mut entry, details) {
            entry.extend(details);
        }
        self.out.push(entry);
        self.last.insert(route.to_vec(), id);
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
