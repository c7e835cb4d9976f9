//! Task tokens: a `.waitForTaskToken` Task state (Step Functions' callback pattern) waits until
//! someone sends its token's result — from another task, an HTTP handler, a queue consumer.
//!
//! The state issues a token (in its context object as `$$.Task.Token`, and in a
//! [`TaskTokenIssued`](crate::EventKind::TaskTokenIssued) event), calls its handler, if one is
//! bound, with the effective input, and then waits for [`Engine::send_task_success`],
//! [`Engine::send_task_failure`] or, within its `HeartbeatSeconds`,
//! [`Engine::send_task_heartbeat`].
//!
//! A token is the issuing execution's id, the number of the event that issued it and a random
//! part, as 48 hex digits. The token lives in the checkpoint: a resumed run waits for the same
//! token (and calls its handler again).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde_json::Value;

use crate::clock::{Clock, Sleep};
use crate::error::{names, TaskError};
use crate::Engine;

/// The resource suffix of the callback pattern.
pub(crate) const CALLBACK_SUFFIX: &str = ".waitForTaskToken";

/// How many finished tokens an engine remembers, to refuse them with
/// [`TokenError::TaskTimedOut`]; past that it forgets them all, and refuses them with
/// `TaskDoesNotExist`.
const FINISHED_REMEMBERED: usize = 10_000;

/// Why a send was refused, named as Step Functions names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token this library issues (`InvalidToken`).
    InvalidToken,
    /// No task of this engine waits for it (`TaskDoesNotExist`).
    TaskDoesNotExist,
    /// Its task has ended: it succeeded, failed, timed out, or its run stopped (`TaskTimedOut`).
    TaskTimedOut,
}

impl TokenError {
    /// Step Functions' name for the error.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidToken => "InvalidToken",
            Self::TaskDoesNotExist => "TaskDoesNotExist",
            Self::TaskTimedOut => "TaskTimedOut",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self {
            Self::InvalidToken => "not a task token (48 hex digits)",
            Self::TaskDoesNotExist => "no task waits for this token",
            Self::TaskTimedOut => "the task of this token has ended",
        };
        write!(f, "{}: {why}", self.name())
    }
}

impl std::error::Error for TokenError {}

/// The token of the task that event `seq` of execution `id` issued (`secret`: its random part).
pub(crate) fn token(id: u64, seq: u64, secret: u64) -> String {
    format!("{id:016x}{seq:016x}{secret:016x}")
}

fn well_formed(token: &str) -> bool {
    token.len() == 48
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What was sent for a waiting task.
#[derive(Default)]
struct Slot {
    heartbeat: bool,
    outcome: Option<Result<Value, TaskError>>,
    waker: Option<Waker>,
}

type Shared = Arc<Mutex<Slot>>;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An engine's tokens: those tasks wait for (`Some`), and those whose task finished (`None`,
/// up to [`FINISHED_REMEMBERED`] of them: then they are forgotten at once).
#[derive(Default)]
pub(crate) struct TaskTokens {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    tokens: HashMap<Box<str>, Option<Shared>>,
    finished: usize,
}

impl Table {
    fn finish(&mut self, token: &str) {
        if let Some(entry) = self.tokens.get_mut(token) {
            if entry.take().is_some() {
                self.finished += 1;
            }
        }
        if self.finished > FINISHED_REMEMBERED {
            self.tokens.retain(|_, entry| entry.is_some());
            self.finished = 0;
        }
    }
}

impl TaskTokens {
    /// Registers `token` (before the task's handler is called, which may send it at once).
    pub(crate) fn issue(self: &Arc<Self>, token: String) -> Waiting {
        let slot = Shared::default();
        let mut table = lock(&self.table);
        if let Some(None) = table
            .tokens
            .insert(token.as_str().into(), Some(slot.clone()))
        {
            table.finished -= 1;
        }
        drop(table);
        Waiting {
            tokens: self.clone(),
            token,
            slot,
        }
    }

    /// Delivers a heartbeat (`None`) or the task's outcome.
    fn send(
        &self,
        token: &str,
        outcome: Option<Result<Value, TaskError>>,
    ) -> Result<(), TokenError> {
        if !well_formed(token) {
            return Err(TokenError::InvalidToken);
        }
        let mut table = lock(&self.table);
        let slot = match table.tokens.get(token) {
            Some(Some(slot)) => slot.clone(),
            Some(None) => return Err(TokenError::TaskTimedOut),
            None => return Err(TokenError::TaskDoesNotExist),
        };
        if outcome.is_some() {
            table.finish(token);
        }
        drop(table);
        let mut slot = lock(&slot);
        match outcome {
            Some(outcome) => slot.outcome = Some(outcome),
            None => slot.heartbeat = true,
        }
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
        Ok(())
    }
}

/// A task waiting for its token; dropped, the token is finished.
pub(crate) struct Waiting {
    tokens: Arc<TaskTokens>,
    token: String,
    slot: Shared,
}

impl Waiting {
    /// The task's result as sent, or `States.HeartbeatTimeout` when `heartbeat` passes without
    /// a heartbeat.
    pub(crate) fn result(self, clock: Arc<dyn Clock>, heartbeat: Option<Duration>) -> Sent {
        Sent {
            timer: heartbeat.map(|d| clock.sleep(d)),
            waiting: self,
            clock,
            heartbeat,
        }
    }
}

/// The future of [`Waiting::result`].
pub(crate) struct Sent {
    waiting: Waiting,
    clock: Arc<dyn Clock>,
    heartbeat: Option<Duration>,
    /// Restarted by each heartbeat.
    timer: Option<Sleep>,
}

impl Future for Sent {
    type Output = Result<Value, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        {
            let mut slot = lock(&this.waiting.slot);
            if let Some(outcome) = slot.outcome.take() {
                return Poll::Ready(outcome);
            }
            if std::mem::take(&mut slot.heartbeat) {
                this.timer = this.heartbeat.map(|d| this.clock.sleep(d));
            }
            slot.waker = Some(cx.waker().clone());
        }
        let expired = this
            .timer
            .as_mut()
            .is_some_and(|timer| Pin::new(timer).poll(cx).is_ready());
        if !expired {
            return Poll::Pending;
        }
        let seconds = this.heartbeat.map_or(0, |d| d.as_secs());
        Poll::Ready(Err(TaskError::new(
            names::HEARTBEAT_TIMEOUT,
            format!("no heartbeat for {seconds} s (HeartbeatSeconds)"),
        )))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut table = lock(&self.tokens.table);
        let mine = matches!(
            table.tokens.get(self.token.as_str()),
            Some(Some(slot)) if Arc::ptr_eq(slot, &self.slot)
        );
        if mine {
            table.finish(&self.token);
        }
    }
}

/// Sending a waiting task's result, from anywhere (the engine is `Send + Sync` on native
/// targets): the callback pattern's `SendTaskSuccess`, `SendTaskFailure` and
/// `SendTaskHeartbeat`.
#[cfg(all(feature = "asl", feature = "push"))]
impl Engine {
    /// Completes the task waiting for `token` with `output` as its result (which flows on
    /// through `ResultSelector`, `ResultPath` and `OutputPath`).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pollflow::{Engine, EventKind, Outcome, VirtualClock, Workflow};
    /// use serde_json::json;
    ///
    /// let workflow = Workflow::from_asl(r#"{
    ///   "StartAt": "Approve",
    ///   "States": { "Approve": {
    ///     "Type": "Task",
    ///     "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    ///     "Parameters": { "token.$": "$$.Task.Token" },
    ///     "End": true
    ///   } }
    /// }"#, "approval")?;
    /// // No handler is bound: the token reaches the approver through the event.
    /// let poller = pollflow::poller_fn(
    ///     |_| async { Ok(json!(null)) },
    ///     |_| async { Ok(pollflow::JobStatus::pending("")) },
    /// );
    /// let engine = Engine::new(workflow, poller, VirtualClock::new());
    /// let mut run = engine.start(json!({}));
    /// let outcome = futures::executor::block_on(async {
    ///     while let Some(event) = run.next().await {
    ///         if let EventKind::TaskTokenIssued { token, .. } = event.kind {
    ///             engine.send_task_success(&token, json!({"approved": true})).unwrap();
    ///         }
    ///     }
    ///     run.finished().cloned()
    /// });
    /// assert_eq!(outcome, Some(Outcome::Succeeded { output: json!({"approved": true}) }));
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), TokenError> {
        self.inner.tokens.send(token, Some(Ok(output)))
    }

    /// Fails the task waiting for `token` with this error name and cause (its Retry and Catch
    /// fields match the name).
    pub fn send_task_failure(
        &self,
        token: &str,
        error: impl Into<String>,
        cause: impl Into<String>,
    ) -> Result<(), TokenError> {
        let error = TaskError::new(error, cause);
        self.inner.tokens.send(token, Some(Err(error)))
    }

    /// Tells the task waiting for `token` that its work goes on: its `HeartbeatSeconds` start
    /// again (its `TimeoutSeconds` do not).
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), TokenError> {
        self.inner.tokens.send(token, None)
    }
}
