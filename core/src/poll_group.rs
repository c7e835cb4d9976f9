//! Many jobs, few calls: coalesce the checks of concurrent executions into `check_many`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;

use crate::clock::{Clock, Sleep};
use crate::error::{names, CheckError, TaskError};
use crate::poller::{JobStatus, Poller};

/// Wraps a poller so that checks made at the same moment by concurrent executions go out as
/// batched [`Poller::check_many`] calls of at most `max_batch` handles.
///
/// Share one group (it is `Clone`) between all engines of a process. Checks queued while the
/// executions run one round are sent together: 10,000 jobs waiting with the same schedule
/// cost `10_000 / max_batch` calls per round. No background task is needed: whichever waiting
/// check is polled drives the batches in flight.
///
/// ```
/// use pollflow::{async_trait, CheckError, JobStatus, PollGroup, Poller, TaskError};
/// use serde_json::{json, Value};
/// use std::cell::Cell;
///
/// #[derive(Default)]
/// struct Jobs { calls: Cell<usize> }
///
/// #[async_trait(?Send)]
/// impl Poller for Jobs {
///     async fn submit(&self, _: &Value) -> Result<Value, TaskError> { Ok(json!("id")) }
///     async fn check(&self, _: &Value) -> Result<JobStatus, CheckError> { unreachable!("batched") }
///     async fn check_many(&self, ids: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
///         self.calls.set(self.calls.get() + 1);
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
/// assert_eq!(group.poller().calls.get(), 3); // 100 + 100 + 50
/// ```
pub struct PollGroup<P> {
    inner: Rc<Inner<P>>,
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
    linger: Option<(Rc<dyn Clock>, Duration)>,
    state: RefCell<Shared>,
}

type CheckResult = Result<JobStatus, CheckError>;
type Batch = (Vec<Key>, Vec<CheckResult>);

#[derive(Default)]
struct Shared {
    queue: VecDeque<(Key, Value)>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    in_flight: FuturesUnordered<LocalBoxFuture<'static, Batch>>,
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
    /// schedule drift apart by a few milliseconds per round; a linger of 10–50 ms keeps them
    /// together at the cost of that much latency per check.
    pub fn lingering(
        poller: P,
        max_batch: usize,
        clock: impl Clock + 'static,
        linger: Duration,
    ) -> Self {
        Self::build(poller, max_batch, Some((Rc::new(clock), linger)))
    }

    fn build(poller: P, max_batch: usize, linger: Option<(Rc<dyn Clock>, Duration)>) -> Self {
        Self {
            inner: Rc::new(Inner {
                poller,
                max_batch: max_batch.max(1),
                linger,
                state: RefCell::new(Shared::default()),
            }),
        }
    }

    /// The wrapped poller.
    pub fn poller(&self) -> &P {
        &self.inner.poller
    }

    fn enqueue(&self, handle: Value) -> GroupCheck<P> {
        let mut shared = self.inner.state.borrow_mut();
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
        GroupCheck {
            inner: self.inner.clone(),
            key,
            done: false,
        }
    }
}

impl Shared {
    fn slot(&mut self, key: Key) -> Option<&mut Slot> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|s| s.occupied && s.generation == key.generation)
    }

    fn release(&mut self, key: Key) {
        if let Some(slot) = self.slot(key) {
            *slot = Slot {
                generation: slot.generation.wrapping_add(1),
                ..Slot::default()
            };
            self.free.push(key.index);
        }
        if self.driver == Some(key) {
            self.driver = None;
            self.hand_off();
        }
        if self.window_owner == Some(key) {
            self.window_owner = None;
            // Another queued check must take over the open window.
            let next = self.queue.front().map(|(k, _)| *k);
            if let Some(waker) = next
                .and_then(|k| self.slot(k))
                .and_then(|s| s.waker.as_ref())
            {
                waker.wake_by_ref();
            }
        }
    }

    /// Wakes a waiter that is still waiting, so the batches in flight keep a driver.
    fn hand_off(&mut self) {
        if self.in_flight.is_empty() {
            return;
        }
        while let Some(key) = self.successors.pop_front() {
            if let Some(slot) = self.slot(key).filter(|s| s.result.is_none()) {
                if let Some(waker) = &slot.waker {
                    waker.wake_by_ref();
                    return;
                }
            }
        }
    }

    fn deliver(&mut self, (keys, results): Batch) {
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
                if let Some(waker) = slot.waker.take() {
                    waker.wake();
                }
            }
        }
    }
}

/// One execution's check, waiting for its batch.
struct GroupCheck<P> {
    inner: Rc<Inner<P>>,
    key: Key,
    done: bool,
}

impl<P: Poller + 'static> GroupCheck<P> {
    fn take_result(&mut self, shared: &mut Shared) -> Option<CheckResult> {
        let result = shared.slot(self.key)?.result.take()?;
        shared.release(self.key);
        self.done = true;
        Some(result)
    }
}

/// Sends the queued checks: full batches always; a last, partial batch only when
/// `keep_partial` is false.
fn dispatch<P: Poller + 'static>(inner: &Rc<Inner<P>>, shared: &mut Shared, keep_partial: bool) {
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
        {
            let mut shared = inner.state.borrow_mut();
            if let Some(result) = this.take_result(&mut shared) {
                return Poll::Ready(result);
            }
            if let Some(slot) = shared.slot(this.key) {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    slot.waker = Some(cx.waker().clone());
                }
            }
            if !shared.queue.is_empty() {
                match &this.inner.linger {
                    // The first check of a round yields once, so that the rest of the round
                    // can queue theirs; then it sends them all.
                    None if shared.window_owner.is_none() => {
                        shared.window_owner = Some(this.key);
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    None if shared.window_owner == Some(this.key) => {
                        shared.window_owner = None;
                        dispatch(&this.inner, &mut shared, false);
                    }
                    None => {}
                    Some((clock, linger)) => {
                        if shared.window.is_none() {
                            shared.window = Some(clock.sleep(*linger));
                            shared.arrivals = 0;
                        }
                        let window = shared.window.as_mut().expect("opened above");
                        if window.as_mut().poll(cx).is_ready() {
                            shared.window = None;
                            shared.window_owner = None;
                            // While checks keep arriving, a partial batch waits one more
                            // window for company; once they stop, it goes.
                            let still_arriving = shared.arrivals > 0;
                            dispatch(&this.inner, &mut shared, still_arriving);
                            if !shared.queue.is_empty() {
                                cx.waker().wake_by_ref();
                            }
                        } else {
                            shared.window_owner = Some(this.key);
                        }
                    }
                }
            }
            shared.driver = Some(this.key);
        }
        // Drive the batches without holding the borrow: `check_many` may use the group.
        let mut in_flight = mem::take(&mut inner.state.borrow_mut().in_flight);
        let mut finished = Vec::new();
        while let Poll::Ready(Some(batch)) = in_flight.poll_next_unpin(cx) {
            finished.push(batch);
        }
        let mut shared = inner.state.borrow_mut();
        for future in mem::take(&mut shared.in_flight) {
            in_flight.push(future);
        }
        shared.in_flight = in_flight;
        for batch in finished {
            shared.deliver(batch);
        }
        match this.take_result(&mut shared) {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }
}

impl<P> Drop for GroupCheck<P> {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(mut shared) = self.inner.state.try_borrow_mut() {
                shared.queue.retain(|(key, _)| *key != self.key);
                shared.release(self.key);
            }
        }
    }
}

#[async_trait(?Send)]
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
}
