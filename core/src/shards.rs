//! What keeps runs on different threads out of each other's way: per-thread shards, fields on
//! cache lines of their own, locks that survive a poisoning, and [`Replicas`] of a shared `Arc`.

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Thread shards: enough that a few workers rarely share one (one on `wasm32`).
pub(crate) const SHARDS: usize = crate::platform::THREAD_SHARDS;

/// The shard of the calling thread: threads take shards in turn, on first use.
#[allow(clippy::modulo_one, reason = "one shard on wasm32")]
pub(crate) fn this_threads_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|shard| *shard)
}

/// A field on a cache line of its own (padded on native targets only: `wasm32` has one thread).
pub(crate) use crate::platform::CacheLine;

/// Locks `mutex`; the clocks never panic while holding one (wakers run outside them), so a
/// poisoned lock still guards consistent data.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One shared value behind [`SHARDS`] reference counts, one per thread shard, each on lines of
/// its own: every call a run starts holds its poller, and runs on different threads taking
/// their `Arc` clones from one counter would pass its cache line back and forth between cores.
pub(crate) struct Replicas<T: ?Sized>([Replica<T>; SHARDS]);

/// The calling thread's handle on a [`Replicas`]' value.
pub(crate) struct Replica<T: ?Sized>(Arc<CacheLine<Arc<T>>>);

impl<T: ?Sized> Replicas<T> {
    pub(crate) fn new(value: Arc<T>) -> Self {
        Self(std::array::from_fn(|_| {
            Replica(Arc::new(CacheLine(value.clone())))
        }))
    }

    /// The value's own `Arc`, for what is cloned too seldom to need a replica.
    pub(crate) fn arc(&self) -> &Arc<T> {
        &self.0[0].0 .0
    }

    /// A handle for the calling thread (a clone of its shard's `Arc`).
    pub(crate) fn get(&self) -> Replica<T> {
        self.0[this_threads_shard()].clone()
    }
}

impl<T: ?Sized> Clone for Replicas<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> Clone for Replica<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> Deref for Replica<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0 .0
    }
}

impl<T: ?Sized> Deref for Replicas<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0[0]
    }
}
