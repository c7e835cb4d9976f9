//! Pushed job statuses: a job's status delivered from outside — a "Batch Job State Change"
//! event, a webhook, a server-sent event — ends the wait of the run polling that job at once
//! and stands for its next check, which then calls nobody. Polling goes on underneath: a push
//! that never comes costs nothing but the wait it would have cut short.
//!
//! An engine built with [`EngineBuilder::push`](crate::EngineBuilder::push) indexes its runs by
//! the handles of the jobs they submit (the JSON text of each handle); [`Engine::push_status`]
//! looks the run up and hands it the status. The run keeps the latest status per job until
//! it takes it: at its next check, which comes at once if it is waiting before one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde_json::Value;

use crate::abort::RunSignal;
use crate::execution::json_text;
#[cfg(feature = "push")]
use crate::poller::JobStatus;
#[cfg(feature = "push")]
use crate::Engine;

/// Marks push support: `()` with the `push` feature, uninhabited without it — so that an
/// engine's `Option<Pushes>` is known to be `None` there, and the code behind it compiles away.
#[cfg(feature = "push")]
type PushOnly = ();
#[cfg(not(feature = "push"))]
type PushOnly = std::convert::Infallible;

/// The runs of an engine by the jobs they poll.
pub(crate) struct Pushes {
    runs: Mutex<HashMap<String, Weak<RunSignal>>>,
    _on: PushOnly,
}

impl Pushes {
    /// Continues only where push support is compiled in (see `workflow::enabled`): code after
    /// it compiles away without the `push` feature.
    #[inline(always)]
    pub(crate) fn enabled(&self) {
        #[cfg(not(feature = "push"))]
        match self._on {}
    }

    #[cfg(feature = "push")]
    pub(crate) fn new() -> Self {
        Self {
            runs: Mutex::default(),
            _on: (),
        }
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Weak<RunSignal>>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Indexes the run of `signal` under the job `handle` it submitted.
    pub(crate) fn register(&self, handle: &Value, signal: &Arc<RunSignal>) {
        let key = json_text(handle);
        self.runs().insert(key.clone(), Arc::downgrade(signal));
        signal.pushed().keys.push(key);
    }

    /// Forgets the jobs of the run of `signal` (it ended).
    pub(crate) fn forget(&self, signal: &Arc<RunSignal>) {
        let keys = std::mem::take(&mut signal.pushed().keys);
        if keys.is_empty() {
            return;
        }
        let mut runs = self.runs();
        for key in keys {
            if runs
                .get(&key)
                .is_some_and(|run| std::ptr::eq(run.as_ptr(), Arc::as_ptr(signal)))
            {
                runs.remove(&key);
            }
        }
    }

    #[cfg(feature = "push")]
    fn deliver(&self, handle: &Value, status: JobStatus) -> bool {
        let key = json_text(handle);
        let mut runs = self.runs();
        let Some(run) = runs.get(&key) else {
            return false;
        };
        let Some(signal) = run.upgrade() else {
            runs.remove(&key);
            return false;
        };
        drop(runs);
        signal.push(Arc::new(handle.clone()), status);
        true
    }
}

#[cfg(feature = "push")]
impl Engine {
    /// Delivers the status of the job `handle` (as its poller's submit returned it) to the run
    /// that submitted it: if the run waits before a check of that job, the wait ends now and
    /// the status is the check's result (the poller is not called for it); otherwise its next
    /// check takes it. A later push for the same job replaces one not taken yet, unless that
    /// one is final and the later one pending (events may arrive out of order).
    ///
    /// Returns whether a run of this engine that has not ended submitted that job. Needs an
    /// engine built with [`EngineBuilder::push`](crate::EngineBuilder::push) (otherwise it
    /// returns `false`). With the `push` feature (a default).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pollflow::{poller_fn, Clock, Engine, EventKind, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    /// use std::time::Duration;
    ///
    /// let workflow = Workflow::builder("Job Poller")
    ///     .submit("Submit Job")
    ///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(3600)))
    ///     .check("Check")
    ///     .branch("Done?", Choice::new())
    ///     .build()?;
    /// let poller = poller_fn(
    ///     |_input| async { Ok(json!("job-1")) },
    ///     |_job| async { Ok(JobStatus::pending("RUNNING")) }, // polling would wait an hour
    /// );
    /// let clock = VirtualClock::new();
    /// let engine = Engine::builder(workflow, poller, clock.clone()).push().build();
    /// let mut run = engine.start(json!({}));
    /// let (outcome, ended_at) = clock.block_on(async {
    ///     while let Some(event) = run.next().await {
    ///         if let EventKind::WaitStarted { .. } = event.kind {
    ///             // The job's "done" event arrives: the wait ends at once.
    ///             assert!(engine.push_status(&json!("job-1"), JobStatus::succeeded(json!({"ok": true}))));
    ///         }
    ///     }
    ///     (run.finished().cloned(), clock.now())
    /// });
    /// assert_eq!(outcome, Some(Outcome::Succeeded { output: json!({"ok": true}) }));
    /// assert_eq!(ended_at, Duration::ZERO, "no hour of waiting");
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn push_status(&self, handle: &Value, status: JobStatus) -> bool {
        match &self.inner.pushes {
            Some(pushes) => pushes.deliver(handle, status),
            None => false,
        }
    }
}
