//! Aborting a run from anywhere.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::task::AtomicWaker;

/// Aborts a [`Run`](crate::Run): the run stops polling, cancels the job if the workflow says
/// so, emits `ExecutionAborted` and ends. `Send + Sync`; clones abort the same run.
#[derive(Clone, Debug, Default)]
pub struct AbortHandle {
    signal: Arc<AbortSignal>,
}

#[derive(Debug, Default)]
pub(crate) struct AbortSignal {
    requested: AtomicBool,
    waker: AtomicWaker,
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
