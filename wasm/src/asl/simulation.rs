//! Simulated time: a run on a `VirtualClock`, which the JS wrapper moves to the next deadline
//! whenever the run waits on nothing but time (`advanceClock`). Handlers sleep on the same
//! clock (`sleepFor`, their `context.sleep`).

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use futures::task::noop_waker_ref;
use js_sys::Function;
use pollflow::clock::Sleep;
use pollflow::{Clock, VirtualClock};
use wasm_bindgen::prelude::*;

use crate::Execution;

/// The virtual clock of an execution, and its handlers' sleeps.
pub(crate) struct Simulation {
    clock: VirtualClock,
    /// Handlers' sleeps, earliest deadline first: waking them looks at those due only, not at
    /// every sleep. (A `BinaryHeap`, which the engine links already; a `BTreeMap` here was
    /// 4 KB gzipped.)
    sleeps: RefCell<BinaryHeap<Reverse<HandlerSleep>>>,
    /// How many sleeps began: orders those with the same deadline.
    begun: Cell<u64>,
}

/// A handler's sleep and the function resolving its promise, ordered by deadline, then by
/// when it began.
struct HandlerSleep {
    deadline: Duration,
    seq: u64,
    sleep: Sleep,
    resolve: Function,
}

impl HandlerSleep {
    fn key(&self) -> (Duration, u64) {
        (self.deadline, self.seq)
    }
}

impl PartialEq for HandlerSleep {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for HandlerSleep {}

impl PartialOrd for HandlerSleep {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HandlerSleep {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl Simulation {
    pub(crate) fn new(clock: VirtualClock) -> Self {
        Self {
            clock,
            sleeps: RefCell::default(),
            begun: Cell::new(0),
        }
    }

    /// A handler's sleep of `duration`: `resolve` is called once it ended.
    fn sleep(&self, duration: Duration, resolve: Function) {
        // The deadline as the clock computes it for the sleep.
        let deadline = self.clock.now().saturating_add(duration);
        let mut sleep = self.clock.sleep(duration);
        // The first poll registers the deadline with the clock (or finds it passed).
        if poll(&mut sleep) {
            let _ = resolve.call0(&JsValue::UNDEFINED);
            return;
        }
        let seq = self.begun.get();
        self.begun.set(seq.wrapping_add(1));
        self.sleeps.borrow_mut().push(Reverse(HandlerSleep {
            deadline,
            seq,
            sleep,
            resolve,
        }));
    }

    /// Resolves the handlers' sleeps that ended, in deadline order.
    fn wake_sleepers(&self) {
        let now = self.clock.now();
        let mut ended = Vec::new();
        {
            let mut sleeps = self.sleeps.borrow_mut();
            let mut unready = Vec::new();
            while sleeps.peek().is_some_and(|next| next.0.deadline <= now) {
                let Some(Reverse(mut due)) = sleeps.pop() else {
                    break;
                };
                if poll(&mut due.sleep) {
                    ended.push(due.resolve);
                } else {
                    // Not reached (a sleep is over at its deadline); kept rather than lost.
                    unready.push(Reverse(due));
                }
            }
            sleeps.extend(unready);
        }
        // Outside the borrow: resolving only queues the handler's continuation, but be safe.
        for resolve in ended {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Whether `sleep` is over (polled without a waker: the JS wrapper moves the clock).
fn poll(sleep: &mut Sleep) -> bool {
    Pin::new(sleep)
        .poll(&mut Context::from_waker(noop_waker_ref()))
        .is_ready()
}

#[wasm_bindgen]
impl Execution {
    /// Whether the run is on simulated time (`options.simulatedTime`).
    #[wasm_bindgen(getter)]
    pub fn simulated(&self) -> bool {
        self.simulation.is_some()
    }

    /// On simulated time, jumps to the next deadline, waking what waited for it; returns
    /// whether there was one (always `false` on the host's time).
    #[wasm_bindgen(js_name = advanceClock)]
    pub fn advance_clock(&self) -> bool {
        let Some(simulation) = &self.simulation else {
            return false;
        };
        let jumped = simulation.clock.advance_to_next_deadline();
        simulation.wake_sleepers();
        jumped
    }

    /// On simulated time, calls `resolve` once `ms` milliseconds of it passed (`ms` not a
    /// finite number >= 0 counts as 0); on the host's time, never.
    #[wasm_bindgen(js_name = sleepFor)]
    pub fn sleep_for(&self, ms: f64, resolve: Function) {
        let Some(simulation) = &self.simulation else {
            return;
        };
        // `as` saturates: no panic on any number.
        simulation.sleep(Duration::from_millis(ms as u64), resolve);
    }
}
