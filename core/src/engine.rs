//! The engine: a workflow bound to a poller, a clock and a notifier.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use serde_json::Value;

use crate::checkpoint::{Checkpoint, ResumeError};
use crate::clock::Clock;
use crate::execution::Execution;
use crate::limits::{measure, Limits};
use crate::notifier::Notifier;
use crate::platform::{os_seed, BoxFuture, SendOutsideWasm, Spawner, SyncOutsideWasm};
use crate::policy::Rng;
use crate::poller::Poller;
use crate::push::Pushes;
use crate::run::Run;
use crate::shards::{Replica, Replicas};
#[cfg(feature = "store")]
use crate::store::{Store, StoreError};
use crate::task::{Binding, Tasks};
#[cfg(all(feature = "asl", feature = "push"))]
use crate::task_token::TaskTokens;
use crate::workflow::{AslOnly, NodeKind, Workflow};

/// Runs executions of one workflow. Cheap to clone; start as many runs as you like.
///
/// On native targets an engine is `Send + Sync` (everything it holds is, see
/// [`SendOutsideWasm`]) and its runs are `Send`: keep one in a service's shared state and
/// `tokio::spawn` its runs on a multi-threaded runtime.
///
/// ```
/// use std::time::Duration;
/// use pollflow::{poller_fn, Engine, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow};
/// use pollflow::workflow::Choice;
/// use serde_json::json;
///
/// let workflow = Workflow::builder("Job Poller")
///     .submit("Submit Job")
///     .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
///     .check("Get Job Status")
///     .branch("Job Complete?", Choice::new())
///     .build()?;
/// let poller = poller_fn(
///     |_input| async { Ok(json!("job-1")) },
///     |_job| async { Ok(JobStatus::succeeded(json!({"rows": 7}))) },
/// );
/// let clock = VirtualClock::new();
/// let engine = Engine::new(workflow, poller, clock.clone());
/// let outcome = clock.block_on(engine.start(json!({})).outcome());
/// assert_eq!(outcome, Outcome::Succeeded { output: json!({"rows": 7}) });
/// # Ok::<(), pollflow::workflow::BuildError>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) workflow: Workflow,
    pub(crate) poller: Replicas<dyn Poller>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) notifier: Option<Arc<dyn Notifier>>,
    pub(crate) spawner: Option<Spawner>,
    /// Where runs keep their checkpoints (see [`crate::store`]).
    #[cfg(feature = "store")]
    pub(crate) store: Option<Arc<dyn Store>>,
    tasks: Tasks,
    pub(crate) limits: Arc<Limits>,
    /// The last shared input found within the limits, so that starting it again (a million
    /// executions of one input) does not measure it again.
    checked_input: Mutex<Weak<Value>>,
    /// The binding of each Task state, by node key (see `Compiled::all_nodes`).
    bindings: Vec<Option<Binding>>,
    seed: u64,
    started: AtomicU64,
    /// The task tokens its runs wait for (see [`crate::task_token`]): only ASL has callback
    /// tasks.
    #[cfg(all(feature = "asl", feature = "push"))]
    pub(crate) tokens: Arc<TaskTokens>,
    /// Its runs by the jobs they poll, when statuses can be pushed (see [`crate::push`]).
    pub(crate) pushes: Option<Pushes>,
}

impl EngineInner {
    /// The binding of the Task state at `index`, or why there is none.
    pub(crate) fn binding(&self, index: u32) -> Result<&Binding, crate::TaskError> {
        self.bindings
            .get(index as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| {
                let nodes = self.workflow.compiled().all_nodes();
                let node = nodes.get(index as usize);
                crate::TaskError::new(
                    crate::names::NO_HANDLER,
                    match node.map(|n| (&n.name, &n.kind)) {
                        Some((name, NodeKind::Task { resource, .. })) => format!(
                            "no handler is bound to resource {resource:?} or to state {name:?}"
                        ),
                        _ => format!("state #{index} is not a Task state"),
                    },
                )
            })
    }

    /// Whether a shared input is within the limits (the last one that was is remembered: the
    /// `Weak` keeps its allocation, so no other value can take its address meanwhile).
    fn shared_input_fits(&self, input: &Arc<Value>) -> bool {
        let mut last = self
            .checked_input
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if Weak::as_ptr(&last) == Arc::as_ptr(input) {
            return true;
        }
        let fits = measure(input, self.limits.max_payload_bytes, Limits::MAX_DEPTH).is_ok();
        if fits {
            *last = Arc::downgrade(input);
        }
        fits
    }

    /// Registers a callback task's token (`asl`: only ASL has them) and returns what waits
    /// for it to be sent (boxed, so that builds without ASL do not carry it). Without the
    /// `push` feature nothing can send a token: the task fails at once.
    pub(crate) fn issue_token(
        &self,
        asl: AslOnly,
        token: String,
        heartbeat: Option<Duration>,
    ) -> BoxFuture<'static, Result<Value, crate::TaskError>> {
        #[cfg(all(feature = "asl", feature = "push"))]
        {
            let AslOnly = asl;
            let waiting = self.tokens.issue(token);
            Box::pin(waiting.result(self.clock.clone(), heartbeat))
        }
        #[cfg(all(feature = "asl", not(feature = "push")))]
        {
            let AslOnly = asl;
            drop((token, heartbeat));
            Box::pin(std::future::ready(Err(crate::TaskError::new(
                crate::names::NO_PUSH,
                "this engine cannot receive task tokens: it was built without the push feature (npm: start the execution with push: true)",
            ))))
        }
        #[cfg(not(feature = "asl"))]
        {
            drop((token, heartbeat));
            match asl {}
        }
    }

    /// The poller of a job: a `.sync` Task state's, or the engine's own.
    pub(crate) fn job_poller(
        &self,
        job: Option<u32>,
    ) -> Result<Replica<dyn Poller>, crate::TaskError> {
        match job {
            None => Ok(self.poller.get()),
            Some(index) => match self.binding(index)? {
                Binding::Job(poller) => Ok(poller.get()),
                Binding::Call(_) => Err(crate::TaskError::new(
                    crate::names::NO_HANDLER,
                    "a .sync resource is bound to a task handler; bind a job poller to it",
                )),
            },
        }
    }
}

impl Engine {
    /// An engine with no notifier, a random seed (see [`EngineBuilder::seed`]) and no spawner.
    pub fn new(
        workflow: Workflow,
        poller: impl Poller + 'static,
        clock: impl Clock + 'static,
    ) -> Self {
        Self::builder(workflow, poller, clock).build()
    }

    /// An engine with options.
    pub fn builder(
        workflow: Workflow,
        poller: impl Poller + 'static,
        clock: impl Clock + 'static,
    ) -> EngineBuilder {
        EngineBuilder {
            inner: EngineInner {
                workflow,
                poller: Replicas::new(Arc::new(poller)),
                clock: Arc::new(clock),
                notifier: None,
                spawner: None,
                #[cfg(feature = "store")]
                store: None,
                tasks: Tasks::new(),
                limits: Arc::default(),
                checked_input: Mutex::default(),
                bindings: Vec::new(),
                #[cfg(all(feature = "asl", feature = "push"))]
                tokens: Arc::default(),
                pushes: None,
                seed: os_seed().unwrap_or_default(),
                started: AtomicU64::new(0),
            },
        }
    }

    /// An engine whose Task states call `tasks` (for workflows loaded from Amazon States
    /// Language, which need no poller of their own).
    ///
    /// ```
    /// use pollflow::{task_fn, Engine, Outcome, VirtualClock, Workflow};
    /// use pollflow::task::Tasks;
    /// use serde_json::json;
    ///
    /// let workflow = Workflow::from_asl(r#"{"StartAt": "Double", "States": {
    ///     "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Double", "End": true}
    /// }}"#, "doubler")?;
    /// let tasks = Tasks::new().handler("Double", task_fn(|n| async move { Ok(json!(n.as_i64().unwrap_or(0) * 2)) }));
    /// let clock = VirtualClock::new();
    /// let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    /// let outcome = clock.block_on(engine.start(json!(21)).outcome());
    /// assert_eq!(outcome, Outcome::Succeeded { output: json!(42) });
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn with_tasks(
        workflow: Workflow,
        tasks: Tasks,
        clock: impl Clock + 'static,
    ) -> EngineBuilder {
        Self::builder(workflow, crate::poller::NoPoller, clock).tasks(tasks)
    }

    /// The workflow this engine runs.
    pub fn workflow(&self) -> &Workflow {
        &self.inner.workflow
    }

    /// Starts an execution. Nothing happens until the returned stream is polled: collect its
    /// events, or drive it to its end with [`Run::outcome`].
    ///
    /// ```
    /// use pollflow::{poller_fn, Engine, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// let poller = poller_fn(
    ///     |input: serde_json::Value| async move { Ok(input["jobName"].clone()) },
    ///     |job| async move { Ok(JobStatus::succeeded(json!({ "job": job }))) },
    /// );
    /// let clock = VirtualClock::new();
    /// let engine = Engine::new(workflow, poller, clock.clone());
    /// let outcome = clock.block_on(engine.start(json!({"jobName": "nightly"})).outcome());
    /// assert!(matches!(outcome, Outcome::Succeeded { output } if output["job"] == "nightly"));
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn start(&self, input: Value) -> Run {
        self.begin(Arc::new(input), false)
    }

    /// Starts an execution whose input is shared with others (no copy per execution). An input
    /// started again is checked against the limits only the first time.
    ///
    /// Events and states clone the `Arc` as they pass the input on: runs on different threads
    /// sharing one pass its reference count between cores at every step. Share an input among
    /// the runs of one thread or task; give each thread its own copy.
    pub fn start_shared(&self, input: Arc<Value>) -> Run {
        let fits = self.inner.shared_input_fits(&input);
        self.begin(input, fits)
    }

    /// Starts an execution; `input_fits`: the input is known to be within the limits.
    fn begin(&self, input: Arc<Value>, input_fits: bool) -> Run {
        let n = self.inner.started.fetch_add(1, Ordering::Relaxed);
        let mut seeder = Rng::seeded(self.inner.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let rng = Rng::seeded(seeder.next_u64());
        let compiled = self.inner.workflow.compiled();
        let mut execution = Execution::new(compiled, input, n, rng, self.inner.limits.clone());
        if input_fits {
            execution.skip_input_check();
        }
        Run::new(self.inner.clone(), execution)
    }

    /// Every unfinished run of this engine's workflow in its store
    /// ([`EngineBuilder::store`]), resumed: drive each to its end (a run whose wait ran out
    /// while the process was down checks at once; one whose submit was in flight looks its job
    /// up before submitting again). Without a store, none.
    ///
    /// Call it once, at start-up, before this process starts runs of its own: a run recovered
    /// while it still runs here (or in another process on the same store) would run twice.
    /// A store that hands each run to one process through a lease (pollflow-batch's
    /// `DynamoDbStore`) returns only the runs it claimed for this process: a fleet calls it
    /// periodically (see docs/durability.md).
    ///
    /// # Errors
    /// The store cannot be read, or holds a checkpoint of this workflow that does not fit it
    /// (a changed definition): nothing is resumed then.
    #[cfg(feature = "store")]
    pub async fn recover(&self) -> Result<Vec<Run>, StoreError> {
        let Some(store) = &self.inner.store else {
            return Ok(Vec::new());
        };
        let name = &self.inner.workflow.compiled().name;
        let checkpoints = store.unfinished(name).await?;
        checkpoints
            .into_iter()
            .map(|checkpoint| {
                self.resume(checkpoint).map_err(|e| {
                    StoreError::new(format!(
                        "a saved run does not fit this engine's workflow: {e}"
                    ))
                })
            })
            .collect()
    }

    /// Continues a checkpointed execution without submitting its job again. A checkpoint of
    /// another workflow, or of a state this workflow does not have, is a [`ResumeError`].
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pollflow::{poller_fn, Engine, EventKind, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// let submits = std::sync::atomic::AtomicU32::new(0);
    /// let poller = poller_fn(
    ///     move |_input| {
    ///         submits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///         async { Ok(json!("job-1")) }
    ///     },
    ///     |_job| async { Ok(JobStatus::succeeded(json!({"done": true}))) },
    /// );
    /// let clock = VirtualClock::new();
    /// let engine = Engine::new(workflow, poller, clock.clone());
    /// let mut run = engine.start(json!({}));
    /// let checkpoint = clock.block_on(async {
    ///     while let Some(event) = run.next().await {
    ///         if matches!(event.kind, EventKind::WaitStarted { .. }) {
    ///             break;
    ///         }
    ///     }
    ///     run.checkpoint()
    /// });
    /// drop(run); // the process stops here; later, perhaps elsewhere:
    /// let resumed = engine.resume(checkpoint).expect("same workflow");
    /// let outcome = clock.block_on(resumed.outcome());
    /// assert!(matches!(outcome, Outcome::Succeeded { output } if output["done"] == true));
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn resume(&self, checkpoint: Checkpoint) -> Result<Run, ResumeError> {
        let compiled = self.inner.workflow.compiled();
        if checkpoint.workflow != *compiled.name {
            return Err(ResumeError::WorkflowMismatch {
                expected: compiled.name.to_string(),
                found: checkpoint.workflow,
            });
        }
        let at = compiled.nodes.get(checkpoint.execution.state() as usize);
        if at.map(|n| &*n.name) != Some(checkpoint.state.as_str())
            || !checkpoint.execution.fits(compiled)
        {
            return Err(ResumeError::UnknownState(checkpoint.state));
        }
        let mut execution = checkpoint.execution;
        execution.reattach(compiled, &self.inner.limits);
        let mut run = Run::new(self.inner.clone(), execution);
        run.index_running_jobs();
        Ok(run)
    }
}

/// Options for an [`Engine`].
#[must_use = "call `build` to get the engine"]
pub struct EngineBuilder {
    inner: EngineInner,
}

impl EngineBuilder {
    /// Where Notify states send messages.
    ///
    /// ```
    /// use pollflow::{notifier_fn, poller_fn, Engine, JobStatus, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// # let poller = poller_fn(|_input| async { Ok(json!("job-1")) },
    /// #     |_job| async { Ok(JobStatus::succeeded(json!({}))) });
    /// let engine = Engine::builder(workflow, poller, VirtualClock::new())
    ///     .notifier(notifier_fn(|note| async move {
    ///         println!("{}: {}", note.state, note.message);
    ///         Ok(())
    ///     }))
    ///     .build();
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn notifier(mut self, notifier: impl Notifier + 'static) -> Self {
        self.inner.notifier = Some(Arc::new(notifier));
        self
    }

    /// Seeds the random numbers of every run — the jitter of its waits and retries,
    /// `States.UUID()`, `States.MathRandom()` — for reproducible runs: same seed, same numbers
    /// (runs are numbered in start order). Without it each engine draws a seed from the
    /// operating system's randomness, so that processes started together do not retry in
    /// lockstep (on `wasm32-unknown-unknown`, which has no such source, the host passes one
    /// in: the npm package draws it from `crypto.getRandomValues`; without one it is 0).
    ///
    /// A run's generator is part of its [`Checkpoint`]: a resumed run continues the sequence.
    ///
    /// ```
    /// use pollflow::{poller_fn, Engine, JobStatus, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// # let poller = poller_fn(|_input| async { Ok(json!("job-1")) },
    /// #     |_job| async { Ok(JobStatus::succeeded(json!({}))) });
    /// let engine = Engine::builder(workflow, poller, VirtualClock::new()).seed(42).build();
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.inner.seed = seed;
        self
    }

    /// Binds the handlers of the workflow's Task states (see [`Tasks::unbound`] to check them
    /// before running).
    ///
    /// ```
    /// # #[cfg(feature = "asl")] {
    /// use pollflow::{task_fn, Engine, VirtualClock, Workflow};
    /// use pollflow::task::Tasks;
    /// use serde_json::json;
    ///
    /// let workflow = Workflow::from_asl(r#"{"StartAt": "Double", "States": {
    ///     "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Double", "End": true}
    /// }}"#, "doubler")?;
    /// let tasks = Tasks::new().handler("Double", task_fn(|n| async move { Ok(json!(n.as_i64().unwrap_or(0) * 2)) }));
    /// assert!(tasks.unbound(&workflow).is_empty());
    /// let engine = Engine::with_tasks(workflow, Tasks::new(), VirtualClock::new()).tasks(tasks).build();
    /// # }
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn tasks(mut self, tasks: Tasks) -> Self {
        self.inner.tasks = tasks;
        self
    }

    /// Bounds on what each execution may hold and do (default: Step Functions' quotas, see
    /// [`Limits`]).
    ///
    /// ```
    /// use pollflow::{poller_fn, Engine, JobStatus, Limits, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// # let poller = poller_fn(|_input| async { Ok(json!("job-1")) },
    /// #     |_job| async { Ok(JobStatus::succeeded(json!({}))) });
    /// let limits = Limits { max_events: 1_000, ..Limits::default() };
    /// let engine = Engine::builder(workflow, poller, VirtualClock::new()).limits(limits).build();
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.inner.limits = Arc::new(limits);
        self
    }

    /// Lets a dropped run cancel its job in the background (when the workflow cancels on stop).
    /// Without a spawner, dropping a run stops polling but leaves the job running; use
    /// [`Run::abort_handle`](crate::Run::abort_handle) for an abort that cancels in the run.
    ///
    /// On native targets the spawner takes `Send` futures, so `tokio::spawn` fits:
    ///
    /// ```
    /// use pollflow::{poller_fn, Engine, JobStatus, VirtualClock, WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    /// use serde_json::json;
    ///
    /// # let workflow = Workflow::builder("Job Poller").submit("Submit Job")
    /// #     .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(60)))
    /// #     .check("Check").branch("Done?", Choice::new()).build()?;
    /// let poller = poller_fn(
    ///     |_input| async { Ok(json!("job-1")) },
    ///     |_job| async { Ok(JobStatus::pending("RUNNING")) },
    /// );
    /// let engine = Engine::builder(workflow, poller, VirtualClock::new())
    ///     .spawner(|cancel| drop(tokio::spawn(cancel)))
    ///     .build();
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn spawner(
        mut self,
        spawn: impl Fn(BoxFuture<'static, ()>) + SendOutsideWasm + SyncOutsideWasm + 'static,
    ) -> Self {
        self.inner.spawner = Some(Box::new(spawn));
        self
    }

    /// Keeps every run's checkpoint in `store`, so that a process that restarts continues its
    /// unfinished runs with [`Engine::recover`]: before each submit (waiting until that is
    /// durable), and after each `TaskSubmitted`, `WaitStarted` and terminal event. See
    /// [`crate::store`].
    #[cfg(feature = "store")]
    pub fn store(mut self, store: impl Store + 'static) -> Self {
        self.inner.store = Some(Arc::new(store));
        self
    }

    /// Lets job statuses be pushed to its runs with [`Engine::push_status`] (from job
    /// state-change events, webhooks, server-sent events): a pushed status ends the wait
    /// before the job's next check and stands for that check. The engine then indexes each
    /// run by the jobs it submits (see [`crate::push`]).
    /// With the `push` feature (a default).
    #[cfg(feature = "push")]
    pub fn push(mut self) -> Self {
        self.inner.pushes = Some(Pushes::new());
        self
    }

    /// The engine.
    pub fn build(mut self) -> Engine {
        let inner = &mut self.inner;
        inner.bindings = inner
            .workflow
            .compiled()
            .all_nodes()
            .into_iter()
            .map(|node| match &node.kind {
                NodeKind::Task { resource, .. } => {
                    inner.tasks.resolve(&node.name, resource).cloned()
                }
                _ => None,
            })
            .collect();
        Engine {
            inner: Arc::new(self.inner),
        }
    }
}
