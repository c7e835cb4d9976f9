//! A clock on tokio's timer (feature `tokio`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Clock, Sleep};

/// Real time through tokio: sleeps use `tokio::time::sleep`, and `now` is the wall-clock time
/// read once at construction plus tokio's monotonic time since — so a test with
/// `#[tokio::test(start_paused = true)]` controls it too.
#[derive(Clone, Debug)]
pub struct TokioClock {
    wall_at_start: Duration,
    started: tokio::time::Instant,
}

impl TokioClock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Self {
        let wall_at_start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            wall_at_start,
            started: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.wall_at_start + self.started.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}
