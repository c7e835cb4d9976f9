//! Amazon States Language → the engine's graph, with every problem reported at once.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::graph::{State, StateDef, StateMachine};
use crate::workflow::{too_deep, BuildError, Problem, MAX_NESTING};

mod branches;
mod choice;
mod fields;
mod jsonata;
mod retry_catch;

/// Loads an ASL definition (the JSON of a Step Functions state machine) into a graph that
/// [`Workflow::from_graph`](crate::Workflow::from_graph) runs. Problems name the state and the
/// JSON path of the field, as in `$.States['Wait X Seconds'].SecondsPath`.
///
/// ```
/// use serde_json::json;
///
/// let graph = pollflow::asl::from_asl(&json!({
///     "StartAt": "Hello",
///     "States": { "Hello": { "Type": "Pass", "Result": "world", "End": true } }
/// }), "hello").unwrap();
/// assert_eq!(graph.states[0].name, "Hello");
///
/// let err = pollflow::asl::from_asl(&json!({
///     "StartAt": "Nowhere",
///     "States": { "Wait": { "Type": "Wait", "Next": "Gone" } }
/// }), "broken").unwrap_err();
/// assert_eq!(err.problems.len(), 3); // StartAt, Wait's duration, Wait's Next
/// ```
pub fn from_asl(definition: &Value, name: &str) -> Result<StateMachine, BuildError> {
    let mut loader = Loader::default();
    let graph = loader.machine(definition, name, "$", TOP);
    match graph {
        Some(graph) if loader.problems.is_empty() => Ok(graph),
        _ => Err(BuildError {
            problems: loader.problems,
        }),
    }
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
/// The fields of a state machine, of a Parallel branch, of a Map's `ItemProcessor`.
const TOP: &[&str] = &[
    "StartAt",
    "States",
    "Comment",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];
const BRANCH: &[&str] = &["StartAt", "States", "Comment"];
const PROCESSOR: &[&str] = &["StartAt", "States", "Comment", "ProcessorConfig"];
/// Map fields of the distributed mode, which pollflow does not run.
const DISTRIBUTED: &[&str] = &[
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
];
const FLOW: &[&str] = &["Next", "End"];
const IO: &[&str] = &["InputPath", "OutputPath"];
/// Variables (`Assign`): every state that has a result or an input to take them from.
const ASSIGN: &[&str] = &["Assign"];
const RESULT: &[&str] = &["Parameters", "ResultPath"];

#[derive(Default)]
struct Loader {
    problems: Vec<Problem>,
    /// The states `Next` may name: those of the (sub-)machine being read.
    names: HashSet<String>,
    /// Every state name so far, with its path: names are unique in the whole machine.
    seen: HashMap<String, String>,
    /// How many Parallel or Map states enclose the (sub-)machine being read.
    depth: u32,
    /// The state machine's `QueryLanguage` is JSONata: its states are, unless they say
    /// otherwise.
    jsonata: bool,
}

/// One state (or a Choice rule, or a catcher) being read: its name, the JSON path of its
/// object, and whether its query language is JSONata.
struct At<'a> {
    state: &'a str,
    path: String,
    fields: &'a Map<String, Value>,
    jsonata: bool,
}

impl At<'_> {
    fn field(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}

impl Loader {
    fn problem(&mut self, state: Option<&str>, path: String, message: impl Into<String>) {
        self.problems.push(Problem {
            state: state.map(str::to_owned),
            path,
            message: message.into(),
        });
    }

    /// A state machine at `prefix` (`$`, or a branch's path) with the top-level `fields` it may have.
    fn machine(
        &mut self,
        definition: &Value,
        name: &str,
        prefix: &str,
        fields: &[&str],
    ) -> Option<StateMachine> {
        let Some(top) = definition.as_object() else {
            self.problem(None, prefix.into(), "a state machine must be a JSON object");
            return None;
        };
        for key in top.keys() {
            if !fields.contains(&key.as_str()) {
                self.problem(None, format!("{prefix}.{key}"), "unknown field");
            }
        }
        if let Some(jsonata) = self.query_language(
            None,
            format!("{prefix}.QueryLanguage"),
            top.get("QueryLanguage"),
        ) {
            self.jsonata = jsonata;
        }
        let timeout = self.seconds(
            None,
            format!("{prefix}.TimeoutSeconds"),
            top.get("TimeoutSeconds"),
        );
        let start_at = match top.get("StartAt") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.problem(None, format!("{prefix}.StartAt"), "must be a string");
                String::new()
            }
            None => {
                self.problem(None, format!("{prefix}.StartAt"), "is required");
                String::new()
            }
        };
        let Some(states) = top.get("States").and_then(Value::as_object) else {
            self.problem(
                None,
                format!("{prefix}.States"),
                "is required and must be an object",
            );
            return None;
        };
        if states.is_empty() {
            self.problem(None, format!("{prefix}.States"), "needs at least one state");
        }
        let outer = std::mem::replace(&mut self.names, states.keys().cloned().collect());
        if !start_at.is_empty() && !self.names.contains(&start_at) {
            self.problem(
                None,
                format!("{prefix}.StartAt"),
                format!("no state named {start_at:?}"),
            );
        }
        let mut defs = Vec::with_capacity(states.len());
        for (state_name, body) in states {
            let path = format!("{prefix}.States{}", quote(state_name));
            if state_name.chars().count() > 80 {
                self.problem(
                    Some(state_name),
                    path.clone(),
                    "state names are at most 80 characters",
                );
            }
            if let Some(first) = self.seen.insert(state_name.clone(), path.clone()) {
                self.problem(
                    Some(state_name),
                    path.clone(),
                    format!(
                        "state names are unique in the whole state machine; {first} has it too"
                    ),
                );
            }
            let Some(fields) = body.as_object() else {
                self.problem(Some(state_name), path, "a state must be a JSON object");
                continue;
            };
            let jsonata = match self.query_language(
                Some(state_name),
                format!("{path}.QueryLanguage"),
                fields.get("QueryLanguage"),
            ) {
                Some(false) if self.jsonata => {
                    self.problem(
                        Some(state_name),
                        format!("{path}.QueryLanguage"),
                        "a state of a JSONata state machine cannot use JSONPath",
                    );
                    true
                }
                Some(jsonata) => jsonata,
                None => self.jsonata,
            };
            let at = At {
                state: state_name,
                path,
                fields,
                jsonata,
            };
            if let Some(state) = self.state(&at) {
                defs.push(StateDef {
                    name: state_name.clone(),
                    state,
                });
            }
        }
        self.names = outer;
        Some(StateMachine {
            name: name.to_owned(),
            start_at,
            states: defs,
            cancel_on_stop: true,
            timeout,
            sync_poll: None,
        })
    }

    /// A Parallel branch or a Map processor at `prefix`: a machine one level deeper, or a
    /// problem past [`MAX_NESTING`] levels.
    fn nested(
        &mut self,
        at: &At<'_>,
        definition: &Value,
        name: &str,
        prefix: &str,
        fields: &[&str],
    ) -> Option<StateMachine> {
        if self.depth >= MAX_NESTING {
            self.problem(Some(at.state), prefix.to_owned(), too_deep());
            return None;
        }
        self.depth += 1;
        let machine = self.machine(definition, name, prefix, fields);
        self.depth -= 1;
        machine
    }

    fn state(&mut self, at: &At<'_>) -> Option<State> {
        let kind = match at.get("Type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(_) => {
                self.problem(Some(at.state), at.field("Type"), "must be a string");
                return None;
            }
            None => {
                self.problem(Some(at.state), at.field("Type"), "is required");
                return None;
            }
        };
        match kind {
            "Task" => {
                self.allow(
                    at,
                    &[
                        COMMON,
                        FLOW,
                        IO,
                        RESULT,
                        ASSIGN,
                        &[
                            "Resource",
                            "ResultSelector",
                            "Retry",
                            "Catch",
                            "TimeoutSeconds",
                            "TimeoutSecondsPath",
                            "HeartbeatSeconds",
                            "HeartbeatSecondsPath",
                        ],
                    ],
                );
                let resource = match at.get("Resource") {
                    Some(Value::String(r)) => r.clone(),
                    _ => {
                        self.problem(
                            Some(at.state),
                            at.field("Resource"),
                            "is required and must be a string (an ARN)",
                        );
                        String::new()
                    }
                };
                let heartbeat = self.task_seconds(at, "HeartbeatSeconds");
                let timeout = self.task_seconds(at, "TimeoutSeconds");
                if let (Some(heartbeat), Some(timeout)) = (heartbeat, timeout) {
                    if heartbeat >= timeout {
                        self.problem(
                            Some(at.state),
                            at.field("HeartbeatSeconds"),
                            "must be less than TimeoutSeconds",
                        );
                    }
                }
                Some(State::Task {
                    resource,
                    io: self.io(at, true),
                    next: self.flow(at),
                    retry: self.retry(at),
                    catch: self.catch(at),
                    timeout,
                    timeout_path: self.path_instead_of(at, "TimeoutSecondsPath", "TimeoutSeconds"),
                    heartbeat,
                    heartbeat_path: self.path_instead_of(
                        at,
                        "HeartbeatSecondsPath",
                        "HeartbeatSeconds",
                    ),
                })
            }
            "Pass" => {
                self.allow(at, &[COMMON, FLOW, IO, RESULT, ASSIGN, &["Result"]]);
                Some(State::Pass {
                    result: at.get("Result").cloned(),
                    io: self.io(at, true),
                    next: self.flow(at),
                })
            }
            "Wait" => {
                self.allow(
                    at,
                    &[
                        COMMON,
                        FLOW,
                        IO,
                        ASSIGN,
                        &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
                    ],
                );
                let until = self.delay(at);
                let io = self.io(at, false);
                let next = self.flow(at);
                until.map(|until| State::Delay { until, io, next })
            }
            "Choice" => {
                self.allow(at, &[COMMON, IO, ASSIGN, &["Choices", "Default"]]);
                let choices = self.choices(at);
                let default = self.target(at, "Default");
                Some(State::Choice {
                    choices,
                    default,
                    io: self.io(at, false),
                })
            }
            "Succeed" => {
                self.allow(at, &[COMMON, IO]);
                Some(State::Succeed {
                    io: self.io(at, false),
                })
            }
            "Fail" => {
                self.allow(at, &[COMMON, &["Error", "Cause", "ErrorPath", "CausePath"]]);
                let text = |loader: &mut Self, field: &str| match at.get(field) {
                    None => None,
                    Some(value) if at.jsonata && jsonata::is_expression(value) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(_) => {
                        loader.problem(Some(at.state), at.field(field), "must be a string");
                        None
                    }
                };
                let error = text(self, "Error");
                let cause = text(self, "Cause");
                let error_path = self.path_or_call(at, "ErrorPath");
                let cause_path = self.path_or_call(at, "CausePath");
                for (literal, path, name) in [
                    (&error, &error_path, "Error"),
                    (&cause, &cause_path, "Cause"),
                ] {
                    if literal.is_some() && path.is_some() {
                        self.problem(
                            Some(at.state),
                            at.field(&format!("{name}Path")),
                            format!("use {name} or {name}Path, not both"),
                        );
                    }
                }
                let jsonata = if at.jsonata {
                    self.jsonata_fields(at, jsonata::Reads::Input)
                } else {
                    None
                };
                Some(State::Fail {
                    error: error.unwrap_or_else(|| "States.Fail".to_owned()),
                    cause: cause.or_else(|| Some(String::new())),
                    error_path,
                    cause_path,
                    jsonata,
                })
            }
            "Parallel" => self.parallel(at),
            "Map" => self.map(at),
            other => {
                self.problem(
                    Some(at.state),
                    at.field("Type"),
                    format!("unknown state type {other:?}"),
                );
                None
            }
        }
    }
}

/// A state name as a JSON path subscript: `['Wait X Seconds']`.
fn quote(name: &str) -> String {
    format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
}
