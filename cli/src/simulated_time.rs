//! `--simulated-time`: waits take no time, real work takes its real time.
//!
//! The run goes on a [`VirtualClock`]. When nothing but its sleeps is pending, the clock jumps
//! to the next deadline, as [`VirtualClock::block_on`] does. While real work is in flight (a
//! shell command, a local Batch job) it does not jump: it follows the wall clock instead, so a
//! task's `TimeoutSeconds` or the polls of a `.sync` job measure the work in real seconds, and
//! a Wait that overlaps real work lasts as long as it says.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

use pollflow::{Clock, VirtualClock};

use crate::real_work::RealWork;

/// Runs `future` on this thread to completion on `clock`, moving the clock as the module
/// says.
pub(crate) fn block_on<F: Future>(clock: &VirtualClock, work: &RealWork, future: F) -> F::Output {
    let signal = Arc::new(Signal {
        woken: AtomicBool::new(true),
        thread: thread::current(),
    });
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    // Since when the clock follows the wall clock (real work was in flight).
    let mut following: Option<Instant> = None;
    loop {
        if let Some(since) = following.take() {
            clock.advance(since.elapsed());
        }
        let polled_at = Instant::now();
        signal.woken.store(false, Ordering::Release);
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        if work.in_flight() {
            following = Some(polled_at);
            if !signal.woken.load(Ordering::Acquire) {
                match clock.next_deadline() {
                    Some(deadline) => {
                        let left = deadline.saturating_sub(clock.now());
                        thread::park_timeout(left.saturating_sub(polled_at.elapsed()));
                    }
                    None => thread::park(),
                }
            }
        } else if !signal.woken.load(Ordering::Acquire) && !clock.advance_to_next_deadline() {
            // Waiting on something other than time (a signal, a cancel call).
            thread::park();
        }
    }
}

/// Wakes the driving thread.
struct Signal {
    woken: AtomicBool,
    thread: Thread,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
