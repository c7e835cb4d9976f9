//! The embedded local AWS Batch: job definitions run as local child processes.

mod config;
mod events;
mod journal;
mod parameters;
mod retry;
mod runner;
mod state;
mod validate;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::broadcast;

pub use config::{ContainerProperties, JobDefinition, JobQueue, LocalBatchConfig};
pub use events::JobEvents;

use crate::api::{BatchApi, BatchError};
use crate::model::{BatchJobStatus, JobDetail, SubmitJobRequest, SubmitJobResponse};
use crate::JobStateChange;
use journal::Journal;
use state::State;

/// AWS Batch on this machine: no account, no containers, the same API.
///
/// A job definition's `command` runs as a child process with the job's environment
/// (`AWS_BATCH_JOB_ID`, `AWS_BATCH_JOB_ATTEMPT`, `AWS_BATCH_JOB_ARRAY_INDEX`,
/// `AWS_BATCH_JQ_NAME`). Jobs go SUBMITTED → PENDING → RUNNABLE → STARTING → RUNNING →
/// SUCCEEDED | FAILED, with per-queue concurrency, dependencies, retries (`evaluateOnExit`),
/// per-attempt timeouts (the process is killed), array jobs and `TerminateJob` (the process
/// is killed). Output goes to a log file per attempt (`logStreamName`).
///
/// Needs a tokio runtime (it spawns a task per running process). Cloning shares the Batch.
///
/// ```
/// use pollflow_batch::model::{BatchJobStatus, SubmitJobRequest};
/// use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pollflow_batch::BatchError> {
/// let batch = LocalBatch::new()
///     .with_queue(JobQueue::new("SampleJobQueue", 2))
///     .with_definition(JobDefinition::shell("SampleJobDefinition", "echo done"));
/// let job = batch.submit_job(SubmitJobRequest {
///     job_name: "my-job".into(),
///     job_queue: "SampleJobQueue".into(),
///     job_definition: "SampleJobDefinition".into(),
///     ..Default::default()
/// }).await?;
/// let ids = [job.job_id];
/// while !batch.describe_jobs(&ids).await?[0].status.is_done() {
///     tokio::time::sleep(std::time::Duration::from_millis(20)).await;
/// }
/// assert_eq!(batch.describe_jobs(&ids).await?[0].status, BatchJobStatus::Succeeded);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LocalBatch {
    state: Arc<Mutex<State>>,
    /// Where the jobs are kept across processes, if anywhere ([`LocalBatch::with_journal`]).
    journal: Option<Arc<Journal>>,
    /// Job state-change events, to whoever [subscribed](LocalBatch::subscribe).
    events: broadcast::Sender<Arc<JobStateChange>>,
}

impl Default for LocalBatch {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl LocalBatch {
    /// An empty Batch; logs go to `$TMPDIR/pollflow-local-batch`. Add queues and definitions
    /// with [`with_queue`](Self::with_queue) and [`with_definition`](Self::with_definition),
    /// or start from a configuration with [`from_config`](Self::from_config).
    ///
    /// ```
    /// use pollflow_batch::{JobDefinition, JobQueue, LocalBatch};
    ///
    /// let batch = LocalBatch::new()
    ///     .with_log_dir(std::env::temp_dir().join("my-batch-logs"))
    ///     .with_queue(JobQueue::new("reports", 4)) // four jobs at a time
    ///     .with_definition(JobDefinition::new("render", ["convert", "Ref::input", "out.png"]));
    /// # let _ = batch;
    /// ```
    pub fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id());
        let log_dir = std::env::temp_dir().join("pollflow-local-batch");
        Self {
            state: Arc::new(Mutex::new(State::new(seed, log_dir))),
            journal: None,
            events: broadcast::channel(events::BACKLOG).0,
        }
    }

    /// A Batch with the queues and definitions of a configuration.
    ///
    /// ```
    /// use pollflow_batch::{LocalBatch, LocalBatchConfig};
    ///
    /// let config: LocalBatchConfig = serde_json::from_value(serde_json::json!({
    ///     "jobQueues": [{ "jobQueueName": "SampleJobQueue", "maxConcurrency": 2 }],
    ///     "jobDefinitions": [{
    ///         "jobDefinitionName": "SampleJobDefinition",
    ///         "containerProperties": { "command": ["sleep", "Ref::seconds"] },
    ///         "parameters": { "seconds": "3" }
    ///     }]
    /// }))?;
    /// let batch = LocalBatch::from_config(config);
    /// # let _ = batch;
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_config(config: LocalBatchConfig) -> Self {
        let batch = Self::new();
        for queue in config.job_queues {
            batch.lock().add_queue(queue);
        }
        for definition in config.job_definitions {
            batch.lock().add_definition(definition);
        }
        batch
    }

    /// Adds (or replaces) a job queue.
    #[must_use]
    pub fn with_queue(self, queue: JobQueue) -> Self {
        self.lock().add_queue(queue);
        self
    }

    /// Adds (or replaces) a job definition.
    #[must_use]
    pub fn with_definition(self, definition: JobDefinition) -> Self {
        self.lock().add_definition(definition);
        self
    }

    /// Keeps the jobs in the file at `path`, so that a local Batch opened on the same file
    /// after its process stopped (a crash, a kill, a restart) still has them: what they were,
    /// what they did, and their ids, which a resumed pollflow run checks. A job that was
    /// running then ran in a process that ended with the Batch's: its attempt is recorded as
    /// interrupted and the job runs again, from the start, on the first call after opening.
    ///
    /// Each change rewrites the file (a new file, flushed, renamed over the old one): meant for
    /// the handful of jobs of a laptop. A submit is answered only once its job is in the file.
    ///
    /// ```
    /// use pollflow_batch::model::SubmitJobRequest;
    /// use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pollflow_batch::BatchError> {
    /// # let dir = std::env::temp_dir().join(format!("pollflow-journal-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let journal = dir.join("jobs.json");
    /// let batch = || LocalBatch::new()
    ///     .with_queue(JobQueue::new("q", 1))
    ///     .with_definition(JobDefinition::shell("hello", "echo hello"));
    /// let job = batch().with_journal(&journal)?.submit_job(SubmitJobRequest {
    ///     job_name: "j".into(),
    ///     job_queue: "q".into(),
    ///     job_definition: "hello".into(),
    ///     ..Default::default()
    /// }).await?;
    /// // Later, in another process:
    /// let again = batch().with_journal(&journal)?;
    /// assert_eq!(again.list_jobs("q", "j").await?, vec![job.job_id]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The file cannot be read, or is not a journal this release reads.
    pub fn with_journal(self, path: impl Into<PathBuf>) -> Result<Self, BatchError> {
        let (journal, jobs) = Journal::open(path.into())?;
        let batch = Self {
            journal: Some(Arc::new(journal)),
            ..self
        };
        let mut state = batch.lock();
        state.restore(jobs, now_ms());
        batch.persist(&state)?;
        drop(state);
        Ok(batch)
    }

    /// Writes job output under `dir` (created when a job starts).
    #[must_use]
    pub fn with_log_dir(self, dir: impl Into<PathBuf>) -> Self {
        self.lock().set_log_dir(dir.into());
        self
    }

    /// Every status a job has had, with the time it entered it (ms since the epoch); `None`
    /// for an unknown job.
    ///
    /// ```
    /// use pollflow_batch::model::{BatchJobStatus, SubmitJobRequest};
    /// use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pollflow_batch::BatchError> {
    /// let batch = LocalBatch::new()
    ///     .with_queue(JobQueue::new("q", 1))
    ///     .with_definition(JobDefinition::shell("wait", "sleep 5"));
    /// let request = SubmitJobRequest {
    ///     job_name: "j".into(),
    ///     job_queue: "q".into(),
    ///     job_definition: "wait".into(),
    ///     ..Default::default()
    /// };
    /// let job = batch.submit_job(request).await?;
    /// batch.terminate_job(&job.job_id, "not needed").await?;
    /// let statuses: Vec<BatchJobStatus> =
    ///     batch.history(&job.job_id).unwrap().into_iter().map(|(status, _)| status).collect();
    /// assert_eq!(statuses.first(), Some(&BatchJobStatus::Submitted));
    /// assert!(batch.history("no-such-job").is_none());
    /// # Ok(()) }
    /// ```
    pub fn history(&self, job_id: &str) -> Option<Vec<(BatchJobStatus, u64)>> {
        self.lock().history(job_id)
    }

    /// The job state-change events from now on, in the shape AWS Batch sends to EventBridge
    /// ([`JobStateChange`]): one each time a job changes status after its submission, in order.
    /// What lets a waiting run end its wait when its job ends, instead of at its next check.
    ///
    /// ```
    /// use pollflow_batch::model::{BatchJobStatus, SubmitJobRequest};
    /// use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pollflow_batch::BatchError> {
    /// let batch = LocalBatch::new()
    ///     .with_queue(JobQueue::new("q", 1))
    ///     .with_definition(JobDefinition::shell("ok", "exit 0"));
    /// let mut events = batch.subscribe();
    /// let job = batch
    ///     .submit_job(SubmitJobRequest {
    ///         job_name: "hello".into(),
    ///         job_queue: "q".into(),
    ///         job_definition: "ok".into(),
    ///         ..SubmitJobRequest::default()
    ///     })
    ///     .await?;
    /// while let Some(event) = events.next().await {
    ///     assert_eq!(event.source, "aws.batch");
    ///     assert_eq!(event.detail.job_id, job.job_id);
    ///     if event.detail.status == BatchJobStatus::Succeeded {
    ///         break; // after RUNNABLE, STARTING and RUNNING
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&self) -> JobEvents {
        let receiver = self.events.subscribe();
        self.lock().record_changes();
        JobEvents::new(receiver)
    }

    /// Sends the events of the status changes since the last call (with the state's lock
    /// held, so that they go out in the order of the changes).
    fn publish(&self, state: &mut State) {
        for (id, detail, status, at) in state.take_changes() {
            // An error only means nobody listens now.
            let _ = self
                .events
                .send(Arc::new(JobStateChange::new(id, detail, status, at)));
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves consistent data (each method
        // finishes its updates before it can fail), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts the jobs restored from a journal, on the first call after it was opened (a call
    /// runs on a tokio runtime, which their processes need).
    fn schedule_restored(&self) {
        if self.lock().take_restored() {
            self.schedule();
        }
    }

    /// Writes the jobs to the journal, if there is one (called with the state's lock held, so
    /// that writes land in the order of the changes).
    fn persist(&self, state: &State) -> Result<(), BatchError> {
        match &self.journal {
            Some(journal) => journal.write(state.saved_jobs()),
            None => Ok(()),
        }
    }

    /// [`persist`](Self::persist) after a change no caller waits on: if the write fails, the
    /// jobs are still right in memory, and the next write carries the change. Publishes its
    /// events too.
    pub(crate) fn persist_changed(&self, state: &mut State) {
        self.publish(state);
        let _ = self.persist(state);
    }

    /// Starts whatever can start now.
    fn schedule(&self) {
        let mut state = self.lock();
        let launches = state.advance(now_ms());
        if !launches.is_empty() {
            self.persist_changed(&mut state);
        }
        self.publish(&mut state);
        drop(state);
        for launch in launches {
            runner::spawn(self.clone(), launch);
        }
    }
}

#[async_trait]
impl BatchApi for LocalBatch {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        let response = {
            let mut state = self.lock();
            let response = state.submit(request, now_ms())?;
            // Kept before it is answered: a job the journal lost must not run either.
            if let Err(e) = self.persist(&state) {
                state.forget(&response.job_id);
                return Err(e);
            }
            response
        };
        self.schedule();
        Ok(response)
    }

    async fn describe_jobs(&self, job_ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        self.schedule_restored();
        self.lock().describe(job_ids)
    }

    async fn terminate_job(&self, job_id: &str, reason: &str) -> Result<(), BatchError> {
        self.schedule_restored();
        {
            let mut state = self.lock();
            state.terminate(job_id, reason, now_ms())?;
            self.publish(&mut state);
            self.persist(&state)?;
        }
        self.schedule();
        Ok(())
    }

    async fn list_jobs(&self, job_queue: &str, job_name: &str) -> Result<Vec<String>, BatchError> {
        self.schedule_restored();
        Ok(self.lock().named(job_queue, job_name))
    }
}
