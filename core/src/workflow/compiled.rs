//! The graph with names resolved to indices and predicates bound: what the interpreter walks.

use std::sync::Arc;

use serde_json::Value;

use crate::expr::{Path, PathOrCall, Query, ReferencePath, Scope, Template};
use crate::policy::WaitPolicy;
use crate::poller::JobStatus;

use smol_str::SmolStr;

use super::graph::{Comparison, DataFlow, DelayUntil, JsonataFields, Operand};

pub(crate) use crate::platform::Predicate;

pub(crate) struct Compiled {
    pub(crate) name: SmolStr,
    /// The key of its first node: nodes of a graph and of its branches are numbered in one
    /// sequence (the top graph from 0), so bindings and jobs are found by `base + index`.
    pub(crate) base: u32,
    pub(crate) start: u32,
    pub(crate) nodes: Vec<Node>,
    pub(crate) cancel_on_stop: bool,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) sync_poll: WaitPolicy,
    /// Retries of transient errors while a `.sync` Task state checks its job.
    pub(crate) sync_check_retry: WaitPolicy,
}

impl Compiled {
    /// The sub-machine the Parallel or Map state at `state` runs as its branch (or item) `index`.
    pub(crate) fn child(&self, state: u32, index: usize) -> Option<&Compiled> {
        match &self.nodes.get(state as usize)?.kind {
            NodeKind::Parallel { branches, .. } => branches.get(index),
            NodeKind::Map { processor, .. } => Some(processor),
            _ => None,
        }
    }

    /// Every node of the graph and of its sub-machines, in key order.
    pub(crate) fn all_nodes(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.extend(&self.nodes);
        for node in &self.nodes {
            for child in node.kind.children() {
                child.collect(out);
            }
        }
    }

    /// Gives this graph and its sub-machines their keys, in the order of [`Self::all_nodes`].
    pub(crate) fn number(&mut self, next: &mut u32) {
        self.base = *next;
        *next = next.saturating_add(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        for node in &mut self.nodes {
            match &mut node.kind {
                NodeKind::Parallel { branches, .. } => {
                    branches.iter_mut().for_each(|b| b.number(next));
                }
                NodeKind::Map { processor, .. } => processor.number(next),
                _ => {}
            }
        }
    }
}

/// Marks compiled Amazon States Language data: `()` with the `asl` feature, uninhabited
/// without it — so the interpreter's ASL paths compile away and builder-only programs (the
/// npm package) do not carry JSONPath, templates and intrinsic functions.
#[cfg(feature = "asl")]
pub(crate) type Asl = ();
#[cfg(not(feature = "asl"))]
pub(crate) type Asl = std::convert::Infallible;

/// [`Asl`] for data that serializes (a checkpoint's running Parallel or Map): a unit with the
/// `asl` feature, an empty enum without it.
#[cfg(feature = "asl")]
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct AslOnly;
#[cfg(not(feature = "asl"))]
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum AslOnly {}

impl AslOnly {
    /// The marker, where it exists: `Some` with the `asl` feature, `None` without.
    pub(crate) fn witness() -> Option<Self> {
        #[cfg(feature = "asl")]
        return Some(AslOnly);
        #[cfg(not(feature = "asl"))]
        return None;
    }

    /// Runs `f`, code reachable only through this marker: without the `asl` feature there is
    /// no marker, and `f` compiles away (reaching data through a reference is not enough for
    /// the compiler to know that).
    pub(crate) fn run<T>(self, f: impl FnOnce() -> T) -> T {
        #[cfg(feature = "asl")]
        return f();
        #[cfg(not(feature = "asl"))]
        {
            drop(f);
            match self {}
        }
    }
}

/// Continues only where ASL support is compiled in. Without it the marker is uninhabited:
/// once inlined, the code after the call is known unreachable and compiles away (the
/// function does not return `!`, so rustc does not warn about the code that follows).
#[inline(always)]
pub(crate) fn enabled(asl: &Asl) {
    #[cfg(not(feature = "asl"))]
    match *asl {}
    #[cfg(feature = "asl")]
    let () = *asl;
}

/// Data-flow fields that change something (defaults compile to no `Io` at all).
pub(crate) struct Io {
    pub(crate) flow: DataFlow,
    pub(crate) asl: Asl,
}

/// A Fail state's `ErrorPath` / `CausePath`, or its JSONata `Error` / `Cause`.
pub(crate) struct FailPaths {
    pub(crate) error: Option<PathOrCall>,
    pub(crate) cause: Option<PathOrCall>,
    pub(crate) jsonata: Option<Box<JsonataFields>>,
    pub(crate) asl: Asl,
}

/// Where a caught error goes in the state's input.
pub(crate) enum CatchTo {
    /// It replaces the input (`ResultPath: "$"`, the default).
    Input,
    /// The input stays as it is (`ResultPath: null`).
    Keep,
    /// It is placed at a path.
    At(ReferencePath, Asl),
    /// A JSONata catcher's `Output` and `Assign` make the output and the variables.
    Jsonata(Box<JsonataFields>, Asl),
}

pub(crate) struct Node {
    pub(crate) name: SmolStr,
    pub(crate) kind: NodeKind,
    /// Present when its paths read the context object (`$$`), which is then built for it.
    pub(crate) uses_context: Option<Asl>,
    /// Tried in order when the state's call fails.
    pub(crate) catch: Vec<Catch>,
}

pub(crate) struct Catch {
    pub(crate) errors: Vec<String>,
    pub(crate) next: u32,
    pub(crate) result_path: CatchTo,
    pub(crate) assign: Option<Assign>,
}

/// The ASL `Assign` of a Choice rule or a catcher; a JSONata Choice rule's `Output` too.
pub(crate) enum Assign {
    Template(Template, Asl),
    Jsonata(Box<JsonataFields>, Asl),
}

impl Assign {
    /// The variables it assigns, `$` (or `$states.input`) being `value`.
    pub(crate) fn render(
        &self,
        value: &Value,
        scope: Scope<'_>,
        rng: &mut crate::policy::Rng,
    ) -> Result<crate::expr::Assigned, crate::TaskError> {
        match self {
            Self::Template(template, asl) => {
                enabled(asl);
                crate::expr::assign(Some(template), value, scope, rng)
            }
            Self::Jsonata(fields, asl) => {
                enabled(asl);
                fields.assign(crate::expr::States::input(value), scope, rng)
            }
        }
    }

    /// Whether it is a JSONata rule's.
    pub(crate) fn is_jsonata(&self) -> bool {
        matches!(self, Self::Jsonata(..))
    }

    /// A JSONata rule's `Output`, over `$states.input` being `value`; `None` without one.
    pub(crate) fn output(
        &self,
        value: &Arc<Value>,
        scope: Scope<'_>,
        rng: &mut crate::policy::Rng,
    ) -> Option<Result<Arc<Value>, crate::TaskError>> {
        match self {
            Self::Jsonata(fields, asl) if fields.output.is_some() => {
                enabled(asl);
                let states = crate::expr::States::input(value);
                Some(fields.output(states, || value.clone(), scope, rng))
            }
            _ => None,
        }
    }
}

/// One ASL retrier: `None` policy means `MaxAttempts: 0` (matching errors are not retried).
pub(crate) struct Retry {
    pub(crate) errors: Vec<String>,
    pub(crate) policy: Option<WaitPolicy>,
}

impl Node {
    /// The ASL retriers of a Task, Parallel or Map state.
    pub(crate) fn retriers(&self) -> &[Retry] {
        match &self.kind {
            NodeKind::Task { retry, .. }
            | NodeKind::Parallel { retry, .. }
            | NodeKind::Map { retry, .. } => retry,
            _ => &[],
        }
    }

    /// The catcher that takes a failure with this error, if any.
    pub(crate) fn catcher_for(&self, error: &crate::TaskError) -> Option<&Catch> {
        self.catch
            .iter()
            .find(|c| c.errors.iter().any(|n| error.matches(n)))
    }
}

pub(crate) enum NodeKind {
    Submit {
        next: u32,
    },
    PollWait {
        policy: WaitPolicy,
        next: u32,
    },
    Check {
        next: u32,
        retry: WaitPolicy,
    },
    Choice {
        /// The rules: test, where it goes, what it assigns.
        rules: Vec<(Test, u32, Option<Assign>)>,
        default: Option<u32>,
        io: Option<Io>,
    },
    Notify {
        subject: Option<String>,
        message: String,
        next: u32,
    },
    Succeed {
        io: Option<Io>,
    },
    Fail {
        error: String,
        cause: Option<String>,
        paths: Option<FailPaths>,
    },
    Task {
        resource: Arc<str>,
        /// A `.sync` resource: submit, then poll until the job ends.
        sync: bool,
        io: DataFlow,
        next: Option<u32>,
        retry: Vec<Retry>,
        timeout_ms: Option<u64>,
        /// ASL `TimeoutSecondsPath`: the timeout, read when the state starts its task.
        timeout_path: Option<Path>,
        /// A `.waitForTaskToken` resource: call, then wait for the task token to be sent.
        callback: bool,
        /// ASL `HeartbeatSeconds` (ms).
        heartbeat_ms: Option<u64>,
        /// ASL `HeartbeatSecondsPath`: the heartbeat interval, read when the task starts.
        heartbeat_path: Option<Path>,
        asl: Asl,
    },
    Pass {
        result: Option<Value>,
        io: DataFlow,
        next: Option<u32>,
        asl: Asl,
    },
    Delay {
        until: DelayUntil,
        io: DataFlow,
        next: Option<u32>,
        asl: Asl,
    },
    Parallel {
        branches: Vec<Compiled>,
        io: DataFlow,
        next: Option<u32>,
        retry: Vec<Retry>,
        asl: Asl,
    },
    Map {
        processor: Box<Compiled>,
        items: Box<Items>,
        io: DataFlow,
        next: Option<u32>,
        retry: Vec<Retry>,
        asl: Asl,
    },
}

/// How a Map state finds its items and how many run at once.
pub(crate) struct Items {
    pub(crate) path: Path,
    pub(crate) selector: Option<Box<Template>>,
    pub(crate) max_concurrency: u32,
    pub(crate) max_concurrency_path: Option<Path>,
    /// A JSONata Map's `Items`, `ItemSelector` and `MaxConcurrency`.
    pub(crate) jsonata: Option<Box<JsonataFields>>,
}

impl NodeKind {
    /// The sub-machines of a Parallel or Map state.
    pub(crate) fn children(&self) -> &[Compiled] {
        match self {
            Self::Parallel { branches, .. } => branches,
            Self::Map { processor, .. } => std::slice::from_ref(&**processor),
            _ => &[],
        }
    }
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
    Compare(Path, Comparison, Operand, Asl),
    /// A JSONata `Condition`.
    Query(Query, Asl),
}

impl Test {
    /// Whether the test holds for the last status (`None` before the first check) and the
    /// state's input.
    /// Fails when a comparison's variable or `*Path` operand is not in the input (ASL
    /// `States.Runtime`), or when a path passes a limit.
    pub(crate) fn holds(
        &self,
        status: Option<&JobStatus>,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut crate::policy::Rng,
    ) -> Result<bool, crate::TaskError> {
        match self {
            Self::Succeeded => Ok(matches!(status, Some(JobStatus::Succeeded { .. }))),
            Self::Failed => Ok(matches!(status, Some(JobStatus::Failed { .. }))),
            Self::Pending => Ok(matches!(status, Some(JobStatus::Pending { .. }))),
            Self::StatusIs(word) => Ok(status.and_then(JobStatus::status_word) == Some(word)),
            Self::DetailEquals(pointer, value) => {
                Ok(status.and_then(|s| s.detail().pointer(pointer)) == Some(value))
            }
            Self::Predicate(f) => Ok(status.is_some_and(|s| f(s))),
            Self::Not(t) => Ok(!t.holds(status, input, scope, rng)?),
            Self::And(ts) => {
                for t in ts {
                    if !t.holds(status, input, scope, rng)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(ts) => {
                for t in ts {
                    if t.holds(status, input, scope, rng)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Self::Compare(variable, op, operand, asl) => {
                enabled(asl);
                let runtime = |cause| crate::TaskError::new(crate::names::RUNTIME, cause);
                let left = variable.select_in(input, scope)?;
                let right = match operand {
                    Operand::Value(v) => v.clone(),
                    Operand::Path(p) => p.select_in(input, scope)?.ok_or_else(|| {
                        runtime(format!(
                            "the path {:?} of a {op:?}Path comparison matches nothing in {}",
                            p.as_str(),
                            crate::expr::missing_from(p, input, scope)
                        ))
                    })?,
                };
                crate::expr::compare(left.as_ref(), *op, &right, || {
                    let place = crate::expr::missing_in(variable, input, scope);
                    format!(
                        "the Choice variable {:?} matches nothing in {place}",
                        variable.as_str()
                    )
                })
                .map_err(runtime)
            }
            Self::Query(condition, asl) => {
                enabled(asl);
                let states = crate::expr::States::input(input);
                match condition.evaluate("Condition", states, scope, rng)? {
                    Value::Bool(holds) => Ok(holds),
                    other => Err(super::query_error(format!(
                        "Condition must give true or false, not {}",
                        crate::execution::json_text(&other)
                    ))),
                }
            }
        }
    }
}
