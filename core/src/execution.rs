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
use crate::event::{EventKind, Outcome};
use crate::notifier::Notification;
use crate::policy::{to_millis, Rng};
use crate::poller::JobStatus;
use crate::workflow::{Compiled, Node, NodeKind};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Execution {
    state: u32,
    phase: Phase,
    input: Arc<Value>,
    handle: Option<Value>,
    last: Option<Arc<JobStatus>>,
    /// Checks since the job was submitted.
    attempt: u32,
    /// Consecutive transient check errors.
    check_errors: u32,
    /// When waiting must end (a wait policy's `max_wait`), in ms since the epoch.
    deadline_ms: Option<u64>,
    rng: Rng,
    next_event_id: u64,
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
    Exit {
        next: u32,
    },
    /// Stopping with this outcome; the job is cancelled first when the policy says so.
    Stopping {
        end: Outcome,
    },
    Cancelling {
        end: Outcome,
    },
    Ending {
        end: Outcome,
    },
    Finished {
        end: Outcome,
    },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AfterSleep {
    /// A Wait state's sleep: go on to the next state.
    Exit(u32),
    /// A retry pause: do the state's work again.
    Retry,
}

/// What the interpreter needs next.
pub(crate) enum Step {
    Emit(EventKind),
    Submit(Arc<Value>),
    /// Sleep until this time (ms since the epoch).
    Sleep(u64),
    Check(Value),
    Notify(Notification),
    Cancel(Value, String),
    Done,
}

/// How a requested call went.
pub(crate) enum Completion {
    Submitted(Result<Value, TaskError>),
    Slept,
    Checked(Result<JobStatus, CheckError>),
    Notified(Result<(), TaskError>),
    Cancelled(Result<(), TaskError>),
}

impl Execution {
    pub(crate) fn new(wf: &Compiled, input: Arc<Value>, rng: Rng) -> Self {
        Self {
            state: wf.start,
            phase: Phase::Start,
            input,
            handle: None,
            last: None,
            attempt: 0,
            check_errors: 0,
            deadline_ms: None,
            rng,
            next_event_id: 1,
        }
    }

    pub(crate) fn state(&self) -> u32 {
        self.state
    }

    pub(crate) fn take_event_id(&mut self) -> u64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        id
    }

    /// The outcome, once the terminal event has been emitted.
    pub(crate) fn outcome(&self) -> Option<&Outcome> {
        match &self.phase {
            Phase::Finished { end } => Some(end),
            _ => None,
        }
    }

    /// The job handle while the job may still be running.
    pub(crate) fn running_job(&self) -> Option<&Value> {
        let finished = self.last.as_deref().is_some_and(JobStatus::is_terminal);
        self.handle.as_ref().filter(|_| !finished)
    }

    pub(crate) fn is_stopping(&self) -> bool {
        matches!(
            self.phase,
            Phase::Stopping { .. }
                | Phase::Cancelling { .. }
                | Phase::Ending { .. }
                | Phase::Finished { .. }
        )
    }

    /// Stops the execution as aborted (a no-op once it is stopping anyway).
    pub(crate) fn abort(&mut self) {
        if !self.is_stopping() {
            self.phase = Phase::Stopping {
                end: Outcome::Aborted {
                    job_cancelled: false,
                },
            };
        }
    }

    pub(crate) fn step(&mut self, wf: &Compiled, now: u64) -> Step {
        loop {
            let phase = std::mem::replace(&mut self.phase, Phase::Act);
            match phase {
                Phase::Start => {
                    self.phase = Phase::Enter;
                    return Step::Emit(EventKind::ExecutionStarted {
                        input: self.input.clone(),
                    });
                }
                Phase::Enter => {
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
                Phase::Exit { next } => {
                    let exited = self.name(wf, self.state);
                    self.state = next;
                    self.phase = Phase::Enter;
                    return Step::Emit(EventKind::StateExited { state: exited });
                }
                Phase::Stopping { end } => {
                    let cancellable =
                        matches!(end, Outcome::Aborted { .. } | Outcome::TimedOut { .. });
                    match self.running_job() {
                        Some(handle) if wf.cancel_on_stop && cancellable => {
                            let step = Step::Cancel(handle.clone(), stop_reason(wf, &end));
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
                    return Step::Cancel(handle, reason);
                }
                Phase::Ending { end } => {
                    let kind = match &end {
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
            }
        }
    }

    /// The current state's work; `None` when it moved on without needing anything.
    fn act(&mut self, wf: &Compiled, now: u64) -> Option<Step> {
        let node = &wf.nodes[self.state as usize];
        match &node.kind {
            NodeKind::Submit { .. } => Some(Step::Submit(self.input.clone())),
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
                    self.stop(timeout(format!(
                        "job still pending after {max} checks (max_attempts)"
                    )));
                    return None;
                }
                let attempt = self.attempt + 1;
                let (word, retry_after) = match self.last.as_deref() {
                    Some(status @ JobStatus::Pending { retry_after, .. }) => {
                        (status.status_word(), *retry_after)
                    }
                    _ => (None, None),
                };
                let delay = to_millis(policy.next_delay(attempt, &mut self.rng, word, retry_after))
                    .min(deadline - now);
                self.phase = Phase::Sleeping {
                    until_ms: now + delay,
                    then: AfterSleep::Exit(*next),
                };
                Some(Step::Emit(EventKind::WaitStarted {
                    state: node.name.clone(),
                    delay_ms: delay,
                    attempt,
                }))
            }
            NodeKind::Check { .. } => match &self.handle {
                Some(handle) => Some(Step::Check(handle.clone())),
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
            NodeKind::Choice { rules, default } => {
                let next = rules
                    .iter()
                    .find(|(test, _)| test.holds(self.last.as_deref()))
                    .map_or(*default, |(_, next)| *next);
                self.phase = Phase::Exit { next };
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
            NodeKind::Succeed => {
                let output = match self.last.as_deref() {
                    Some(JobStatus::Succeeded { output }) => output.clone(),
                    _ => Value::clone(&self.input),
                };
                self.phase = Phase::Ending {
                    end: Outcome::Succeeded { output },
                };
                None
            }
            NodeKind::Fail { error, cause } => {
                let cause = cause.clone().unwrap_or_else(|| {
                    self.last
                        .as_ref()
                        .map_or_else(String::new, |s| s.detail().to_string())
                });
                self.phase = Phase::Ending {
                    end: Outcome::Failed {
                        error: TaskError::new(error.clone(), cause),
                    },
                };
                None
            }
        }
    }

    /// Takes the result of the call the last `step` asked for; returns the event it produced.
    pub(crate) fn complete(
        &mut self,
        wf: &Compiled,
        completion: Completion,
        now: u64,
    ) -> Option<EventKind> {
        let node = &wf.nodes[self.state as usize];
        let state = node.name.clone();
        match completion {
            Completion::Submitted(Ok(handle)) => {
                self.handle = Some(handle.clone());
                self.last = None;
                self.attempt = 0;
                self.check_errors = 0;
                self.deadline_ms = None;
                self.exit(&node.kind);
                Some(EventKind::TaskSubmitted { state, handle })
            }
            Completion::Checked(Ok(status)) => {
                self.attempt += 1;
                self.check_errors = 0;
                let status = Arc::new(status);
                self.last = Some(status.clone());
                self.exit(&node.kind);
                Some(EventKind::StatusChecked {
                    state,
                    attempt: self.attempt,
                    status,
                })
            }
            Completion::Checked(Err(err)) => {
                self.check_errors += 1;
                let retry_in_ms = match &node.kind {
                    NodeKind::Check { retry, .. }
                        if err.is_transient()
                            && retry.max_attempts.is_none_or(|m| self.check_errors <= m) =>
                    {
                        let delay =
                            to_millis(retry.backoff_delay(self.check_errors, &mut self.rng));
                        let delay =
                            delay.min(self.deadline_ms.unwrap_or(u64::MAX).saturating_sub(now));
                        self.phase = Phase::Sleeping {
                            until_ms: now + delay,
                            then: AfterSleep::Retry,
                        };
                        Some(delay)
                    }
                    _ => None,
                };
                let error = match err {
                    CheckError::Transient(e) | CheckError::Fatal(e) => e,
                };
                if retry_in_ms.is_none() {
                    self.fail_task(node, &error);
                }
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
            Completion::Submitted(Err(error)) | Completion::Notified(Err(error)) => {
                self.fail_task(node, &error);
                Some(EventKind::TaskFailed {
                    state,
                    error,
                    retry_in_ms: None,
                })
            }
            Completion::Slept => {
                if let Phase::Sleeping { then, .. } = self.phase {
                    self.phase = match then {
                        AfterSleep::Exit(next) => Phase::Exit { next },
                        AfterSleep::Retry => Phase::Act,
                    };
                }
                None
            }
            Completion::Cancelled(result) => {
                let Phase::Cancelling { end } = std::mem::replace(&mut self.phase, Phase::Act)
                else {
                    return None;
                };
                let end = match end {
                    Outcome::Aborted { .. } => Outcome::Aborted {
                        job_cancelled: result.is_ok(),
                    },
                    other => other,
                };
                self.phase = Phase::Ending { end };
                Some(EventKind::JobCancelled {
                    handle: self.handle.clone().unwrap_or_default(),
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
            self.phase = Phase::Exit { next: *next };
        }
    }

    /// A state's call failed for good: a matching catcher routes on, else the execution fails.
    fn fail_task(&mut self, node: &Node, error: &TaskError) {
        match node.catcher_for(error) {
            Some(next) => self.phase = Phase::Exit { next },
            None => self.stop(Outcome::Failed {
                error: error.clone(),
            }),
        }
    }

    fn stop(&mut self, end: Outcome) {
        self.phase = Phase::Stopping { end };
    }

    fn name(&self, wf: &Compiled, index: u32) -> Arc<str> {
        wf.nodes[index as usize].name.clone()
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
