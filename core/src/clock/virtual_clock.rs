//! A clock that jumps straight to the next deadline whenever every task is waiting.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use futures::task::{waker, ArcWake};

use super::{Clock, Sleep};

/// Simulated time: a workflow that waits for days finishes in microseconds.
///
/// Time moves only when [`VirtualClock::block_on`] finds nothing left to do but wait (or when
/// [`advance`](VirtualClock::advance) is called); it then jumps to the earliest pending
/// deadline. Every run is deterministic. Cloning shares the clock.
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
#[derive(Clone, Default)]
pub struct VirtualClock {
    inner: Rc<RefCell<Timers>>,
}

/// Sleeps grouped by deadline: executions on the same schedule share one bucket, so
/// registering and firing are O(1) per sleep for them, not a heap's O(log n).
#[derive(Default)]
struct Timers {
    now: Duration,
    buckets: BTreeMap<Duration, Vec<Waker>>,
    pending: usize,
}

impl VirtualClock {
    /// A clock at the Unix epoch.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock starting at `since_epoch`.
    pub fn starting_at(since_epoch: Duration) -> Self {
        let clock = Self::new();
        clock.inner.borrow_mut().now = since_epoch;
        clock
    }

    /// Sleeps registered and not yet fired.
    pub fn pending_timers(&self) -> usize {
        self.inner.borrow().pending
    }

    /// Moves time forward by `by`, waking every sleep whose deadline has come.
    pub fn advance(&self, by: Duration) {
        let target = self.inner.borrow().now + by;
        self.fire_until(target);
    }

    /// The earliest deadline of the sleeps registered and not yet fired (time since the
    /// epoch), or `None`. A driver that lets this clock follow real time for a while (as
    /// `pollflow run --simulated-time` does while real work runs) parks until then.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.inner.borrow().buckets.keys().next().copied()
    }

    /// Jumps to the earliest deadline and wakes the sleeps due then. Returns `false` when no
    /// sleep is pending.
    pub fn advance_to_next_deadline(&self) -> bool {
        let next = self.next_deadline();
        match next {
            Some(deadline) => {
                self.fire_until(deadline);
                true
            }
            None => false,
        }
    }

    fn fire_until(&self, target: Duration) {
        let due = {
            let mut timers = self.inner.borrow_mut();
            timers.now = timers.now.max(target);
            let mut due = Vec::new();
            while let Some(bucket) = timers.buckets.first_entry().filter(|b| *b.key() <= target) {
                due.push(bucket.remove());
            }
            timers.pending -= due.iter().map(Vec::len).sum::<usize>();
            due
        };
        // Wake outside the borrow (a woken task may sleep again at once), in deadline order,
        // and in registration order within a deadline.
        due.into_iter().flatten().for_each(Waker::wake);
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
        self.inner.borrow().now
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self.now().saturating_add(duration);
        Box::pin(VirtualSleep {
            timers: self.inner.clone(),
            deadline,
            slot: None,
        })
    }
}

struct VirtualSleep {
    timers: Rc<RefCell<Timers>>,
    deadline: Duration,
    /// Where this sleep's waker sits in its deadline's bucket, once registered.
    slot: Option<usize>,
}

impl Future for VirtualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut timers = this.timers.borrow_mut();
        if timers.now >= this.deadline {
            return Poll::Ready(());
        }
        let bucket = timers.buckets.entry(this.deadline).or_default();
        match this.slot.and_then(|i| bucket.get_mut(i)) {
            // Polled again (perhaps by another task): keep one waker, the latest.
            Some(waker) => {
                if !waker.will_wake(cx.waker()) {
                    waker.clone_from(cx.waker());
                }
            }
            None => {
                this.slot = Some(bucket.len());
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
        let order = RefCell::new(Vec::new());
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
        assert!(short.as_mut().poll(&mut cx).is_pending());
        assert!(long.as_mut().poll(&mut cx).is_pending());
        assert_eq!(clock.next_deadline(), Some(Duration::from_millis(5)));
        clock.advance(Duration::from_millis(10));
        assert!(short.as_mut().poll(&mut cx).is_ready());
        assert!(long.as_mut().poll(&mut cx).is_pending());
        assert_eq!(clock.now(), Duration::from_millis(10));
        assert_eq!(clock.next_deadline(), Some(Duration::from_millis(50)));
        clock.advance(Duration::from_millis(40));
        assert_eq!(clock.next_deadline(), None);
    }
}
