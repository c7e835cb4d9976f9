//! Simulated time: a run on a `VirtualClock`, which the JS wrapper moves to the next deadline
//! whenever the run waits on nothing but time (`advanceClock`). Handlers sleep on the same
//! clock (`sleepFor`, their `context.sleep`).

use std::cell::RefCell;
use std::task::Context;
use std::time::Duration;

use futures::task::noop_waker_ref;
use js_sys::Function;
use pollflow::{Clock, Sleep, VirtualClock};
use wasm_bindgen::prelude::*;

use crate::Execution;

/// The virtual clock of an execution, and its handlers' sleeps.
pub(crate) struct Simulation {
    clock: VirtualClock,
    /// Handlers' sleeps, each with the function resolving its promise.
    sleeps: RefCell<Vec<(Sleep, Function)>>,
}

impl Simulation {
    pub(crate) fn new(clock: VirtualClock) -> Self {
        Self {
            clock,
            sleeps: RefCell::default(),
        }
    }

    /// Resolves the handlers' sleeps that ended.
    fn wake_sleepers(&self) {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut ended = Vec::new();
        self.sleeps.borrow_mut().retain_mut(|(sleep, resolve)| {
            let done = sleep.as_mut().poll(&mut cx).is_ready();
            if done {
                ended.push(resolve.clone());
            }
            !done
        });
        // Outside the borrow: resolving only queues the handler's continuation, but be safe.
        for resolve in ended {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

#[wasm_bindgen]
impl Execution {
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
        let sleep = simulation.clock.sleep(Duration::from_millis(ms as u64));
        simulation.sleeps.borrow_mut().push((sleep, resolve));
        // The first poll registers the deadline (or finds it passed).
        simulation.wake_sleepers();
    }
}
