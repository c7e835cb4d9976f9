//! Waking JS: an execution is polled from JS; when it has to wait (a callback's promise, a
//! timer, an abort), JS parks it (`Execution.park`) and the run's waker resumes it through the
//! host (`resume(parker)`, see [`crate::host`]).
//!
//! A `Waker` must be `Send + Sync` and JS values are neither, so the waker carries only the
//! parker's number, and the parker lives here, on the thread, under that number.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Wake, Waker};

use crate::slab::Slab;

thread_local! {
    /// The parkers by number. Numbers are reused: a stale waker then wakes another execution
    /// for nothing (it polls, finds nothing to do, and parks again).
    static PARKED: RefCell<Slab<Weak<Parker>>> = const { RefCell::new(Slab::new()) };
}

/// Where an execution's JS side waits to be woken.
#[derive(Debug)]
pub(crate) struct Parker {
    id: u32,
    /// Woken while JS was not parked: the next `park` resumes at once.
    woken: Cell<bool>,
    /// JS is parked: the next wake-up resumes it.
    parked: Cell<bool>,
}

impl Parker {
    /// A parker and the waker that wakes it.
    pub(crate) fn new() -> (Rc<Self>, Waker) {
        let parker = Rc::new_cyclic(|weak: &Weak<Self>| Self {
            id: PARKED.with(|parked| parked.borrow_mut().insert(weak.clone())) as u32,
            woken: Cell::new(false),
            parked: Cell::new(false),
        });
        let waker = Waker::from(Arc::new(ById(parker.id)));
        (parker, waker)
    }

    /// The number JS resumes this parker under.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// Forgets earlier wake-ups: called before polling, which will see their cause.
    pub(crate) fn reset(&self) {
        self.woken.set(false);
    }

    /// JS parks: false if it was woken since the last poll (JS goes on at once); otherwise
    /// the next wake-up calls the host's `resume`.
    pub(crate) fn park(&self) -> bool {
        if self.woken.replace(false) {
            return false;
        }
        self.parked.set(true);
        true
    }

    /// No more wake-ups: the run ended.
    pub(crate) fn retire(&self) {
        self.parked.set(false);
        self.release();
    }

    /// Frees this parker's number (once).
    fn release(&self) {
        // `try_with`: the thread's storage may already be gone when the thread ends.
        let _ = PARKED.try_with(|parked| {
            let mut parked = parked.borrow_mut();
            if parked
                .get(self.id as usize)
                .is_some_and(|p| std::ptr::eq(p.as_ptr(), self))
            {
                parked.remove(self.id as usize);
            }
        });
    }

    fn wake(&self) {
        if self.parked.replace(false) {
            crate::host::with_host(|host| host.resume(self.id));
        } else {
            self.woken.set(true);
        }
    }
}

impl Drop for Parker {
    fn drop(&mut self) {
        self.release();
    }
}

/// A waker naming its parker by number.
struct ById(u32);

impl Wake for ById {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parker =
            PARKED.with(|parked| parked.borrow().get(self.0 as usize).and_then(Weak::upgrade));
        if let Some(parker) = parker {
            parker.wake();
        }
    }
}
