//! What the JS wrapper lends the engine (see [`set_host`]): awaiting a promise, sleeping on the
//! host's timers, and resuming a parked execution. Nothing here hands JS a Rust closure: JS
//! reports back through the exports `settle` and `ring`. The host's methods take and return
//! numbers where they can: a number crosses for free, a JS value takes a slot in a table.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;

use crate::slab::Slab;

#[wasm_bindgen]
extern "C" {
    /// The wrapper's host object (see [`set_host`]).
    pub type Host;

    /// Calls `settle(id, value, fulfilled)` once `promise` (or thenable) settles.
    #[wasm_bindgen(method)]
    fn wait(this: &Host, promise: &JsValue, id: u32);

    /// Calls `ring(id)` once `ms` milliseconds passed.
    #[wasm_bindgen(method)]
    fn sleep(this: &Host, ms: f64, id: u32);

    /// Forgets the sleep `id`, clearing its timer when no other sleep is on it: a run that no
    /// longer waits does not keep the host (Node) alive.
    #[cfg(feature = "push")]
    #[wasm_bindgen(method)]
    fn unsleep(this: &Host, id: u32);

    /// Resumes the execution parked under number `parker` (see `Execution.park`).
    #[wasm_bindgen(method)]
    pub(crate) fn resume(this: &Host, parker: u32);
}

/// A promise being awaited or a sleep: its result once settled, and who to wake then.
#[derive(Default)]
struct Call {
    result: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
}

thread_local! {
    /// The wrapper's host (see [`set_host`]).
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
    /// The calls pending, by the number `wait` and `sleep` pass back.
    static AWAITED: RefCell<Slab<Rc<Call>>> = const { RefCell::new(Slab::new()) };
}

/// Called once by the wrapper with `{ wait(promise, id), sleep(ms, id), resume(parker) }`.
/// Returns where in memory `Execution.poll` leaves an event's numbers (see `wire`).
#[wasm_bindgen(js_name = setHost)]
pub fn set_host(host: Host) -> usize {
    HOST.with(|h| *h.borrow_mut() = Some(host));
    crate::wire::slot_at()
}

/// Runs `f` with the host; `None` before `setHost`.
pub(crate) fn with_host<T>(f: impl FnOnce(&Host) -> T) -> Option<T> {
    HOST.with(|host| host.borrow().as_ref().map(f))
}

/// A promise `wait`ed for settled.
#[wasm_bindgen]
pub fn settle(id: u32, value: JsValue, fulfilled: bool) {
    finish(id, if fulfilled { Ok(value) } else { Err(value) });
}

/// A `sleep` ended.
#[wasm_bindgen]
pub fn ring(id: u32) {
    finish(id, Ok(JsValue::UNDEFINED));
}

fn finish(id: u32, result: Result<JsValue, JsValue>) {
    // A call dropped meanwhile (its run was aborted) drops the result.
    let Some(call) = AWAITED.with(|awaited| awaited.borrow_mut().remove(id as usize)) else {
        return;
    };
    *call.result.borrow_mut() = Some(result);
    let waker = call.waker.borrow_mut().take();
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The result of `promise` (or thenable): its value, or what it rejected with.
pub(crate) fn settled(promise: &JsValue) -> Settled {
    register(|host, id| host.wait(promise, id)).0
}

/// A sleep of `ms` milliseconds on the host's timers.
pub(crate) fn slept(ms: f64) -> Slept {
    let (settled, id) = register(|host, id| host.sleep(ms, id));
    #[cfg(not(feature = "push"))]
    let _ = id;
    Slept {
        settled,
        #[cfg(feature = "push")]
        id,
    }
}

/// A call numbered for `start(host, id)` to report back under, and its number.
fn register(start: impl FnOnce(&Host, u32)) -> (Settled, u32) {
    let call = Rc::new(Call::default());
    let id = AWAITED.with(|awaited| awaited.borrow_mut().insert(call.clone()) as u32);
    if with_host(|host| start(host, id)).is_none() {
        finish(id, Err("pollflow: setHost was not called".into()));
    }
    (Settled(call), id)
}

/// The future of [`slept`]. In the engine that takes pushes, whose sleeps a push often cuts
/// short, dropping it before it rang clears its timer.
pub(crate) struct Slept {
    settled: Settled,
    /// Its number.
    #[cfg(feature = "push")]
    id: u32,
}

impl Future for Slept {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.settled).poll(cx)
    }
}

#[cfg(feature = "push")]
impl Drop for Slept {
    fn drop(&mut self) {
        // Still registered as this sleep (a number is reused once its call finished).
        let pending = AWAITED.with(|awaited| {
            let mut awaited = awaited.borrow_mut();
            let mine = awaited
                .get(self.id as usize)
                .is_some_and(|call| Rc::ptr_eq(call, &self.settled.0));
            mine && awaited.remove(self.id as usize).is_some()
        });
        if pending {
            with_host(|host| host.unsleep(self.id));
        }
    }
}

/// The future of [`settled`] and [`slept`].
pub(crate) struct Settled(Rc<Call>);

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.0.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        *self.0.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
