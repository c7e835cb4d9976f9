//! Parallel and Map states: child executions of the same interpreter, one per branch (or
//! item), stepped by their parent. Their steps and events carry their route (see [`Route`]),
//! so the driver keeps every branch's call in flight at once.
//!
//! A step costs the same however many branches run: the parent keeps the set of branches that
//! may have something to do (new ones, ones whose call completed, aborted ones), and steps
//! only those, lowest index first; a branch waiting for its call is not looked at.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Cold, Completion, Execution, Outer, Phase, Route, Step};
use crate::error::{names, TaskError};
use crate::event::{EventKind, Hop, Outcome};
use crate::expr::{Scope, States, Variables};
use crate::limits::{measure, Exceeded, Limits};
use crate::policy::Rng;
use crate::workflow::{
    enabled, query_error, Asl, AslOnly, Compiled, DataFlow, Items, JsonataFields, Node, NodeKind,
};

/// The branches (or items) of the running Parallel or Map state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Branches {
    children: Vec<Execution>,
    /// How many have started; they start in order.
    started: u32,
    /// How many may run at once (0: all).
    limit: u32,
    /// A Map state with an `ItemSelector`: the children from this index on still hold their
    /// item, and get their input from the selector when they start (`None`: every input is
    /// final, as in checkpoints written before items were selected lazily).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    selecting_from: Option<u32>,
    /// Why the others are being stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop: Option<Stop>,
    /// Which started branches may have something to do, and how many started branches have
    /// not ended. Not in checkpoints: rebuilt from the children when missing.
    #[serde(skip)]
    ready: Option<Ready>,
    /// The JSON size of the outputs of the branches that succeeded so far (not in checkpoints:
    /// the whole result is checked again when the state ends).
    #[serde(skip)]
    output_bytes: u64,
    /// What the `ItemSelector` renders over, made when the first item is selected (again after
    /// a checkpoint).
    #[serde(skip)]
    selection: Option<Selection>,
}

/// The branches to step, lowest index first, each at most once; and how many started
/// branches have not ended. (A heap: lighter in the npm package than an ordered set.)
#[derive(Clone, Debug, Default)]
struct Ready {
    heap: BinaryHeap<Reverse<u32>>,
    /// Which branches are in `heap`.
    queued: Vec<bool>,
    running: u32,
}

/// The Map state's input (after `InputPath`) and its context object, whose `Map` field each
/// item in turn fills.
#[derive(Clone, Debug)]
struct Selection {
    input: Arc<Value>,
    context: Value,
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
    /// The next item needs its input from the Map state's `ItemSelector` before it starts.
    Select(u32),
    Finished(Finish),
}

enum Finish {
    Succeeded(Vec<Value>),
    Failed(TaskError),
    End(Outcome),
}

impl Branches {
    fn new(children: Vec<Execution>, limit: u32, selecting: bool) -> Self {
        Self {
            children,
            started: 0,
            limit,
            selecting_from: selecting.then_some(0),
            stop: None,
            ready: None,
            output_bytes: 0,
            selection: None,
        }
    }

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

    /// The branch at `index`, to complete its call: it is stepped again.
    fn child_to_complete(&mut self, index: u32) -> Option<&mut Execution> {
        if let Some(ready) = &mut self.ready {
            if index < self.started {
                ready.push(index);
            }
        }
        self.children.get_mut(index as usize)
    }

    /// The branches that started and have not ended.
    pub(super) fn running(&self) -> impl Iterator<Item = &Execution> {
        self.children
            .iter()
            .take(self.started as usize)
            .filter(|c| c.outcome().is_none())
    }

    /// The branches that started and have not ended, with their indices.
    pub(super) fn running_indexed(&self) -> impl Iterator<Item = (u32, &Execution)> {
        (0..self.started)
            .zip(&self.children)
            .filter(|(_, c)| c.outcome().is_none())
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
                .selecting_from
                .is_none_or(|from| from as usize <= self.children.len())
            && self
                .children
                .iter()
                .enumerate()
                .all(|(i, c)| wf.child(state, i).is_some_and(|w| c.fits(w)))
    }

    /// Gives every branch (and theirs, all the way down) the execution's shared record, their
    /// parent's variables (`variables`) and the engine's limits.
    pub(super) fn attach(
        &mut self,
        outer: &Arc<Outer>,
        variables: &Variables,
        limits: &Arc<Limits>,
    ) {
        // Which branches wait for calls is not part of a checkpoint, even one kept in memory.
        self.ready = None;
        let variables = Arc::new(variables.clone());
        for child in &mut self.children {
            child.awaiting = false;
            child.cold.outer = Some(outer.clone());
            child.cold.limits = limits.clone();
            child.cold.variables.set_outer(variables.clone());
            child.identify();
            if let Phase::Branches { branches, .. } = &mut child.phase {
                branches.attach(outer, &child.cold.variables, limits);
            }
        }
    }

    fn abort_running(&mut self) {
        let started = self.started as usize;
        for child in self.children.iter_mut().take(started) {
            child.abort();
        }
        // Every running branch now has stopping to do.
        self.ready = Some(Ready::running(&self.children, self.started));
    }

    /// Steps the ready branches, lowest index first, until one has an event or a call; starts
    /// branches while the concurrency limit allows.
    fn advance(
        &mut self,
        wf: &Compiled,
        state: u32,
        now: u64,
        route: &mut Route,
        limits: &Limits,
    ) -> Progress {
        let Some(name) = wf.nodes.get(state as usize).map(|n| n.name.clone()) else {
            return Progress::Finished(Finish::Failed(TaskError::new(
                names::RUNTIME,
                "a checkpoint's branches do not fit this workflow",
            )));
        };
        loop {
            let (children, started) = (&self.children, self.started);
            let ready = self
                .ready
                .get_or_insert_with(|| Ready::running(children, started));
            if let Some(i) = ready.first() {
                let (Some(child_wf), Some(child)) = (
                    wf.child(state, i as usize),
                    self.children.get_mut(i as usize),
                ) else {
                    ready.pop();
                    continue;
                };
                route.enter(&name, i);
                let step = child.step(child_wf, now, route);
                let (finished, waits) = (child.outcome().is_some(), child.awaiting);
                if finished {
                    child.release();
                    ready.running = ready.running.saturating_sub(1);
                }
                if finished || waits || matches!(step, Step::Idle | Step::Done) {
                    ready.pop();
                }
                match step {
                    Step::Idle | Step::Done => route.leave(),
                    Step::Emit(kind) => {
                        return Progress::Step(Step::Emit(self.lift(kind, limits)));
                    }
                    call => return Progress::Step(call),
                }
                continue;
            }
            let running = ready.running;
            let waiting = self.stop.is_none() && (self.started as usize) < self.children.len();
            if waiting && (self.limit == 0 || running < self.limit) {
                if self.selecting_from == Some(self.started) {
                    return Progress::Select(self.started);
                }
                ready.push(self.started);
                ready.running += 1;
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
    fn lift(&mut self, kind: EventKind, limits: &Limits) -> EventKind {
        match kind {
            EventKind::ExecutionStarted { input } => EventKind::BranchStarted { input },
            EventKind::ExecutionSucceeded { output } => {
                // The outputs make the state's result: stop as soon as they cannot fit.
                let left = limits.max_payload_bytes.saturating_sub(self.output_bytes);
                match measure(&output, left, Limits::MAX_DEPTH) {
                    Ok(size) => self.output_bytes += size.bytes + 1,
                    Err(_) => {
                        let error = Exceeded::Bytes(limits.max_payload_bytes)
                            .error("the state's result (its branches' outputs together)");
                        self.fail(Stop::Fail(error));
                    }
                }
                EventKind::BranchSucceeded { output }
            }
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

impl Ready {
    /// Every started branch that has not ended (all may have something to do).
    fn running(children: &[Execution], started: u32) -> Self {
        let mut ready = Self {
            heap: BinaryHeap::new(),
            queued: vec![false; children.len()],
            running: 0,
        };
        for (i, child) in (0..started).zip(children) {
            if child.outcome().is_none() {
                ready.push(i);
                ready.running += 1;
            }
        }
        ready
    }

    /// The lowest branch to step.
    fn first(&self) -> Option<u32> {
        self.heap.peek().map(|Reverse(i)| *i)
    }

    /// Takes the lowest branch off.
    fn pop(&mut self) {
        if let Some(Reverse(i)) = self.heap.pop() {
            if let Some(queued) = self.queued.get_mut(i as usize) {
                *queued = false;
            }
        }
    }

    /// Adds a branch, unless it is there already.
    fn push(&mut self, index: u32) {
        let i = index as usize;
        if self.queued.len() <= i {
            self.queued.resize(i + 1, false);
        }
        if !std::mem::replace(&mut self.queued[i], true) {
            self.heap.push(Reverse(index));
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
        // Exists wherever `asl` does (with the `asl` feature).
        let marker = AslOnly::witness()?;
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
        let planned = io
            .select_input(&self.data, scope)
            .and_then(|input| match &node.kind {
                NodeKind::Map { items, .. } => {
                    let (items_found, limit) = items.plan(&input, scope, &mut self.rng)?;
                    let cap = self.cold.limits.max_map_concurrency;
                    let limit = match (limit, cap) {
                        (0, cap) => cap,
                        (limit, 0) => limit,
                        (limit, cap) => limit.min(cap),
                    };
                    Ok((items_found, limit, items.selects()))
                }
                _ => {
                    let input = io.parameters(input, scope, &mut self.rng)?;
                    Ok((vec![input; node.kind.children().len()], 0, false))
                }
            });
        match planned {
            Ok((inputs, limit, selecting)) => {
                self.start_branches(wf, inputs, limit, selecting, marker);
                None
            }
            Err(error) => self.fail_now(wf, node, error, now),
        }
    }

    /// Enters the branches phase: one child execution per input, `limit` at a time (0: all);
    /// `selecting`: the inputs are Map items, for the state's `ItemSelector`.
    fn start_branches(
        &mut self,
        wf: &Compiled,
        inputs: Vec<Arc<Value>>,
        limit: u32,
        selecting: bool,
        asl: AslOnly,
    ) {
        let outer = self.outer_for_branches(wf);
        // The branches read this execution's variables, which stay as they are meanwhile.
        let variables = Arc::new(self.cold.variables.clone());
        let mut children = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let Some(child_wf) = wf.child(self.state, i) else {
                continue;
            };
            let rng = Rng::seeded(self.rng.next_u64());
            let mut child = Execution::new(
                child_wf,
                input,
                self.cold.number,
                rng,
                self.cold.limits.clone(),
            );
            child.cold.outer = Some(outer.clone());
            child.cold.variables = Variables::inside(variables.clone());
            child.input_checked = true;
            children.push(child);
        }
        self.phase = Phase::Branches {
            branches: Box::new(Branches::new(children, limit, selecting)),
            asl,
        };
    }

    /// What this execution's branches share with it: its own record if it is a branch, or a
    /// new one from it (`wf` is then the top graph).
    pub(super) fn outer_for_branches(&self, wf: &Compiled) -> Arc<Outer> {
        self.cold.outer.clone().unwrap_or_else(|| {
            Arc::new(Outer {
                deadline_ms: self.deadline(wf),
                input: self.cold.input.clone(),
                started_ms: self.cold.started_ms,
                machine: wf.name.clone(),
            })
        })
    }

    /// Lets go of what an ended branch no longer needs (its input, data and variables); its
    /// outcome stays.
    fn release(&mut self) {
        self.cold.input = Arc::default();
        self.data = Arc::default();
        self.cold.variables = Variables::default();
        self.handle = None;
        self.cold.last = None;
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
            .child_to_complete(i)?
            .complete(child_wf, rest, hops, completion, now)
    }

    /// Steps the running branches; `None` when they are done and the state moved on.
    pub(super) fn step_branches(
        &mut self,
        wf: &Compiled,
        now: u64,
        route: &mut Route,
    ) -> Option<Step> {
        let finish = loop {
            let Phase::Branches { branches, .. } = &mut self.phase else {
                return None;
            };
            match branches.advance(wf, self.state, now, route, &self.cold.limits) {
                Progress::Step(step) => return Some(step),
                Progress::Select(index) => self.select_item(wf, index, now),
                Progress::Finished(finish) => break finish,
            }
        };
        let node = &wf.nodes[self.state as usize];
        self.phase = Phase::Act;
        match finish {
            Finish::Succeeded(outputs) => {
                let result = Value::Array(outputs);
                match self.cold.limits.check(&result, "the state's result") {
                    Ok(_) => {
                        self.task_succeeded(wf, node, result, now);
                        None
                    }
                    Err(error) => self.fail_now(wf, node, error, now),
                }
            }
            Finish::Failed(error) => self.fail_now(wf, node, error, now),
            Finish::End(end) => {
                self.stop(end);
                None
            }
        }
    }

    /// Gives the Map item at `index` its input from the state's `ItemSelector`, just before it
    /// starts (so a Map holds the selected inputs of the items that run, not of all of them);
    /// a failure fails the state.
    #[inline(never)]
    fn select_item(&mut self, wf: &Compiled, index: u32, now: u64) {
        let node = &wf.nodes[self.state as usize];
        let NodeKind::Map { items, io, .. } = &node.kind else {
            return;
        };
        let unprepared =
            matches!(&self.phase, Phase::Branches { branches, .. } if branches.selection.is_none());
        let prepared = if unprepared {
            let context = self.context(wf, node, now);
            let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
            let input = io.select_input(&self.data, scope);
            input.map(|input| {
                let context = match context {
                    Value::Object(_) => context,
                    _ => json!({}),
                };
                Some(Selection { input, context })
            })
        } else {
            Ok(None)
        };
        let Execution {
            phase, rng, cold, ..
        } = self;
        let Cold {
            variables, limits, ..
        } = &**cold;
        let Phase::Branches { branches, .. } = phase else {
            return;
        };
        branches.selecting_from = Some(index + 1);
        match prepared {
            Ok(Some(selection)) => branches.selection = Some(selection),
            Ok(None) => {}
            Err(error) => return branches.fail(Stop::Fail(error)),
        }
        let (Some(selection), Some(child)) = (
            branches.selection.as_mut(),
            branches.children.get_mut(index as usize),
        ) else {
            return;
        };
        let item = Arc::unwrap_or_clone(std::mem::take(&mut child.cold.input));
        selection.context["Map"] = map_item(index as usize, item);
        let scope = Scope::new(&selection.context, variables, limits, now);
        match items.select(&selection.input, scope, rng) {
            Ok(input) => {
                child.cold.input = Arc::new(input);
                child.data = child.cold.input.clone();
            }
            Err(error) => branches.fail(Stop::Fail(error)),
        }
    }
}

impl Items {
    /// Whether an `ItemSelector` builds each item's input.
    fn selects(&self) -> bool {
        self.selector.is_some()
            || self
                .jsonata
                .as_ref()
                .is_some_and(|j| j.item_selector.is_some())
    }

    /// The items, and how many may run at once (the state's own `MaxConcurrency`).
    pub(crate) fn plan(
        &self,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<(Vec<Arc<Value>>, u32), TaskError> {
        if let Some(fields) = &self.jsonata {
            return plan_jsonata(fields, self.max_concurrency, input, scope, rng);
        }
        let runtime = |cause: String| TaskError::new(names::RUNTIME, cause);
        let items = match self.path.select_in(input, scope)? {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(runtime(format!(
                    "ItemsPath {:?} selects {}, not an array",
                    self.path.as_str(),
                    crate::expr::describe(&other)
                )))
            }
            None => {
                let place = crate::expr::missing_in(&self.path, input, scope);
                return Err(runtime(format!(
                    "ItemsPath {:?} matches nothing in {place}",
                    self.path.as_str()
                )));
            }
        };
        let limit = match &self.max_concurrency_path {
            None => self.max_concurrency,
            Some(path) => path
                .select_in(input, scope)?
                .and_then(|n| n.as_u64())
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    runtime(format!(
                        "MaxConcurrencyPath {:?} does not select a non-negative integer",
                        path.as_str()
                    ))
                })?,
        };
        Ok((items.into_iter().map(Arc::new).collect(), limit))
    }

    /// An item's input: the `ItemSelector` rendered over the Map state's `input`, the scope's
    /// context object holding `$$.Map.Item`.
    fn select(&self, input: &Value, scope: Scope<'_>, rng: &mut Rng) -> Result<Value, TaskError> {
        if let Some(query) = self.jsonata.as_ref().and_then(|j| j.item_selector.as_ref()) {
            let selected = query.evaluate("ItemSelector", States::input(input), scope, rng)?;
            scope
                .limits
                .check(&selected, "the item's input after ItemSelector")?;
            return Ok(selected);
        }
        let Some(template) = &self.selector else {
            return Ok(scope.context["Map"]["Item"]["Value"].clone());
        };
        let selected = template.render_in(input, scope, rng)?;
        scope
            .limits
            .check(&selected, "the item's input after ItemSelector")?;
        Ok(selected)
    }
}

/// A JSONata Map's items (its `Items`, or its input) and its `MaxConcurrency` (an expression,
/// or `literal`).
fn plan_jsonata(
    fields: &JsonataFields,
    literal: u32,
    input: &Value,
    scope: Scope<'_>,
    rng: &mut Rng,
) -> Result<(Vec<Arc<Value>>, u32), TaskError> {
    let items = match &fields.items {
        None => match input {
            Value::Array(items) => items.clone(),
            other => {
                return Err(query_error(format!(
                    "Map state input must be an array but was: {}",
                    super::json_text(other)
                )))
            }
        },
        Some(query) => match query.evaluate("Items", States::input(input), scope, rng)? {
            Value::Array(items) => items,
            other => {
                return Err(query_error(format!(
                    "The JSONata expression specified for the field 'Items' returned an unexpected result type. Expected 'array', but was {}",
                    crate::expr::describe(&other)
                )))
            }
        },
    };
    let limit = match &fields.max_concurrency {
        None => literal,
        Some(query) => {
            let n = query.evaluate("MaxConcurrency", States::input(input), scope, rng)?;
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    query_error(format!(
                        "MaxConcurrency must give a non-negative integer, not {}",
                        super::json_text(&n)
                    ))
                })?
        }
    };
    Ok((items.into_iter().map(Arc::new).collect(), limit))
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
