//! The interpreter: a sans-IO state machine over the compiled graph.
//!
//! It never awaits. [`Execution::step`] says what it needs next (an event to emit, or a call:
//! submit, sleep, check, notify, cancel) and [`Execution::complete`] tells it how the call
//! went. The async driver ([`Run`](crate::Run)) is a thin loop around these two; the whole
//! state serializes, which is what a checkpoint is.
//!
//! This file holds the execution's state and its two entry points: `step` (with `act`, which
//! hands the current state's work to its family's file) and `complete`. The state families:
//! `polling.rs` (Submit, PollWait, Check, Notify and a `.sync` Task's polling), `choice.rs`,
//! `ends.rs` (Succeed, Fail), `task.rs`, `pass_delay.rs` (Pass, the ASL Wait),
//! `branches.rs` (Parallel, Map); then `retry_catch.rs` (what a failed state does),
//! `timeouts.rs` (the execution's and a task's time) and `context.rs` (the `$$` object).

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use smol_str::SmolStr;

use crate::error::{names, CheckError, TaskError};
use crate::event::{EventKind, Hop, Outcome};
use crate::expr::{Assigned, Variables};
use crate::limits::{drop_deep, drop_shared, Limits};
use crate::notifier::Notification;
use crate::policy::{to_millis, Rng};
use crate::poller::JobStatus;
use crate::workflow::{AslOnly, Compiled, NodeKind};

mod branches;
mod choice;
mod context;
mod ends;
mod pass_delay;
mod polling;
mod retry_catch;
mod saved;
mod task;
mod timeouts;

use branches::Branches;
pub(crate) use polling::Polled;
use retry_catch::Retries;
use timeouts::stop_reason;

/// One execution's state. The fields most steps touch are inline; the rest is in [`Cold`],
/// behind one box, so that a run spawned as a tokio task fits a 256-byte task cell (the size
/// tests at the end of this file). Checkpoints save both as one flat record ([`saved`]).
#[derive(Clone, Debug)]
pub(crate) struct Execution {
    state: u32,
    /// Checks since the job was submitted.
    attempt: u32,
    /// Consecutive transient check errors.
    check_errors: u32,
    /// Jobs it submitted.
    submits: u32,
    phase: Phase,
    /// The current state's input (its output once it is done): ASL's data flow.
    data: Arc<Value>,
    /// Shared with each check and cancel of the job, not copied for them.
    handle: Option<Arc<Value>>,
    rng: Rng,
    /// When the current state was entered, or its task last called (a submit in flight:
    /// when that call was issued).
    entered_ms: u64,
    next_event_id: u64,
    /// The Task state whose `.sync` resource owns the job (`None`: the engine's poller).
    job_state: Option<u32>,
    /// A submit call was issued (at `entered_ms`) and its result not taken yet. Resumed so,
    /// the execution looks the job up under the same key before it submits again
    /// (`in_flight` in [`Step::Submit`]).
    submitting: bool,
    /// The last check's status was pushed ([`crate::push`]): the next wait may be the
    /// policy's `pushed_delay`.
    pushed_last: bool,
    /// A call this execution asked for is in flight (calls do not survive a checkpoint: a
    /// resumed execution asks again).
    awaiting: bool,
    /// The input is known to be within the limits: a shared input the engine checked, or a
    /// branch's, checked where its parent made it.
    input_checked: bool,
    cold: Box<Cold>,
}

/// What an execution reads at its start and end, on retries and timeouts, and in ASL's data
/// flow: 104 bytes, one allocation the allocator packs beside a 256-byte tokio task cell.
#[derive(Clone, Debug)]
struct Cold {
    input: Arc<Value>,
    /// The execution's number in its engine (names it in the `$$` context object).
    number: u64,
    /// What tells the execution apart from every other, in any process: the seed of its
    /// generator (random per engine unless seeded). With `submits`, it makes each
    /// submission's idempotency key.
    id: u64,
    started_ms: u64,
    last: Option<Arc<JobStatus>>,
    /// Retries spent per retrier of the current Task state.
    retries: Retries,
    /// The current Task state's timeout as its `TimeoutSecondsPath` read it (ms).
    task_timeout_ms: Option<u64>,
    /// When waiting must end (a wait policy's `max_wait`), in ms since the epoch; `None`
    /// until the first wait computes it.
    deadline_ms: Option<u64>,
    /// A Parallel branch's or Map item's: the execution it is part of (deadline, `$$`). Not
    /// in checkpoints (it holds the execution's input): [`Execution::reattach`] restores it.
    outer: Option<Arc<Outer>>,
    /// The variables its states assigned (ASL `Assign`); a branch's also read its parent's,
    /// given back by [`Execution::reattach`] after a checkpoint.
    variables: Variables,
    /// The engine's limits (given back on resume).
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
    machine: SmolStr,
}

/// Where a step or a completion belongs: the branch (or item) indices from the top execution
/// down (empty: the top execution's own), and the same as event hops.
#[derive(Default)]
pub(crate) struct Route {
    pub(crate) calls: Vec<u32>,
    pub(crate) hops: Vec<Hop>,
}

impl Route {
    fn enter(&mut self, state: &SmolStr, index: u32) {
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

#[derive(Clone, Debug, Serialize)]
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
    /// A `.waitForTaskToken` Task state issued its token: call, then wait for the token.
    Callback {
        call: Box<Callback>,
    },
    /// A Parallel or Map state's branches (or items) are running.
    Branches {
        branches: Box<Branches>,
        /// Uninhabited without the `asl` feature, so that this phase's code compiles away.
        #[cfg_attr(feature = "asl", serde(default, skip_serializing))]
        asl: AslOnly,
    },
}

/// What `Phase` reads (see [`crate::checkpoint::retagged`]).
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PhaseWire {
    Start {},
    Enter {},
    Act {},
    Sleeping {
        until_ms: u64,
        then: AfterSleep,
    },
    Poll {},
    Abandon {
        error: Box<TaskError>,
    },
    Exit {
        next: Option<u32>,
    },
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
    /// Only ASL has callback tasks: without it, a checkpoint of one does not read.
    #[cfg(feature = "asl")]
    Callback {
        call: Box<Callback>,
    },
    Branches {
        branches: Box<Branches>,
        #[cfg_attr(feature = "asl", serde(default))]
        asl: AslOnly,
    },
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match crate::checkpoint::retagged::<D, PhaseWire>(deserializer, "phase")? {
                PhaseWire::Start {} => Self::Start,
                PhaseWire::Enter {} => Self::Enter,
                PhaseWire::Act {} => Self::Act,
                PhaseWire::Sleeping { until_ms, then } => Self::Sleeping { until_ms, then },
                PhaseWire::Poll {} => Self::Poll,
                PhaseWire::Abandon { error } => Self::Abandon { error },
                PhaseWire::Exit { next } => Self::Exit { next },
                PhaseWire::Stopping { end } => Self::Stopping { end },
                PhaseWire::Cancelling { end } => Self::Cancelling { end },
                PhaseWire::Ending { end } => Self::Ending { end },
                PhaseWire::Finished { end } => Self::Finished { end },
                #[cfg(feature = "asl")]
                PhaseWire::Callback { call } => Self::Callback { call },
                PhaseWire::Branches { branches, asl } => Self::Branches { branches, asl },
            },
        )
    }
}

/// A callback task's call: the token's parts (see [`crate::task_token`]) and what the call is
/// made with, kept so that a resumed execution calls again with the same token.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Callback {
    /// How many events the execution had emitted when it issued the token.
    seq: u64,
    #[serde(with = "hex_id")]
    secret: u64,
    input: Arc<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heartbeat_ms: Option<u64>,
    /// Uninhabited without the `asl` feature (only ASL has callback tasks), so that this
    /// code compiles away.
    #[cfg_attr(feature = "asl", serde(default, skip_serializing))]
    asl: AslOnly,
}

/// What a callback task's call waits for after its handler returns. The driver announces it
/// with a `TaskTokenIssued` event once the token can be sent.
pub(crate) struct TokenWait {
    pub(crate) state: SmolStr,
    pub(crate) token: String,
    /// `HeartbeatSeconds` (ms): the longest time between heartbeats.
    pub(crate) heartbeat_ms: Option<u64>,
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
        /// The submission's idempotency key ([`Poller::submit_keyed`](crate::Poller::submit_keyed)).
        key: String,
        /// `Some(since)`: a submit under `key`, issued at `since` (ms since the epoch), was in
        /// flight when the execution was checkpointed. Look up the job it may have created
        /// instead, once the poller's [submit window](crate::Poller::submit_window) after
        /// `since` has passed; the submit, if it is needed, is the next call.
        in_flight: Option<u64>,
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
    /// Call the handler bound to this Task state (a callback task: if one is bound, then wait
    /// for its token); give up at `deadline_ms`.
    Invoke {
        state: u32,
        input: Arc<Value>,
        deadline_ms: Option<u64>,
        callback: Option<TokenWait>,
        /// Only ASL has Task states: without it, this variant (and the code that makes its
        /// call) compiles away.
        asl: AslOnly,
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
    /// A lookup ([`Step::Submit`] with `in_flight`) that found no job (`Ok`: the service
    /// never created it) or could not look (`Err`). One that found the job completes as
    /// `Submitted` with its handle.
    Looked(Result<(), TaskError>),
    Slept,
    Checked(Result<JobStatus, CheckError>),
    /// A check answered by a pushed status (see [`crate::push`]).
    Pushed(JobStatus),
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
            attempt: 0,
            check_errors: 0,
            submits: 0,
            phase: Phase::Start,
            data: input.clone(),
            handle: None,
            entered_ms: 0,
            next_event_id: 1,
            job_state: None,
            submitting: false,
            pushed_last: false,
            awaiting: false,
            input_checked: false,
            cold: Box::new(Cold {
                input,
                number,
                id: rng.state(),
                started_ms: 0,
                last: None,
                retries: Retries::default(),
                task_timeout_ms: None,
                deadline_ms: None,
                outer: None,
                variables: Variables::default(),
                limits,
            }),
            rng,
        }
    }

    /// The execution's number among its engine's (its name is `execution-{number}`).
    pub(crate) fn number(&self) -> u64 {
        self.cold.number
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
        self.next_event_id >= self.cold.limits.max_events
    }

    /// The event that replaces `_dropped` at the event limit: the execution fails at once, as
    /// Step Functions fails it, and the failure is the last event (its running branches stop
    /// without events of their own).
    #[cold]
    #[inline(never)]
    pub(crate) fn fail_at_event_limit(&mut self, _dropped: EventKind) -> EventKind {
        let limit = self.cold.limits.max_events;
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
        let finished = self
            .cold
            .last
            .as_deref()
            .is_some_and(JobStatus::is_terminal);
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
    /// it out, so that they hold the execution's input once, not once per branch). A call in
    /// flight when the checkpoint was taken is not part of it, even one kept in memory rather
    /// than serialized: resumed, the execution asks again.
    pub(crate) fn reattach(&mut self, wf: &Compiled, limits: &Arc<Limits>) {
        self.awaiting = false;
        self.cold.limits = limits.clone();
        self.identify();
        if let Phase::Branches { .. } = &self.phase {
            let outer = self.outer_for_branches(wf);
            if let Phase::Branches { branches, .. } = &mut self.phase {
                branches.attach(&outer, &self.cold.variables, limits);
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
                    self.cold.started_ms = now;
                    self.phase = Phase::Enter;
                    self.check_input();
                    return Step::Emit(EventKind::ExecutionStarted {
                        input: self.cold.input.clone(),
                    });
                }
                Phase::Enter => {
                    if self.past_deadline(wf, now) {
                        continue;
                    }
                    self.entered_ms = now;
                    self.cold.retries.clear();
                    return Step::Emit(EventKind::StateEntered {
                        state: self.name(wf, self.state),
                        input: self.data.clone(),
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
                Phase::Callback { call } => {
                    let step = self.invoke_callback(wf, &call);
                    self.phase = Phase::Callback { call };
                    return step;
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
                    return Step::Emit(EventKind::StateExited {
                        state: exited,
                        output: self.data.clone(),
                    });
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
                    let kind = end.terminal_event();
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
        let node = &wf.nodes[self.state as usize];
        match &node.kind {
            NodeKind::Submit { .. } => Some(self.submit(None, self.data.clone(), now)),
            NodeKind::PollWait { .. } => self.wait(wf, node, now),
            NodeKind::Check { .. } => self.check(node),
            NodeKind::Notify { .. } => Some(self.notify(node)),
            NodeKind::Choice { .. } => self.choose(wf, node, now),
            NodeKind::Succeed { .. } => self.succeed(wf, node, now),
            NodeKind::Fail { .. } => self.fail(wf, node, now),
            NodeKind::Task { .. } => self.task(wf, node, now),
            NodeKind::Pass { .. } => self.pass(wf, node, now),
            NodeKind::Delay { .. } => self.delay(wf, node, now),
            NodeKind::Parallel { io, asl, .. } | NodeKind::Map { io, asl, .. } => {
                self.enter_branches(wf, node, io, asl, now)
            }
        }
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
        let pushed = matches!(completion, Completion::Pushed(_));
        let completion = match self.cold.limits.refusal(&completion) {
            None => completion,
            Some(error) => refuse(completion, error),
        };
        match completion {
            Completion::Submitted(Ok(handle)) => {
                self.submitting = false;
                self.submits = self.submits.saturating_add(1);
                let handle = Arc::new(handle);
                self.handle = Some(handle.clone());
                self.cold.last = None;
                self.attempt = 0;
                self.check_errors = 0;
                self.cold.deadline_ms = None;
                if let NodeKind::Task { .. } = node.kind {
                    self.job_state = Some(wf.base + self.state);
                    self.sleep_before_poll(wf, node, now);
                } else {
                    self.job_state = None;
                    self.exit(&node.kind);
                }
                Some(EventKind::TaskSubmitted { state, handle })
            }
            Completion::Checked(Ok(status)) | Completion::Pushed(status) => {
                self.pushed_last = pushed;
                self.attempt = self.attempt.saturating_add(1);
                self.check_errors = 0;
                let status = Arc::new(status);
                self.cold.last = Some(status.clone());
                if let NodeKind::Task { .. } = node.kind {
                    match &*status {
                        JobStatus::Pending { .. } => self.sleep_before_poll(wf, node, now),
                        JobStatus::Succeeded { output } => {
                            self.task_succeeded(wf, node, output.clone(), now);
                        }
                        JobStatus::Failed { detail } => {
                            let error = TaskError::task_failed(json_text(detail));
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
                    pushed,
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
                                .min(
                                    self.cold
                                        .deadline_ms
                                        .unwrap_or(u64::MAX)
                                        .saturating_sub(now),
                                )
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
                let output = Arc::new(output);
                self.task_succeeded(wf, node, Value::clone(&output), now);
                Some(EventKind::TaskSucceeded { state, output })
            }
            Completion::Submitted(Err(error))
            | Completion::Notified(Err(error))
            | Completion::Invoked(Err(error)) => {
                self.submitting = false;
                let retry_in_ms = self.task_failed(wf, node, &error, now);
                Some(EventKind::TaskFailed {
                    state,
                    error,
                    retry_in_ms,
                })
            }
            // The job may exist: `submitting` stays, and a retry looks it up again.
            Completion::Looked(Err(error)) => {
                let retry_in_ms = self.task_failed(wf, node, &error, now);
                Some(EventKind::TaskFailed {
                    state,
                    error,
                    retry_in_ms,
                })
            }
            // The service never created the job: the state acts again, and submits.
            Completion::Looked(Ok(())) => {
                self.submitting = false;
                None
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
                let handle = self.handle.take().unwrap_or_default();
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
        | NodeKind::PollWait { next, .. }
        | NodeKind::Check { next, .. }
        | NodeKind::Notify { next, .. } = kind
        {
            self.phase = Phase::Exit { next: Some(*next) };
        }
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
        let Err(error) = self
            .cold
            .limits
            .check(&self.cold.input, "the execution's input")
        else {
            return;
        };
        let input = std::mem::take(&mut self.cold.input);
        self.data = self.cold.input.clone();
        drop_shared(input);
        self.phase = Phase::Ending {
            end: Box::new(Outcome::Failed { error }),
        };
    }

    /// Gives the variables a state assigned their values (only ASL states assign: without
    /// ASL support this compiles away).
    fn assign(&mut self, assigned: Assigned) {
        if let (Some(values), Some(asl)) = (assigned, AslOnly::witness()) {
            asl.run(|| self.cold.variables.assign(values));
        }
    }

    fn name(&self, wf: &Compiled, index: u32) -> SmolStr {
        wf.nodes[index as usize].name.clone()
    }
}

impl Limits {
    /// Why the value a call returned (a job handle, a job status, a task's result) cannot be
    /// kept, if it passes a limit.
    fn refusal(&self, completion: &Completion) -> Option<TaskError> {
        let (value, what) = match completion {
            Completion::Submitted(Ok(handle)) => (handle, "the job's handle"),
            Completion::Checked(Ok(status)) | Completion::Pushed(status) => {
                (status.detail(), "the job's status")
            }
            Completion::Invoked(Ok(result)) => (result, "the task's result"),
            _ => return None,
        };
        self.check(value, what).err()
    }
}

/// An execution id as 16 hex digits.
mod hex_id {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{id:016x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let hex = String::deserialize(deserializer)?;
        u64::from_str_radix(&hex, 16).map_err(|_| {
            D::Error::custom(format_args!(
                "an execution id is 16 hex digits, not {hex:?}"
            ))
        })
    }
}

/// `value` as compact JSON text, what its `Display` writes: through `serde_json::to_string`,
/// whose writer the npm package's WebAssembly has anyway (`Display` brings a second one, and a
/// pretty-printer for `{:#}`, about 1 KB gzipped).
pub(crate) fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
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
    ))
    | Completion::Pushed(
        JobStatus::Pending { detail: value, .. }
        | JobStatus::Failed { detail: value }
        | JobStatus::Succeeded { output: value },
    ) = completion
    {
        drop_deep(value);
    }
    Completion::Invoked(Err(error))
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;

    use super::{Cold, Execution};

    /// A waiting run holds its execution inline and its cold part in one allocation: at most
    /// 104 bytes, which glibc's allocator packs beside a 256-byte tokio task cell without a gap
    /// (benches/waiting_jobs.rs measures the resident memory).
    #[test]
    fn an_execution_is_twelve_words_inline_and_thirteen_cold() {
        assert_eq!(size_of::<Execution>(), 96);
        assert_eq!(size_of::<Cold>(), 104);
    }

    /// `tokio::spawn(run.outcome())`, with a word of the caller's beside it, fits a 256-byte
    /// task cell (a future of up to 152 bytes, with tokio 1.54's header and trailer); the
    /// `tracing` feature's span makes a run 40 bytes larger.
    #[test]
    #[cfg(not(feature = "tracing"))]
    fn a_run_fits_a_256_byte_tokio_task_cell() {
        assert!(
            size_of::<crate::Run>() <= 144,
            "{} bytes",
            size_of::<crate::Run>()
        );
    }
}
