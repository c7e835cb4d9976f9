//! What the JS wrapper lends the engine, as plain functions: awaiting a promise, and sleeping
//! on the host's timers. Nothing here hands JS a Rust closure: JS reports back through the
//! export `settle`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::slab::Slab;

/// A promise being awaited: its result once settled, and who to wake then.
#[derive(Default)]
struct Call {
    result: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
}

struct Calls {
    /// The wrapper's `wait` and `sleep` (see [`set_host`]).
    wait: Option<Function>,
    sleep: Option<Function>,
    /// The promises awaited, by the number `wait` passes back to `settle`.
    awaited: Slab<Rc<Call>>,
}

thread_local! {
    static CALLS: RefCell<Calls> = const {
        RefCell::new(Calls {
            wait: None,
            sleep: None,
            awaited: Slab::new(),
        })
    };
}

/// Called once by the wrapper: `wait(promise, id)` and `sleep(ms, id)` call
/// `settle(id, value, fulfilled)` once `promise` (or thenable) settles, once `ms` passed.
/// Returns where in memory `Execution.poll` leaves an event's numbers.
#[wasm_bindgen(js_name = setHost)]
pub fn set_host(wait: Function, sleep: Function) -> usize {
    CALLS.with(|calls| {
        let mut calls = calls.borrow_mut();
        calls.wait = Some(wait);
        calls.sleep = Some(sleep);
    });
    crate::event_slot()
}

/// A promise `wait`ed for settled, or a `sleep` ended.
#[wasm_bindgen]
pub fn settle(id: usize, value: JsValue, fulfilled: bool) {
    // A call dropped meanwhile (its run was aborted) drops the result.
    let Some(call) = CALLS.with(|calls| calls.borrow_mut().awaited.remove(id)) else {
        return;
    };
    *call.result.borrow_mut() = Some(if fulfilled { Ok(value) } else { Err(value) });
    let waker = call.waker.borrow_mut().take();
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The result of `promise` (or thenable): its value, or what it rejected with.
pub(crate) fn settled(promise: &JsValue) -> Settled {
    register(|calls| calls.wait.clone(), promise)
}

/// A sleep of `ms` milliseconds on the host's timers.
pub(crate) fn slept(ms: f64) -> Settled {
    register(|calls| calls.sleep.clone(), &ms.into())
}

/// A call of the wrapper's `wait` or `sleep` with `arg`, to be settled.
fn register(host: fn(&Calls) -> Option<Function>, arg: &JsValue) -> Settled {
    let call = Rc::new(Call::default());
    let registered = CALLS.with(|calls| {
        let mut calls = calls.borrow_mut();
        let f = host(&calls)?;
        Some((f, calls.awaited.insert(call.clone())))
    });
    match registered {
        Some((f, id)) => {
            if let Err(thrown) = f.call2(&JsValue::UNDEFINED, arg, &JsValue::from(id)) {
                settle(id, thrown, false);
            }
        }
        None => *call.result.borrow_mut() = Some(Err("pollflow: setHost was not called".into())),
    }
    Settled(call)
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
