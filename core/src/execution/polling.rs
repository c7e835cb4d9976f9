//! The builder's polling states — Submit, PollWait, Check, Notify — and the polling of a `.sync`
//! Task state's job.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::timeouts::timeout;
use super::{AfterSleep, Execution, Phase, Step};
use crate::error::{names, TaskError};
use crate::event::{EventKind, Outcome};
use crate::notifier::Notification;
use crate::policy::{to_millis, Rng, WaitPolicy};
use crate::poller::JobStatus;
use crate::workflow::{Compiled, Node, NodeKind};

/// Where an execution stands with a job whose status was pushed ([`crate::push`]).
pub(crate) enum Polled {
    /// Waiting before a check of it: the wait may end now (the route says whose).
    Asleep,
    /// Polling it, but not waiting before a check now (a check may be in flight).
    Busy,
    /// Not polling it (any more).
    No,
}

impl Execution {
    /// Where this execution, or a running branch of it (its indices pushed on `route`),
    /// stands with the job `handle`.
    pub(crate) fn polled(&self, wf: &Compiled, handle: &Value, route: &mut Vec<u32>) -> Polled {
        if let Some((mine, _)) = self.running_job() {
            if **mine == *handle {
                return if self.asleep_before_check(wf) {
                    Polled::Asleep
                } else {
                    Polled::Busy
                };
            }
        }
        if let Phase::Branches { branches, .. } = &self.phase {
            for (i, child) in branches.running_indexed() {
                let Some(child_wf) = wf.child(self.state, i as usize) else {
                    continue;
                };
                route.push(i);
                match child.polled(child_wf, handle, route) {
                    Polled::No => {
                        route.pop();
                    }
                    found => return found,
                }
            }
        }
        Polled::No
    }

    /// Whether the execution sleeps before checking its job (its sleep call is in flight): a
    /// `.sync` task's poll interval, a polling Wait state, or a Check state's retry pause.
    fn asleep_before_check(&self, wf: &Compiled) -> bool {
        let Phase::Sleeping { then, .. } = self.phase else {
            return false;
        };
        if !self.awaiting {
            return false;
        }
        matches!(
            (then, &wf.nodes[self.state as usize].kind),
            (AfterSleep::Poll, _)
                | (_, NodeKind::PollWait { .. })
                | (AfterSleep::Retry, NodeKind::Check { .. })
        )
    }

    /// The call that submits a job (`job`: the `.sync` Task state whose resource polls it),
    /// under this submission's idempotency key: the execution's id and how many jobs it
    /// submitted before, so that every attempt at it — retried, or resumed from a checkpoint —
    /// has the same key. Resumed with a submit in flight, the lookup of its job instead.
    pub(super) fn submit(&mut self, job: Option<u32>, input: Arc<Value>, now: u64) -> Step {
        let in_flight = self.submitting.then_some(self.entered_ms);
        if !self.submitting {
            self.submitting = true;
            self.entered_ms = now;
        }
        Step::Submit {
            job,
            input,
            key: format!("{:016x}-{}", self.cold.id, self.submits),
            in_flight,
        }
    }

    /// What tells the execution apart from every other (see `Run::id`).
    pub(crate) fn id(&self) -> u64 {
        self.cold.id
    }

    /// Gives an execution from a checkpoint saved before executions had ids one: where its
    /// generator stands, the same every time that checkpoint is resumed.
    pub(super) fn identify(&mut self) {
        if self.cold.id == 0 {
            self.cold.id = self.rng.state();
        }
    }

    /// A Wait state (polling): sleeps before the next check, unless the wait policy has run out.
    pub(super) fn wait(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::PollWait { policy, next } = &node.kind else {
            return None;
        };
        let deadline = *self.cold.deadline_ms.get_or_insert_with(|| {
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
        let delay = to_millis(next_delay(
            policy,
            self.pushed_last,
            attempt,
            &mut self.rng,
            self.cold.last.as_deref(),
        ))
        .min(deadline - now)
        .min(self.time_left(wf, now));
        self.phase = Phase::Sleeping {
            until_ms: now.saturating_add(delay),
            then: AfterSleep::Exit(Some(*next)),
        };
        self.release_pending_status(wf, *next);
        Some(Step::Emit(EventKind::WaitStarted {
            state: node.name.clone(),
            delay_ms: delay,
            attempt,
        }))
    }

    /// A Check state: asks the poller for the submitted job's status.
    pub(super) fn check(&mut self, node: &Node) -> Option<Step> {
        match &self.handle {
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
        }
    }

    /// A Notify state: the notification, with the last job status's detail.
    pub(super) fn notify(&self, node: &Node) -> Step {
        let (subject, message) = match &node.kind {
            NodeKind::Notify {
                subject, message, ..
            } => (subject.clone(), message.clone()),
            _ => (None, String::new()),
        };
        Step::Notify(Notification {
            state: node.name.to_string(),
            subject,
            message,
            detail: self
                .cold
                .last
                .as_ref()
                .map_or(Value::Null, |s| s.detail().clone()),
        })
    }

    /// A `.sync` Task state checks its job, unless the task or the execution is out of time.
    pub(super) fn poll(&mut self, wf: &Compiled, now: u64) -> Option<Step> {
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

    /// Lets go of a pending last status while the run waits, when the state after the wait
    /// is a Check without catchers: nothing reads the status before that check replaces it
    /// (the wait policy has read it already; a failed check ends the run with its own error),
    /// and a pending status and none say the same to `running_job`. A waiting run then holds
    /// no status at all (docs/performance.md).
    fn release_pending_status(&mut self, wf: &Compiled, next: u32) {
        let checks_next = wf
            .nodes
            .get(next as usize)
            .is_some_and(|n| matches!(n.kind, NodeKind::Check { .. }) && n.catch.is_empty());
        if checks_next && matches!(self.cold.last.as_deref(), Some(JobStatus::Pending { .. })) {
            self.cold.last = None;
        }
    }

    /// Sleeps before the next check of a `.sync` job, within the task's and the execution's time.
    pub(super) fn sleep_before_poll(&mut self, wf: &Compiled, node: &Node, now: u64) {
        let task_left = self.task_timeout(node).map_or(u64::MAX, |t| {
            self.entered_ms.saturating_add(t).saturating_sub(now)
        });
        let delay = to_millis(next_delay(
            &wf.sync_poll,
            self.pushed_last,
            self.attempt.saturating_add(1),
            &mut self.rng,
            self.cold.last.as_deref(),
        ))
        .min(task_left)
        .min(self.time_left(wf, now));
        self.phase = Phase::Sleeping {
            until_ms: now.saturating_add(delay),
            then: AfterSleep::Poll,
        };
    }
}

/// `policy`'s delay before check `attempt`, given the `last` status checked (its word and
/// retry hint, when pending); after a pushed status, its `pushed_delay`.
fn next_delay(
    policy: &WaitPolicy,
    pushed_last: bool,
    attempt: u32,
    rng: &mut Rng,
    last: Option<&JobStatus>,
) -> Duration {
    if let (Some(delay), true) = (policy.pushed_delay, pushed_last) {
        return delay;
    }
    let (word, retry_after) = match last {
        Some(status @ JobStatus::Pending { retry_after, .. }) => {
            (status.status_word(), *retry_after)
        }
        _ => (None, None),
    };
    policy.next_delay(attempt, rng, word, retry_after)
}
