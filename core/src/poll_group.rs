//! Many jobs, few calls: coalesce the checks of concurrent executions into `check_many`.

use std::collections::VecDeque;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;

use crate::clock::{Clock, Sleep};
use crate::error::{names, CheckError, TaskError};
use crate::platform::{async_trait_outside_wasm, BoxFuture};
use crate::poller::{JobStatus, Poller};

/// Wraps a poller so that checks made at the same moment by concurrent executions go out as
/// batched [`Poller::check_many`] calls of at most `max_batch` handles.
///
/// Share one group (it is `Clone`, and `Send + Sync` on native targets) between all engines
/// and threads of a process. Checks queued while the executions run one round are sent
/// together: 10,000 jobs waiting with the same schedule cost `10_000 / max_batch` calls per
/// round. No background task is needed: whichever waiting check is polled drives the batches
/// in flight.
///
/// A full batch goes as soon as it fills. A partial one goes when the round is over: without a
/// linger, the first check of the round yields once to let the others queue theirs, which on
/// one thread is the whole round; runs spread over the threads of a multi-threaded runtime
/// finish a round at different moments, so there use [`PollGroup::lingering`] (a few
/// milliseconds of real time, or any linger on a [`VirtualClock`](crate::VirtualClock)).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pollflow::{async_trait, CheckError, JobStatus, PollGroup, Poller, TaskError};
/// use serde_json::{json, Value};
///
/// #[derive(Default)]
/// struct Jobs { calls: AtomicUsize }
///
/// #[async_trait]
/// impl Poller for Jobs {
///     async fn submit(&self, _: &Value) -> Result<Value, TaskError> { Ok(json!("id")) }
///     async fn check(&self, _: &Value) -> Result<JobStatus, CheckError> { unreachable!("batched") }
///     async fn check_many(&self, ids: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
///         self.calls.fetch_add(1, Ordering::Relaxed);
///         ids.iter().map(|_| Ok(JobStatus::pending("RUNNING"))).collect()
///     }
/// }
///
/// let group = PollGroup::new(Jobs::default(), 100);
/// let checks = (0..250).map(|i| {
///     let group = group.clone();
///     async move { group.check(&json!(i)).await }
/// });
/// let results = futures::executor::block_on(futures::future::join_all(checks));
/// assert_eq!(results.len(), 250);
/// assert_eq!(group.poller().calls.load(Ordering::Relaxed), 3); // 100 + 100 + 50
/// ```
pub struct PollGroup<P> {
    inner: Arc<Inner<P>>,
}

impl<P> Clone for PollGroup<P> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<P> {
    poller: P,
    max_batch: usize,
    /// How long the first check of a batch waits for others, on this clock.
    linger: Option<(Arc<dyn Clock>, Duration)>,
    state: Mutex<Shared>,
}

impl<P> Inner<P> {
    fn shared(&self) -> MutexGuard<'_, Shared> {
        // Every update is finished before anything that can panic (wakers run outside).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type CheckResult = Result<JobStatus, CheckError>;
type Batch = (Vec<Key>, Vec<CheckResult>);

#[derive(Default)]
struct Shared {
    queue: VecDeque<(Key, Value)>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    in_flight: FuturesUnordered<BoxFuture<'static, Batch>>,
    /// A waiter is polling the batches now, outside the lock (`in_flight` holds only the
    /// batches sent since).
    driving: bool,
    /// The open batch's linger timer (none without a linger), and the waiter that closes it.
    window: Option<Sleep>,
    window_owner: Option<Key>,
    /// Checks queued since the window opened.
    arrivals: usize,
    /// The waiter whose waker the in-flight batches wake.
    driver: Option<Key>,
    /// Waiters that may take over driving, oldest first (stale keys are skipped).
    successors: VecDeque<Key>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    index: u32,
    generation: u32,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    occupied: bool,
    result: Option<CheckResult>,
    waker: Option<Waker>,
}

impl<P: Poller + 'static> PollGroup<P> {
    /// A group sending at most `max_batch` handles per `check_many` call (at least 1).
    pub fn new(poller: P, max_batch: usize) -> Self {
        Self::build(poller, max_batch, None)
    }

    /// A group whose batches stay open for `linger` after their first check, so checks due at
    /// *nearly* the same time share a call. With a real clock, executions on the same
    /// schedule drift apart by a few milliseconds per round (more across the threads of a
    /// multi-threaded runtime); a linger of 10–50 ms keeps them together at the cost of that
    /// much latency per check.
    pub fn lingering(
        poller: P,
        max_batch: usize,
        clock: impl Clock + 'static,
        linger: Duration,
    ) -> Self {
        Self::build(poller, max_batch, Some((Arc::new(clock), linger)))
    }

    fn build(poller: P, max_batch: usize, linger: Option<(Arc<dyn Clock>, Duration)>) -> Self {
        Self {
            inner: Arc::new(Inner {
                poller,
                max_batch: max_batch.max(1),
                linger,
                state: Mutex::new(Shared::default()),
            }),
        }
    }

    /// The wrapped poller.
    pub fn poller(&self) -> &P {
        &self.inner.poller
    }

    fn enqueue(&self, handle: Value) -> GroupCheck<P> {
        let mut shared = self.inner.shared();
        let index = shared.free.pop().unwrap_or_else(|| {
            shared.slots.push(Slot::default());
            (shared.slots.len() - 1) as u32
        });
        let slot = &mut shared.slots[index as usize];
        slot.occupied = true;
        let key = Key {
            index,
            generation: slot.generation,
        };
        shared.queue.push_back((key, handle));
        shared.arrivals += 1;
        // A full batch goes at once: the queue never holds more than a batch.
        dispatch(&self.inner, &mut shared, true);
        drop(shared);
        GroupCheck {
            inner: self.inner.clone(),
            key,
            done: false,
        }
    }
}

/// Wakers to call once the lock is released.
type Wakes = Vec<Waker>;

fn wake_all(wakes: Wakes) {
    wakes.into_iter().for_each(Waker::wake);
}

impl Shared {
    fn slot(&mut self, key: Key) -> Option<&mut Slot> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|s| s.occupied && s.generation == key.generation)
    }

    fn release(&mut self, key: Key, wakes: &mut Wakes) {
        if let Some(slot) = self.slot(key) {
            *slot = Slot {
                generation: slot.generation.wrapping_add(1),
                ..Slot::default()
            };
            self.free.push(key.index);
        }
        if self.driver == Some(key) {
            self.driver = None;
            self.hand_off(wakes);
        }
        if self.window_owner == Some(key) {
            self.window_owner = None;
            // Another queued check must take over the open window.
            let next = self.queue.front().map(|(k, _)| *k);
            if let Some(waker) = next
                .and_then(|k| self.slot(k))
                .and_then(|s| s.waker.clone())
            {
                wakes.push(waker);
            }
        }
    }

    /// Wakes a waiter that is still waiting, so the batches in flight keep a driver.
    fn hand_off(&mut self, wakes: &mut Wakes) {
        if self.in_flight.is_empty() && !self.driving {
            // No batch is out: no waiter waits for one.
            self.successors.clear();
            return;
        }
        while let Some(key) = self.successors.pop_front() {
            if let Some(slot) = self.slot(key).filter(|s| s.result.is_none()) {
                if let Some(waker) = &slot.waker {
                    wakes.push(waker.clone());
                    return;
                }
            }
        }
    }

    fn deliver(&mut self, (keys, results): Batch, wakes: &mut Wakes) {
        let mut results = results.into_iter();
        let sent = keys.len();
        for key in keys {
            let result = results.next().unwrap_or_else(|| {
                Err(CheckError::Fatal(TaskError::new(
                    names::BATCH_MISMATCH,
                    format!(
                        "check_many returned fewer results than the {sent} handles it was given"
                    ),
                )))
            });
            if let Some(slot) = self.slot(key) {
                slot.result = Some(result);
                wakes.extend(slot.waker.take());
            }
        }
    }
}

/// One execution's check, waiting for its batch.
struct GroupCheck<P> {
    inner: Arc<Inner<P>>,
    key: Key,
    done: bool,
}

impl<P: Poller + 'static> GroupCheck<P> {
    fn take_result(&mut self, shared: &mut Shared, wakes: &mut Wakes) -> Option<CheckResult> {
        let result = shared.slot(self.key)?.result.take()?;
        shared.release(self.key, wakes);
        self.done = true;
        Some(result)
    }

    /// Queues, opens or closes the round's window: the part of a poll that needs no batch.
    fn window(&mut self, shared: &mut Shared, cx: &mut Context<'_>) -> Poll<()> {
        if shared.queue.is_empty() {
            return Poll::Ready(());
        }
        match &self.inner.linger {
            // The first check of a round yields once, so that the rest of the round can queue
            // theirs; then it sends them all.
            None if shared.window_owner.is_none() => {
                shared.window_owner = Some(self.key);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            None if shared.window_owner == Some(self.key) => {
                shared.window_owner = None;
                dispatch(&self.inner, shared, false);
            }
            None => {}
            Some((clock, linger)) => {
                if shared.window.is_none() {
                    shared.window = Some(clock.sleep(*linger));
                    shared.arrivals = 0;
                }
                let window = shared.window.as_mut().expect("opened above");
                if Pin::new(window).poll(cx).is_ready() {
                    shared.window = None;
                    shared.window_owner = None;
                    // While checks keep arriving, a partial batch waits one more window for
                    // company; once they stop, it goes.
                    let still_arriving = shared.arrivals > 0;
                    dispatch(&self.inner, shared, still_arriving);
                    if !shared.queue.is_empty() {
                        cx.waker().wake_by_ref();
                    }
                } else {
                    shared.window_owner = Some(self.key);
                }
            }
        }
        Poll::Ready(())
    }
}

/// Sends the queued checks: full batches always; a last, partial batch only when
/// `keep_partial` is false.
fn dispatch<P: Poller + 'static>(inner: &Arc<Inner<P>>, shared: &mut Shared, keep_partial: bool) {
    while shared.queue.len() >= inner.max_batch || (!keep_partial && !shared.queue.is_empty()) {
        let take = shared.queue.len().min(inner.max_batch);
        let (keys, handles): (Vec<Key>, Vec<Value>) = shared.queue.drain(..take).unzip();
        shared.successors.extend(keys.iter().copied());
        let inner = inner.clone();
        shared.in_flight.push(Box::pin(async move {
            let results = inner.poller.check_many(&handles).await;
            (keys, results)
        }));
    }
}

impl<P: Poller + 'static> Future for GroupCheck<P> {
    type Output = CheckResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CheckResult> {
        let this = self.get_mut();
        let inner = this.inner.clone();
        let mut wakes = Wakes::new();
        let mut in_flight = {
            let mut shared = inner.shared();
            if let Some(result) = this.take_result(&mut shared, &mut wakes) {
                drop(shared);
                wake_all(wakes);
                return Poll::Ready(result);
            }
            if let Some(slot) = shared.slot(this.key) {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    slot.waker = Some(cx.waker().clone());
                }
            }
            if this.window(&mut shared, cx).is_pending() || shared.driving {
                // Another thread drives the batches: it delivers this result, or hands off.
                return Poll::Pending;
            }
            shared.driving = true;
            shared.driver = Some(this.key);
            mem::take(&mut shared.in_flight)
        };
        // Drive the batches without holding the lock: `check_many` may use the group, and
        // other threads queue checks meanwhile. Batches sent meanwhile are polled too.
        loop {
            let mut finished = Vec::new();
            while let Poll::Ready(Some(batch)) = in_flight.poll_next_unpin(cx) {
                finished.push(batch);
            }
            let mut shared = inner.shared();
            for batch in finished {
                shared.deliver(batch, &mut wakes);
            }
            let sent = mem::take(&mut shared.in_flight);
            if sent.is_empty() {
                shared.in_flight = in_flight;
                shared.driving = false;
                let result = this.take_result(&mut shared, &mut wakes);
                drop(shared);
                wake_all(mem::take(&mut wakes));
                return result.map_or(Poll::Pending, Poll::Ready);
            }
            drop(shared);
            in_flight.extend(sent);
        }
    }
}

impl<P> Drop for GroupCheck<P> {
    fn drop(&mut self) {
        if !self.done {
            let mut wakes = Wakes::new();
            let mut shared = self.inner.shared();
            shared.queue.retain(|(key, _)| *key != self.key);
            shared.release(self.key, &mut wakes);
            drop(shared);
            wake_all(wakes);
        }
    }
}

async_trait_outside_wasm! {
impl<P: Poller + 'static> Poller for PollGroup<P> {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        self.inner.poller.submit(input).await
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.enqueue(handle.clone()).await
    }

    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        self.inner.poller.check_many(handles).await
    }

    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        self.inner.poller.cancel(handle, reason).await
    }

    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        self.inner.poller.submit_keyed(input, key).await
    }

    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        self.inner.poller.find_submitted(input, key).await
    }

    fn submit_window(&self) -> Duration {
        self.inner.poller.submit_window()
    }
}
}
