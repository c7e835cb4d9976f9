//! Reaching a run from anywhere: aborting it, and pushing its jobs' statuses (see
//! [`crate::push`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::task::AtomicWaker;
use serde_json::Value;

use crate::poller::JobStatus;

/// Aborts a [`Run`](crate::Run): the run stops polling, cancels the job if the workflow says
/// so, emits `ExecutionAborted` and ends. `Send + Sync`; clones abort the same run.
#[derive(Clone, Debug, Default)]
pub struct AbortHandle {
    pub(crate) signal: Arc<RunSignal>,
}

/// What reaches a run from outside, and the waker that tells it.
#[derive(Debug, Default)]
pub(crate) struct RunSignal {
    requested: AtomicBool,
    /// `pushed` holds statuses (cheaper to ask than the lock).
    has_pushed: AtomicBool,
    waker: AtomicWaker,
    pushed: Mutex<Pushed>,
}

/// Statuses pushed for a run's jobs and not taken yet (the latest per job), and the keys its
/// jobs are registered under.
#[derive(Debug, Default)]
pub(crate) struct Pushed {
    pub(crate) statuses: Vec<(Arc<Value>, JobStatus)>,
    pub(crate) keys: Vec<String>,
}

impl AbortHandle {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Requests the abort; the run notices on its next poll (it is woken for it).
    pub fn abort(&self) {
        self.signal.requested.store(true, Ordering::Release);
        self.signal.waker.wake();
    }

    /// Whether `abort` was called.
    pub fn is_aborted(&self) -> bool {
        self.signal.requested.load(Ordering::Acquire)
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.signal.waker.register(waker);
    }
}

impl RunSignal {
    /// Keeps `status` as the latest pushed for the job `handle`, and wakes the run.
    #[cfg(feature = "push")]
    pub(crate) fn push(&self, handle: Arc<Value>, status: JobStatus) {
        let mut pushed = self.pushed();
        match pushed.statuses.iter_mut().find(|(h, _)| *h == handle) {
            // Events may come out of order: a final status is not undone by a late pending one.
            Some(held) if held.1.is_terminal() && !status.is_terminal() => {}
            Some(held) => held.1 = status,
            None => pushed.statuses.push((handle, status)),
        }
        self.has_pushed.store(true, Ordering::Release);
        drop(pushed);
        self.waker.wake();
    }

    /// Whether pushed statuses are held.
    pub(crate) fn has_pushed(&self) -> bool {
        self.has_pushed.load(Ordering::Acquire)
    }

    /// The pushed statuses and registered keys.
    pub(crate) fn pushed(&self) -> MutexGuard<'_, Pushed> {
        self.pushed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the status pushed for `handle`, if one is held.
    pub(crate) fn take_pushed(&self, handle: &Value) -> Option<JobStatus> {
        let mut pushed = self.pushed();
        let at = pushed.statuses.iter().position(|(h, _)| **h == *handle)?;
        let (_, status) = pushed.statuses.swap_remove(at);
        self.has_pushed
            .store(!pushed.statuses.is_empty(), Ordering::Release);
        Some(status)
    }

    /// Drops the statuses `keep` says no; notes whether any are left.
    pub(crate) fn retain_pushed(&self, keep: impl FnMut(&mut (Arc<Value>, JobStatus)) -> bool) {
        let mut pushed = self.pushed();
        pushed.statuses.retain_mut(keep);
        self.has_pushed
            .store(!pushed.statuses.is_empty(), Ordering::Release);
    }
}
