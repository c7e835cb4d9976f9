//! What both clocks use to keep sleeps of runs on different threads apart: per-thread shards,
//! fields on cache lines of their own, locks that survive a poisoning.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Timer shards: enough that a few workers rarely share one.
pub(super) const SHARDS: usize = 8;

/// The shard of the calling thread: threads take shards in turn, on first use.
pub(super) fn this_threads_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|shard| *shard)
}

/// A field on a cache line of its own: what every step of every run reads must not share one
/// with the locks and counters that threads write (two lines: adjacent lines are fetched
/// together).
#[derive(Default)]
#[repr(align(128))]
pub(super) struct CacheLine<T>(pub(super) T);

/// Locks `mutex`; the clocks never panic while holding one (wakers run outside them), so a
/// poisoned lock still guards consistent data.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
