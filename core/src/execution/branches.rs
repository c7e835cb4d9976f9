//! Parallel and Map states: child executions of the same interpreter, one per branch (or
//! item), stepped by their parent. Their steps and events carry their route (see [`Route`]),
//! so the driver keeps every branch's call in flight at once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Completion, Execution, Outer, Phase, Route, Step};
use crate::asl::{Scope, Variables};
use crate::error::{names, TaskError};
use crate::event::{EventKind, Hop, Outcome};
use crate::policy::Rng;
use crate::workflow::{enabled, Asl, AslOnly, Compiled, DataFlow, Items, Node, NodeKind};

/// The branches (or items) of the running Parallel or Map state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Branches {
    children: Vec<Execution>,
    /// How many have started; they start in order.
    started: u32,
    /// How many may run at once (0: all).
    limit: u32,
    /// Every branch before this one has ended (so stepping starts here); not in checkpoints,
    /// as 0 is always right.
    #[serde(skip)]
    first_unfinished: u32,
    /// Why the others are being stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop: Option<Stop>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stop {
    /// A branch failed: the state fails with its error (Retry and Catch apply).
    Fail(TaskError),
    /// The execution ends so (aborted, or out of time).
    End(Outcome),
}

/// What stepping the branches came to.
enum Progress {
    Step(Step),
    Finished(Finish),
}

enum Finish {
    Succeeded(Vec<Value>),
    Failed(TaskError),
    End(Outcome),
}

impl Branches {
    /// Whether the execution is ending (aborted, or out of time) once the branches stop.
    pub(super) fn is_ending(&self) -> bool {
        matches!(self.stop, Some(Stop::End(_)))
    }

    /// Stops every running branch; the execution then ends with `end`.
    pub(super) fn end(&mut self, end: Outcome) {
        self.stop = Some(Stop::End(end));
        self.abort_running();
    }

    pub(super) fn child(&self, index: u32) -> Option<&Execution> {
        self.children.get(index as usize)
    }

    pub(super) fn child_mut(&mut self, index: u32) -> Option<&mut Execution> {
        self.children.get_mut(index as usize)
    }

    /// The branches that started and have not ended.
    pub(super) fn running(&self) -> impl Iterator<Item = &Execution> {
        self.children
            .iter()
            .take(self.started as usize)
            .filter(|c| c.outcome().is_none())
    }

    pub(super) fn fits(&self, wf: &Compiled, state: u32) -> bool {
        let count_fits = match wf.nodes.get(state as usize).map(|n| &n.kind) {
            Some(NodeKind::Parallel { branches, .. }) => branches.len() == self.children.len(),
            Some(NodeKind::Map { .. }) => true,
            _ => false,
        };
        count_fits
            && (self.started as usize) <= self.children.len()
            && self
                .children
                .iter()
                .enumerate()
                .all(|(i, c)| wf.child(state, i).is_some_and(|w| c.fits(w)))
    }

    /// Gives every branch (and theirs, all the way down) the execution's shared record and
    /// their parent's variables (`variables`).
    pub(super) fn attach(&mut self, outer: &Arc<Outer>, variables: &Variables) {
        let variables = Arc::new(variables.clone());
        for child in &mut self.children {
            child.outer = Some(outer.clone());
            child.variables.set_outer(variables.clone());
            if let Phase::Branches { branches, .. } = &mut child.phase {
                branches.attach(outer, &child.variables);
            }
        }
    }

    fn abort_running(&mut self) {
        let started = self.started as usize;
        for child in self.children.iter_mut().take(started) {
            child.abort();
        }
    }

    /// Steps the branches in order until one has an event or a call; starts branches while
    /// the concurrency limit allows.
    fn advance(&mut self, wf: &Compiled, state: u32, now: u64, route: &mut Route) -> Progress {
        let Some(name) = wf.nodes.get(state as usize).map(|n| n.name.clone()) else {
            return Progress::Finished(Finish::Failed(TaskError::new(
                names::RUNTIME,
                "a checkpoint's branches do not fit this workflow",
            )));
        };
        loop {
            let mut running = 0;
            for i in self.first_unfinished..self.started {
                let (Some(child_wf), Some(child)) = (
                    wf.child(state, i as usize),
                    self.children.get_mut(i as usize),
                ) else {
                    continue;
                };
                // A branch waiting for its call has nothing to do until the call completes.
                if child.outcome().is_none() && !child.awaiting {
                    route.enter(&name, i);
                    match child.step(child_wf, now, route) {
                        Step::Idle | Step::Done => route.leave(),
                        Step::Emit(kind) => return Progress::Step(Step::Emit(self.lift(kind))),
                        call => return Progress::Step(call),
                    }
                }
                if child.outcome().is_none() {
                    running += 1;
                } else if i == self.first_unfinished {
                    self.first_unfinished += 1;
                }
            }
            let waiting = self.stop.is_none() && (self.started as usize) < self.children.len();
            if waiting && (self.limit == 0 || running < self.limit) {
                self.started += 1;
                continue;
            }
            if running > 0 || waiting {
                return Progress::Step(Step::Idle);
            }
            return Progress::Finished(self.finish());
        }
    }

    /// A branch's own execution event, as its parent's stream tells it.
    fn lift(&mut self, kind: EventKind) -> EventKind {
        match kind {
            EventKind::ExecutionStarted { input } => EventKind::BranchStarted { input },
            EventKind::ExecutionSucceeded { output } => EventKind::BranchSucceeded { output },
            EventKind::ExecutionFailed { error } => {
                self.fail(Stop::Fail(error.clone()));
                EventKind::BranchFailed { error }
            }
            EventKind::ExecutionTimedOut { error } => {
                self.fail(Stop::End(Outcome::TimedOut {
                    error: error.clone(),
                }));
                EventKind::BranchFailed { error }
            }
            EventKind::ExecutionAborted { job_cancelled } => {
                EventKind::BranchAborted { job_cancelled }
            }
            other => other,
        }
    }

    /// The first failure stops the others (running out of time outranks a failure).
    fn fail(&mut self, stop: Stop) {
        if matches!(
            (&self.stop, &stop),
            (None, _) | (Some(Stop::Fail(_)), Stop::End(_))
        ) {
            self.stop = Some(stop);
        }
        self.abort_running();
    }

    fn finish(&mut self) -> Finish {
        match self.stop.take() {
            None => Finish::Succeeded(
                self.children
                    .iter()
                    .map(|c| match c.outcome() {
                        Some(Outcome::Succeeded { output }) => output.clone(),
                        _ => Value::Null,
                    })
                    .collect(),
            ),
            Some(Stop::Fail(error)) => Finish::Failed(error),
            Some(Stop::End(Outcome::Aborted { .. })) => Finish::End(Outcome::Aborted {
                job_cancelled: self.children.iter().any(|c| {
                    matches!(
                        c.outcome(),
                        Some(Outcome::Aborted {
                            job_cancelled: true
                        })
                    )
                }),
            }),
            Some(Stop::End(end)) => Finish::End(end),
        }
    }
}

impl Execution {
    /// Enters a Parallel or Map state: the branches' (or items') inputs, then their phase.
    /// Kept out of line, so the interpreter's hot path stays small.
    #[inline(never)]
    pub(super) fn enter_branches(
        &mut self,
        wf: &Compiled,
        node: &Node,
        io: &DataFlow,
        asl: &Asl,
        now: u64,
    ) -> Option<Step> {
        enabled(asl);
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.variables);
        let planned = io
            .select_input(&self.data, scope)
            .and_then(|input| match &node.kind {
                NodeKind::Map { items, .. } => items.plan(&input, scope, &mut self.rng),
                _ => {
                    let input = io.parameters(input, scope, &mut self.rng)?;
                    Ok((vec![input; node.kind.children().len()], 0))
                }
            });
        match planned {
            Ok((inputs, limit)) => {
                self.start_branches(wf, inputs, limit, AslOnly::from(asl));
                None
            }
            Err(error) => self.fail_now(wf, node, error, now),
        }
    }

    /// Enters the branches phase: one child execution per input, `limit` at a time (0: all).
    fn start_branches(&mut self, wf: &Compiled, inputs: Vec<Arc<Value>>, limit: u32, asl: AslOnly) {
        let outer = self.outer_for_branches(wf);
        // The branches read this execution's variables, which stay as they are meanwhile.
        let variables = Arc::new(self.variables.clone());
        let mut children = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let Some(child_wf) = wf.child(self.state, i) else {
                continue;
            };
            let rng = Rng::seeded(self.rng.next_u64());
            let mut child = Execution::new(child_wf, input, self.number, rng);
            child.outer = Some(outer.clone());
            child.variables = Variables::inside(variables.clone());
            children.push(child);
        }
        self.phase = Phase::Branches {
            branches: Box::new(Branches {
                children,
                started: 0,
                limit,
                first_unfinished: 0,
                stop: None,
            }),
            asl,
        };
    }

    /// What this execution's branches share with it: its own record if it is a branch, or a
    /// new one from it (`wf` is then the top graph).
    pub(super) fn outer_for_branches(&self, wf: &Compiled) -> Arc<Outer> {
        self.outer.clone().unwrap_or_else(|| {
            Arc::new(Outer {
                deadline_ms: self.deadline(wf),
                input: self.input.clone(),
                started_ms: self.started_ms,
                machine: wf.name.clone(),
            })
        })
    }

    /// Passes a completion down its route to the branch that asked for it.
    #[inline(never)]
    pub(super) fn complete_child(
        &mut self,
        wf: &Compiled,
        route: &[u32],
        hops: &mut Vec<Hop>,
        completion: Completion,
        now: u64,
    ) -> Option<EventKind> {
        let (&i, rest) = route.split_first()?;
        let Phase::Branches { branches, .. } = &mut self.phase else {
            return None;
        };
        let child_wf = wf.child(self.state, i as usize)?;
        hops.push(Hop {
            state: wf.nodes.get(self.state as usize)?.name.clone(),
            index: i,
        });
        branches
            .child_mut(i)?
            .complete(child_wf, rest, hops, completion, now)
    }

    /// Steps the running branches; `None` when they are done and the state moved on.
    pub(super) fn step_branches(
        &mut self,
        wf: &Compiled,
        now: u64,
        route: &mut Route,
    ) -> Option<Step> {
        let Phase::Branches { branches, .. } = &mut self.phase else {
            return None;
        };
        let finish = match branches.advance(wf, self.state, now, route) {
            Progress::Step(step) => return Some(step),
            Progress::Finished(finish) => finish,
        };
        let node = &wf.nodes[self.state as usize];
        self.phase = Phase::Act;
        match finish {
            Finish::Succeeded(outputs) => {
                self.task_succeeded(wf, node, Value::Array(outputs), now);
                None
            }
            Finish::Failed(error) => self.fail_now(wf, node, error, now),
            Finish::End(end) => {
                self.stop(end);
                None
            }
        }
    }
}

impl Items {
    /// Each item's input (after `ItemSelector`) and how many may run at once.
    pub(crate) fn plan(
        &self,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<(Vec<Arc<Value>>, u32), TaskError> {
        let runtime = |cause: String| TaskError::new(names::RUNTIME, cause);
        let items = match self.path.select_in(input, scope) {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(runtime(format!(
                    "ItemsPath {:?} selects {}, not an array",
                    self.path.as_str(),
                    crate::asl::describe(&other)
                )))
            }
            None => {
                let place = crate::asl::missing_in(&self.path, input, scope);
                return Err(runtime(format!(
                    "ItemsPath {:?} matches nothing in {place}",
                    self.path.as_str()
                )));
            }
        };
        let limit = match &self.max_concurrency_path {
            None => self.max_concurrency,
            Some(path) => path
                .select_in(input, scope)
                .and_then(|n| n.as_u64())
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    runtime(format!(
                        "MaxConcurrencyPath {:?} does not select a non-negative integer",
                        path.as_str()
                    ))
                })?,
        };
        let Some(template) = &self.selector else {
            return Ok((items.into_iter().map(Arc::new).collect(), limit));
        };
        // One context for every item (it holds `$$.Execution.Input`): only `Map` changes.
        let mut context = match scope.context {
            Value::Object(_) => scope.context.clone(),
            _ => json!({}),
        };
        let mut inputs = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            context["Map"] = map_item(index, item);
            let scope = Scope {
                context: &context,
                ..scope
            };
            inputs.push(Arc::new(template.render_in(input, scope, rng)?));
        }
        Ok((inputs, limit))
    }
}

/// `$$.Map`: `{"Item": {"Index": index, "Value": item}}`, built without copying the item.
fn map_item(index: usize, item: Value) -> Value {
    let mut fields = serde_json::Map::new();
    fields.insert("Index".into(), index.into());
    fields.insert("Value".into(), item);
    let mut map = serde_json::Map::new();
    map.insert("Item".into(), Value::Object(fields));
    Value::Object(map)
}
