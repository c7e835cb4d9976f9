//! [`TokioClock`](super::TokioClock)'s sleeps: one tokio timer per deadline, shared by every
//! sleep that ends then.
//!
//! A tokio `Sleep` is 112 bytes and registers in the runtime's timer wheel on its own. Runs on
//! one schedule end their waits on the same millisecond (the wheel's resolution), so sleeps are
//! grouped by runtime and deadline millisecond into a [`Bucket`] that owns one tokio timer: a
//! sleep is a pointer to its bucket and its waker's slot there. Buckets live in per-thread
//! shards, like the virtual clock's, so runs on different workers do not share a lock.

use std::collections::HashMap;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::task::Unconstrained;
use tokio::time::Instant;

use crate::shards::{lock, this_threads_shard, CacheLine, SHARDS};

/// The latest deadline a sleep gets (about 30 years away, as tokio's own sleeps): later ones
/// would overflow an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// Which bucket a sleep joins: the runtime whose timer wheel fires it (a clock may be shared by
/// runtimes, each with its own time when paused), and its deadline in whole milliseconds since
/// the clock started, rounded up.
type Key = (Id, u64);

/// The pending sleeps of one clock.
pub(super) struct Timers {
    started: Instant,
    shards: Box<[Shard]>,
}

/// The open buckets of the threads that share a shard.
type Shard = CacheLine<Mutex<HashMap<Key, Arc<Bucket>>>>;

/// The sleeps of one shard that end on one millisecond, and the tokio timer that wakes them.
struct Bucket {
    key: Key,
    shard: usize,
    timers: Weak<Timers>,
    state: Mutex<BucketState>,
    /// Taken out when the last sleep leaves before the deadline (which cancels it).
    timer: Mutex<Option<Pin<Box<Unconstrained<tokio::time::Sleep>>>>>,
}

struct BucketState {
    phase: Phase,
    /// Sleeps in the bucket that have not finished or been dropped.
    live: usize,
    /// Each sleep's waker once it has been polled (`None` before, and after it is dropped).
    wakers: Slots,
}

/// Waker slots in blocks of [`BLOCK`]: small allocations, which the allocator fits in the
/// gaps it leaves beside tokio's 128-byte-aligned task cells, where one long vector of slots
/// would take fresh pages (16 bytes per waiting run), and grows without moving a slot.
#[derive(Default)]
struct Slots {
    #[allow(clippy::vec_box, reason = "small blocks are the point")]
    blocks: Vec<Box<[Option<Waker>; BLOCK]>>,
    len: usize,
}

const BLOCK: usize = 8;

impl Slots {
    /// A new empty slot's index.
    fn push(&mut self) -> usize {
        if self.len.is_multiple_of(BLOCK) {
            self.blocks.push(Box::default());
        }
        self.len += 1;
        self.len - 1
    }

    fn get_mut(&mut self, slot: usize) -> &mut Option<Waker> {
        &mut self.blocks[slot / BLOCK][slot % BLOCK]
    }

    fn into_wakers(self) -> impl Iterator<Item = Waker> {
        self.blocks.into_iter().flat_map(|block| *block).flatten()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Sleeps join it.
    Open,
    /// Its deadline came: every sleep in it is done.
    Fired,
    /// Every sleep left before the deadline; a sleep that finds it joins a new bucket.
    Cancelled,
}

/// A sleep on a [`Timers`]: 16 bytes.
pub(super) struct TokioSleep {
    bucket: Arc<Bucket>,
    /// Its waker's index in the bucket; [`DONE`] when it joined a bucket that had fired.
    slot: usize,
}

const DONE: usize = usize::MAX;

impl Timers {
    pub(super) fn new() -> Self {
        Self {
            started: Instant::now(),
            shards: (0..SHARDS).map(|_| CacheLine::default()).collect(),
        }
    }

    /// When this clock started, on tokio's clock (which a paused runtime controls).
    pub(super) fn started(&self) -> Instant {
        self.started
    }

    /// A sleep of `duration` from now, in the current runtime's timer wheel.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::time::sleep` does.
    pub(super) fn sleep(self: &Arc<Self>, duration: Duration) -> TokioSleep {
        let since_start =
            Instant::now().saturating_duration_since(self.started) + duration.min(FAR_FUTURE);
        let millis = u64::try_from(since_start.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        let key = (Handle::current().id(), millis);
        let shard = this_threads_shard();
        loop {
            let (bucket, created) = {
                let mut buckets = lock(&self.shards[shard].0);
                match buckets.get(&key) {
                    Some(bucket) => (bucket.clone(), false),
                    None => {
                        let bucket = Arc::new(Bucket::new(self, key, shard));
                        buckets.insert(key, bucket.clone());
                        (bucket, true)
                    }
                }
            };
            if created {
                bucket.arm();
            }
            if let Some(sleep) = bucket.join() {
                return sleep;
            }
            // Cancelled between the lookup and the join: it has left the map, or is leaving.
            bucket.leave_map();
        }
    }
}

impl Bucket {
    fn new(timers: &Arc<Timers>, key: Key, shard: usize) -> Self {
        let deadline = timers.started + Duration::from_millis(key.1);
        Self {
            key,
            shard,
            timers: Arc::downgrade(timers),
            state: Mutex::new(BucketState {
                phase: Phase::Open,
                live: 0,
                wakers: Slots::default(),
            }),
            timer: Mutex::new(Some(Box::pin(tokio::task::unconstrained(
                tokio::time::sleep_until(deadline),
            )))),
        }
    }

    /// Registers the tokio timer, with a waker that fires this bucket. No lock of the clock's
    /// is held: the poll may wake at once. Unconstrained, so that tokio's cooperative budget
    /// never makes the poll wake the bucket before its time.
    fn arm(self: &Arc<Self>) {
        let waker = Waker::from(self.clone());
        let mut timer = lock(&self.timer);
        if let Some(timer) = timer.as_mut() {
            if timer
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                self.fire();
            }
        }
    }

    /// A sleep in this bucket, unless it was cancelled.
    fn join(self: &Arc<Self>) -> Option<TokioSleep> {
        let mut state = lock(&self.state);
        let slot = match state.phase {
            Phase::Open => {
                state.live += 1;
                state.wakers.push()
            }
            Phase::Fired => DONE,
            Phase::Cancelled => return None,
        };
        Some(TokioSleep {
            bucket: self.clone(),
            slot,
        })
    }

    /// The deadline came: wakes every sleep in the bucket.
    fn fire(&self) {
        let wakers = {
            let mut state = lock(&self.state);
            if state.phase != Phase::Open {
                return;
            }
            state.phase = Phase::Fired;
            mem::take(&mut state.wakers)
        };
        self.leave_map();
        wakers.into_wakers().for_each(Waker::wake);
    }

    /// Removes this bucket from its shard (not another bucket that took its key since).
    fn leave_map(&self) {
        if let Some(timers) = self.timers.upgrade() {
            let mut buckets = lock(&timers.shards[self.shard].0);
            if buckets
                .get(&self.key)
                .is_some_and(|bucket| std::ptr::eq(Arc::as_ptr(bucket), self))
            {
                buckets.remove(&self.key);
            }
        }
    }
}

impl Wake for Bucket {
    fn wake(self: Arc<Self>) {
        self.fire();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fire();
    }
}

impl Future for TokioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.bucket.state);
        if state.phase != Phase::Open {
            return Poll::Ready(());
        }
        // Open, so this sleep is live and its slot is there.
        let waker = state.wakers.get_mut(self.slot);
        match waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for TokioSleep {
    fn drop(&mut self) {
        let cancelled = {
            let mut state = lock(&self.bucket.state);
            if state.phase != Phase::Open || self.slot == DONE {
                return;
            }
            *state.wakers.get_mut(self.slot) = None;
            state.live -= 1;
            if state.live == 0 {
                state.phase = Phase::Cancelled;
            }
            state.phase == Phase::Cancelled
        };
        if cancelled {
            self.bucket.leave_map();
            // Deregisters the tokio timer, and with it the timer's reference to the bucket.
            let timer = lock(&self.bucket.timer).take();
            drop(timer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::join_all;

    fn buckets(timers: &Timers) -> usize {
        timers.shards.iter().map(|shard| lock(&shard.0).len()).sum()
    }

    fn live(sleep: &TokioSleep) -> usize {
        lock(&sleep.bucket.state).live
    }

    #[tokio::test(start_paused = true)]
    async fn sleeps_ending_on_one_millisecond_share_a_bucket_and_all_wake() {
        let timers = Arc::new(Timers::new());
        let sleeps: Vec<_> = (0..1000)
            .map(|_| timers.sleep(Duration::from_secs(60)))
            .collect();
        assert_eq!(buckets(&timers), 1);
        assert_eq!(live(&sleeps[0]), 1000);
        let start = Instant::now();
        join_all(sleeps).await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        assert_eq!(buckets(&timers), 0, "a fired bucket leaves its shard");
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_are_rounded_up_to_the_millisecond_and_kept_apart() {
        let timers = Arc::new(Timers::new());
        let start = Instant::now();
        let order = Arc::new(Mutex::new(Vec::new()));
        let sleeper = |micros: u64| {
            let (sleep, order) = (timers.sleep(Duration::from_micros(micros)), order.clone());
            async move {
                sleep.await;
                lock(&order).push((micros, start.elapsed()));
            }
        };
        let sleepers = vec![sleeper(2_500), sleeper(1), sleeper(2_000), sleeper(1_000)];
        assert_eq!(
            buckets(&timers),
            3,
            "1 µs and 1 ms end on the same millisecond"
        );
        join_all(sleepers).await;
        let order = lock(&order).clone();
        let ms = Duration::from_millis;
        assert_eq!(
            order,
            vec![(1, ms(1)), (1_000, ms(1)), (2_000, ms(2)), (2_500, ms(3))]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_sleep_to_leave_cancels_its_bucket_and_a_new_one_takes_the_key() {
        let timers = Arc::new(Timers::new());
        let first = timers.sleep(Duration::from_secs(5));
        let second = timers.sleep(Duration::from_secs(5));
        let bucket = first.bucket.clone();
        drop(first);
        assert_eq!(live(&second), 1);
        assert_eq!(buckets(&timers), 1);
        drop(second);
        assert!(lock(&bucket.state).phase == Phase::Cancelled);
        assert!(lock(&bucket.timer).is_none(), "its tokio timer is dropped");
        assert_eq!(buckets(&timers), 0);
        assert_eq!(Arc::strong_count(&bucket), 1, "nothing else holds it");

        let third = timers.sleep(Duration::from_secs(5));
        assert!(!Arc::ptr_eq(&third.bucket, &bucket));
        let start = Instant::now();
        third.await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleep_polled_again_wakes_its_latest_waker() {
        let timers = Arc::new(Timers::new());
        let mut sleep = Box::pin(timers.sleep(Duration::from_secs(1)));
        let noop = futures::task::noop_waker();
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&noop))
            .is_pending());
        // Awaited from here on (another waker): the bucket must wake this task, not the noop.
        sleep.await;
        assert_eq!(buckets(&timers), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleep_joining_a_fired_bucket_is_done() {
        let timers = Arc::new(Timers::new());
        let sleep = timers.sleep(Duration::from_millis(1));
        let bucket = sleep.bucket.clone();
        sleep.await;
        let late = bucket.join().expect("a fired bucket is not cancelled");
        assert_eq!(late.slot, DONE);
        late.await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_far_deadline_does_not_overflow() {
        let timers = Arc::new(Timers::new());
        let sleep = timers.sleep(Duration::MAX);
        let early = tokio::time::timeout(Duration::from_secs(86_400 * 365), sleep).await;
        assert!(early.is_err(), "still asleep after a year");
        assert_eq!(
            buckets(&timers),
            0,
            "the timed-out sleep cancelled its bucket"
        );
    }
}
