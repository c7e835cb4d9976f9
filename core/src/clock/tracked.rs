//! [`VirtualClock::track`](super::VirtualClock::track): simulated time on any executor.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;

use super::virtual_clock::Shared;

/// A future whose waiting the [`VirtualClock`](super::VirtualClock) sees; made by
/// [`VirtualClock::track`](super::VirtualClock::track).
#[must_use = "futures do nothing unless polled"]
#[pin_project::pin_project(PinnedDrop)]
pub struct Tracked<F> {
    #[pin]
    future: F,
    tracker: Arc<Tracker>,
    waker: Waker,
}

/// Running or woken: counted in `Shared::active`.
const ACTIVE: u8 = 0;
/// Being polled, not woken since the poll began: counted.
const POLLING: u8 = 1;
/// Waiting: not counted.
const IDLE: u8 = 2;
/// Finished or dropped: not counted, never again.
const DONE: u8 = 3;

struct Tracker {
    state: AtomicU8,
    clock: Arc<Shared>,
    /// The executor's waker, which the tracker's own waker forwards to.
    outer: AtomicWaker,
}

impl<F> Tracked<F> {
    pub(super) fn new(clock: Arc<Shared>, future: F) -> Self {
        clock.active.0.fetch_add(1, Ordering::AcqRel);
        let tracker = Arc::new(Tracker {
            state: AtomicU8::new(ACTIVE),
            clock,
            outer: AtomicWaker::new(),
        });
        Self {
            future,
            waker: Waker::from(tracker.clone()),
            tracker,
        }
    }
}

impl Tracker {
    /// Stops counting this future; the last to stop moves time on.
    fn leave(&self) {
        if self.clock.active.0.fetch_sub(1, Ordering::AcqRel) == 1 {
            advance(&self.clock);
        }
    }
}

/// Every tracked future waits: jump to the next deadline. While the due sleeps are woken this
/// counts as running, so that a woken future that waits again at once cannot move time past
/// sleeps due now and not yet woken; if all are waiting again by then, jump again.
fn advance(clock: &Shared) {
    loop {
        clock.active.0.fetch_add(1, Ordering::AcqRel);
        let fired = clock.advance_to_next_deadline();
        if clock.active.0.fetch_sub(1, Ordering::AcqRel) != 1 || !fired {
            return;
        }
    }
}

impl Wake for Tracker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // A compare-exchange loop rather than `fetch_update`, which newer toolchains deprecate
        // under another name that older ones (the MSRV) do not have.
        let mut was = self.state.load(Ordering::Acquire);
        while matches!(was, IDLE | POLLING) {
            match self
                .state
                .compare_exchange_weak(was, ACTIVE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(now) => was = now,
            }
        }
        if was == IDLE {
            self.clock.active.0.fetch_add(1, Ordering::AcqRel);
        }
        self.outer.wake();
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let tracker = &**this.tracker;
        tracker.outer.register(cx.waker());
        if tracker.state.load(Ordering::Acquire) == DONE {
            // Polled after it finished: the inner future decides what that means.
            return this.future.poll(&mut Context::from_waker(this.waker));
        }
        if tracker.state.swap(POLLING, Ordering::AcqRel) == IDLE {
            // Polled without a wake (a spurious poll): count it while it runs.
            tracker.clock.active.0.fetch_add(1, Ordering::AcqRel);
        }
        let polled = this.future.poll(&mut Context::from_waker(this.waker));
        if polled.is_ready() {
            tracker.state.store(DONE, Ordering::Release);
            tracker.leave();
        } else if tracker
            .state
            .compare_exchange(POLLING, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            tracker.leave();
        }
        polled
    }
}

#[pin_project::pinned_drop]
impl<F> PinnedDrop for Tracked<F> {
    fn drop(self: Pin<&mut Self>) {
        let tracker = &self.tracker;
        if matches!(tracker.state.swap(DONE, Ordering::AcqRel), ACTIVE | POLLING) {
            tracker.leave();
        }
    }
}
