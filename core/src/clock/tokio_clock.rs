//! A clock on tokio's timer (feature `tokio`).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::tokio_timers::Timers;
use super::{Clock, Sleep};

/// Real time through tokio: `now` is the wall-clock time read once at construction plus
/// tokio's monotonic time since — so a test with `#[tokio::test(start_paused = true)]`
/// controls it too.
///
/// Sleeps that end on the same millisecond (runs on one schedule) share one tokio timer: a
/// waiting run holds 16 bytes and a waker for its sleep, not a tokio `Sleep` of its own.
/// Cloning shares the clock.
#[derive(Clone)]
pub struct TokioClock {
    wall_at_start: Duration,
    timers: Arc<Timers>,
}

impl TokioClock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Self {
        let wall_at_start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            wall_at_start,
            timers: Arc::new(Timers::new()),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TokioClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokioClock")
            .field("wall_at_start", &self.wall_at_start)
            .finish_non_exhaustive()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.wall_at_start + self.timers.started().elapsed()
    }

    /// A sleep in the current tokio runtime's timer wheel (it panics outside a runtime, as
    /// `tokio::time::sleep` does). A zero duration is done at once.
    fn sleep(&self, duration: Duration) -> Sleep {
        if duration.is_zero() {
            return Sleep::new(std::future::ready(()));
        }
        Sleep::tokio(self.timers.sleep(duration))
    }
}
