//! Workflows: the serializable graph, its validation, and the builder.

mod builder;
mod compiled;
mod dataflow;
mod delay;
mod draw;
mod graph;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::expr::Template;

pub use builder::{Branch, Path, WorkflowBuilder};
pub use compiled::Predicate;
pub(crate) use compiled::{
    enabled, Asl, AslOnly, Assign, Catch, CatchTo, Compiled, FailPaths, Io, Items, Node, NodeKind,
    Retry, Test,
};
pub use graph::{
    default_check_retry, default_sync_poll, Catcher, ChoiceRule, Comparison, Condition, DataFlow,
    DelayUntil, Operand, State, StateDef, StateMachine,
};

/// A validated workflow, ready to run. Cheap to clone.
///
/// Build one with [`Workflow::builder`], or load a [`StateMachine`] (for example from JSON)
/// with [`Workflow::from_graph`].
#[derive(Clone)]
pub struct Workflow {
    inner: Arc<WorkflowInner>,
}

struct WorkflowInner {
    graph: StateMachine,
    compiled: Compiled,
}

impl fmt::Debug for Workflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workflow")
            .field("graph", &self.inner.graph)
            .finish()
    }
}

impl Workflow {
    /// Starts a fluent builder: submit → wait → check → branch → notify.
    pub fn builder(name: impl Into<String>) -> WorkflowBuilder {
        WorkflowBuilder::new(name)
    }

    /// Validates a graph and binds its named predicates. Every problem is reported at once.
    pub fn from_graph(
        graph: StateMachine,
        predicates: impl IntoIterator<Item = (String, Predicate)>,
    ) -> Result<Self, BuildError> {
        let predicates: HashMap<String, Predicate> = predicates.into_iter().collect();
        let mut compiled = compile(&graph, &predicates, &graph, 0)?;
        compiled.number(&mut 0);
        Ok(Self {
            inner: Arc::new(WorkflowInner { graph, compiled }),
        })
    }

    /// The graph, for serialization or export.
    pub fn graph(&self) -> &StateMachine {
        &self.inner.graph
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.inner.compiled
    }
}

/// One thing wrong with a workflow definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The state concerned, if any.
    pub state: Option<String>,
    /// Where in the definition, as a JSON path (`$.states[2].next`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            Some(state) => write!(f, "state {state:?} at {}: {}", self.path, self.message),
            None => write!(f, "at {}: {}", self.path, self.message),
        }
    }
}

/// A workflow definition that cannot run, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    /// Each problem, in definition order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid workflow ({} problem", self.problems.len())?;
        if self.problems.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str(")")?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

/// How deep Parallel and Map states may nest (loading, compiling and running recurse once per
/// level; graphs built in code or deserialized could otherwise overflow the stack).
pub(crate) const MAX_NESTING: u32 = 32;

struct Checker<'a> {
    /// The workflow's own graph: sub-machines at every depth poll and cancel as it says.
    top: &'a StateMachine,
    /// How many Parallel or Map states enclose this graph.
    depth: u32,
    index: HashMap<&'a str, u32>,
    predicates: &'a HashMap<String, Predicate>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, state: Option<&str>, path: String, message: impl Into<String>) {
        self.problems.push(Problem {
            state: state.map(str::to_owned),
            path,
            message: message.into(),
        });
    }

    fn target(&mut self, state: &str, path: String, name: &str) -> u32 {
        match self.index.get(name) {
            Some(i) => *i,
            None => {
                let message = if name.is_empty() {
                    "no next state (end a builder chain with `branch`)".to_owned()
                } else {
                    format!("no state named {name:?}")
                };
                self.problem(Some(state), path, message);
                0
            }
        }
    }

    fn test(&mut self, state: &str, path: String, condition: &Condition) -> Test {
        match condition {
            Condition::Succeeded => Test::Succeeded,
            Condition::Failed => Test::Failed,
            Condition::Pending => Test::Pending,
            Condition::StatusIs(word) => Test::StatusIs(word.clone()),
            Condition::DetailEquals { pointer, value } => {
                if !(pointer.is_empty() || pointer.starts_with('/')) {
                    self.problem(
                        Some(state),
                        format!("{path}.pointer"),
                        format!("JSON pointer {pointer:?} must be empty or start with '/'"),
                    );
                }
                Test::DetailEquals(pointer.clone(), value.clone())
            }
            Condition::Predicate(name) => match self.predicates.get(name) {
                Some(f) => Test::Predicate(f.clone()),
                None => {
                    self.problem(
                        Some(state),
                        path,
                        format!("predicate {name:?} is not registered"),
                    );
                    Test::Pending
                }
            },
            Condition::Not(inner) => {
                Test::Not(Box::new(self.test(state, format!("{path}.not"), inner)))
            }
            Condition::And(all) => Test::And(self.tests(state, &format!("{path}.and"), all)),
            Condition::Or(any) => Test::Or(self.tests(state, &format!("{path}.or"), any)),
            Condition::Compare { variable, op, with } => match self.asl(state, path) {
                Some(asl) => Test::Compare(variable.clone(), *op, with.clone(), asl),
                None => Test::Pending,
            },
        }
    }

    fn tests(&mut self, state: &str, path: &str, conditions: &[Condition]) -> Vec<Test> {
        conditions
            .iter()
            .enumerate()
            .map(|(i, c)| self.test(state, format!("{path}[{i}]"), c))
            .collect()
    }

    fn catchers(&mut self, state: &str, path: &str, catchers: &[Catcher]) -> Vec<Catch> {
        let mut compiled = Vec::with_capacity(catchers.len());
        for (i, catcher) in catchers.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let names = &catcher.error_equals;
            if names.is_empty() {
                self.problem(
                    Some(state),
                    format!("{at}.error_equals"),
                    "must name at least one error",
                );
            }
            if names.iter().any(|n| n == crate::names::ALL)
                && (names.len() > 1 || i + 1 < catchers.len())
            {
                self.problem(
                    Some(state),
                    format!("{at}.error_equals"),
                    "States.ALL must appear alone, in the last catcher",
                );
            }
            compiled.push(Catch {
                errors: names.clone(),
                next: self.target(state, format!("{at}.next"), &catcher.next),
                result_path: match &catcher.result_path {
                    None => CatchTo::Keep,
                    Some(path) if path.as_str() == "$" => CatchTo::Input,
                    Some(path) => match self.asl(state, format!("{at}.result_path")) {
                        Some(asl) => CatchTo::At(path.clone(), asl),
                        None => CatchTo::Input,
                    },
                },
                assign: self.assign(state, format!("{at}.assign"), &catcher.assign),
            });
        }
        compiled
    }

    /// An `Assign` of a Choice rule or a catcher: its field names must be variable names.
    fn assign(&mut self, state: &str, path: String, assign: &Option<Template>) -> Option<Assign> {
        let template = assign.as_ref()?;
        let asl: Option<Asl> = self.asl(state, path.clone());
        asl.map(|asl| {
            self.variable_names(state, &path, template);
            Assign {
                template: template.clone(),
                asl,
            }
        })
    }

    /// Reports an `Assign` that is not an object, and its field names that are not variable
    /// names.
    fn variable_names(&mut self, state: &str, path: &str, template: &Template) {
        if !template.as_value().is_object() {
            self.problem(
                Some(state),
                path.to_owned(),
                "must be an object of variable names and their values",
            );
        }
        for name in template.field_names() {
            if let Err(reason) = crate::expr::check_name(name) {
                self.problem(Some(state), path.to_owned(), reason);
            }
        }
    }

    fn retriers(&mut self, state: &str, path: &str, retriers: &[crate::AslRetrier]) -> Vec<Retry> {
        let mut compiled = Vec::with_capacity(retriers.len());
        for (i, retrier) in retriers.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let names = &retrier.error_equals;
            if names.is_empty() {
                self.problem(
                    Some(state),
                    format!("{at}.ErrorEquals"),
                    "must name at least one error",
                );
            }
            if names.iter().any(|n| n == crate::names::ALL)
                && (names.len() > 1 || i + 1 < retriers.len())
            {
                self.problem(
                    Some(state),
                    format!("{at}.ErrorEquals"),
                    "States.ALL must appear alone, in the last retrier",
                );
            }
            let policy = if retrier.max_attempts == 0 {
                None
            } else {
                match retrier.wait_policy() {
                    Ok(policy) => Some(policy),
                    Err(e) => {
                        self.problem(Some(state), at.clone(), e.to_string());
                        None
                    }
                }
            };
            compiled.push(Retry {
                errors: names.clone(),
                policy,
            });
        }
        compiled
    }

    /// The ASL marker, or a problem when ASL support is not compiled in.
    #[cfg(feature = "asl")]
    fn asl(&mut self, _state: &str, _path: String) -> Option<compiled::Asl> {
        Some(())
    }

    #[cfg(not(feature = "asl"))]
    fn asl(&mut self, state: &str, path: String) -> Option<compiled::Asl> {
        self.problem(
            Some(state),
            path,
            "Amazon States Language data flow needs pollflow's `asl` feature",
        );
        None
    }

    /// Data-flow fields, unless they are the defaults (which need no ASL support).
    fn io(&mut self, state: &str, path: String, flow: &DataFlow) -> Option<Io> {
        if flow.is_default() {
            return None;
        }
        self.asl(state, path).map(|asl| Io {
            flow: flow.clone(),
            asl,
        })
    }

    fn next(&mut self, state: &str, path: String, next: Option<&String>) -> Option<u32> {
        next.map(|n| self.target(state, path, n))
    }

    /// A Parallel branch or a Map processor, compiled like a graph of its own; it polls and
    /// cancels as the top graph does, and its time is the execution's.
    fn sub(&mut self, state: &str, path: &str, graph: &StateMachine) -> Option<Compiled> {
        if self.depth >= MAX_NESTING {
            self.problem(Some(state), path.to_owned(), too_deep());
            return None;
        }
        match compile(graph, self.predicates, self.top, self.depth + 1) {
            Ok(mut sub) => {
                sub.cancel_on_stop = self.top.cancel_on_stop;
                sub.timeout_ms = None;
                sub.sync_poll = self.top.sync_poll.clone().unwrap_or_else(default_sync_poll);
                Some(sub)
            }
            Err(e) => {
                for mut problem in e.problems {
                    let inner = problem.path.strip_prefix('$').unwrap_or(&problem.path);
                    problem.path = format!("{path}{inner}");
                    self.problems.push(problem);
                }
                None
            }
        }
    }

    fn policy(&mut self, state: &str, path: String, policy: &crate::WaitPolicy) {
        if let Err(e) = policy.validate() {
            self.problem(Some(state), path, e.to_string());
        }
    }
}

/// The problem of a Parallel or Map state nested more than [`MAX_NESTING`] deep.
pub(crate) fn too_deep() -> String {
    format!("Parallel and Map states nest at most {MAX_NESTING} deep")
}

/// Compiles a graph of the workflow whose graph is `top`, `depth` Parallel or Map states
/// deep (0: `top` itself).
fn compile<'a>(
    graph: &'a StateMachine,
    predicates: &'a HashMap<String, Predicate>,
    top: &'a StateMachine,
    depth: u32,
) -> Result<Compiled, BuildError> {
    let mut c = Checker {
        top,
        depth,
        index: HashMap::new(),
        predicates,
        problems: Vec::new(),
    };
    if graph.states.is_empty() {
        c.problem(
            None,
            "$.states".into(),
            "a workflow needs at least one state",
        );
    }
    for (i, def) in graph.states.iter().enumerate() {
        let path = format!("$.states[{i}].name");
        if def.name.is_empty() {
            c.problem(None, path, "state names must not be empty");
        } else if c.index.insert(&def.name, i as u32).is_some() {
            c.problem(Some(&def.name), path, "duplicate state name");
        }
    }
    let start = c.target(&graph.start_at, "$.start_at".into(), &graph.start_at);

    let mut nodes = Vec::with_capacity(graph.states.len());
    for (i, def) in graph.states.iter().enumerate() {
        let at = |field: &str| format!("$.states[{i}].{field}");
        let name = def.name.as_str();
        let catch = match &def.state {
            State::Submit { catch, .. }
            | State::Check { catch, .. }
            | State::Notify { catch, .. }
            | State::Task { catch, .. }
            | State::Parallel { catch, .. }
            | State::Map { catch, .. } => c.catchers(name, &at("catch"), catch),
            _ => Vec::new(),
        };
        match &def.state {
            State::Task { io, .. }
            | State::Pass { io, .. }
            | State::Delay { io, .. }
            | State::Choice { io, .. }
            | State::Parallel { io, .. }
            | State::Map { io, .. } => {
                // Only ASL states assign: without ASL support this compiles away.
                if let (Some(template), Some(asl)) = (&io.assign, AslOnly::witness()) {
                    asl.run(|| c.variable_names(name, &at("io.assign"), template));
                }
            }
            State::Succeed { io } if io.assign.is_some() && AslOnly::witness().is_some() => {
                c.problem(
                    Some(name),
                    at("io.assign"),
                    "a Succeed state assigns no variables",
                );
            }
            _ => {}
        }
        let kind = match &def.state {
            State::Submit { next, .. } => NodeKind::Submit {
                next: c.target(name, at("next"), next),
            },
            State::Wait { policy, next } => {
                c.policy(name, at("policy"), policy);
                NodeKind::Wait {
                    policy: policy.clone(),
                    next: c.target(name, at("next"), next),
                }
            }
            State::Check { next, retry, .. } => {
                c.policy(name, at("retry"), retry);
                NodeKind::Check {
                    next: c.target(name, at("next"), next),
                    retry: retry.clone(),
                }
            }
            State::Choice {
                choices,
                default,
                io,
            } => {
                let rules = choices
                    .iter()
                    .enumerate()
                    .map(|(j, rule)| {
                        let test = c.test(
                            name,
                            at(&format!("choices[{j}].condition")),
                            &rule.condition,
                        );
                        (
                            test,
                            c.target(name, at(&format!("choices[{j}].next")), &rule.next),
                            c.assign(name, at(&format!("choices[{j}].assign")), &rule.assign),
                        )
                    })
                    .collect();
                NodeKind::Choice {
                    rules,
                    default: c.next(name, at("default"), default.as_ref()),
                    io: c.io(name, at("io"), io),
                }
            }
            State::Notify {
                subject,
                message,
                next,
                ..
            } => NodeKind::Notify {
                subject: subject.clone(),
                message: message.clone(),
                next: c.target(name, at("next"), next),
            },
            State::Succeed { io } => NodeKind::Succeed {
                io: c.io(name, at("io"), io),
            },
            State::Fail {
                error,
                cause,
                error_path,
                cause_path,
            } => NodeKind::Fail {
                error: error.clone(),
                cause: cause.clone(),
                paths: match (error_path, cause_path) {
                    (None, None) => None,
                    _ => c.asl(name, at("error_path")).map(|asl| FailPaths {
                        error: error_path.clone(),
                        cause: cause_path.clone(),
                        asl,
                    }),
                },
            },
            State::Task {
                resource,
                io,
                next,
                retry,
                timeout,
                timeout_path,
                ..
            } => match c.asl(name, at("type")) {
                Some(asl) => NodeKind::Task {
                    resource: Arc::from(resource.as_str()),
                    sync: resource.ends_with(".sync"),
                    io: io.clone(),
                    next: c.next(name, at("next"), next.as_ref()),
                    retry: c.retriers(name, &at("retry"), retry),
                    timeout_ms: timeout.map(crate::policy::to_millis),
                    timeout_path: timeout_path.clone(),
                    asl,
                },
                None => NodeKind::Succeed { io: None },
            },
            State::Pass { result, io, next } => match c.asl(name, at("type")) {
                Some(asl) => NodeKind::Pass {
                    result: result.clone(),
                    io: io.clone(),
                    next: c.next(name, at("next"), next.as_ref()),
                    asl,
                },
                None => NodeKind::Succeed { io: None },
            },
            State::Delay { until, io, next } => match c.asl(name, at("type")) {
                Some(asl) => NodeKind::Delay {
                    until: until.clone(),
                    io: io.clone(),
                    next: c.next(name, at("next"), next.as_ref()),
                    asl,
                },
                None => NodeKind::Succeed { io: None },
            },
            State::Parallel {
                branches,
                io,
                next,
                retry,
                ..
            } => match c.asl(name, at("type")) {
                Some(asl) => {
                    let compiled: Vec<Option<Compiled>> = branches
                        .iter()
                        .enumerate()
                        .map(|(j, b)| c.sub(name, &at(&format!("branches[{j}]")), b))
                        .collect();
                    let next = c.next(name, at("next"), next.as_ref());
                    let retry = c.retriers(name, &at("retry"), retry);
                    match compiled.into_iter().collect() {
                        Some(branches) => NodeKind::Parallel {
                            branches,
                            io: io.clone(),
                            next,
                            retry,
                            asl,
                        },
                        None => NodeKind::Succeed { io: None },
                    }
                }
                None => NodeKind::Succeed { io: None },
            },
            State::Map {
                processor,
                items_path,
                item_selector,
                max_concurrency,
                max_concurrency_path,
                io,
                next,
                retry,
                ..
            } => match c.asl(name, at("type")) {
                Some(asl) => {
                    let compiled = c.sub(name, &at("processor"), processor);
                    let next = c.next(name, at("next"), next.as_ref());
                    let retry = c.retriers(name, &at("retry"), retry);
                    match compiled {
                        Some(processor) => NodeKind::Map {
                            processor: Box::new(processor),
                            items: Box::new(Items {
                                path: items_path.clone(),
                                selector: item_selector.clone(),
                                max_concurrency: *max_concurrency,
                                max_concurrency_path: max_concurrency_path.clone(),
                            }),
                            io: io.clone(),
                            next,
                            retry,
                            asl,
                        },
                        None => NodeKind::Succeed { io: None },
                    }
                }
                None => NodeKind::Succeed { io: None },
            },
        };
        nodes.push(compiled::Node {
            name: Arc::from(name),
            kind,
            catch,
            uses_context: if uses_context(&def.state) {
                c.asl(name, format!("$.states[{i}]"))
            } else {
                None
            },
        });
    }

    if c.problems.is_empty() {
        for (i, reached) in reachable(start, &nodes).into_iter().enumerate() {
            if !reached {
                let name = graph.states[i].name.clone();
                c.problem(
                    Some(&name),
                    format!("$.states[{i}]"),
                    "not reachable from start_at",
                );
            }
        }
    }
    if !c.problems.is_empty() {
        return Err(BuildError {
            problems: c.problems,
        });
    }
    Ok(Compiled {
        name: Arc::from(graph.name.as_str()),
        base: 0,
        start,
        nodes,
        cancel_on_stop: graph.cancel_on_stop,
        timeout_ms: graph.timeout.map(crate::policy::to_millis),
        sync_poll: graph.sync_poll.clone().unwrap_or_else(default_sync_poll),
        sync_check_retry: default_check_retry(),
    })
}

/// Whether a state's paths or templates read the context object (`$$`).
fn uses_context(state: &State) -> bool {
    match state {
        State::Task { .. }
        | State::Pass { .. }
        | State::Delay { .. }
        | State::Choice { .. }
        | State::Succeed { .. }
        | State::Fail { .. } => mentions_context(state),
        // Their own fields only: the branches' states are compiled (and asked) on their own.
        State::Parallel {
            io, retry, catch, ..
        } => mentions_context(&(io, retry, catch)),
        State::Map {
            items_path,
            item_selector,
            max_concurrency_path,
            io,
            retry,
            catch,
            ..
        } => mentions_context(&(
            items_path,
            item_selector,
            max_concurrency_path,
            io,
            retry,
            catch,
        )),
        // Their catchers' `Assign` may read it.
        State::Submit { catch, .. } | State::Check { catch, .. } | State::Notify { catch, .. } => {
            AslOnly::witness().is_some()
                && catch.iter().any(|c| c.assign.is_some())
                && mentions_context(catch)
        }
        State::Wait { .. } => false,
    }
}

fn mentions_context(fields: &impl serde::Serialize) -> bool {
    serde_json::to_string(fields).is_ok_and(|s| s.contains("$$"))
}

fn reachable(start: u32, nodes: &[compiled::Node]) -> Vec<bool> {
    let mut seen = vec![false; nodes.len()];
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i as usize], true) {
            continue;
        }
        stack.extend(nodes[i as usize].catch.iter().map(|c| c.next));
        match &nodes[i as usize].kind {
            NodeKind::Submit { next }
            | NodeKind::Wait { next, .. }
            | NodeKind::Check { next, .. }
            | NodeKind::Notify { next, .. } => stack.push(*next),
            NodeKind::Task { next, .. }
            | NodeKind::Pass { next, .. }
            | NodeKind::Delay { next, .. }
            | NodeKind::Parallel { next, .. }
            | NodeKind::Map { next, .. } => stack.extend(*next),
            NodeKind::Choice { rules, default, .. } => {
                stack.extend(rules.iter().map(|(_, n, _)| *n));
                stack.extend(*default);
            }
            NodeKind::Succeed { .. } | NodeKind::Fail { .. } => {}
        }
    }
    seen
}
