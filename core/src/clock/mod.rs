//! Time, injected: the engine reads the time and sleeps only through a [`Clock`].

mod sleep;
#[cfg(feature = "tokio")]
mod tokio_clock;
#[cfg(feature = "tokio")]
mod tokio_timers;
mod tracked;
mod virtual_clock;

use std::sync::Arc;
use std::time::Duration;

use crate::platform::{SendOutsideWasm, SyncOutsideWasm};

pub use sleep::Sleep;
#[cfg(feature = "tokio")]
pub use tokio_clock::TokioClock;
pub use tracked::Tracked;
pub use virtual_clock::VirtualClock;

/// The engine's only source of time.
///
/// `now` is the time since the Unix epoch; it stamps events and anchors deadlines. Core never
/// calls `SystemTime::now` (it panics on `wasm32-unknown-unknown`): pick [`VirtualClock`] for
/// tests and simulations, `TokioClock` (feature `tokio`) in services, or the JS timers of the
/// npm package. Like everything an engine holds, a clock is `Send + Sync` on native targets
/// (see [`SendOutsideWasm`]).
pub trait Clock: SendOutsideWasm + SyncOutsideWasm {
    /// Time since the Unix epoch.
    fn now(&self) -> Duration;
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        (**self).sleep(duration)
    }
}
