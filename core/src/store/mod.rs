//! Durable runs: a [`Store`] keeps each run's latest checkpoint, so that a process that
//! restarts resumes every unfinished run ([`Engine::recover`](crate::Engine::recover)).
//!
//! An engine built with [`EngineBuilder::store`](crate::EngineBuilder::store) saves a run's
//! checkpoint
//! - before each submit call, and waits until it is durable before calling: a run that
//!   restarts from it knows a submit may have reached the service and looks the job up by its
//!   key first ([`Poller::find_submitted`](crate::Poller::find_submitted));
//! - after `TaskSubmitted` (the job's handle), after `WaitStarted` (the checks made and the
//!   next deadline) and, as the run's outcome, after its terminal event. These saves are not
//!   waited for: one lost in a crash leaves the run a step behind, and it repeats a check or a
//!   wait, never a submit.
//!
//! See docs/durability.md for the argument and what remains.

#[cfg(all(feature = "sqlite", not(target_arch = "wasm32")))]
mod sqlite;

use std::fmt;
use std::sync::Arc;

#[cfg(all(feature = "sqlite", not(target_arch = "wasm32")))]
pub use sqlite::SqliteStore;

use crate::checkpoint::Checkpoint;
use crate::event::Outcome;
use crate::platform::{BoxFuture, SendOutsideWasm, SyncOutsideWasm};

/// A write in progress: resolves once it is durable. Dropping it does not cancel the write.
pub type Saved = BoxFuture<'static, Result<(), StoreError>>;

/// Where an engine keeps its runs' checkpoints.
///
/// Writes are queued in the order they are made (a later save of a run replaces an earlier
/// one) and may be committed in batches; each returns a [`Saved`] future for when it is durable.
pub trait Store: SendOutsideWasm + SyncOutsideWasm {
    /// Keeps `checkpoint` as run `run`'s latest.
    fn save(&self, run: &str, checkpoint: &Checkpoint) -> Saved;

    /// Run `run` ended with `outcome` (`checkpoint`: its last state): it is no longer
    /// unfinished.
    fn finish(&self, run: &str, checkpoint: &Checkpoint, outcome: &Outcome) -> Saved;

    /// The latest checkpoint of every unfinished run of the workflow named `workflow`.
    ///
    /// A store shared by several processes may instead hand each run to one caller: it
    /// returns the runs it claimed for this process (for example those whose owner's lease
    /// lapsed), and a fleet calls [`Engine::recover`](crate::Engine::recover) periodically.
    fn unfinished(&self, workflow: &str)
        -> BoxFuture<'static, Result<Vec<Checkpoint>, StoreError>>;

    /// Whether this store still holds the runs it saves. A store that hands runs to one
    /// process at a time through a lease answers `false` once this process may have lost it:
    /// a run then makes no more calls (each fails with `Pollflow.StoreFailed`), since another
    /// process continues it. Once `false`, it stays `false`. The default: always `true`.
    fn holds(&self) -> bool {
        true
    }
}

impl<S: Store + ?Sized> Store for Arc<S> {
    fn save(&self, run: &str, checkpoint: &Checkpoint) -> Saved {
        (**self).save(run, checkpoint)
    }
    fn finish(&self, run: &str, checkpoint: &Checkpoint, outcome: &Outcome) -> Saved {
        (**self).finish(run, checkpoint, outcome)
    }
    fn unfinished(
        &self,
        workflow: &str,
    ) -> BoxFuture<'static, Result<Vec<Checkpoint>, StoreError>> {
        (**self).unfinished(workflow)
    }
    fn holds(&self) -> bool {
        (**self).holds()
    }
}

/// A store could not read or write.
#[derive(Clone, Debug)]
pub struct StoreError {
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// The same error, caused by `source`.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
