//! `options.workflow`: a workflow of any shape the Rust builder makes, given as its graph (the
//! JSON `workflowGraph` returns, typed as `WorkflowGraph` in `index.d.ts`). Only in `pollflow`'s
//! second engine (the feature `graph`, with `resume`), which `run` loads for it.
//!
//! The graph holds the builder's states only (Submit, Wait, Check, Choice on the job's status,
//! Notify, Succeed, Fail): the npm package has no ASL states outside `pollflow/asl`. It is read
//! here, field by field, from its JSON value, not with serde: the derived readers of
//! `pollflow::graph::StateMachine` cost about 97 KB gzipped (ASL's paths and templates), and
//! readers derived for these states alone 20 KB, a sixth of the second engine.

use std::time::Duration;

use pollflow::graph::{Catcher, ChoiceRule, Condition, DataFlow, State, StateDef, StateMachine};
use pollflow::policy::{Backoff, Jitter, WaitPolicy};
use pollflow::Workflow;
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;

use crate::errors::{range_error, type_error};
use crate::fields::{absent, read_named, MAX_SAFE_INTEGER};
use crate::json;

/// The Job Poller's options, which a graph's states replace.
const SHAPE_OPTIONS: [&str; 5] = ["name", "wait", "maxWaitMs", "maxAttempts", "messages"];

/// The workflow `options.workflow` describes; `None` when it is not given.
pub(crate) fn read(options: &JsValue) -> Result<Option<Workflow>, JsValue> {
    let graph = read_named(options, "workflow", "options.workflow")?;
    if absent(&graph) {
        return Ok(None);
    }
    for field in SHAPE_OPTIONS {
        if !absent(&read_named(options, field, &format!("options.{field}"))?) {
            return Err(type_error(&format!(
                "options.{field} shapes the Job Poller; with options.workflow, its states say \
                 that (leave options.{field} out)"
            )));
        }
    }
    let graph = json::from_js(&graph, "options.workflow")?;
    let graph = machine(&graph).map_err(|why| {
        type_error(&format!(
            "{why} (options.workflow is a WorkflowGraph: see index.d.ts)"
        ))
    })?;
    Workflow::from_graph(graph, [])
        .map(Some)
        .map_err(|e| range_error(&format!("options.workflow: {e}")))
}

/// One JSON object's fields, read one by one; `at` names it in errors.
struct Object<'a> {
    map: &'a Map<String, Value>,
    at: String,
    read: Vec<&'static str>,
}

impl<'a> Object<'a> {
    fn new(value: &'a Value, at: String) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                at,
                read: Vec::new(),
            }),
            other => Err(format!("{at} must be an object, got {}", kind(other))),
        }
    }

    /// Field `key`, absent as `None` (a `null` too).
    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.read.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    fn text(&mut self, key: &'static str) -> Result<String, String> {
        self.text_if_any(key)?
            .ok_or_else(|| format!("{} is missing", self.field(key)))
    }

    fn text_if_any(&mut self, key: &'static str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!(
                "{} must be a string, got {}",
                self.field(key),
                kind(other)
            )),
        }
    }

    /// A whole number from 0 to 2^53 - 1.
    fn whole_if_any(&mut self, key: &'static str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => whole(value).map(Some).ok_or_else(|| {
                format!(
                    "{} must be a whole number from 0 to 2^53 - 1",
                    self.field(key)
                )
            }),
        }
    }

    fn millis(&mut self, key: &'static str) -> Result<Duration, String> {
        self.millis_if_any(key)?
            .ok_or_else(|| format!("{} is missing", self.field(key)))
    }

    fn millis_if_any(&mut self, key: &'static str) -> Result<Option<Duration>, String> {
        Ok(self.whole_if_any(key)?.map(Duration::from_millis))
    }

    fn list(&mut self, key: &'static str) -> Result<&'a [Value], String> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(format!(
                "{} must be an array, got {}",
                self.field(key),
                kind(other)
            )),
        }
    }

    /// Refuses the fields not read.
    fn done(self) -> Result<(), String> {
        match self.map.keys().find(|k| !self.read.contains(&k.as_str())) {
            Some(unknown) => Err(format!(
                "{} has no field {unknown:?} (it has {})",
                self.at,
                self.read.join(", ")
            )),
            None => Ok(()),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn whole(value: &Value) -> Option<u64> {
    value.as_u64().filter(|n| *n as f64 <= MAX_SAFE_INTEGER)
}

fn machine(value: &Value) -> Result<StateMachine, String> {
    let mut graph = Object::new(value, "options.workflow".to_owned())?;
    let name = graph.text("name")?;
    let start_at = graph.text("start_at")?;
    let states = graph
        .list("states")?
        .iter()
        .enumerate()
        .map(|(i, state)| state_def(state, format!("options.workflow.states[{i}]")))
        .collect::<Result<_, _>>()?;
    let cancel_on_stop = match graph.get("cancel_on_stop") {
        None => true,
        Some(Value::Bool(cancel)) => *cancel,
        Some(other) => {
            return Err(format!(
                "options.workflow.cancel_on_stop must be a boolean, got {}",
                kind(other)
            ))
        }
    };
    graph.done()?;
    Ok(StateMachine {
        name,
        start_at,
        states,
        cancel_on_stop,
        timeout: None,
        sync_poll: None,
    })
}

fn state_def(value: &Value, at: String) -> Result<StateDef, String> {
    let mut s = Object::new(value, at)?;
    let name = s.text("name")?;
    s.at = format!("{} ({name:?})", s.at);
    let state = match s.text("type")?.as_str() {
        "Submit" => State::Submit {
            next: s.text("next")?,
            catch: catchers(&mut s)?,
        },
        "Wait" => State::PollWait {
            policy: policy(s.get("policy"), s.field("policy"))?
                .ok_or_else(|| format!("{} is missing", s.field("policy")))?,
            next: s.text("next")?,
        },
        "Check" => State::Check {
            next: s.text("next")?,
            retry: policy(s.get("retry"), s.field("retry"))?
                .unwrap_or_else(pollflow::graph::default_check_retry),
            catch: catchers(&mut s)?,
        },
        "Choice" => {
            let choices = s.list("choices")?;
            let at = s.field("choices");
            State::Choice {
                choices: choices
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| choice_rule(rule, format!("{at}[{i}]")))
                    .collect::<Result<_, _>>()?,
                default: s.text_if_any("default")?,
                io: DataFlow::default(),
            }
        }
        "Notify" => State::Notify {
            subject: s.text_if_any("subject")?,
            message: s.text("message")?,
            next: s.text("next")?,
            catch: catchers(&mut s)?,
        },
        "Succeed" => State::Succeed {
            io: DataFlow::default(),
        },
        "Fail" => State::fail(s.text("error")?, s.text_if_any("cause")?),
        other => {
            return Err(format!(
            "{}.type is {other:?}: expected Submit, Wait, Check, Choice, Notify, Succeed or Fail",
            s.at
        ))
        }
    };
    s.done()?;
    Ok(StateDef { name, state })
}

fn catchers(s: &mut Object<'_>) -> Result<Vec<Catcher>, String> {
    let at = s.field("catch");
    s.list("catch")?
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let mut c = Object::new(value, format!("{at}[{i}]"))?;
            let names = c.list("error_equals")?;
            let error_equals = names
                .iter()
                .map(|name| name.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("{} must hold strings", c.field("error_equals")))?;
            let catcher = Catcher {
                error_equals,
                ..Catcher::all(c.text("next")?)
            };
            c.done()?;
            Ok(catcher)
        })
        .collect()
}

fn choice_rule(value: &Value, at: String) -> Result<ChoiceRule, String> {
    let mut rule = Object::new(value, at)?;
    let condition = rule
        .get("condition")
        .ok_or_else(|| format!("{} is missing", rule.field("condition")))?;
    let condition = self::condition(condition, &rule.field("condition"))?;
    let next = rule.text("next")?;
    rule.done()?;
    Ok(ChoiceRule::new(condition, next))
}

/// A condition on the job's status: `"succeeded"`, `"failed"`, `"pending"`, or an object of one
/// field: `status_is`, `detail_equals`, `not`, `and`, `or`.
fn condition(value: &Value, at: &str) -> Result<Condition, String> {
    let several = |value: &Value, at: &str| match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| condition(item, &format!("{at}[{i}]")))
            .collect(),
        other => Err(format!("{at} must be an array, got {}", kind(other))),
    };
    match value {
        Value::String(word) => match word.as_str() {
            "succeeded" => Ok(Condition::Succeeded),
            "failed" => Ok(Condition::Failed),
            "pending" => Ok(Condition::Pending),
            other => Err(format!(
                "{at} is {other:?}: expected \"succeeded\", \"failed\", \"pending\" or an object"
            )),
        },
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next().expect("one field");
            let at = format!("{at}.{key}");
            match key.as_str() {
                "status_is" => match inner {
                    Value::String(status) => Ok(Condition::StatusIs(status.clone())),
                    other => Err(format!("{at} must be a string, got {}", kind(other))),
                },
                "detail_equals" => {
                    let mut test = Object::new(inner, at)?;
                    let pointer = test.text("pointer")?;
                    let value = test.get("value").cloned().unwrap_or(Value::Null);
                    test.done()?;
                    Ok(Condition::DetailEquals { pointer, value })
                }
                "not" => Ok(Condition::Not(Box::new(condition(inner, &at)?))),
                "and" => several(inner, &at).map(Condition::And),
                "or" => several(inner, &at).map(Condition::Or),
                other => Err(format!(
                    "{at}: {other:?} is no condition (status_is, detail_equals, not, and, or)"
                )),
            }
        }
        other => Err(format!(
            "{at} must be a word or an object of one field, got {}",
            kind(other)
        )),
    }
}

/// A wait policy (`WaitPolicy`'s JSON), if given.
fn policy(value: Option<&Value>, at: String) -> Result<Option<WaitPolicy>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let mut p = Object::new(value, at)?;
    let backoff = p
        .get("backoff")
        .ok_or_else(|| format!("{} is missing", p.field("backoff")))?;
    let mut b = Object::new(backoff, p.field("backoff"))?;
    let backoff = match b.text("kind")?.as_str() {
        "fixed" => Backoff::Fixed {
            delay: b.millis("delay_ms")?,
        },
        "exponential" => Backoff::Exponential {
            initial: b.millis("initial_ms")?,
            max: b.millis("max_ms")?,
            rate: b
                .get("rate")
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("{} must be a number", b.field("rate")))?,
            jitter: match b.text("jitter")?.as_str() {
                "none" => Jitter::None,
                "full" => Jitter::Full,
                "bounded" => Jitter::Bounded,
                other => {
                    return Err(format!(
                        "{} is {other:?}: expected \"none\", \"full\" or \"bounded\"",
                        b.field("jitter")
                    ))
                }
            },
        },
        other => {
            return Err(format!(
                "{} is {other:?}: expected \"fixed\" or \"exponential\"",
                b.field("kind")
            ))
        }
    };
    b.done()?;
    let mut policy = WaitPolicy::with_backoff(backoff);
    if let Some(budget) = p.millis_if_any("max_wait_ms")? {
        policy = policy.with_max_wait(budget);
    }
    if let Some(attempts) = p.whole_if_any("max_attempts")? {
        let attempts = u32::try_from(attempts)
            .map_err(|_| format!("{} must be at most 2^32 - 1", p.field("max_attempts")))?;
        policy = policy.with_max_attempts(attempts);
    }
    if let Some(delay) = p.millis_if_any("pushed_delay_ms")? {
        policy = policy.with_pushed_delay(delay);
    }
    if let Some(delays) = p.get("status_delays_ms") {
        let at = p.field("status_delays_ms");
        let Value::Object(delays) = delays else {
            return Err(format!("{at} must be an object, got {}", kind(delays)));
        };
        for (status, delay) in delays {
            let delay = whole(delay).ok_or_else(|| {
                format!("{at}.{status} must be a whole number from 0 to 2^53 - 1")
            })?;
            policy = policy.with_status_delay(status.clone(), Duration::from_millis(delay));
        }
    }
    p.done()?;
    Ok(Some(policy))
}
