//! `tracing` spans for runs and calls (feature `tracing`); without the feature, nothing.
//!
//! A [`Run`](crate::Run) holds a [`RunTrace`]: an `INFO` span named `pollflow.run` (fields
//! `workflow`, `execution` and, once it ends, `outcome`), entered while the run is polled, so
//! whatever the poller logs lands in it. Each call the run makes — `submit`, `check`,
//! `cancel`, `notify`, a Task state's `task` — runs in its own `INFO` span named
//! `pollflow.call` (fields `call`, `state`), a child of the run's, and ends with a `DEBUG`
//! event saying whether it succeeded. Every event of the run is logged at `DEBUG` too. The
//! feature is the only place the crate depends on `tracing`; this file the only place that
//! knows whether it is on.

use std::future::Future;

use crate::event::EventKind;
use crate::execution::Completion;

/// What a call is, as its span names it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CallKind {
    Submit,
    Check,
    Cancel,
    Notify,
    Task,
}

#[cfg(feature = "tracing")]
mod enabled {
    use super::*;
    use crate::event::Outcome;
    use tracing::Instrument;

    impl CallKind {
        fn name(self) -> &'static str {
            match self {
                Self::Submit => "submit",
                Self::Check => "check",
                Self::Cancel => "cancel",
                Self::Notify => "notify",
                Self::Task => "task",
            }
        }
    }

    /// The error a call ended with, if any (a transient check error included).
    fn failure(completion: &Completion) -> Option<(&str, &str)> {
        let error = match completion {
            Completion::Slept | Completion::Pushed(_) => None,
            Completion::Submitted(result) | Completion::Invoked(result) => result.as_ref().err(),
            Completion::Notified(result) | Completion::Cancelled(result) => result.as_ref().err(),
            Completion::Checked(result) => result.as_ref().err().map(crate::CheckError::task_error),
            Completion::Looked(result) => result.as_ref().err(),
        }?;
        Some((&error.error, &error.cause))
    }

    /// The span of one run.
    pub(crate) struct RunTrace(tracing::Span);

    impl RunTrace {
        pub(crate) fn new(workflow: &str, execution: u64) -> Self {
            Self(tracing::info_span!(
                "pollflow.run",
                workflow,
                execution,
                outcome = tracing::field::Empty
            ))
        }

        /// Enters the run's span until the guard drops (the span is shared, not borrowed, so
        /// the run stays free to change while it is entered).
        pub(crate) fn enter(&self) -> tracing::span::EnteredSpan {
            self.0.clone().entered()
        }

        /// Whether anyone listens: callers skip work (such as finding a state's name) if not.
        pub(crate) fn is_enabled(&self) -> bool {
            !self.0.is_disabled()
        }

        /// Wraps a call in its own span, a child of the run's.
        pub(crate) fn call<F>(
            &self,
            kind: CallKind,
            state: &str,
            call: F,
        ) -> impl Future<Output = Completion> + use<F>
        where
            F: Future<Output = Completion>,
        {
            let span =
                tracing::info_span!(parent: &self.0, "pollflow.call", call = kind.name(), state);
            async move {
                let completion = call.await;
                match failure(&completion) {
                    None => tracing::debug!("ok"),
                    Some((error, cause)) => tracing::debug!(error, cause, "failed"),
                }
                completion
            }
            .instrument(span)
        }

        /// Logs an event of the run; a terminal one also records the outcome on the span.
        pub(crate) fn event(&self, kind: &EventKind) {
            if let Some(outcome) = Outcome::from_terminal(kind) {
                let status = match outcome {
                    Outcome::Succeeded { .. } => "SUCCEEDED",
                    Outcome::Failed { .. } => "FAILED",
                    Outcome::TimedOut { .. } => "TIMED_OUT",
                    Outcome::Aborted { .. } => "ABORTED",
                };
                self.0.record("outcome", status);
            }
            tracing::debug!(parent: &self.0, event = ?kind);
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod enabled {
    use super::*;

    /// Nothing: the crate was built without `tracing`.
    pub(crate) struct RunTrace;

    /// Nothing entered.
    pub(crate) struct Entered;

    impl RunTrace {
        pub(crate) fn new(_workflow: &str, _execution: u64) -> Self {
            Self
        }

        pub(crate) fn enter(&self) -> Entered {
            Entered
        }

        pub(crate) fn is_enabled(&self) -> bool {
            false
        }

        pub(crate) fn call<F>(&self, _kind: CallKind, _state: &str, call: F) -> F
        where
            F: Future<Output = Completion>,
        {
            call
        }

        pub(crate) fn event(&self, _kind: &EventKind) {}
    }
}

pub(crate) use enabled::RunTrace;
