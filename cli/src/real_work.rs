//! What runs in real time during a run: shell commands and local Batch jobs. On simulated
//! time, the clock follows the wall clock while any of it is in flight.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use pollflow_batch::model::{BatchJobStatus, JobDetail, SubmitJobRequest, SubmitJobResponse};
use pollflow_batch::{BatchApi, BatchError, LocalBatch};

/// The real work in flight: shell commands running, local Batch jobs not yet ended. Cloning
/// shares it.
#[derive(Clone)]
pub(crate) struct RealWork {
    commands: Arc<AtomicUsize>,
    batch: LocalBatch,
    /// Jobs submitted through [`RealWork::batch`] that had not ended when last looked at.
    jobs: Arc<Mutex<Vec<String>>>,
}

/// A command running; dropping it says the command is done.
pub(crate) struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl RealWork {
    /// Watches `batch`'s jobs (those submitted through [`RealWork::batch`]).
    pub(crate) fn new(batch: LocalBatch) -> Self {
        Self {
            commands: Arc::default(),
            batch,
            jobs: Arc::default(),
        }
    }

    /// Counts a command as running until the guard is dropped.
    pub(crate) fn command_started(&self) -> Busy {
        self.commands.fetch_add(1, Ordering::AcqRel);
        Busy(self.commands.clone())
    }

    /// The local Batch, noting the jobs submitted through it.
    pub(crate) fn batch(&self) -> WatchedBatch {
        WatchedBatch(self.clone())
    }

    /// Whether a command is running or a Batch job has not ended.
    pub(crate) fn in_flight(&self) -> bool {
        if self.commands.load(Ordering::Acquire) > 0 {
            return true;
        }
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.retain(|id| {
            self.batch
                .history(id)
                .and_then(|history| history.last().map(|(status, _)| *status))
                .is_some_and(|status| {
                    !matches!(status, BatchJobStatus::Succeeded | BatchJobStatus::Failed)
                })
        });
        !jobs.is_empty()
    }
}

/// The local Batch of a [`RealWork`]: every call goes to it; submitted jobs are watched.
#[derive(Clone)]
pub(crate) struct WatchedBatch(RealWork);

#[async_trait]
impl BatchApi for WatchedBatch {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        let response = self.0.batch.submit_job(request).await?;
        self.0
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(response.job_id.clone());
        Ok(response)
    }

    async fn describe_jobs(&self, job_ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        self.0.batch.describe_jobs(job_ids).await
    }

    async fn terminate_job(&self, job_id: &str, reason: &str) -> Result<(), BatchError> {
        self.0.batch.terminate_job(job_id, reason).await
    }
}
