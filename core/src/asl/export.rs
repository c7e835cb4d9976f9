//! The engine's graph → Amazon States Language, for workflows that outgrow one process and
//! move to AWS Step Functions unchanged.

use serde_json::{json, Map, Value};

use crate::execution::json_text;
use crate::expr::{Path, ReferencePath};
use crate::graph::{
    Catcher, Condition, DataFlow, DelayUntil, JsonataFields, Operand, State, StateMachine,
};
use crate::policy::{to_millis, AslJitter, AslRetrier, Backoff, Jitter, WaitPolicy};
use crate::workflow::{BuildError, Problem};

mod sync;

/// Where the builder's Submit, Check and Notify states go in Step Functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    /// What the Submit and Check states become.
    pub jobs: JobTasks,
    /// The SNS topic Notify states publish to.
    pub topic_arn: String,
}

/// What a builder's Submit → Wait → Check loop becomes in Step Functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobTasks {
    /// The Step Functions sample's shape: the loop stays, with a function for each call.
    Functions {
        /// The function that submits the job: it receives the execution input and returns
        /// the job's handle (stored at `$.job`).
        submit: String,
        /// The function that checks the job: it receives the handle and returns the status as
        /// pollflow's `JobStatus` JSON (`{"status": "PENDING" | "SUCCEEDED" | "FAILED", ...}`,
        /// stored at `$.status`).
        check: String,
    },
    /// One Task on a `.sync` integration (`arn:aws:states:::batch:submitJob.sync`), which
    /// submits the job and lets Step Functions wait for it: no function, no Wait, no Check.
    ///
    /// The Submit state becomes that Task, with `parameters`; its Wait and Check states are
    /// left out (and the Choice rules that loop back to them: any other way to them is a
    /// problem). The Task stores `{"status": "SUCCEEDED", "output": <result>, "detail":
    /// <result>}` at `$.status`; a job failure (`States.TaskFailed`) goes through added
    /// states (`<Submit> Failed?`, `<Submit> Failed`) that store `{"status": "FAILED", "Error",
    /// "Cause"}` there, and other errors go where the Submit's catchers send them (else to
    /// `<Submit> Error`, a Fail). So the Choice's succeeded and failed branches, and the
    /// Succeed state's output, work as they do locally. Conditions on the job's detail
    /// (`StatusIs`, `DetailEquals`) are problems: the `.sync` result is Step Functions' job
    /// description, in PascalCase.
    Sync {
        /// The integration's resource ARN.
        resource: String,
        /// The Task's `Parameters`, which build the request from the execution input.
        parameters: Value,
    },
}

impl Default for ExportOptions {
    /// Two functions, with placeholders shaped like the Step Functions sample's (`REGION`,
    /// `ACCOUNT_ID`).
    fn default() -> Self {
        Self {
            jobs: JobTasks::Functions {
                submit: "arn:aws:lambda:REGION:ACCOUNT_ID:function:SubmitJob".into(),
                check: "arn:aws:lambda:REGION:ACCOUNT_ID:function:CheckJob".into(),
            },
            topic_arn: "arn:aws:sns:REGION:ACCOUNT_ID:pollflow".into(),
        }
    }
}

/// The graph as an ASL definition. With [`JobTasks::Functions`], builder polling states become
/// the Step Functions sample's shape: Submit → a Task (`ResultPath: $.job`), Check → a Task
/// (`InputPath: $.job`, `ResultPath: $.status`), branches → Choice rules on `$.status`,
/// Notify → `sns:publish`, Succeed → the job's output (`OutputPath: $.status.output`). With
/// [`JobTasks::Sync`], each poll loop becomes one `.sync` Task instead.
///
/// What ASL cannot express is reported, every problem at once: wait policies other than a
/// fixed interval of whole seconds (exponential backoff, jitter, budgets, status hints),
/// registered predicates, and a Check's retry policy when it is not ASL-shaped.
///
/// ```
/// use std::time::Duration;
/// use pollflow::asl::{to_asl, ExportOptions};
/// use pollflow::{WaitPolicy, Workflow};
/// use pollflow::workflow::Choice;
///
/// let workflow = Workflow::builder("Job Poller")
///     .submit("Submit Job")
///     .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
///     .check("Get Job Status")
///     .branch("Job Complete?", Choice::new())
///     .build()?;
/// let asl = to_asl(workflow.graph(), &ExportOptions::default()).unwrap();
/// assert_eq!(asl["States"]["Wait X Seconds"]["Seconds"], 60);
/// // It loads back into the engine.
/// pollflow::Workflow::from_asl(&asl.to_string(), "Job Poller").unwrap();
/// # Ok::<(), pollflow::workflow::BuildError>(())
/// ```
pub fn to_asl(graph: &StateMachine, options: &ExportOptions) -> Result<Value, BuildError> {
    let mut problems = Vec::new();
    let mut states = Map::new();
    let polls = graph
        .states
        .iter()
        .any(|s| matches!(s.state, State::Check { .. }));
    // A `.sync` export leaves the poll loops' Wait and Check states out.
    let is_sync = matches!(options.jobs, JobTasks::Sync { .. });
    let left_out = |name: &str| is_sync && sync::left_out(graph, name);
    for (i, def) in graph.states.iter().enumerate() {
        // States the export adds after this one.
        let mut added = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(Problem {
                state: Some(def.name.clone()),
                path: format!("$.states[{i}]{field}"),
                message,
            });
        };
        let state = match (&def.state, &options.jobs) {
            (State::PollWait { .. } | State::Check { .. }, JobTasks::Sync { .. }) => continue,
            (
                State::Submit { next, catch },
                JobTasks::Sync {
                    resource,
                    parameters,
                },
            ) => match sync::submit_task(graph, &def.name, next, catch, resource, parameters) {
                Ok((task, states)) => {
                    added = states;
                    task
                }
                Err(why) => {
                    problem(".name", why);
                    continue;
                }
            },
            (State::Submit { next, catch }, JobTasks::Functions { submit, .. }) => with_catch(
                json!({"Type": "Task", "Resource": submit, "ResultPath": "$.job", "Next": next}),
                catch,
            ),
            (State::PollWait { policy, next }, _) => match fixed_seconds(policy) {
                Ok(seconds) => json!({"Type": "Wait", "Seconds": seconds, "Next": next}),
                Err(why) => {
                    problem(".policy", why);
                    continue;
                }
            },
            (State::Check { next, retry, catch }, JobTasks::Functions { check, .. }) => {
                let mut task = json!({"Type": "Task", "Resource": check,
                    "InputPath": "$.job", "ResultPath": "$.status", "Next": next});
                match retrier(retry) {
                    Ok(retrier) => task["Retry"] = json!([retrier]),
                    Err(why) => problem(".retry", why),
                }
                with_catch(task, catch)
            }
            (
                State::Notify {
                    subject,
                    message,
                    next,
                    catch,
                },
                _,
            ) => {
                let mut parameters = json!({"TopicArn": options.topic_arn, "Message": message});
                if let Some(subject) = subject {
                    parameters["Subject"] = json!(subject);
                }
                with_catch(
                    json!({"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": parameters, "ResultPath": null, "Next": next}),
                    catch,
                )
            }
            (
                State::Choice {
                    choices,
                    default,
                    io,
                },
                _,
            ) => {
                let mut rules = Vec::new();
                for (j, rule) in choices.iter().enumerate() {
                    if left_out(&rule.next) {
                        continue;
                    }
                    if let Some(why) = sync::unexported(&rule.condition).filter(|_| is_sync) {
                        problem(&format!(".choices[{j}].condition"), why);
                        continue;
                    }
                    match condition(&rule.condition) {
                        Ok(mut asl) => {
                            asl["Next"] = json!(rule.next);
                            if let Some(assign) = &rule.assign {
                                asl["Assign"] = assign.as_value().clone();
                            }
                            if let Some(fields) = &rule.jsonata {
                                with_jsonata(&mut asl, fields);
                            }
                            rules.push(asl);
                        }
                        Err(why) => problem(&format!(".choices[{j}].condition"), why),
                    }
                }
                let jsonata = choices
                    .iter()
                    .any(|rule| matches!(rule.condition, Condition::Jsonata(_)));
                let mut choice = json!({"Type": "Choice", "Choices": rules});
                if jsonata {
                    choice["QueryLanguage"] = json!("JSONata");
                }
                if let Some(default) = default.as_ref().filter(|d| !left_out(d)) {
                    choice["Default"] = json!(default);
                }
                with_io(choice, io)
            }
            // The builder's Succeed outputs the job's output, which the exported Check put at
            // `$.status.output`.
            (State::Succeed { io }, _) if polls && io.is_default() => {
                json!({"Type": "Succeed", "OutputPath": "$.status.output"})
            }
            (State::Succeed { io }, _) => with_io(json!({"Type": "Succeed"}), io),
            (
                State::Fail {
                    error,
                    cause,
                    error_path,
                    cause_path,
                    jsonata,
                },
                _,
            ) => {
                let mut fail = json!({"Type": "Fail"});
                match error_path {
                    Some(path) => fail["ErrorPath"] = json!(path.as_str()),
                    None => fail["Error"] = json!(error),
                }
                match (cause_path, cause) {
                    (Some(path), _) => fail["CausePath"] = json!(path.as_str()),
                    (None, Some(cause)) => fail["Cause"] = json!(cause),
                    (None, None) => {}
                }
                if let Some(fields) = jsonata {
                    fail["QueryLanguage"] = json!("JSONata");
                    with_jsonata(&mut fail, fields);
                }
                fail
            }
            (
                State::Task {
                    resource,
                    io,
                    next,
                    retry,
                    catch,
                    timeout,
                    timeout_path,
                    heartbeat,
                    heartbeat_path,
                },
                _,
            ) => {
                let mut task = with_io(
                    with_next(json!({"Type": "Task", "Resource": resource}), next),
                    io,
                );
                if !retry.is_empty() {
                    task["Retry"] = serde_json::to_value(retry).unwrap_or_default();
                }
                if let Some(timeout) = timeout {
                    task["TimeoutSeconds"] = json!(timeout.as_secs().max(1));
                }
                if let Some(path) = timeout_path {
                    task["TimeoutSecondsPath"] = json!(path.as_str());
                }
                if let Some(heartbeat) = heartbeat {
                    task["HeartbeatSeconds"] = json!(heartbeat.as_secs().max(1));
                }
                if let Some(path) = heartbeat_path {
                    task["HeartbeatSecondsPath"] = json!(path.as_str());
                }
                with_catch(task, catch)
            }
            (State::Pass { result, io, next }, _) => {
                let mut pass = with_io(with_next(json!({"Type": "Pass"}), next), io);
                if let Some(result) = result {
                    pass["Result"] = result.clone();
                }
                pass
            }
            (State::Delay { until, io, next }, _) => {
                let mut wait = with_io(with_next(json!({"Type": "Wait"}), next), io);
                match until {
                    DelayUntil::Seconds(s) => wait["Seconds"] = json!(s),
                    DelayUntil::Milliseconds(ms) if ms % 1000 == 0 => {
                        wait["Seconds"] = json!(ms / 1000)
                    }
                    DelayUntil::Milliseconds(ms) => {
                        problem(
                            ".until",
                            format!(
                                "{ms} ms is not a whole number of seconds, which ASL Wait needs"
                            ),
                        );
                        continue;
                    }
                    DelayUntil::SecondsPath(p) => wait["SecondsPath"] = json!(p.as_str()),
                    DelayUntil::Timestamp(t) => wait["Timestamp"] = json!(t),
                    DelayUntil::TimestampPath(p) => wait["TimestampPath"] = json!(p.as_str()),
                    DelayUntil::SecondsQuery(q) => {
                        wait["QueryLanguage"] = json!("JSONata");
                        wait["Seconds"] = q.as_value().clone();
                    }
                    DelayUntil::TimestampQuery(q) => {
                        wait["QueryLanguage"] = json!("JSONata");
                        wait["Timestamp"] = q.as_value().clone();
                    }
                }
                wait
            }
            (
                State::Parallel {
                    branches,
                    io,
                    next,
                    retry,
                    catch,
                },
                _,
            ) => {
                let mut asl = Vec::new();
                for (j, branch) in branches.iter().enumerate() {
                    match sub_machine(branch, options) {
                        Ok(branch) => asl.push(branch),
                        Err(inner) => nested(&mut problem, &format!(".branches[{j}]"), inner),
                    }
                }
                let parallel = json!({"Type": "Parallel", "Branches": asl});
                with_catch(
                    with_retry(with_io(with_next(parallel, next), io), retry),
                    catch,
                )
            }
            (
                State::Map {
                    processor,
                    items_path,
                    item_selector,
                    max_concurrency,
                    max_concurrency_path,
                    io,
                    next,
                    retry,
                    catch,
                },
                _,
            ) => {
                let mut map = json!({"Type": "Map"});
                match sub_machine(processor, options) {
                    Ok(mut asl) => {
                        asl["ProcessorConfig"] = json!({"Mode": "INLINE"});
                        map["ItemProcessor"] = asl;
                    }
                    Err(inner) => nested(&mut problem, ".processor", inner),
                }
                if items_path.as_str() != "$" {
                    map["ItemsPath"] = json!(items_path.as_str());
                }
                if let Some(selector) = item_selector {
                    map["ItemSelector"] = serde_json::to_value(selector).unwrap_or_default();
                }
                if *max_concurrency > 0 {
                    map["MaxConcurrency"] = json!(max_concurrency);
                }
                if let Some(path) = max_concurrency_path {
                    map["MaxConcurrencyPath"] = json!(path.as_str());
                }
                with_catch(with_retry(with_io(with_next(map, next), io), retry), catch)
            }
        };
        states.insert(def.name.clone(), state);
        states.extend(added);
    }
    if is_sync && problems.is_empty() {
        for (state, message) in sync::dangling(&graph.start_at, &states) {
            problems.push(Problem {
                path: format!("$.states[{state:?}]"),
                state: Some(state),
                message,
            });
        }
    }
    if !problems.is_empty() {
        return Err(BuildError { problems });
    }
    let mut machine = json!({
        "Comment": format!("{} (exported by pollflow)", graph.name),
        "StartAt": graph.start_at,
        "States": states,
    });
    if let Some(timeout) = graph.timeout {
        machine["TimeoutSeconds"] = json!(timeout.as_secs().max(1));
    }
    Ok(machine)
}

/// A Parallel branch or a Map processor: `StartAt` and `States` only.
fn sub_machine(graph: &StateMachine, options: &ExportOptions) -> Result<Value, BuildError> {
    let machine = to_asl(graph, options)?;
    Ok(json!({"StartAt": machine["StartAt"], "States": machine["States"]}))
}

/// The problems of a sub-machine, under its field of the state.
fn nested(problem: &mut impl FnMut(&str, String), field: &str, inner: BuildError) {
    for p in inner.problems {
        let at = p.path.strip_prefix('$').unwrap_or(&p.path);
        problem(&format!("{field}{at}"), p.message);
    }
}

fn with_retry(mut state: Value, retry: &[AslRetrier]) -> Value {
    if !retry.is_empty() {
        state["Retry"] = serde_json::to_value(retry).unwrap_or_default();
    }
    state
}

fn with_next(mut state: Value, next: &Option<String>) -> Value {
    match next {
        Some(next) => state["Next"] = json!(next),
        None => state["End"] = json!(true),
    }
    state
}

fn with_catch(mut state: Value, catch: &[Catcher]) -> Value {
    if !catch.is_empty() {
        let catchers: Vec<Value> = catch
            .iter()
            .map(|c| {
                let mut catcher = json!({"ErrorEquals": c.error_equals, "Next": c.next});
                match &c.result_path {
                    Some(path) if path.as_str() == "$" => {}
                    Some(path) => catcher["ResultPath"] = json!(path.as_str()),
                    None => catcher["ResultPath"] = Value::Null,
                }
                if let Some(assign) = &c.assign {
                    catcher["Assign"] = assign.as_value().clone();
                }
                if let Some(fields) = &c.jsonata {
                    with_jsonata(&mut catcher, fields);
                }
                catcher
            })
            .collect();
        if catch.iter().any(|c| c.jsonata.is_some()) {
            state["QueryLanguage"] = json!("JSONata");
        }
        state["Catch"] = json!(catchers);
    }
    state
}

fn with_io(mut state: Value, io: &DataFlow) -> Value {
    let path = |p: &Option<Path>| p.as_ref().map_or(Value::Null, |p| json!(p.as_str()));
    if io.input_path.as_ref().is_none_or(|p| p.as_str() != "$") {
        state["InputPath"] = path(&io.input_path);
    }
    if io.output_path.as_ref().is_none_or(|p| p.as_str() != "$") {
        state["OutputPath"] = path(&io.output_path);
    }
    if let Some(parameters) = &io.parameters {
        state["Parameters"] = parameters.as_value().clone();
    }
    if let Some(selector) = &io.result_selector {
        state["ResultSelector"] = selector.as_value().clone();
    }
    let result_path =
        |p: &Option<ReferencePath>| p.as_ref().map_or(Value::Null, |p| json!(p.as_str()));
    if io.result_path.as_ref().is_none_or(|p| p.as_str() != "$") {
        state["ResultPath"] = result_path(&io.result_path);
    }
    if let Some(assign) = &io.assign {
        state["Assign"] = assign.as_value().clone();
    }
    if let Some(fields) = &io.jsonata {
        state["QueryLanguage"] = json!("JSONata");
        with_jsonata(&mut state, fields);
    }
    state
}

/// A JSONata state's (or rule's, or catcher's) fields, as written.
fn with_jsonata(state: &mut Value, fields: &JsonataFields) {
    for (name, query) in fields.named() {
        state[name] = query.as_value().clone();
    }
}

/// A fixed wait of whole seconds, or why it is not one.
fn fixed_seconds(policy: &WaitPolicy) -> Result<u64, String> {
    let Backoff::Fixed { delay } = policy.backoff else {
        return Err(
            "only fixed intervals export to an ASL Wait; exponential backoff has no equivalent"
                .into(),
        );
    };
    if policy.max_wait.is_some()
        || policy.max_attempts.is_some()
        || !policy.status_delays.is_empty()
    {
        return Err("max_wait, max_attempts and status_delays have no ASL Wait equivalent".into());
    }
    let ms = to_millis(delay);
    if ms == 0 || !ms.is_multiple_of(1000) {
        return Err(format!(
            "{ms} ms is not a positive whole number of seconds, which ASL Wait needs"
        ));
    }
    Ok(ms / 1000)
}

/// A Check's retry policy as an ASL retrier for transient errors (`States.TaskFailed`).
fn retrier(policy: &WaitPolicy) -> Result<AslRetrier, String> {
    let (initial, max, rate, jitter) = match policy.backoff {
        Backoff::Fixed { delay } => (delay, None, 1.0, AslJitter::None),
        Backoff::Exponential {
            initial,
            max,
            rate,
            jitter,
        } => (
            initial,
            Some(max),
            rate,
            match jitter {
                Jitter::None => AslJitter::None,
                _ => AslJitter::Full,
            },
        ),
    };
    let seconds = |d: std::time::Duration| to_millis(d).div_ceil(1000);
    Ok(AslRetrier {
        error_equals: vec![crate::names::TASK_FAILED.into()],
        interval_seconds: seconds(initial).max(1),
        max_attempts: policy.max_attempts.unwrap_or(3),
        backoff_rate: rate,
        max_delay_seconds: max.map(seconds),
        jitter_strategy: jitter,
    })
}

/// A builder condition on the last status as an ASL Choice rule on `$.status`.
fn condition(condition: &Condition) -> Result<Value, String> {
    let status = |word: &str| json!({"Variable": "$.status.status", "StringEquals": word});
    Ok(match condition {
        Condition::Succeeded => status("SUCCEEDED"),
        Condition::Failed => status("FAILED"),
        Condition::Pending => status("PENDING"),
        Condition::StatusIs(word) => json!({"Or": [
            {"And": [{"Variable": "$.status.detail", "IsString": true}, {"Variable": "$.status.detail", "StringEquals": word}]},
            {"And": [{"Variable": "$.status.detail.status", "IsPresent": true}, {"Variable": "$.status.detail.status", "StringEquals": word}]}
        ]}),
        Condition::DetailEquals { pointer, value } => {
            let variable = format!("$.status.detail{}", pointer_to_path(pointer));
            let (op, value) = match value {
                Value::String(_) => ("StringEquals", value.clone()),
                Value::Number(_) => ("NumericEquals", value.clone()),
                Value::Bool(_) => ("BooleanEquals", value.clone()),
                Value::Null => ("IsNull", json!(true)),
                _ => {
                    return Err(format!(
                        "comparing with {} has no ASL operator",
                        json_text(value)
                    ))
                }
            };
            json!({"And": [{"Variable": variable, "IsPresent": true}, {"Variable": variable, op: value}]})
        }
        Condition::Predicate(name) => {
            return Err(format!(
                "predicate {name:?} is Rust code; ASL cannot call it"
            ))
        }
        Condition::Not(inner) => json!({"Not": self::condition(inner)?}),
        Condition::And(all) => {
            json!({"And": all.iter().map(self::condition).collect::<Result<Vec<_>, _>>()?})
        }
        Condition::Or(any) => {
            json!({"Or": any.iter().map(self::condition).collect::<Result<Vec<_>, _>>()?})
        }
        Condition::Jsonata(query) => json!({"Condition": query.as_value()}),
        Condition::Compare { variable, op, with } => {
            let name = format!("{op:?}");
            match with {
                Operand::Value(v) => json!({"Variable": variable.as_str(), name: v}),
                Operand::Path(p) => {
                    json!({"Variable": variable.as_str(), format!("{name}Path"): p.as_str()})
                }
            }
        }
    })
}

/// `/a/0/b~1c` → `['a'][0]['b/c']`.
fn pointer_to_path(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match token.parse::<usize>() {
                Ok(index) => format!("[{index}]"),
                Err(_) => format!("['{}']", token.replace('\\', "\\\\").replace('\'', "\\'")),
            }
        })
        .collect()
}
