//! The execution's time: its state machine's `timeout`, the deadline a branch inherits, and
//! how a stopped execution names why.

use super::Execution;
use crate::error::{names, TaskError};
use crate::event::Outcome;
use crate::workflow::Compiled;

impl Execution {
    /// Stops the execution (TimedOut) once the state machine's `timeout` has passed.
    pub(super) fn past_deadline(&mut self, wf: &Compiled, now: u64) -> bool {
        if self.time_left(wf, now) > 0 {
            return false;
        }
        self.stop(timeout(match wf.timeout_ms {
            Some(limit) => format!("the execution ran longer than its timeout of {limit} ms"),
            None => "the execution ran longer than its timeout".to_owned(),
        }));
        true
    }

    /// When the execution's time runs out (ms since the epoch), if it has a timeout.
    pub(super) fn deadline(&self, wf: &Compiled) -> Option<u64> {
        let own = wf
            .timeout_ms
            .map(|t| self.cold.started_ms.saturating_add(t));
        match (own, self.cold.outer.as_ref().and_then(|o| o.deadline_ms)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Milliseconds until the state machine's `timeout` (`u64::MAX` without one).
    pub(super) fn time_left(&self, wf: &Compiled, now: u64) -> u64 {
        self.deadline(wf)
            .map_or(u64::MAX, |deadline| deadline.saturating_sub(now))
    }
}

pub(super) fn timeout(cause: String) -> Outcome {
    Outcome::TimedOut {
        error: TaskError::new(names::TIMEOUT, cause),
    }
}

pub(super) fn stop_reason(wf: &Compiled, end: &Outcome) -> String {
    let why = match end {
        Outcome::TimedOut { .. } => "timed out",
        _ => "was aborted",
    };
    format!("pollflow: an execution of workflow {:?} {why}", &*wf.name)
}
