//! Waking JS: an execution is polled from JS; when it has to wait (a callback's promise, a
//! timer, an abort), JS parks on a promise and the run's waker resolves it.
//!
//! A `Waker` must be `Send + Sync` and JS functions are neither, so the waker carries only the
//! execution's number, and the promise's `resolve` lives here, on the thread, under that number.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Wake, Waker};

use js_sys::Function;
use wasm_bindgen::JsValue;

use crate::slab::Slab;

thread_local! {
    /// The parkers by number. Numbers are reused: a stale waker then wakes another execution
    /// for nothing (it polls, finds nothing to do, and parks again).
    static PARKED: RefCell<Slab<Weak<Parker>>> = const { RefCell::new(Slab::new()) };
}

/// Where an execution's JS side waits to be woken.
#[derive(Debug)]
pub(crate) struct Parker {
    id: usize,
    /// Woken while nobody was parked: the next `park` resumes at once.
    woken: Cell<bool>,
    resume: RefCell<Option<Function>>,
}

impl Parker {
    /// A parker and the waker that wakes it.
    pub(crate) fn new() -> (Rc<Self>, Waker) {
        let parker = Rc::new_cyclic(|weak: &Weak<Self>| Self {
            id: PARKED.with(|parked| parked.borrow_mut().insert(weak.clone())),
            woken: Cell::new(false),
            resume: RefCell::new(None),
        });
        let waker = Waker::from(Arc::new(ById(parker.id)));
        (parker, waker)
    }

    /// Forgets earlier wake-ups: called before polling, which will see their cause.
    pub(crate) fn reset(&self) {
        self.woken.set(false);
    }

    /// Calls `resume` when woken (at once if woken since the last poll).
    pub(crate) fn park(&self, resume: Function) {
        if self.woken.replace(false) {
            let _ = resume.call0(&JsValue::UNDEFINED);
        } else {
            *self.resume.borrow_mut() = Some(resume);
        }
    }

    /// No more wake-ups: the run ended.
    pub(crate) fn retire(&self) {
        self.resume.borrow_mut().take();
        self.release();
    }

    /// Frees this parker's number (once).
    fn release(&self) {
        // `try_with`: the thread's storage may already be gone when the thread ends.
        let _ = PARKED.try_with(|parked| {
            let mut parked = parked.borrow_mut();
            if parked
                .get(self.id)
                .is_some_and(|p| std::ptr::eq(p.as_ptr(), self))
            {
                parked.remove(self.id);
            }
        });
    }

    fn wake(&self) {
        let resume = self.resume.borrow_mut().take();
        match resume {
            Some(resume) => {
                let _ = resume.call0(&JsValue::UNDEFINED);
            }
            None => self.woken.set(true),
        }
    }
}

impl Drop for Parker {
    fn drop(&mut self) {
        self.release();
    }
}

/// A waker naming its parker by number.
struct ById(usize);

impl Wake for ById {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parker = PARKED.with(|parked| parked.borrow().get(self.0).and_then(Weak::upgrade));
        if let Some(parker) = parker {
            parker.wake();
        }
    }
}
