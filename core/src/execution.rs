//! The interpreter: a sans-IO state machine over the compiled graph.
//!
//! It never awaits. [`Execution::step`] says what it needs next (an event to emit, or a call:
//! submit, sleep, check, notify, cancel) and [`Execution::complete`] tells it how the call
//! went. The async driver ([`Run`](crate::Run)) is a thin loop around these two; the whole
//! state serializes, which is what a checkpoint is.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{names, CheckError, TaskError};
use crate::event::{EventKind, Hop, Outcome};
use crate::expr::{format_rfc3339, Assigned, Path, PathOrCall, Scope, Variables};
use crate::limits::{drop_deep, drop_shared, Limits};
use crate::notifier::Notification;
use crate::policy::{to_millis, Rng, MAX_SECONDS};
use crate::poller::JobStatus;
use crate::workflow::{enabled, AslOnly, CatchTo, Compiled, Node, NodeKind};

mod branches;

use branches::Branches;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Execution {
    state: u32,
    phase: Phase,
    input: Arc<Value>,
    /// The current state's input (its output once it is done): ASL's data flow.
    data: Arc<Value>,
    /// The execution's number in its engine (names it in the `$$` context object).
    number: u64,
    started_ms: u64,
    /// When the current state was entered, or its task last called.
    entered_ms: u64,
    /// Retries spent per retrier of the current Task state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    retries: Vec<u32>,
    /// Shared with each check and cancel of the job, not copied for them.
    handle: Option<Arc<Value>>,
    /// The current Task state's timeout as its `TimeoutSecondsPath` read it (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task_timeout_ms: Option<u64>,
    /// The Task state whose `.sync` resource owns the job (`None`: the engine's poller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_state: Option<u32>,
    last: Option<Arc<JobStatus>>,
    /// Checks since the job was submitted.
    attempt: u32,
    /// Consecutive transient check errors.
    check_errors: u32,
    /// When waiting must end (a wait policy's `max_wait`), in ms since the epoch.
    deadline_ms: Option<u64>,
    rng: Rng,
    next_event_id: u64,
    /// A call this execution asked for is in flight (calls do not survive a checkpoint: a
    /// resumed execution asks again).
    #[serde(skip)]
    awaiting: bool,
    /// The input is known to be within the limits: a shared input the engine checked, or a
    /// branch's, checked where its parent made it.
    #[serde(skip)]
    input_checked: bool,
    /// A Parallel branch's or Map item's: the execution it is part of (deadline, `$$`). Not
    /// in checkpoints (it holds the execution's input): [`Self::reattach`] restores it.
    #[serde(skip)]
    outer: Option<Arc<Outer>>,
    /// The variables its states assigned (ASL `Assign`); a branch's also read its parent's,
    /// given back by [`Self::reattach`] after a checkpoint.
    #[serde(default, skip_serializing_if = "Variables::is_empty")]
    variables: Variables,
    /// The engine's limits (given back on resume).
    #[serde(skip)]
    limits: Arc<Limits>,
}

/// What a branch shares with the execution it is part of: its deadline and its context object
/// (`$$.Execution`, `$$.StateMachine`).
#[derive(Debug)]
struct Outer {
    /// When the execution's time runs out (ms since the epoch), if it has a timeout.
    deadline_ms: Option<u64>,
    input: Arc<Value>,
    started_ms: u64,
    machine: Arc<str>,
}

/// Where a step or a completion belongs: the branch (or item) indices from the top execution
/// down (empty: the top execution's own), and the same as event hops.
#[derive(Default)]
pub(crate) struct Route {
    pub(crate) calls: Vec<u32>,
    pub(crate) hops: Vec<Hop>,
}

impl Route {
    fn enter(&mut self, state: &Arc<str>, index: u32) {
        self.calls.push(index);
        self.hops.push(Hop {
            state: state.clone(),
            index,
        });
    }

    fn leave(&mut self) {
        self.calls.pop();
        self.hops.pop();
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase {
    Start,
    Enter,
    /// Doing the current state's work; a call may be outstanding (asking again re-issues it).
    Act,
    Sleeping {
        until_ms: u64,
        then: AfterSleep,
    },
    /// A Task state's `.sync` job: check it now.
    Poll,
    /// A Task state's `.sync` job ran out of time: cancel it, then fail the task.
    Abandon {
        error: Box<TaskError>,
    },
    /// Leave the state for `next`, or end the execution with the current data.
    Exit {
        next: Option<u32>,
    },
    /// Stopping with this outcome; the job is cancelled first when the policy says so.
    /// (Outcomes and errors are boxed: every waiting execution holds a phase, few hold one.)
    Stopping {
        end: Box<Outcome>,
    },
    Cancelling {
        end: Box<Outcome>,
    },
    Ending {
        end: Box<Outcome>,
    },
    Finished {
        end: Box<Outcome>,
    },
    /// A Parallel or Map state's branches (or items) are running.
    Branches {
        branches: Box<Branches>,
        /// Uninhabited without the `asl` feature, so that this phase's code compiles away.
        #[cfg_attr(feature = "asl", serde(default, skip_serializing))]
        asl: AslOnly,
    },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AfterSleep {
    /// A Wait state's sleep: go on to the next state.
    Exit(Option<u32>),
    /// A retry pause: do the state's work again.
    Retry,
    /// A `.sync` job's poll interval: check it again.
    Poll,
}

/// What the interpreter needs next. `job` names the Task state whose `.sync` resource polls
/// the job; `None` is the engine's poller.
pub(crate) enum Step {
    Emit(EventKind),
    Submit {
        job: Option<u32>,
        input: Arc<Value>,
    },
    /// Sleep until this time (ms since the epoch).
    Sleep(u64),
    Check {
        job: Option<u32>,
        handle: Arc<Value>,
    },
    Notify(Notification),
    Cancel {
        job: Option<u32>,
        handle: Arc<Value>,
        reason: String,
    },
    /// Call the handler bound to this Task state; give up at `deadline_ms`.
    Invoke {
        state: u32,
        input: Arc<Value>,
        deadline_ms: Option<u64>,
    },
    /// Nothing to do until a call in flight completes.
    Idle,
    Done,
}

impl Step {
    /// Whether this asks for a call (and the execution now waits for its completion).
    fn is_call(&self) -> bool {
        !matches!(self, Self::Emit(_) | Self::Idle | Self::Done)
    }
}

/// How a requested call went.
pub(crate) enum Completion {
    Submitted(Result<Value, TaskError>),
    Slept,
    Checked(Result<JobStatus, CheckError>),
    Notified(Result<(), TaskError>),
    Cancelled(Result<(), TaskError>),
    Invoked(Result<Value, TaskError>),
}

impl Execution {
    pub(crate) fn new(
        wf: &Compiled,
        input: Arc<Value>,
        number: u64,
        rng: Rng,
        limits: Arc<Limits>,
    ) -> Self {
        Self {
            state: wf.start,
            phase: Phase::Start,
            data: input.clone(),
            input,
            number,
            started_ms: 0,
            entered_ms: 0,
            retries: Vec::new(),
            handle: None,
            task_timeout_ms: None,
            job_state: None,
            last: None,
            attempt: 0,
            check_errors: 0,
            deadline_ms: None,
            rng,
            next_event_id: 1,
            awaiting: false,
            input_checked: false,
            outer: None,
            variables: Variables::default(),
            limits,
        }
    }

    /// The execution's number among its engine's (its name is `execution-{number}`).
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    pub(crate) fn state(&self) -> u32 {
        self.state
    }

    pub(crate) fn take_event_id(&mut self) -> u64 {
        let id = self.next_event_id;
        self.next_event_id = id.saturating_add(1);
        id
    }

    /// Skips the check of the input, which the engine made.
    pub(crate) fn skip_input_check(&mut self) {
        self.input_checked = true;
    }

    /// Whether the next event is the last the engine's limits allow (`Limits::max_events`).
    pub(crate) fn at_event_limit(&self) -> bool {
        self.next_event_id >= self.limits.max_events
    }

    /// The event that replaces `_dropped` at the event limit: the execution fails at once, as
    /// Step Functions fails it, and the failure is the last event (its running branches stop
    /// without events of their own).
    #[cold]
    #[inline(never)]
    pub(crate) fn fail_at_event_limit(&mut self, _dropped: EventKind) -> EventKind {
        let limit = self.limits.max_events;
        let error = TaskError::new(
            names::RUNTIME,
            format!("The execution reached the maximum number of history events ({limit})."),
        );
        self.awaiting = false;
        self.phase = Phase::Finished {
            end: Box::new(Outcome::Failed {
                error: error.clone(),
            }),
        };
        EventKind::ExecutionFailed { error }
    }

    /// The outcome, once the terminal event has been emitted.
    pub(crate) fn outcome(&self) -> Option<&Outcome> {
        match &self.phase {
            Phase::Finished { end } => Some(end),
            _ => None,
        }
    }

    /// The job handle while the job may still be running, and the Task state polling it.
    pub(crate) fn running_job(&self) -> Option<(&Arc<Value>, Option<u32>)> {
        let finished = self.last.as_deref().is_some_and(JobStatus::is_terminal);
        self.handle
            .as_ref()
            .filter(|_| !finished)
            .map(|handle| (handle, self.job_state))
    }

    pub(crate) fn is_stopping(&self) -> bool {
        match &self.phase {
            Phase::Stopping { .. }
            | Phase::Cancelling { .. }
            | Phase::Ending { .. }
            | Phase::Finished { .. } => true,
            Phase::Branches { branches, .. } => branches.is_ending(),
            _ => false,
        }
    }

    /// Stops the execution as aborted (a no-op once it is stopping anyway): its own call is
    /// dropped, running branches are aborted (and cancel their jobs) before it ends.
    pub(crate) fn abort(&mut self) {
        if self.is_stopping() {
            return;
        }
        self.awaiting = false;
        let end = Outcome::Aborted {
            job_cancelled: false,
        };
        match &mut self.phase {
            Phase::Branches { branches, .. } => branches.end(end),
            _ => self.phase = Phase::Stopping { end: Box::new(end) },
        }
    }

    /// Whether the execution at `route` waits for the call it asked for.
    pub(crate) fn awaits(&self, route: &[u32]) -> bool {
        match (route.split_first(), &self.phase) {
            (None, _) => self.awaiting,
            (Some((&i, rest)), Phase::Branches { branches, .. }) => {
                branches.child(i).is_some_and(|child| child.awaits(rest))
            }
            _ => false,
        }
    }

    /// Every job that may still be running, here and in running branches: `(handle, job)`.
    pub(crate) fn running_jobs(&self) -> Vec<(&Arc<Value>, Option<u32>)> {
        let mut jobs: Vec<_> = self.running_job().into_iter().collect();
        if let Phase::Branches { branches, .. } = &self.phase {
            for child in branches.running() {
                jobs.extend(child.running_jobs());
            }
        }
        jobs
    }

    /// Whether a checkpointed execution fits this graph (states and branches exist).
    pub(crate) fn fits(&self, wf: &Compiled) -> bool {
        if self.state as usize >= wf.nodes.len() {
            return false;
        }
        match &self.phase {
            Phase::Branches { branches, .. } => branches.fits(wf, self.state),
            _ => true,
        }
    }

    /// Gives a resumed execution's branches the record they share with it (checkpoints leave
    /// it out, so that they hold the execution's input once, not once per branch).
    pub(crate) fn reattach(&mut self, wf: &Compiled, limits: &Arc<Limits>) {
        self.limits = limits.clone();
        if let Phase::Branches { .. } = &self.phase {
            let outer = self.outer_for_branches(wf);
            if let Phase::Branches { branches, .. } = &mut self.phase {
                branches.attach(&outer, &self.variables, limits);
            }
        }
    }

    /// The next event to emit or call to make; `route` says which branch's it is (a call
    /// here stays outstanding until [`Self::complete`] gets its result).
    pub(crate) fn step(&mut self, wf: &Compiled, now: u64, route: &mut Route) -> Step {
        if self.awaiting {
            return Step::Idle;
        }
        let depth = route.calls.len();
        let step = self.next_step(wf, now, route);
        if route.calls.len() == depth && step.is_call() {
            self.awaiting = true;
        }
        step
    }

    fn next_step(&mut self, wf: &Compiled, now: u64, route: &mut Route) -> Step {
        loop {
            let phase = std::mem::replace(&mut self.phase, Phase::Act);
            match phase {
                Phase::Start => {
                    self.started_ms = now;
                    self.phase = Phase::Enter;
                    self.check_input();
                    return Step::Emit(EventKind::ExecutionStarted {
                        input: self.input.clone(),
                    });
                }
                Phase::Enter => {
                    if self.past_deadline(wf, now) {
                        continue;
                    }
                    self.entered_ms = now;
                    self.retries.clear();
                    return Step::Emit(EventKind::StateEntered {
                        state: self.name(wf, self.state),
                    });
                }
                Phase::Act => {
                    if let Some(step) = self.act(wf, now) {
                        return step;
                    }
                }
                Phase::Sleeping { until_ms, then } => {
                    self.phase = Phase::Sleeping { until_ms, then };
                    return Step::Sleep(until_ms);
                }
                Phase::Poll => {
                    if let Some(step) = self.poll(wf, now) {
                        return step;
                    }
                }
                Phase::Abandon { error } => {
                    let handle = self.handle.clone().unwrap_or_default();
                    let reason = format!(
                        "pollflow: state {:?} of workflow {:?} timed out",
                        &*self.name(wf, self.state),
                        &*wf.name
                    );
                    self.phase = Phase::Abandon { error };
                    return Step::Cancel {
                        job: self.job_state,
                        handle,
                        reason,
                    };
                }
                Phase::Exit { next } => {
                    let exited = self.name(wf, self.state);
                    match next {
                        Some(next) => {
                            self.state = next;
                            self.phase = Phase::Enter;
                        }
                        None => {
                            let output = Value::clone(&self.data);
                            self.phase = Phase::Ending {
                                end: Box::new(Outcome::Succeeded { output }),
                            };
                        }
                    }
                    return Step::Emit(EventKind::StateExited { state: exited });
                }
                Phase::Stopping { end } => {
                    let cancellable =
                        matches!(*end, Outcome::Aborted { .. } | Outcome::TimedOut { .. });
                    match self.running_job() {
                        Some((handle, job)) if wf.cancel_on_stop && cancellable => {
                            let step = Step::Cancel {
                                job,
                                handle: handle.clone(),
                                reason: stop_reason(wf, &end),
                            };
                            self.phase = Phase::Cancelling { end };
                            return step;
                        }
                        _ => self.phase = Phase::Ending { end },
                    }
                }
                Phase::Cancelling { end } => {
                    let handle = self.handle.clone().unwrap_or_default();
                    let reason = stop_reason(wf, &end);
                    self.phase = Phase::Cancelling { end };
                    return Step::Cancel {
                        job: self.job_state,
                        handle,
                        reason,
                    };
                }
                Phase::Ending { end } => {
                    let kind = match &*end {
                        Outcome::Succeeded { output } => EventKind::ExecutionSucceeded {
                            output: output.clone(),
                        },
                        Outcome::Failed { error } => EventKind::ExecutionFailed {
                            error: error.clone(),
                        },
                        Outcome::TimedOut { error } => EventKind::ExecutionTimedOut {
                            error: error.clone(),
                        },
                        Outcome::Aborted { job_cancelled } => EventKind::ExecutionAborted {
                            job_cancelled: *job_cancelled,
                        },
                    };
                    self.phase = Phase::Finished { end };
                    return Step::Emit(kind);
                }
                Phase::Finished { end } => {
                    self.phase = Phase::Finished { end };
                    return Step::Done;
                }
                Phase::Branches { branches, asl } => {
                    self.phase = Phase::Branches { branches, asl };
                    if let Some(step) = self.step_branches(wf, now, route) {
                        return step;
                    }
                }
            }
        }
    }

    /// The current state's work; `None` when it moved on without needing anything.
    fn act(&mut self, wf: &Compiled, now: u64) -> Option<Step> {
        let index = self.state;
        let node = &wf.nodes[index as usize];
        match &node.kind {
            NodeKind::Submit { .. } => Some(Step::Submit {
                job: None,
                input: self.data.clone(),
            }),
            NodeKind::Wait { policy, next } => {
                let deadline = *self.deadline_ms.get_or_insert_with(|| {
                    policy
                        .max_wait
                        .map_or(u64::MAX, |d| now.saturating_add(to_millis(d)))
                });
                if now >= deadline {
                    let waited = policy.max_wait.map_or(0, to_millis);
                    self.stop(timeout(format!(
                        "job still pending after waiting {waited} ms (max_wait)"
                    )));
                    return None;
                }
                if let Some(max) = policy.max_attempts.filter(|m| self.attempt >= *m) {
                    let checks = if max == 1 { "check" } else { "checks" };
                    self.stop(timeout(format!(
                        "job still pending after {max} {checks} (max_attempts)"
                    )));
                    return None;
                }
                let attempt = self.attempt.saturating_add(1);
                let (word, retry_after) = match self.last.as_deref() {
                    Some(status @ JobStatus::Pending { retry_after, .. }) => {
                        (status.status_word(), *retry_after)
                    }
                    _ => (None, None),
                };
                let delay = to_millis(policy.next_delay(attempt, &mut self.rng, word, retry_after))
                    .min(deadline - now)
                    .min(self.time_left(wf, now));
                self.phase = Phase::Sleeping {
                    until_ms: now.saturating_add(delay),
                    then: AfterSleep::Exit(Some(*next)),
                };
                Some(Step::Emit(EventKind::WaitStarted {
                    state: node.name.clone(),
                    delay_ms: delay,
                    attempt,
                }))
            }
            NodeKind::Check { .. } => match &self.handle {
                Some(handle) => Some(Step::Check {
                    job: None,
                    handle: handle.clone(),
                }),
                None => {
                    self.stop(Outcome::Failed {
                        error: TaskError::new(
                            names::RUNTIME,
                            format!(
                                "state {:?} checks before any job was submitted",
                                &*node.name
                            ),
                        ),
                    });
                    None
                }
            },
            NodeKind::Choice { rules, default, io } => {
                let context = self.context(wf, node, now);
                let scope = Scope::new(&context, &self.variables, &self.limits);
                let input = match io {
                    None => self.data.clone(),
                    Some(io) => {
                        enabled(&io.asl);
                        match io.flow.select_input(&self.data, scope) {
                            Ok(input) => input,
                            Err(error) => return self.runtime_failure(error),
                        }
                    }
                };
                let mut chosen = None;
                let mut rule_assign = None;
                for (test, next, assign) in rules {
                    match test.holds(self.last.as_deref(), &input, scope) {
                        Ok(true) => {
                            chosen = Some(*next);
                            rule_assign = assign.as_ref();
                            break;
                        }
                        Ok(false) => {}
                        Err(error) => return self.runtime_failure(error),
                    }
                }
                let Some(next) = chosen.or(*default) else {
                    return self.runtime_failure(TaskError::new(
                        names::NO_CHOICE_MATCHED,
                        format!("no rule of Choice state {:?} matched", &*node.name),
                    ));
                };
                let done = match io {
                    None => Ok((input.clone(), None)),
                    Some(io) => {
                        enabled(&io.asl);
                        io.flow
                            .assign(&input, scope, &mut self.rng)
                            .and_then(|own| Ok((io.flow.select_output(&input, scope)?, own)))
                    }
                };
                let done = done.and_then(|(output, own)| {
                    let rule = match rule_assign {
                        Some(assign) => assign.render(&input, scope, &mut self.rng)?,
                        None => None,
                    };
                    Ok((output, merge(own, rule)))
                });
                let (output, assigned) = match done {
                    Ok(done) => done,
                    Err(error) => return self.runtime_failure(error),
                };
                self.data = output;
                self.assign(assigned);
                self.phase = Phase::Exit { next: Some(next) };
                Some(Step::Emit(EventKind::ChoiceTaken {
                    state: node.name.clone(),
                    next: self.name(wf, next),
                }))
            }
            NodeKind::Notify {
                subject, message, ..
            } => Some(Step::Notify(Notification {
                state: node.name.to_string(),
                subject: subject.clone(),
                message: message.clone(),
                detail: self
                    .last
                    .as_ref()
                    .map_or(Value::Null, |s| s.detail().clone()),
            })),
            NodeKind::Succeed { io } => {
                let output = match io {
                    None => Ok(self.data.clone()),
                    Some(io) => {
                        enabled(&io.asl);
                        let context = self.context(wf, node, now);
                        let scope = Scope::new(&context, &self.variables, &self.limits);
                        io.flow
                            .select_input(&self.data, scope)
                            .and_then(|input| io.flow.select_output(&input, scope))
                    }
                };
                match output {
                    Ok(output) => {
                        self.phase = Phase::Ending {
                            end: Box::new(Outcome::Succeeded {
                                output: Value::clone(&output),
                            }),
                        };
                        None
                    }
                    Err(error) => self.runtime_failure(error),
                }
            }
            NodeKind::Fail {
                error,
                cause,
                paths,
            } => {
                let (from_error_path, from_cause_path) = match paths {
                    None => (None, None),
                    Some(paths) => {
                        enabled(&paths.asl);
                        let context = self.context(wf, node, now);
                        let scope = Scope::new(&context, &self.variables, &self.limits);
                        let data = &self.data;
                        let rng = &mut self.rng;
                        let mut read = |path: &Option<PathOrCall>| match path {
                            None => Ok(None),
                            Some(p) => match p.eval_in(data, scope, rng)? {
                                Some(Value::String(text)) => Ok(Some(text)),
                                _ => Err(TaskError::new(
                                    names::RUNTIME,
                                    format!(
                                        "{:?} does not give a string for the state's input",
                                        p.as_str()
                                    ),
                                )),
                            },
                        };
                        match (read(&paths.error), read(&paths.cause)) {
                            (Ok(error), Ok(cause)) => (error, cause),
                            (Err(e), _) | (_, Err(e)) => return self.runtime_failure(e),
                        }
                    }
                };
                let error = from_error_path.unwrap_or_else(|| error.clone());
                let cause = from_cause_path
                    .or_else(|| cause.clone())
                    .unwrap_or_else(|| {
                        self.last
                            .as_ref()
                            .map_or_else(String::new, |s| s.detail().to_string())
                    });
                self.phase = Phase::Ending {
                    end: Box::new(Outcome::Failed {
                        error: TaskError::new(error, cause),
                    }),
                };
                None
            }
            NodeKind::Task {
                sync,
                io,
                timeout_path,
                asl,
                ..
            } => {
                enabled(asl);
                let context = self.context(wf, node, now);
                let scope = Scope::new(&context, &self.variables, &self.limits);
                let input = io
                    .select_input(&self.data, scope)
                    .and_then(|input| io.parameters(input, scope, &mut self.rng));
                let input = match input {
                    Ok(input) => input,
                    Err(error) => return self.fail_now(wf, node, error, now),
                };
                self.task_timeout_ms = match timeout_path {
                    None => None,
                    Some(path) => match timeout_from(path, &input, scope) {
                        Ok(ms) => Some(ms),
                        Err(error) => return self.fail_now(wf, node, error, now),
                    },
                };
                self.entered_ms = now;
                if *sync {
                    return Some(Step::Submit {
                        job: Some(wf.base + index),
                        input,
                    });
                }
                let deadline = self.task_timeout(node).map(|t| now.saturating_add(t));
                let machine = self.deadline(wf);
                Some(Step::Invoke {
                    state: wf.base + index,
                    input,
                    deadline_ms: match (deadline, machine) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    },
                })
            }
            NodeKind::Pass {
                result,
                io,
                next,
                asl,
            } => {
                enabled(asl);
                let context = self.context(wf, node, now);
                let scope = Scope::new(&context, &self.variables, &self.limits);
                let output = io.select_input(&self.data, scope).and_then(|input| {
                    let input = io.parameters(input, scope, &mut self.rng)?;
                    let result = result.clone().unwrap_or_else(|| Value::clone(&input));
                    io.combine(&self.data, result, scope, &mut self.rng)
                });
                match output {
                    Ok((output, assigned)) => {
                        self.data = output;
                        self.assign(assigned);
                        self.phase = Phase::Exit { next: *next };
                        None
                    }
                    Err(error) => self.runtime_failure(error),
                }
            }
            NodeKind::Delay {
                until,
                io,
                next,
                asl,
            } => {
                enabled(asl);
                let context = self.context(wf, node, now);
                let scope = Scope::new(&context, &self.variables, &self.limits);
                let planned = io.select_input(&self.data, scope).and_then(|input| {
                    let until_ms = until.resolve(&input, scope, now)?;
                    let assigned = io.assign(&input, scope, &mut self.rng)?;
                    Ok((until_ms, io.select_output(&input, scope)?, assigned))
                });
                let (until_ms, output, assigned) = match planned {
                    Ok(planned) => planned,
                    Err(error) => return self.runtime_failure(error),
                };
                self.data = output;
                self.assign(assigned);
                let delay = until_ms.saturating_sub(now).min(self.time_left(wf, now));
                self.phase = Phase::Sleeping {
                    until_ms: now.saturating_add(delay),
                    then: AfterSleep::Exit(*next),
                };
                Some(Step::Emit(EventKind::WaitStarted {
                    state: node.name.clone(),
                    delay_ms: delay,
                    attempt: 1,
                }))
            }
            NodeKind::Parallel { io, asl, .. } | NodeKind::Map { io, asl, .. } => {
                self.enter_branches(wf, node, io, asl, now)
            }
        }
    }

    /// A `.sync` Task state checks its job, unless the task or the execution is out of time.
    fn poll(&mut self, wf: &Compiled, now: u64) -> Option<Step> {
        if self.past_deadline(wf, now) {
            return None;
        }
        let node = &wf.nodes[self.state as usize];
        if let Some(timeout) = self.task_timeout(node) {
            if now >= self.entered_ms.saturating_add(timeout) {
                self.phase = Phase::Abandon {
                    error: Box::new(TaskError::new(
                        names::TIMEOUT,
                        format!("state {:?} ran longer than {timeout} ms", &*node.name),
                    )),
                };
                return None;
            }
        }
        let handle = self.handle.clone().unwrap_or_default();
        Some(Step::Check {
            job: Some(wf.base + self.state),
            handle,
        })
    }

    /// Takes the result of a call a `step` asked for at `route`; returns the event it produced
    /// (its hops in `hops`). The result of a call nobody waits for any more is dropped.
    pub(crate) fn complete(
        &mut self,
        wf: &Compiled,
        route: &[u32],
        hops: &mut Vec<Hop>,
        completion: Completion,
        now: u64,
    ) -> Option<EventKind> {
        if !route.is_empty() {
            return self.complete_child(wf, route, hops, completion, now);
        }
        if !std::mem::take(&mut self.awaiting) {
            return None;
        }
        let node = &wf.nodes[self.state as usize];
        let state = node.name.clone();
        let completion = match self.limits.refusal(&completion) {
            None => completion,
            Some(error) => refuse(completion, error),
        };
        match completion {
            Completion::Submitted(Ok(handle)) => {
                self.handle = Some(Arc::new(handle.clone()));
                self.last = None;
                self.attempt = 0;
                self.check_errors = 0;
                self.deadline_ms = None;
                if let NodeKind::Task { .. } = node.kind {
                    self.job_state = Some(wf.base + self.state);
                    self.sleep_before_poll(wf, node, now);
                } else {
                    self.job_state = None;
                    self.exit(&node.kind);
                }
                Some(EventKind::TaskSubmitted { state, handle })
            }
            Completion::Checked(Ok(status)) => {
                self.attempt = self.attempt.saturating_add(1);
                self.check_errors = 0;
                let status = Arc::new(status);
                self.last = Some(status.clone());
                if let NodeKind::Task { .. } = node.kind {
                    match &*status {
                        JobStatus::Pending { .. } => self.sleep_before_poll(wf, node, now),
                        JobStatus::Succeeded { output } => {
                            self.task_succeeded(wf, node, output.clone(), now);
                        }
                        JobStatus::Failed { detail } => {
                            let error = TaskError::task_failed(detail.to_string());
                            self.task_failed(wf, node, &error, now);
                        }
                    }
                } else {
                    if let JobStatus::Succeeded { output } = &*status {
                        self.data = Arc::new(output.clone());
                    }
                    self.exit(&node.kind);
                }
                Some(EventKind::StatusChecked {
                    state,
                    attempt: self.attempt,
                    status,
                })
            }
            Completion::Checked(Err(err)) => {
                self.check_errors = self.check_errors.saturating_add(1);
                let retry = match &node.kind {
                    NodeKind::Check { retry, .. } => Some(retry),
                    NodeKind::Task { .. } => Some(&wf.sync_check_retry),
                    _ => None,
                };
                let retry_in_ms = match retry {
                    Some(retry)
                        if err.is_transient()
                            && retry.max_attempts.is_none_or(|m| self.check_errors <= m) =>
                    {
                        let delay =
                            to_millis(retry.backoff_delay(self.check_errors, &mut self.rng))
                                .min(self.deadline_ms.unwrap_or(u64::MAX).saturating_sub(now))
                                .min(self.time_left(wf, now));
                        let then = if let NodeKind::Task { .. } = node.kind {
                            AfterSleep::Poll
                        } else {
                            AfterSleep::Retry
                        };
                        self.phase = Phase::Sleeping {
                            until_ms: now.saturating_add(delay),
                            then,
                        };
                        Some(delay)
                    }
                    _ => None,
                };
                let error = match err {
                    CheckError::Transient(e) | CheckError::Fatal(e) => e,
                };
                let retry_in_ms = match retry_in_ms {
                    Some(delay) => Some(delay),
                    None => self.task_failed(wf, node, &error, now),
                };
                Some(EventKind::TaskFailed {
                    state,
                    error,
                    retry_in_ms,
                })
            }
            Completion::Notified(Ok(())) => {
                self.exit(&node.kind);
                let message = match &node.kind {
                    NodeKind::Notify { message, .. } => message.clone(),
                    _ => String::new(),
                };
                Some(EventKind::Notified { state, message })
            }
            Completion::Invoked(Ok(output)) => {
                self.task_succeeded(wf, node, output.clone(), now);
                Some(EventKind::TaskSucceeded { state, output })
            }
            Completion::Submitted(Err(error))
            | Completion::Notified(Err(error))
            | Completion::Invoked(Err(error)) => {
                let retry_in_ms = self.task_failed(wf, node, &error, now);
                Some(EventKind::TaskFailed {
                    state,
                    error,
                    retry_in_ms,
                })
            }
            Completion::Slept => {
                if self.past_deadline(wf, now) {
                    return None;
                }
                if let Phase::Sleeping { then, .. } = self.phase {
                    self.phase = match then {
                        AfterSleep::Exit(next) => Phase::Exit { next },
                        AfterSleep::Retry => Phase::Act,
                        AfterSleep::Poll => Phase::Poll,
                    };
                }
                None
            }
            Completion::Cancelled(result) => {
                match std::mem::replace(&mut self.phase, Phase::Act) {
                    Phase::Cancelling { mut end } => {
                        if let Outcome::Aborted { job_cancelled } = &mut *end {
                            *job_cancelled = result.is_ok();
                        }
                        self.phase = Phase::Ending { end };
                    }
                    Phase::Abandon { error } => {
                        self.task_failed(wf, node, &error, now);
                    }
                    other => {
                        self.phase = other;
                        return None;
                    }
                }
                let handle = self.handle.take().map_or(Value::Null, Arc::unwrap_or_clone);
                Some(EventKind::JobCancelled {
                    handle,
                    error: result.err(),
                })
            }
        }
    }

    /// Moves on to the `next` of a state that has one.
    fn exit(&mut self, kind: &NodeKind) {
        if let NodeKind::Submit { next }
        | NodeKind::Wait { next, .. }
        | NodeKind::Check { next, .. }
        | NodeKind::Notify { next, .. } = kind
        {
            self.phase = Phase::Exit { next: Some(*next) };
        }
    }

    /// A Task state's result flows through `ResultSelector`, `ResultPath` and `OutputPath`.
    fn task_succeeded(&mut self, wf: &Compiled, node: &Node, result: Value, now: u64) {
        let (NodeKind::Task { io, next, asl, .. }
        | NodeKind::Parallel { io, next, asl, .. }
        | NodeKind::Map { io, next, asl, .. }) = &node.kind
        else {
            return;
        };
        enabled(asl);
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.variables, &self.limits);
        match io.combine(&self.data, result, scope, &mut self.rng) {
            Ok((output, assigned)) => {
                self.data = output;
                self.assign(assigned);
                self.phase = Phase::Exit { next: *next };
            }
            Err(error) => {
                self.task_failed(wf, node, &error, now);
            }
        }
    }

    /// Sleeps before the next check of a `.sync` job, within the task's and the execution's time.
    fn sleep_before_poll(&mut self, wf: &Compiled, node: &Node, now: u64) {
        let (word, retry_after) = match self.last.as_deref() {
            Some(status @ JobStatus::Pending { retry_after, .. }) => {
                (status.status_word(), *retry_after)
            }
            _ => (None, None),
        };
        let task_left = self.task_timeout(node).map_or(u64::MAX, |t| {
            self.entered_ms.saturating_add(t).saturating_sub(now)
        });
        let delay = to_millis(wf.sync_poll.next_delay(
            self.attempt.saturating_add(1),
            &mut self.rng,
            word,
            retry_after,
        ))
        .min(task_left)
        .min(self.time_left(wf, now));
        self.phase = Phase::Sleeping {
            until_ms: now.saturating_add(delay),
            then: AfterSleep::Poll,
        };
    }

    /// A state's call failed for good: an ASL retrier retries it (returning the pause), a
    /// catcher routes on, or else the execution fails.
    fn task_failed(
        &mut self,
        wf: &Compiled,
        node: &Node,
        error: &TaskError,
        now: u64,
    ) -> Option<u64> {
        let retry = node.retriers();
        let retrier = retry
            .iter()
            .position(|r| r.errors.iter().any(|name| error.matches(name)));
        if let Some(i) = retrier {
            self.retries.resize(retry.len(), 0);
            let count = self.retries[i].saturating_add(1);
            if let Some(policy) = retry[i]
                .policy
                .as_ref()
                .filter(|p| p.max_attempts.is_none_or(|m| count <= m))
            {
                self.retries[i] = count;
                let delay = to_millis(policy.backoff_delay(count, &mut self.rng))
                    .min(self.time_left(wf, now));
                self.phase = Phase::Sleeping {
                    until_ms: now.saturating_add(delay),
                    then: AfterSleep::Retry,
                };
                return Some(delay);
            }
        }
        match node.catcher_for(error) {
            Some(catch) => {
                let caught = serde_json::json!({"Error": error.error, "Cause": error.cause});
                let assigned = match &catch.assign {
                    None => Ok(None),
                    Some(assign) => {
                        let context = self.context(wf, node, now);
                        let scope = Scope::new(&context, &self.variables, &self.limits);
                        assign.render(&caught, scope, &mut self.rng)
                    }
                };
                let assigned = match assigned {
                    Ok(assigned) => assigned,
                    Err(error) => {
                        self.stop(Outcome::Failed { error });
                        return None;
                    }
                };
                self.assign(assigned);
                let data = match &catch.result_path {
                    CatchTo::Input => Ok(Arc::new(caught)),
                    CatchTo::Keep => Ok(self.data.clone()),
                    CatchTo::At(path, asl) => {
                        enabled(asl);
                        crate::expr::place(&self.data, path, caught)
                    }
                };
                let data = data.and_then(|data| {
                    self.limits.check(&data, "the state's output")?;
                    Ok(data)
                });
                match data {
                    Ok(data) => {
                        self.data = data;
                        self.phase = Phase::Exit {
                            next: Some(catch.next),
                        };
                    }
                    Err(error) => self.stop(Outcome::Failed { error }),
                }
            }
            None => self.stop(Outcome::Failed {
                error: error.clone(),
            }),
        }
        None
    }

    /// A Task state's timeout (ms): its `TimeoutSeconds`, or what its `TimeoutSecondsPath` read.
    fn task_timeout(&self, node: &Node) -> Option<u64> {
        match node.kind {
            NodeKind::Task { timeout_ms, .. } => timeout_ms.or(self.task_timeout_ms),
            _ => None,
        }
    }

    /// A failure before any call was made (bad input data): retry, catch or fail.
    fn fail_now(&mut self, wf: &Compiled, node: &Node, error: TaskError, now: u64) -> Option<Step> {
        let retry_in_ms = self.task_failed(wf, node, &error, now);
        Some(Step::Emit(EventKind::TaskFailed {
            state: node.name.clone(),
            error,
            retry_in_ms,
        }))
    }

    /// Data-flow errors end the execution (Step Functions' `States.Runtime` is not caught).
    fn runtime_failure(&mut self, error: TaskError) -> Option<Step> {
        self.stop(Outcome::Failed { error });
        None
    }

    /// Stops the execution (TimedOut) once the state machine's `timeout` has passed.
    fn past_deadline(&mut self, wf: &Compiled, now: u64) -> bool {
        if self.time_left(wf, now) > 0 {
            return false;
        }
        self.stop(timeout(match wf.timeout_ms {
            Some(limit) => format!("the execution ran longer than its timeout of {limit} ms"),
            None => "the execution ran longer than its timeout".to_owned(),
        }));
        true
    }

    /// When the execution's time runs out (ms since the epoch), if it has a timeout.
    fn deadline(&self, wf: &Compiled) -> Option<u64> {
        let own = wf.timeout_ms.map(|t| self.started_ms.saturating_add(t));
        match (own, self.outer.as_ref().and_then(|o| o.deadline_ms)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Milliseconds until the state machine's `timeout` (`u64::MAX` without one).
    fn time_left(&self, wf: &Compiled, now: u64) -> u64 {
        self.deadline(wf)
            .map_or(u64::MAX, |deadline| deadline.saturating_sub(now))
    }

    /// The ASL context object (`$$`), built only for states whose paths use it.
    fn context(&self, wf: &Compiled, node: &Node, now: u64) -> Value {
        let Some(asl) = &node.uses_context else {
            return Value::Null;
        };
        enabled(asl);
        let (input, started_ms, machine_name) = match &self.outer {
            Some(outer) => (&outer.input, outer.started_ms, &outer.machine),
            None => (&self.input, self.started_ms, &wf.name),
        };
        let machine = format!("arn:aws:states:local:000000000000:stateMachine:{machine_name}");
        let name = format!("execution-{}", self.number);
        serde_json::json!({
            "Execution": {
                "Id": format!("arn:aws:states:local:000000000000:execution:{machine_name}:{name}"),
                "Input": **input,
                "Name": name,
                "StartTime": format_rfc3339(i64::try_from(started_ms).unwrap_or(i64::MAX)),
            },
            "State": {
                "EnteredTime": format_rfc3339(i64::try_from(self.entered_ms.min(now)).unwrap_or(i64::MAX)),
                "Name": &*node.name,
                "RetryCount": self.retries.iter().sum::<u32>(),
            },
            "StateMachine": { "Id": machine, "Name": &**machine_name },
        })
    }

    fn stop(&mut self, end: Outcome) {
        self.phase = Phase::Stopping { end: Box::new(end) };
    }

    /// Refuses an execution input past the limits: the execution fails at once, and its
    /// history shows the input as `null` (so that nothing downstream serializes or clones it).
    #[inline(never)]
    fn check_input(&mut self) {
        if self.input_checked {
            return;
        }
        let Err(error) = self.limits.check(&self.input, "the execution's input") else {
            return;
        };
        let input = std::mem::take(&mut self.input);
        self.data = self.input.clone();
        drop_shared(input);
        self.phase = Phase::Ending {
            end: Box::new(Outcome::Failed { error }),
        };
    }

    /// Gives the variables a state assigned their values (only ASL states assign: without
    /// ASL support this compiles away).
    fn assign(&mut self, assigned: Assigned) {
        if let (Some(values), Some(asl)) = (assigned, AslOnly::witness()) {
            asl.run(|| self.variables.assign(values));
        }
    }

    fn name(&self, wf: &Compiled, index: u32) -> Arc<str> {
        wf.nodes[index as usize].name.clone()
    }
}

impl Limits {
    /// Why the value a call returned (a job handle, a job status, a task's result) cannot be
    /// kept, if it passes a limit.
    fn refusal(&self, completion: &Completion) -> Option<TaskError> {
        let (value, what) = match completion {
            Completion::Submitted(Ok(handle)) => (handle, "the job's handle"),
            Completion::Checked(Ok(status)) => (status.detail(), "the job's status"),
            Completion::Invoked(Ok(result)) => (result, "the task's result"),
            _ => return None,
        };
        self.check(value, what).err()
    }
}

/// A refused completion as a failed call with the limit's error (no Retry or Catch matches it).
/// The value is dropped without recursion: it may nest arbitrarily deep.
#[cold]
#[inline(never)]
fn refuse(completion: Completion, error: TaskError) -> Completion {
    if let Completion::Submitted(Ok(value))
    | Completion::Invoked(Ok(value))
    | Completion::Checked(Ok(
        JobStatus::Pending { detail: value, .. }
        | JobStatus::Failed { detail: value }
        | JobStatus::Succeeded { output: value },
    )) = completion
    {
        drop_deep(value);
    }
    Completion::Invoked(Err(error))
}

/// A Task's `TimeoutSecondsPath` read from its effective input: whole seconds, at least 1, as ms.
fn timeout_from(path: &Path, input: &Value, scope: Scope<'_>) -> Result<u64, TaskError> {
    path.select_in(input, scope)?
        .and_then(|seconds| seconds.as_u64())
        .filter(|seconds| (1..=MAX_SECONDS).contains(seconds))
        .map(|seconds| seconds * 1000)
        .ok_or_else(|| {
            TaskError::new(
                names::RUNTIME,
                format!(
                    "TimeoutSecondsPath {:?} does not select a whole number of seconds from 1 to {MAX_SECONDS}",
                    path.as_str()
                ),
            )
        })
}

/// A Choice state's own `Assign` with its rule's, the rule's winning.
fn merge(own: Assigned, rule: Assigned) -> Assigned {
    match (own, rule) {
        (Some(mut own), Some(rule)) => {
            own.extend(rule);
            Some(own)
        }
        (own, rule) => own.or(rule),
    }
}

fn timeout(cause: String) -> Outcome {
    Outcome::TimedOut {
        error: TaskError::new(names::TIMEOUT, cause),
    }
}

fn stop_reason(wf: &Compiled, end: &Outcome) -> String {
    let why = match end {
        Outcome::TimedOut { .. } => "timed out",
        _ => "was aborted",
    };
    format!("pollflow: an execution of workflow {:?} {why}", &*wf.name)
}
