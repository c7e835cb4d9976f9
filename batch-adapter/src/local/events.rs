//! The job state-change events of the local Batch, to its subscribers.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::JobStateChange;

/// The events a subscriber may fall behind by before it misses some
/// ([`JobEvents::missed`]).
pub(super) const BACKLOG: usize = 1024;

/// The job state-change events of a [`LocalBatch`](super::LocalBatch) from the moment of
/// [`subscribe`](super::LocalBatch::subscribe), in the order the changes happened.
#[derive(Debug)]
pub struct JobEvents {
    receiver: broadcast::Receiver<Arc<JobStateChange>>,
    missed: u64,
}

impl JobEvents {
    pub(super) fn new(receiver: broadcast::Receiver<Arc<JobStateChange>>) -> Self {
        Self {
            receiver,
            missed: 0,
        }
    }

    /// The next event; `None` once the Batch (every clone of it) is gone. A subscriber that
    /// falls more than 1,024 events behind skips the oldest (counted by
    /// [`missed`](Self::missed)): events end waits early, and polling covers what they miss.
    pub async fn next(&mut self) -> Option<Arc<JobStateChange>> {
        loop {
            match self.receiver.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(skipped)) => self.missed += skipped,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// How many events this subscriber skipped because it fell behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
