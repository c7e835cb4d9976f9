//! Time from the host: `Date.now()`, and sleeps on `setTimeout` through the wrapper (see
//! [`crate::host`]).

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use pollflow::clock::Sleep;
use pollflow::Clock;

/// The host's clock.
#[derive(Clone, Debug, Default)]
pub(crate) struct JsClock;

/// `Date.now()` as read last (the bits of an `f64`), until `forget_now` (`NONE`). An atomic
/// only to be a safe `static`: there are no threads.
static NOW: AtomicU64 = AtomicU64::new(NONE);
const NONE: u64 = u64::MAX;

/// Makes the clock read `Date.now()` again: called whenever JS may have run (a callback
/// returned), so that within one stretch of engine work, which takes microseconds, the engine
/// reads the host's clock once instead of at every step.
pub(crate) fn forget_now() {
    NOW.store(NONE, Relaxed);
}

/// Sets the time, `Date.now()` as JS just read it (cheaper than reading it from here).
pub(crate) fn set_now(ms: f64) {
    NOW.store(ms.to_bits(), Relaxed);
}

impl Clock for JsClock {
    fn now(&self) -> Duration {
        let ms = match NOW.load(Relaxed) {
            NONE => {
                let ms = js_sys::Date::now();
                set_now(ms);
                ms
            }
            bits => f64::from_bits(bits),
        };
        Duration::from_micros((ms * 1000.0) as u64)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let slept = crate::host::slept(duration.as_secs_f64() * 1000.0);
        Sleep::new(async move {
            let _ = slept.await;
        })
    }
}
