//! Amazon States Language → the engine's graph, with every problem reported at once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::expr::{check_name, parse_rfc3339, Path, PathOrCall, ReferencePath, Template};
use crate::graph::{
    Catcher, ChoiceRule, Comparison, Condition, DataFlow, DelayUntil, Operand, State, StateDef,
    StateMachine,
};
use crate::policy::{AslRetrier, MAX_DELAY_SECONDS, MAX_SECONDS};
use crate::workflow::{too_deep, BuildError, Problem, MAX_NESTING};

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
}

/// One state being read: its name and the JSON path of its object.
struct At<'a> {
    state: &'a str,
    path: String,
    fields: &'a Map<String, Value>,
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
        self.query_language(
            None,
            format!("{prefix}.QueryLanguage"),
            top.get("QueryLanguage"),
        );
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
            let at = At {
                state: state_name,
                path,
                fields,
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
        self.query_language(
            Some(at.state),
            at.field("QueryLanguage"),
            at.get("QueryLanguage"),
        );
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
                Some(State::Fail {
                    error: error.unwrap_or_else(|| "States.Fail".to_owned()),
                    cause: cause.or_else(|| Some(String::new())),
                    error_path,
                    cause_path,
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

    fn parallel(&mut self, at: &At<'_>) -> Option<State> {
        self.allow(
            at,
            &[
                COMMON,
                FLOW,
                IO,
                RESULT,
                ASSIGN,
                &["Branches", "ResultSelector", "Retry", "Catch"],
            ],
        );
        let mut branches = Vec::new();
        match at.get("Branches").and_then(Value::as_array) {
            Some(items) if !items.is_empty() => {
                for (j, branch) in items.iter().enumerate() {
                    let name = format!("{}.Branches[{j}]", at.state);
                    let path = format!("{}[{j}]", at.field("Branches"));
                    branches.extend(self.nested(at, branch, &name, &path, BRANCH));
                }
            }
            _ => self.problem(
                Some(at.state),
                at.field("Branches"),
                "is required: a non-empty array of branches",
            ),
        }
        Some(State::Parallel {
            branches,
            io: self.io(at, true),
            next: self.flow(at),
            retry: self.retry(at),
            catch: self.catch(at),
        })
    }

    /// An inline Map state (the distributed mode is reported as unsupported).
    fn map(&mut self, at: &At<'_>) -> Option<State> {
        self.allow(
            at,
            &[
                COMMON,
                FLOW,
                IO,
                RESULT,
                ASSIGN,
                DISTRIBUTED,
                &[
                    "ItemProcessor",
                    "Iterator",
                    "ItemsPath",
                    "ItemSelector",
                    "MaxConcurrency",
                    "MaxConcurrencyPath",
                    "ResultSelector",
                    "Retry",
                    "Catch",
                ],
            ],
        );
        for field in DISTRIBUTED {
            if at.get(field).is_some() {
                self.problem(
                    Some(at.state),
                    at.field(field),
                    format!("{field} (distributed Map) is not supported yet"),
                );
            }
        }
        let processor = match (at.get("ItemProcessor"), at.get("Iterator")) {
            (Some(processor), None) => {
                self.processor_config(at, processor);
                self.nested(
                    at,
                    processor,
                    &format!("{}.ItemProcessor", at.state),
                    &at.field("ItemProcessor"),
                    PROCESSOR,
                )
            }
            (None, Some(iterator)) => self.nested(
                at,
                iterator,
                &format!("{}.Iterator", at.state),
                &at.field("Iterator"),
                BRANCH,
            ),
            (Some(_), Some(_)) => {
                self.problem(
                    Some(at.state),
                    at.field("Iterator"),
                    "use ItemProcessor or Iterator, not both",
                );
                None
            }
            (None, None) => {
                self.problem(
                    Some(at.state),
                    at.field("ItemProcessor"),
                    "is required: the states each item runs through",
                );
                None
            }
        };
        let mut io = self.io(at, true);
        let legacy = io.parameters.take();
        let selector = self.template(at, "ItemSelector");
        if legacy.is_some() && selector.is_some() {
            self.problem(
                Some(at.state),
                at.field("Parameters"),
                "use ItemSelector or Parameters, not both",
            );
        }
        let items_path = match at.get("ItemsPath") {
            None => Path::parse("$").ok(),
            Some(_) => self.path(at, "ItemsPath"),
        };
        let max_concurrency = match at.get("MaxConcurrency") {
            None => 0,
            Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => n,
                None => {
                    self.problem(
                        Some(at.state),
                        at.field("MaxConcurrency"),
                        format!("must be a non-negative integer, not {value}"),
                    );
                    0
                }
            },
        };
        let max_concurrency_path = self.path_instead_of(at, "MaxConcurrencyPath", "MaxConcurrency");
        let next = self.flow(at);
        let retry = self.retry(at);
        let catch = self.catch(at);
        Some(State::Map {
            processor: Box::new(processor?),
            items_path: items_path?,
            item_selector: selector.or(legacy).map(Box::new),
            max_concurrency,
            max_concurrency_path,
            io,
            next,
            retry,
            catch,
        })
    }

    /// `ProcessorConfig`: only `Mode: INLINE` (the default) runs here.
    fn processor_config(&mut self, at: &At<'_>, processor: &Value) {
        let Some(config) = processor.get("ProcessorConfig") else {
            return;
        };
        let path = format!("{}.ProcessorConfig", at.field("ItemProcessor"));
        let Some(fields) = config.as_object() else {
            self.problem(Some(at.state), path, "must be an object");
            return;
        };
        for (key, value) in fields {
            let at_key = format!("{path}.{key}");
            match (key.as_str(), value.as_str()) {
                ("Mode", Some("INLINE")) => {}
                ("Mode", Some("DISTRIBUTED")) | ("ExecutionType", _) => self.problem(
                    Some(at.state),
                    at_key,
                    "distributed Map is not supported yet (use Mode INLINE)",
                ),
                ("Mode", _) => self.problem(
                    Some(at.state),
                    at_key,
                    "must be \"INLINE\" or \"DISTRIBUTED\"",
                ),
                _ => self.problem(Some(at.state), at_key, "not a field of ProcessorConfig"),
            }
        }
    }

    fn allow(&mut self, at: &At<'_>, groups: &[&[&str]]) {
        for key in at.fields.keys() {
            if !groups.iter().any(|g| g.contains(&key.as_str())) {
                let kind = at.get("Type").and_then(Value::as_str).unwrap_or_default();
                self.problem(
                    Some(at.state),
                    at.field(key),
                    format!("not a field of a {kind} state"),
                );
            }
        }
    }

    fn query_language(&mut self, state: Option<&str>, path: String, value: Option<&Value>) {
        match value {
            None => {}
            Some(Value::String(s)) if s == "JSONPath" => {}
            Some(_) => self.problem(
                state,
                path,
                "only \"JSONPath\" is supported (JSONata is not yet)",
            ),
        }
    }

    /// A positive whole number of seconds.
    fn seconds(
        &mut self,
        state: Option<&str>,
        path: String,
        value: Option<&Value>,
    ) -> Option<Duration> {
        let value = value?;
        match value.as_u64().filter(|s| *s > 0) {
            Some(s) => Some(Duration::from_secs(s)),
            None => {
                self.problem(
                    state,
                    path,
                    format!("must be a positive integer, not {value}"),
                );
                None
            }
        }
    }

    /// A Task state's `TimeoutSeconds` or `HeartbeatSeconds`: a positive integer up to
    /// 99,999,999 (Step Functions' default and largest value).
    fn task_seconds(&mut self, at: &At<'_>, field: &str) -> Option<Duration> {
        let value = at.get(field)?;
        match value.as_u64().filter(|s| (1..=MAX_SECONDS).contains(s)) {
            Some(s) => Some(Duration::from_secs(s)),
            None => {
                self.problem(
                    Some(at.state),
                    at.field(field),
                    format!("must be an integer from 1 to {MAX_SECONDS}, not {value}"),
                );
                None
            }
        }
    }

    /// `Next` or `End: true`, exactly one.
    fn flow(&mut self, at: &At<'_>) -> Option<String> {
        let end = at.get("End");
        let next = self.target(at, "Next");
        match (end, &next) {
            (Some(Value::Bool(true)), None) => None,
            (Some(Value::Bool(true)), Some(_)) => {
                self.problem(
                    Some(at.state),
                    at.field("End"),
                    "a state has Next or End, not both",
                );
                None
            }
            (Some(other), _) if !matches!(other, Value::Bool(_)) => {
                self.problem(Some(at.state), at.field("End"), "must be true");
                None
            }
            (_, Some(_)) => next,
            (_, None) => {
                if at.get("Next").is_none() {
                    self.problem(Some(at.state), at.field("Next"), "needs Next, or End: true");
                }
                None
            }
        }
    }

    /// A field naming another state.
    fn target(&mut self, at: &At<'_>, field: &str) -> Option<String> {
        match at.get(field)? {
            Value::String(name) if self.names.contains(name) => Some(name.clone()),
            Value::String(name) => {
                self.problem(
                    Some(at.state),
                    at.field(field),
                    format!("no state named {name:?}"),
                );
                None
            }
            _ => {
                self.problem(Some(at.state), at.field(field), "must be a state name");
                None
            }
        }
    }

    /// A string field parsed by `parse`; `not_text` is the problem when it is no string.
    fn parsed<T>(
        &mut self,
        at: &At<'_>,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
        not_text: &str,
    ) -> Option<T> {
        let problem = match at.get(field)? {
            Value::String(text) => match parse(text) {
                Ok(value) => return Some(value),
                Err(reason) => reason,
            },
            _ => not_text.to_owned(),
        };
        self.problem(Some(at.state), at.field(field), problem);
        None
    }

    fn path(&mut self, at: &At<'_>, field: &str) -> Option<Path> {
        self.parsed(at, field, Path::parse, "must be a path string")
    }

    /// A path or an intrinsic function call (`ErrorPath`, `CausePath`).
    fn path_or_call(&mut self, at: &At<'_>, field: &str) -> Option<PathOrCall> {
        self.parsed(
            at,
            field,
            PathOrCall::parse,
            "must be a path or an intrinsic function call, as a string",
        )
    }

    /// `path_field` (such as `TimeoutSecondsPath`), read; a problem if `literal_field` (such
    /// as `TimeoutSeconds`), which it replaces, is there too.
    fn path_instead_of(
        &mut self,
        at: &At<'_>,
        path_field: &str,
        literal_field: &str,
    ) -> Option<Path> {
        let path = self.path(at, path_field);
        if path.is_some() && at.get(literal_field).is_some() {
            self.problem(
                Some(at.state),
                at.field(path_field),
                format!("use {literal_field} or {path_field}, not both"),
            );
        }
        path
    }

    /// A path that may be `null` (absent means `$`).
    fn nullable_path(&mut self, at: &At<'_>, field: &str) -> Option<Path> {
        match at.get(field) {
            None => Path::parse("$").ok(),
            Some(Value::Null) => None,
            Some(_) => self.path(at, field),
        }
    }

    fn template(&mut self, at: &At<'_>, field: &str) -> Option<Template> {
        let value = at.get(field)?;
        match Template::parse(value.clone()) {
            Ok(template) => Some(template),
            Err(problems) => {
                for (inner, reason) in problems {
                    let path = format!("{}{}", at.field(field), inner.trim_start_matches('$'));
                    self.problem(Some(at.state), path, reason);
                }
                None
            }
        }
    }

    /// `Assign`: an object whose field names (less a `.$`) name variables.
    fn assign(&mut self, at: &At<'_>) -> Option<Template> {
        let value = at.get("Assign")?;
        if !value.is_object() {
            self.problem(
                Some(at.state),
                at.field("Assign"),
                "must be an object of variable names and their values",
            );
            return None;
        }
        let template = self.template(at, "Assign")?;
        for name in template.field_names() {
            if let Err(reason) = check_name(name) {
                self.problem(Some(at.state), at.field("Assign"), reason);
            }
        }
        Some(template)
    }

    fn io(&mut self, at: &At<'_>, with_result: bool) -> DataFlow {
        let mut io = DataFlow {
            input_path: self.nullable_path(at, "InputPath"),
            output_path: self.nullable_path(at, "OutputPath"),
            assign: self.assign(at),
            ..DataFlow::default()
        };
        if with_result {
            io.parameters = self.template(at, "Parameters");
            io.result_selector = self.template(at, "ResultSelector");
            io.result_path = match at.get("ResultPath") {
                None => ReferencePath::parse("$").ok(),
                Some(Value::Null) => None,
                Some(Value::String(text)) => match ReferencePath::parse(text) {
                    Ok(path) => Some(path),
                    Err(reason) => {
                        self.problem(Some(at.state), at.field("ResultPath"), reason);
                        None
                    }
                },
                Some(_) => {
                    self.problem(
                        Some(at.state),
                        at.field("ResultPath"),
                        "must be a reference path or null",
                    );
                    None
                }
            };
        }
        io
    }

    fn delay(&mut self, at: &At<'_>) -> Option<DelayUntil> {
        let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|f| at.get(f).is_some())
            .collect();
        if given.len() != 1 {
            let message = if given.is_empty() {
                "a Wait state needs one of Seconds, SecondsPath, Timestamp, TimestampPath"
                    .to_owned()
            } else {
                format!("a Wait state takes one of Seconds, SecondsPath, Timestamp, TimestampPath, not {}", given.join(" and "))
            };
            self.problem(Some(at.state), at.path.clone(), message);
            return None;
        }
        match given[0] {
            "Seconds" => match at.get("Seconds").and_then(Value::as_u64) {
                Some(s) => Some(DelayUntil::Seconds(s)),
                None => {
                    self.problem(
                        Some(at.state),
                        at.field("Seconds"),
                        "must be a non-negative integer",
                    );
                    None
                }
            },
            "Timestamp" => match at.get("Timestamp").and_then(Value::as_str) {
                Some(t) if parse_rfc3339(t).is_some() => Some(DelayUntil::Timestamp(t.to_owned())),
                _ => {
                    self.problem(
                        Some(at.state),
                        at.field("Timestamp"),
                        "must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\"",
                    );
                    None
                }
            },
            "SecondsPath" => self.path(at, "SecondsPath").map(DelayUntil::SecondsPath),
            _ => self
                .path(at, "TimestampPath")
                .map(DelayUntil::TimestampPath),
        }
    }

    fn retry(&mut self, at: &At<'_>) -> Vec<AslRetrier> {
        let Some(value) = at.get("Retry") else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem(
                Some(at.state),
                at.field("Retry"),
                "must be an array of retriers",
            );
            return Vec::new();
        };
        let mut retriers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.field("Retry"));
            // Step Functions' ranges, checked here so that the message names the field.
            let mut in_range = true;
            for (field, min, max) in [
                ("IntervalSeconds", 1, MAX_SECONDS),
                ("MaxAttempts", 0, MAX_SECONDS),
                ("MaxDelaySeconds", 1, MAX_DELAY_SECONDS),
            ] {
                let Some(value) = item.get(field) else {
                    continue;
                };
                if !value.as_u64().is_some_and(|n| (min..=max).contains(&n)) {
                    self.problem(
                        Some(at.state),
                        format!("{path}.{field}"),
                        format!("must be an integer from {min} to {max}, not {value}"),
                    );
                    in_range = false;
                }
            }
            if !in_range {
                continue;
            }
            match serde_json::from_value::<AslRetrier>(item.clone()) {
                Ok(retrier) => {
                    if retrier.max_attempts > 0 {
                        if let Err(e) = retrier.wait_policy() {
                            self.problem(Some(at.state), path, e.to_string());
                        }
                    }
                    retriers.push(retrier);
                }
                Err(e) => self.problem(Some(at.state), path, e.to_string()),
            }
        }
        retriers
    }

    fn catch(&mut self, at: &At<'_>) -> Vec<Catcher> {
        let Some(value) = at.get("Catch") else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem(
                Some(at.state),
                at.field("Catch"),
                "must be an array of catchers",
            );
            return Vec::new();
        };
        let mut catchers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.field("Catch"));
            let Some(fields) = item.as_object() else {
                self.problem(Some(at.state), path, "a catcher must be an object");
                continue;
            };
            let inner = At {
                state: at.state,
                path,
                fields,
            };
            self.allow_catcher(&inner);
            let errors = self.error_names(&inner);
            let Some(next) = self.target(&inner, "Next") else {
                if inner.get("Next").is_none() {
                    self.problem(Some(at.state), inner.field("Next"), "is required");
                }
                continue;
            };
            let result_path = match inner.get("ResultPath") {
                None => ReferencePath::parse("$").ok(),
                Some(Value::Null) => None,
                Some(Value::String(text)) => match ReferencePath::parse(text) {
                    Ok(path) => Some(path),
                    Err(reason) => {
                        self.problem(Some(at.state), inner.field("ResultPath"), reason);
                        None
                    }
                },
                Some(_) => {
                    self.problem(
                        Some(at.state),
                        inner.field("ResultPath"),
                        "must be a reference path or null",
                    );
                    None
                }
            };
            catchers.push(Catcher {
                error_equals: errors,
                next,
                result_path,
                assign: self.assign(&inner),
            });
        }
        catchers
    }

    fn allow_catcher(&mut self, at: &At<'_>) {
        for key in at.fields.keys() {
            if !["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"].contains(&key.as_str()) {
                self.problem(Some(at.state), at.field(key), "not a field of a catcher");
            }
        }
    }

    fn error_names(&mut self, at: &At<'_>) -> Vec<String> {
        match at.get("ErrorEquals").and_then(Value::as_array) {
            Some(names) if !names.is_empty() && names.iter().all(Value::is_string) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => {
                self.problem(
                    Some(at.state),
                    at.field("ErrorEquals"),
                    "must be a non-empty array of error names",
                );
                Vec::new()
            }
        }
    }

    fn choices(&mut self, at: &At<'_>) -> Vec<ChoiceRule> {
        let Some(items) = at
            .get("Choices")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
        else {
            self.problem(
                Some(at.state),
                at.field("Choices"),
                "is required: a non-empty array of rules",
            );
            return Vec::new();
        };
        let mut rules = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.field("Choices"));
            let Some(fields) = item.as_object() else {
                self.problem(Some(at.state), path, "a Choice rule must be an object");
                continue;
            };
            let rule = At {
                state: at.state,
                path,
                fields,
            };
            let next = self.target(&rule, "Next");
            if rule.get("Next").is_none() {
                self.problem(
                    Some(at.state),
                    rule.field("Next"),
                    "a top-level Choice rule needs Next",
                );
            }
            let condition = self.condition(&rule, true);
            let assign = self.assign(&rule);
            if let (Some(condition), Some(next)) = (condition, next) {
                rules.push(ChoiceRule {
                    condition,
                    next,
                    assign,
                });
            }
        }
        rules
    }

    /// One boolean expression of a Choice rule.
    fn condition(&mut self, at: &At<'_>, top: bool) -> Option<Condition> {
        for key in at.fields.keys() {
            let known = key == "Comment"
                || (top && (key == "Next" || key == "Assign"))
                || ["And", "Or", "Not", "Variable"].contains(&key.as_str())
                || operator(key).is_some();
            if !known {
                let message = if key == "Next" {
                    "only top-level Choice rules have Next".to_owned()
                } else {
                    "not a field of a Choice rule".to_owned()
                };
                self.problem(Some(at.state), at.field(key), message);
            }
        }
        let combinators = ["And", "Or", "Not"]
            .iter()
            .filter(|k| at.get(k).is_some())
            .count();
        let comparisons = at
            .fields
            .keys()
            .filter(|k| *k == "Variable" || operator(k).is_some())
            .count();
        if combinators > 1 || (combinators == 1 && comparisons > 0) {
            self.problem(Some(at.state), at.path.clone(), "a Choice rule is one of: And, Or, Not, or a comparison (Variable and one operator)");
            return None;
        }
        if let Some(value) = at.get("Not") {
            let Some(inner) = value.as_object() else {
                self.problem(
                    Some(at.state),
                    at.field("Not"),
                    "must be a Choice rule object",
                );
                return None;
            };
            let inner = At {
                state: at.state,
                path: at.field("Not"),
                fields: inner,
            };
            return self
                .condition(&inner, false)
                .map(|c| Condition::Not(Box::new(c)));
        }
        for (field, is_and) in [("And", true), ("Or", false)] {
            if let Some(value) = at.get(field) {
                let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
                    self.problem(
                        Some(at.state),
                        at.field(field),
                        "must be a non-empty array of rules",
                    );
                    return None;
                };
                let mut all = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{}[{i}]", at.field(field));
                    let Some(fields) = item.as_object() else {
                        self.problem(Some(at.state), path, "a Choice rule must be an object");
                        continue;
                    };
                    let inner = At {
                        state: at.state,
                        path,
                        fields,
                    };
                    all.extend(self.condition(&inner, false));
                }
                return Some(if is_and {
                    Condition::And(all)
                } else {
                    Condition::Or(all)
                });
            }
        }
        let variable = match at.get("Variable") {
            Some(_) => self.path(at, "Variable"),
            None => {
                self.problem(
                    Some(at.state),
                    at.field("Variable"),
                    "a comparison needs Variable (or use And, Or, Not)",
                );
                None
            }
        };
        let operators: Vec<(&String, (Comparison, bool))> = at
            .fields
            .keys()
            .filter_map(|k| operator(k).map(|op| (k, op)))
            .collect();
        let [(key, (op, by_path))] = operators.as_slice() else {
            self.problem(
                Some(at.state),
                at.path.clone(),
                "a comparison needs exactly one operator, such as StringEquals",
            );
            return None;
        };
        let value = at.get(key).cloned().unwrap_or_default();
        let with = if *by_path {
            Operand::Path(self.path(at, key)?)
        } else {
            if let Err(reason) = check_operand(*op, &value) {
                self.problem(Some(at.state), at.field(key), reason);
                return None;
            }
            Operand::Value(value)
        };
        Some(Condition::Compare {
            variable: variable?,
            op: *op,
            with,
        })
    }
}

/// The comparison an operator field names, and whether it is the `*Path` form.
fn operator(field: &str) -> Option<(Comparison, bool)> {
    use Comparison as C;
    let (base, by_path) = match field.strip_suffix("Path") {
        Some(base) if !base.is_empty() && !field.starts_with("Is") => (base, true),
        _ => (field, false),
    };
    let op = match base {
        "StringEquals" => C::StringEquals,
        "StringLessThan" => C::StringLessThan,
        "StringGreaterThan" => C::StringGreaterThan,
        "StringLessThanEquals" => C::StringLessThanEquals,
        "StringGreaterThanEquals" => C::StringGreaterThanEquals,
        "StringMatches" if !by_path => C::StringMatches,
        "NumericEquals" => C::NumericEquals,
        "NumericLessThan" => C::NumericLessThan,
        "NumericGreaterThan" => C::NumericGreaterThan,
        "NumericLessThanEquals" => C::NumericLessThanEquals,
        "NumericGreaterThanEquals" => C::NumericGreaterThanEquals,
        "BooleanEquals" => C::BooleanEquals,
        "TimestampEquals" => C::TimestampEquals,
        "TimestampLessThan" => C::TimestampLessThan,
        "TimestampGreaterThan" => C::TimestampGreaterThan,
        "TimestampLessThanEquals" => C::TimestampLessThanEquals,
        "TimestampGreaterThanEquals" => C::TimestampGreaterThanEquals,
        "IsNull" => C::IsNull,
        "IsPresent" => C::IsPresent,
        "IsNumeric" => C::IsNumeric,
        "IsString" => C::IsString,
        "IsBoolean" => C::IsBoolean,
        "IsTimestamp" => C::IsTimestamp,
        _ => return None,
    };
    Some((op, by_path))
}

/// Whether a literal operand has the type its operator compares.
fn check_operand(op: Comparison, value: &Value) -> Result<(), String> {
    use Comparison as C;
    let ok = match op {
        C::StringEquals
        | C::StringLessThan
        | C::StringGreaterThan
        | C::StringLessThanEquals
        | C::StringGreaterThanEquals
        | C::StringMatches => value.is_string(),
        C::NumericEquals
        | C::NumericLessThan
        | C::NumericGreaterThan
        | C::NumericLessThanEquals
        | C::NumericGreaterThanEquals => value.is_number(),
        C::TimestampEquals
        | C::TimestampLessThan
        | C::TimestampGreaterThan
        | C::TimestampLessThanEquals
        | C::TimestampGreaterThanEquals => {
            value.as_str().is_some_and(|t| parse_rfc3339(t).is_some())
        }
        C::BooleanEquals
        | C::IsNull
        | C::IsPresent
        | C::IsNumeric
        | C::IsString
        | C::IsBoolean
        | C::IsTimestamp => value.is_boolean(),
    };
    if ok {
        Ok(())
    } else {
        let expected = match op {
            C::NumericEquals
            | C::NumericLessThan
            | C::NumericGreaterThan
            | C::NumericLessThanEquals
            | C::NumericGreaterThanEquals => "a number",
            C::TimestampEquals
            | C::TimestampLessThan
            | C::TimestampGreaterThan
            | C::TimestampLessThanEquals
            | C::TimestampGreaterThanEquals => "an RFC 3339 timestamp string",
            C::StringEquals
            | C::StringLessThan
            | C::StringGreaterThan
            | C::StringLessThanEquals
            | C::StringGreaterThanEquals
            | C::StringMatches => "a string",
            _ => "true or false",
        };
        Err(format!("{op:?} compares with {expected}, not {value}"))
    }
}

/// A state name as a JSON path subscript: `['Wait X Seconds']`.
fn quote(name: &str) -> String {
    format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
}
