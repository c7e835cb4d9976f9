//! A clock that jumps straight to the next deadline whenever every task is waiting.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use futures::task::{waker, ArcWake};

use super::tracked::Tracked;
use super::{Clock, Sleep};
use crate::shards::{lock, this_threads_shard, CacheLine, Replica, Replicas, SHARDS};

/// Simulated time: a workflow that waits for days finishes in microseconds.
///
/// Time moves only when [`VirtualClock::block_on`] finds nothing left to do but wait, when
/// every future wrapped with [`VirtualClock::track`] waits (on any executor, multi-threaded
/// ones included), or when [`advance`](VirtualClock::advance) is called; it then jumps to the
/// earliest pending deadline. Every run is deterministic. Cloning shares the clock; it is
/// `Send + Sync`.
///
/// ```
/// use std::time::Duration;
/// use pollflow::{Clock, VirtualClock};
///
/// let clock = VirtualClock::new();
/// let slept = clock.block_on(async {
///     clock.sleep(Duration::from_secs(86_400 * 3)).await;
///     clock.now()
/// });
/// assert_eq!(slept, Duration::from_secs(86_400 * 3));
/// ```
#[derive(Clone)]
pub struct VirtualClock {
    /// Replicated: every sleep holds the clock, and runs on different threads take theirs
    /// from different reference counts.
    shared: Replicas<Shared>,
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self {
            shared: Replicas::new(Arc::default()),
        }
    }
}

pub(super) struct Shared {
    /// The time in nanoseconds, read without a lock; [`LATER`] past what a `u64` holds
    /// (about the year 2554), when `now` is the time.
    now_nanos: CacheLine<AtomicU64>,
    /// The time; written (under this lock) before any shard is drained.
    now: Mutex<Duration>,
    /// Pending sleeps, sharded by the thread that registers them, so that runs on different
    /// threads do not queue for one lock on every sleep.
    shards: Box<[CacheLine<Mutex<Timers>>]>,
    /// Tracked futures that are running or woken (see [`VirtualClock::track`]).
    pub(super) active: CacheLine<AtomicUsize>,
}

/// [`Shared::now_nanos`]: the time does not fit; read it under the lock.
const LATER: u64 = u64::MAX;

/// Sleeps grouped by deadline: executions on the same schedule share one bucket, so
/// registering and firing are O(1) per sleep for them, not a heap's O(log n).
#[derive(Default)]
struct Timers {
    buckets: BTreeMap<Duration, Vec<Waker>>,
    pending: usize,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            now_nanos: CacheLine::default(),
            now: Mutex::default(),
            shards: (0..SHARDS).map(|_| CacheLine::default()).collect(),
            active: CacheLine::default(),
        }
    }
}

impl Shared {
    fn now(&self) -> Duration {
        match self.now_nanos.0.load(Ordering::Acquire) {
            LATER => *lock(&self.now),
            nanos => Duration::from_nanos(nanos),
        }
    }

    /// Moves the time to `target` if it is later; returns the time.
    fn move_to(&self, target: Duration) -> Duration {
        let mut now = lock(&self.now);
        *now = (*now).max(target);
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(LATER);
        self.now_nanos.0.store(nanos, Ordering::Release);
        *now
    }

    fn fire_until(&self, target: Duration) {
        // The time moves before any shard is drained: a sleep that registers after its
        // shard was drained sees the new time under the shard's lock and does not wait.
        let now = self.move_to(target);
        let mut due = Vec::new();
        for shard in &*self.shards {
            let mut timers = lock(&shard.0);
            while let Some(bucket) = timers.buckets.first_entry().filter(|b| *b.key() <= now) {
                let (deadline, wakers) = bucket.remove_entry();
                timers.pending -= wakers.len();
                due.push((deadline, wakers));
            }
        }
        // Wake outside the locks (a woken task may sleep again at once), in deadline order,
        // and in registration order within a deadline and shard (a stable sort).
        due.sort_by_key(|(deadline, _)| *deadline);
        due.into_iter()
            .flat_map(|(_, wakers)| wakers)
            .for_each(Waker::wake);
    }

    /// The earliest deadline of the pending sleeps.
    fn next_deadline(&self) -> Option<Duration> {
        self.shards
            .iter()
            .filter_map(|shard| lock(&shard.0).buckets.keys().next().copied())
            .min()
    }

    /// Jumps to the earliest deadline and wakes the sleeps due then; `false` when none is pending.
    pub(super) fn advance_to_next_deadline(&self) -> bool {
        match self.next_deadline() {
            Some(deadline) => {
                self.fire_until(deadline);
                true
            }
            None => false,
        }
    }
}

impl VirtualClock {
    /// A clock at the Unix epoch.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock starting at `since_epoch`.
    pub fn starting_at(since_epoch: Duration) -> Self {
        let clock = Self::new();
        clock.shared.move_to(since_epoch);
        clock
    }

    /// Sleeps registered and not yet fired.
    pub fn pending_timers(&self) -> usize {
        let shards = self.shared.shards.iter();
        shards.map(|shard| lock(&shard.0).pending).sum()
    }

    /// Moves time forward by `by`, waking every sleep whose deadline has come.
    pub fn advance(&self, by: Duration) {
        let target = self.shared.now().saturating_add(by);
        self.shared.fire_until(target);
    }

    /// The earliest deadline of the sleeps registered and not yet fired (time since the
    /// epoch), or `None`. A driver that lets this clock follow real time for a while (as
    /// `pollflow run --simulated-time` does while real work runs) parks until then.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.shared.next_deadline()
    }

    /// Jumps to the earliest deadline and wakes the sleeps due then. Returns `false` when no
    /// sleep is pending.
    pub fn advance_to_next_deadline(&self) -> bool {
        self.shared.advance_to_next_deadline()
    }

    /// Wraps `future` so that this clock knows when it waits: whenever every tracked future
    /// of the clock is waiting (none is running, none was woken), time jumps to the earliest
    /// pending deadline. It is [`block_on`](Self::block_on)'s rule for any executor, so runs
    /// spread over a multi-threaded runtime still see simulated time:
    ///
    /// ```
    /// use std::time::Duration;
    /// use pollflow::{Clock, VirtualClock};
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() {
    /// let clock = VirtualClock::new();
    /// // Tracked first, then spawned: time stays put until every one of them waits.
    /// let sleepers: Vec<_> = (1..=8u64)
    ///     .map(|hours| {
    ///         let clock2 = clock.clone();
    ///         clock.track(async move {
    ///             clock2.sleep(Duration::from_secs(3600 * hours)).await;
    ///             clock2.now()
    ///         })
    ///     })
    ///     .collect();
    /// let sleepers: Vec<_> = sleepers.into_iter().map(tokio::spawn).collect();
    /// for (hours, sleeper) in (1..=8u64).zip(sleepers) {
    ///     assert_eq!(sleeper.await.unwrap(), Duration::from_secs(3600 * hours));
    /// }
    /// # }
    /// ```
    ///
    /// A tracked future counts as running from its creation until it first waits: create
    /// them all, then spawn them, or the first to wait moves time before the others start. The clock sees a future as running when its
    /// waker is called; wakes an executor defers until it is otherwise idle (tokio's
    /// `yield_now` and cooperative budget) look like waiting, and futures that are not
    /// tracked are not waited for: keep both, like real I/O, out of simulated time.
    pub fn track<F: Future>(&self, future: F) -> Tracked<F> {
        Tracked::new(self.shared.arc().clone(), future)
    }

    /// Runs `future` to completion on this thread, jumping time forward whenever it waits
    /// only on this clock's sleeps.
    ///
    /// If the future waits on something else (real I/O) while no sleep is pending, the thread
    /// parks until that wakes it; if a sleep is pending, time jumps — so keep other I/O out of
    /// virtual-time runs.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(true),
            thread: thread::current(),
        });
        let waker = waker(signal.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            signal.woken.store(false, Ordering::Release);
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            if signal.woken.load(Ordering::Acquire) || self.advance_to_next_deadline() {
                continue;
            }
            while !signal.woken.load(Ordering::Acquire) {
                thread::park();
            }
        }
    }
}

struct Signal {
    woken: AtomicBool,
    thread: Thread,
}

impl ArcWake for Signal {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::Release);
        arc_self.thread.unpark();
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        self.shared.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self.now().saturating_add(duration);
        Sleep::new(VirtualSleep {
            shared: self.shared.get(),
            deadline,
            shard: 0,
            slot: NO_SLOT,
        })
    }
}

struct VirtualSleep {
    shared: Replica<Shared>,
    deadline: Duration,
    /// The shard it registered in (that of the thread that first polled it).
    shard: u32,
    /// Where this sleep's waker sits in its deadline's bucket, once registered.
    slot: u32,
}

/// [`VirtualSleep::slot`] before the sleep is registered.
const NO_SLOT: u32 = u32::MAX;

impl Future for VirtualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.shared.now() >= this.deadline {
            return Poll::Ready(());
        }
        if this.slot == NO_SLOT {
            // The shard count is a small constant.
            this.shard = this_threads_shard() as u32;
        }
        let mut timers = lock(&this.shared.shards[this.shard as usize].0);
        // Under the shard's lock: a round that fired in between moved the time first.
        if this.shared.now() >= this.deadline {
            return Poll::Ready(());
        }
        let bucket = timers.buckets.entry(this.deadline).or_default();
        match bucket.get_mut(this.slot as usize) {
            // Polled again (perhaps by another task): keep one waker, the latest.
            Some(waker) if this.slot != NO_SLOT => {
                if !waker.will_wake(cx.waker()) {
                    waker.clone_from(cx.waker());
                }
            }
            _ => {
                // A bucket holds fewer wakers than a u32 counts (each is a live sleep).
                this.slot = u32::try_from(bucket.len()).unwrap_or(NO_SLOT);
                bucket.push(cx.waker().clone());
                timers.pending += 1;
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::join;

    #[test]
    fn sleeps_finish_in_deadline_order_at_exact_times() {
        let clock = VirtualClock::starting_at(Duration::from_secs(100));
        let order = std::cell::RefCell::new(Vec::new());
        let sleeper = |secs: u64| {
            let (clock, order) = (&clock, &order);
            async move {
                clock.sleep(Duration::from_secs(secs)).await;
                order.borrow_mut().push((secs, clock.now().as_secs()));
            }
        };
        clock.block_on(join(sleeper(30), join(sleeper(10), sleeper(20))));
        assert_eq!(*order.borrow(), vec![(10, 110), (20, 120), (30, 130)]);
        assert_eq!(clock.pending_timers(), 0);
    }

    #[test]
    fn manual_advance_fires_due_sleeps_only() {
        let clock = VirtualClock::new();
        let mut short = clock.sleep(Duration::from_millis(5));
        let mut long = clock.sleep(Duration::from_millis(50));
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut short).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut long).poll(&mut cx).is_pending());
        assert_eq!(clock.next_deadline(), Some(Duration::from_millis(5)));
        clock.advance(Duration::from_millis(10));
        assert!(Pin::new(&mut short).poll(&mut cx).is_ready());
        assert!(Pin::new(&mut long).poll(&mut cx).is_pending());
        assert_eq!(clock.now(), Duration::from_millis(10));
        assert_eq!(clock.next_deadline(), Some(Duration::from_millis(50)));
        clock.advance(Duration::from_millis(40));
        assert_eq!(clock.next_deadline(), None);
    }
}
