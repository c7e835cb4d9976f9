//! A running execution, as a `Stream` of events.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{select, Either, OptionFuture};
use futures::stream::{FusedStream, Stream};
use futures::StreamExt;

use crate::abort::AbortHandle;
use crate::checkpoint::{Checkpoint, CheckpointOf, FormatVersion};
use crate::engine::EngineInner;
use serde_json::Value;
use smol_str::SmolStr;

use crate::calls::{Calls, Pending};
use crate::error::{names, CheckError, TaskError};
use crate::event::{Event, EventKind, Hop, Outcome};
use crate::execution::{Completion, Execution, Polled, Route, Step};
use crate::platform::BoxFuture;
use crate::policy::to_millis;
use crate::poller::find_in_flight;
use crate::task::Binding;
use crate::trace::{CallKind, RunTrace};

/// One execution: a `Stream` of [`Event`]s that ends after the terminal event.
///
/// Poll it to make progress (nothing runs in the background). Dropping it stops the
/// execution; [`Run::abort_handle`] stops it with an `ExecutionAborted` event and, if the
/// workflow says so, cancels the job.
#[must_use = "streams do nothing unless polled"]
pub struct Run {
    engine: Arc<EngineInner>,
    execution: Execution,
    calls: Calls,
    abort: Option<AbortHandle>,
    trace: RunTrace,
}

impl Run {
    pub(crate) fn new(engine: Arc<EngineInner>, execution: Execution) -> Self {
        let trace = RunTrace::new(&engine.workflow.compiled().name, execution.number());
        Self {
            engine,
            execution,
            calls: Calls::default(),
            abort: None,
            trace,
        }
    }

    /// A handle that aborts this run from anywhere (it is `Send`). The run then cancels its
    /// job (when the workflow cancels on stop) and ends with [`Outcome::Aborted`].
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pollflow::{poller_fn, Engine, EventKind, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// let workflow = Workflow::builder("Job Poller")
    ///     .submit("Submit Job")
    ///     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    ///     .check("Check")
    ///     .branch("Done?", Choice::new())
    ///     .build()?;
    /// let poller = poller_fn(
    ///     |_input| async { Ok(json!("job-1")) },
    ///     |_job| async { Ok(JobStatus::pending("RUNNING")) },
    /// );
    /// let clock = VirtualClock::new();
    /// let engine = Engine::new(workflow, poller, clock.clone());
    /// let mut run = engine.start(json!({}));
    /// let abort = run.abort_handle();
    /// let outcome = clock.block_on(async move {
    ///     while let Some(event) = run.next().await {
    ///         if matches!(event.kind, EventKind::WaitStarted { .. }) {
    ///             abort.abort(); // from anywhere: another task, a signal handler
    ///         }
    ///     }
    ///     run.finished().cloned()
    /// });
    /// assert!(matches!(outcome, Some(Outcome::Aborted { .. })));
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn abort_handle(&mut self) -> AbortHandle {
        self.abort.get_or_insert_with(AbortHandle::new).clone()
    }

    /// What tells this run apart from every other, in any process (16 hex digits): the key its
    /// store keeps it under, and the stem of its submit keys.
    pub fn id(&self) -> String {
        format!("{:016x}", self.execution.id())
    }

    /// The state of the execution now, to resume later with
    /// [`Engine::resume`](crate::Engine::resume). A call in flight is re-issued on resume.
    /// A [`Checkpoint`] is plain serde data: store it anywhere.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pollflow::{poller_fn, Checkpoint, Engine, EventKind, JobStatus, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// # let poller = poller_fn(|_input| async { Ok(json!("job-1")) },
    /// #     |_job| async { Ok(JobStatus::succeeded(json!({}))) });
    /// let clock = VirtualClock::new();
    /// let engine = Engine::new(workflow, poller, clock.clone());
    /// let mut run = engine.start(json!({}));
    /// // Run until the first wait, then save the run.
    /// let saved = clock.block_on(async {
    ///     while let Some(event) = run.next().await {
    ///         if matches!(event.kind, EventKind::WaitStarted { .. }) {
    ///             break;
    ///         }
    ///     }
    ///     serde_json::to_string(&run.checkpoint()).unwrap()
    /// });
    /// let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
    /// assert_eq!(checkpoint.state(), "Wait");
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn checkpoint(&self) -> Checkpoint {
        let of = self.checkpoint_of();
        Checkpoint {
            version: of.version,
            workflow: of.workflow.to_owned(),
            state: of.state.to_owned(),
            execution: self.execution.clone(),
        }
    }

    /// The run's checkpoint, borrowed from it: it serializes as [`Run::checkpoint`] does,
    /// without copying the execution.
    pub fn checkpoint_of(&self) -> CheckpointOf<'_> {
        let compiled = self.engine.workflow.compiled();
        CheckpointOf {
            version: FormatVersion::CURRENT,
            workflow: &compiled.name,
            state: &compiled.nodes[self.execution.state() as usize].name,
            execution: &self.execution,
        }
    }

    /// The outcome, once the run has emitted its terminal event.
    pub fn finished(&self) -> Option<&Outcome> {
        self.execution.outcome()
    }

    /// Drives the run to its end, discarding events, and returns how it ended.
    pub fn outcome(self) -> OutcomeFuture {
        OutcomeFuture { run: self }
    }

    fn now_ms(&self) -> u64 {
        to_millis(self.engine.clock.now())
    }

    fn event(&mut self, kind: EventKind, route: Vec<Hop>, now: u64) -> Event {
        Event {
            id: self.execution.take_event_id(),
            timestamp_ms: now,
            route,
            kind,
        }
    }

    /// Drops the calls whose executions no longer wait for them (stopped branches).
    fn drop_stale_calls(&mut self) {
        let execution = &self.execution;
        self.calls.retain(|route| execution.awaits(route));
    }

    /// The name of the state a call is for, for its span: the state at `index` (numbered across
    /// branches), or the run's own. Empty when nobody traces.
    fn state_name(&self, index: Option<u32>) -> SmolStr {
        if !self.trace.is_enabled() {
            return SmolStr::default();
        }
        let compiled = self.engine.workflow.compiled();
        let index = index.unwrap_or(self.execution.state());
        compiled
            .all_nodes()
            .get(index as usize)
            .map_or_else(SmolStr::default, |node| node.name.clone())
    }

    /// Saves the run to the engine's store after the events that change what a restart would
    /// do (the job's handle, a check and its next deadline, the end), without waiting for it
    /// to be durable: one lost in a crash leaves the run a check or a wait behind.
    #[cfg(feature = "store")]
    fn save_after(&self, kind: &EventKind) {
        let Some(store) = &self.engine.store else {
            return;
        };
        if kind.is_terminal() {
            if let Some(outcome) = Outcome::from_terminal(kind) {
                drop(store.finish(&self.id(), &self.checkpoint(), &outcome));
            }
        } else if matches!(
            kind,
            EventKind::TaskSubmitted { .. }
                | EventKind::WaitStarted { .. }
                | EventKind::TaskTokenIssued { .. }
        ) {
            drop(store.save(&self.id(), &self.checkpoint()));
        }
    }

    /// Without the `store` feature there is nowhere to save.
    #[cfg(not(feature = "store"))]
    fn save_after(&self, _kind: &EventKind) {}

    /// The submit intent (see `crate::store`): the save of the run to wait for before its
    /// submit call, when the engine has a store.
    #[cfg(feature = "store")]
    fn intent(&self) -> Option<BoxFuture<'static, Result<(), TaskError>>> {
        let saved = self
            .engine
            .store
            .as_ref()?
            .save(&self.id(), &self.checkpoint());
        Some(Box::pin(async move {
            saved.await.map_err(|e| {
                TaskError::new(
                    names::STORE_FAILED,
                    format!("the run could not be saved before its submit: {e}"),
                )
                .with_source(e)
            })
        }))
    }

    /// Without the `store` feature there is nowhere to save.
    #[cfg(not(feature = "store"))]
    #[allow(clippy::unused_self, reason = "the twin of the store's intent")]
    fn intent(&self) -> Option<BoxFuture<'static, Result<(), TaskError>>> {
        None
    }

    /// The failure that replaces the call `step` asks for when the engine's store no longer
    /// holds its runs ([`Store::holds`](crate::store::Store::holds)): another process
    /// continues this run, so this one makes no more calls. `None`: make the call.
    #[cfg(feature = "store")]
    fn fenced(&self, step: &Step) -> Option<Completion> {
        if self.engine.store.as_ref()?.holds() {
            return None;
        }
        let error = || {
            TaskError::new(
                names::STORE_FAILED,
                "the store no longer holds this run (this instance's lease on its runs lapsed; \
                 another instance continues them): the call was not made",
            )
        };
        Some(match step {
            Step::Submit { .. } => Completion::Submitted(Err(error())),
            Step::Check { .. } => Completion::Checked(Err(CheckError::Fatal(error()))),
            Step::Invoke { .. } => Completion::Invoked(Err(error())),
            Step::Notify(_) => Completion::Notified(Err(error())),
            Step::Cancel { .. } => Completion::Cancelled(Err(error())),
            Step::Sleep(_) | Step::Emit(_) | Step::Idle | Step::Done => return None,
        })
    }

    /// Without the `store` feature no store can lose a run.
    #[cfg(not(feature = "store"))]
    #[allow(clippy::unused_self, reason = "the twin of the store's fence")]
    fn fenced(&self, _step: &Step) -> Option<Completion> {
        None
    }

    /// Keeps the engine's index of runs by job, when statuses can be pushed: a submitted job
    /// joins it, and the run's jobs leave it when the run ends.
    fn index_jobs(&mut self, kind: &EventKind) {
        let Some(pushes) = &self.engine.pushes else {
            return;
        };
        pushes.enabled();
        match kind {
            EventKind::TaskSubmitted { handle, .. } => {
                let abort = self.abort.get_or_insert_with(AbortHandle::new);
                pushes.register(handle, &abort.signal);
            }
            _ if kind.is_terminal() => {
                if let Some(abort) = &self.abort {
                    pushes.forget(&abort.signal);
                }
            }
            _ => {}
        }
    }

    /// Indexes the jobs a resumed run polls (their `TaskSubmitted` came before its checkpoint),
    /// so that pushes reach it.
    pub(crate) fn index_running_jobs(&mut self) {
        let Some(pushes) = &self.engine.pushes else {
            return;
        };
        pushes.enabled();
        let jobs = self.execution.running_jobs();
        if jobs.is_empty() {
            return;
        }
        let abort = self.abort.get_or_insert_with(AbortHandle::new);
        for (handle, _) in jobs {
            pushes.register(handle, &abort.signal);
        }
    }

    /// Ends the waits that pushed statuses cut short: the sleep before the check of a job with
    /// a pushed status completes now (the check then takes the status). Statuses of jobs the
    /// run no longer polls are dropped; others wait for the job's next check.
    fn apply_pushed(&mut self) {
        let (Some(pushes), Some(abort)) = (&self.engine.pushes, &self.abort) else {
            return;
        };
        pushes.enabled();
        if !abort.signal.has_pushed() {
            return;
        }
        let workflow = self.engine.workflow.compiled();
        let (execution, calls) = (&self.execution, &mut self.calls);
        abort.signal.retain_pushed(|(handle, _)| {
            let mut route = Vec::new();
            match execution.polled(workflow, handle, &mut route) {
                Polled::Asleep => {
                    let woken = futures::future::ready(Completion::Slept);
                    calls.start(route, Pending::Call(Box::pin(woken)));
                    true
                }
                Polled::Busy => true,
                Polled::No => false,
            }
        });
    }

    /// Starts the call a step asked for at `route`, in place of any earlier call there. A
    /// callback task's call returns the event that announces its token, now that it can be
    /// sent.
    fn start_call(&mut self, step: Step, route: Vec<u32>, now: u64) -> Option<EventKind> {
        if let Some(refused) = self.fenced(&step) {
            self.calls.start(
                route,
                Pending::Call(Box::pin(futures::future::ready(refused))),
            );
            return None;
        }
        let mut announce = None;
        let engine = &self.engine;
        let trace = &self.trace;
        let pending = match step {
            Step::Sleep(until) => Pending::Sleep(
                engine
                    .clock
                    .sleep(Duration::from_millis(until.saturating_sub(now))),
            ),
            Step::Submit {
                job,
                input,
                key,
                in_flight,
            } => {
                let poller = engine.job_poller(job);
                // A lookup: a request the stopped process left in flight may still create the
                // job until the poller's submit window has passed, so it waits that out first.
                // A submit: its intent is durable before the call (see `crate::store`).
                let (settling, intent) = match (in_flight, &poller) {
                    (Some(since), Ok(p)) => {
                        let window = p.submit_window();
                        let left = since.saturating_add(to_millis(window)).saturating_sub(now);
                        // Never more than the whole window: the call began before now, even
                        // if another machine's clock that timed it runs ahead of this one.
                        let wait = Duration::from_millis(left).min(window);
                        (Some(engine.clock.sleep(wait)), None)
                    }
                    _ => (None, self.intent()),
                };
                let call = async move {
                    let poller = match poller {
                        Ok(poller) => poller,
                        Err(e) => return Completion::Submitted(Err(e)),
                    };
                    if let Some(settling) = settling {
                        settling.await;
                        return find_in_flight(&*poller, &input, &key).await;
                    }
                    if let Some(Err(e)) = OptionFuture::from(intent).await {
                        return Completion::Submitted(Err(e));
                    }
                    Completion::Submitted(poller.submit_keyed(&input, &key).await)
                };
                Pending::Call(Box::pin(trace.call(
                    CallKind::Submit,
                    &self.state_name(job),
                    call,
                )))
            }
            Step::Check { job, handle } => {
                let pushed = match (&engine.pushes, &self.abort) {
                    (Some(pushes), Some(abort)) => {
                        pushes.enabled();
                        abort.signal.take_pushed(&handle)
                    }
                    _ => None,
                };
                if let Some(status) = pushed {
                    let taken = futures::future::ready(Completion::Pushed(status));
                    self.calls.start(route, Pending::Call(Box::pin(taken)));
                    return None;
                }
                let poller = engine.job_poller(job);
                let call = async move {
                    Completion::Checked(match poller {
                        Ok(poller) => poller.check(&handle).await,
                        Err(e) => Err(CheckError::Fatal(e)),
                    })
                };
                Pending::Call(Box::pin(trace.call(
                    CallKind::Check,
                    &self.state_name(job),
                    call,
                )))
            }
            Step::Invoke {
                state,
                input,
                deadline_ms,
                callback,
                asl,
            } => {
                let handler = match engine.binding(state) {
                    Ok(Binding::Call(handler)) => Ok(Some(handler.get())),
                    Ok(Binding::Job(_)) => Err(TaskError::new(
                        names::NO_HANDLER,
                        "a job poller is bound to a resource that is not .sync; bind a task handler",
                    )),
                    // A callback task needs no handler: its token is in its event.
                    Err(_) if callback.is_some() => Ok(None),
                    Err(e) => Err(e),
                };
                // Registered before the handler is called: it may send the token at once.
                let token = callback.map(|wait| {
                    let heartbeat = wait.heartbeat_ms.map(Duration::from_millis);
                    announce = Some(EventKind::TaskTokenIssued {
                        state: wait.state,
                        token: wait.token.clone(),
                    });
                    engine.issue_token(asl, wait.token, heartbeat)
                });
                let call = async move {
                    let result = match handler {
                        Ok(Some(handler)) => handler.call(Value::clone(&input)).await,
                        Ok(None) => Ok(Value::Null),
                        Err(e) => Err(e),
                    };
                    match token {
                        Some(sent) if result.is_ok() => sent.await,
                        _ => result,
                    }
                };
                let name = self.state_name(Some(state));
                match deadline_ms {
                    None => {
                        Pending::Call(Box::pin(trace.call(CallKind::Task, &name, async move {
                            Completion::Invoked(call.await)
                        })))
                    }
                    Some(deadline) => {
                        let left = deadline.saturating_sub(now);
                        let timer = engine.clock.sleep(Duration::from_millis(left));
                        let call = async move {
                            let call = std::pin::pin!(call);
                            Completion::Invoked(match select(call, timer).await {
                                Either::Left((result, _)) => result,
                                Either::Right(((), _)) => Err(TaskError::new(
                                    names::TIMEOUT,
                                    format!("the task did not finish within {left} ms"),
                                )),
                            })
                        };
                        Pending::Call(Box::pin(trace.call(CallKind::Task, &name, call)))
                    }
                }
            }
            Step::Notify(notification) => {
                let notifier = engine.notifier.clone();
                let state = notification.state.clone();
                let call = async move {
                    Completion::Notified(match notifier {
                        Some(n) => n.notify(&notification).await,
                        None => Err(TaskError::new(
                            names::NO_NOTIFIER,
                            format!(
                                "state {:?} notifies, but the engine has no notifier",
                                notification.state
                            ),
                        )),
                    })
                };
                Pending::Call(Box::pin(trace.call(CallKind::Notify, &state, call)))
            }
            Step::Cancel {
                job,
                handle,
                reason,
            } => {
                let poller = engine.job_poller(job);
                let call = async move {
                    Completion::Cancelled(match poller {
                        Ok(poller) => poller.cancel(&handle, &reason).await,
                        Err(e) => Err(e),
                    })
                };
                Pending::Call(Box::pin(trace.call(
                    CallKind::Cancel,
                    &self.state_name(job),
                    call,
                )))
            }
            Step::Emit(_) | Step::Idle | Step::Done => return None,
        };
        self.calls.start(route, pending);
        announce
    }
}

impl Stream for Run {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = self.get_mut();
        let _entered = this.trace.enter();
        if this.abort.as_ref().is_some_and(AbortHandle::is_aborted) && !this.execution.is_stopping()
        {
            this.execution.abort();
            this.drop_stale_calls();
        }
        let mut route = Route::default();
        loop {
            this.apply_pushed();
            let ready = this.calls.poll(cx);
            if ready.is_none() && this.execution.awaits(&[]) {
                break; // Waiting for its own call: nothing else can move.
            }
            let now = this.now_ms();
            let workflow = this.engine.workflow.compiled();
            route.calls.clear();
            route.hops.clear();
            let step = match ready {
                Some((at, completion)) => {
                    match this
                        .execution
                        .complete(workflow, &at, &mut route.hops, completion, now)
                    {
                        Some(kind) => Step::Emit(kind),
                        None => continue,
                    }
                }
                None => this.execution.step(workflow, now, &mut route),
            };
            let mut kind = match step {
                Step::Emit(kind) => kind,
                Step::Done => return Poll::Ready(None),
                Step::Idle => break,
                call => {
                    let at = std::mem::take(&mut route.calls);
                    match this.start_call(call, at, now) {
                        Some(announced) => announced,
                        None => continue,
                    }
                }
            };
            if this.execution.at_event_limit() && !kind.is_terminal() {
                kind = this.execution.fail_at_event_limit(kind);
            }
            if kind.is_terminal() {
                this.calls.clear();
                route.hops.clear();
            } else if matches!(kind, EventKind::BranchFailed { .. }) {
                this.drop_stale_calls();
            }
            this.trace.event(&kind);
            this.save_after(&kind);
            this.index_jobs(&kind);
            let hops = std::mem::take(&mut route.hops);
            return Poll::Ready(Some(this.event(kind, hops, now)));
        }
        if let Some(abort) = &this.abort {
            abort.register(cx.waker());
            if abort.is_aborted() && !this.execution.is_stopping() {
                cx.waker().wake_by_ref();
            }
        }
        Poll::Pending
    }
}

impl FusedStream for Run {
    fn is_terminated(&self) -> bool {
        self.execution.outcome().is_some() && self.calls.is_empty()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let (Some(pushes), Some(abort)) = (&self.engine.pushes, &self.abort) {
            pushes.enabled();
            pushes.forget(&abort.signal);
        }
        if self.execution.outcome().is_some() || !self.engine.workflow.compiled().cancel_on_stop {
            return;
        }
        let Some(spawn) = &self.engine.spawner else {
            return;
        };
        let reason = format!(
            "pollflow: a run of workflow {:?} was dropped",
            &*self.engine.workflow.compiled().name
        );
        for (handle, job) in self.execution.running_jobs() {
            let Ok(poller) = self.engine.job_poller(job) else {
                continue;
            };
            let handle = handle.clone();
            let reason = reason.clone();
            spawn(Box::pin(async move {
                // Nobody is left to tell if this fails; the job simply keeps running.
                let _ = poller.cancel(&handle, &reason).await;
            }));
        }
    }
}

/// The future of [`Run::outcome`].
#[must_use = "futures do nothing unless polled"]
pub struct OutcomeFuture {
    run: Run,
}

impl Future for OutcomeFuture {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let run = &mut self.get_mut().run;
        loop {
            if let Some(outcome) = run.finished() {
                return Poll::Ready(outcome.clone());
            }
            if futures::ready!(run.poll_next_unpin(cx)).is_none() {
                // A run ends only after its terminal event, so the outcome is known.
                return Poll::Ready(run.finished().cloned().unwrap_or(Outcome::Aborted {
                    job_cancelled: false,
                }));
            }
        }
    }
}
