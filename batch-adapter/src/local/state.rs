//! The local Batch's bookkeeping: jobs, queues, the lifecycle and the scheduling decisions.
//! No I/O here: the runner starts and stops processes and reports back. New jobs come in
//! through `submit` (module `submit`, after `validate`).

mod submit;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::oneshot;

use super::config::{JobDefinition, JobQueue};
use super::journal::{SavedJob, SavedJobRef};
use super::retry::should_retry;
use crate::api::{BatchError, DESCRIBE_JOBS_MAX};
use crate::model::{
    AttemptContainerDetail, AttemptDetail, BatchJobStatus, JobDetail, KeyValuePair,
};

const ARN_PREFIX: &str = "arn:aws:batch:local:000000000000";
/// AWS's status reason for a container that exited (either way).
const EXITED: &str = "Essential container in task exited";
/// AWS's status reason for an attempt killed by its timeout.
pub(crate) const TIMED_OUT: &str = "Job attempt duration exceeded timeout";
/// The status reason of an attempt whose process ended with the local Batch's own (found
/// when a journal is opened again): AWS says "Host EC2 ... terminated" for its hosts.
pub(crate) const INTERRUPTED: &str =
    "Host stopped: the local Batch's process ended while the attempt ran";

/// A process to start for one attempt of a job.
pub(crate) struct Launch {
    pub(crate) job_id: String,
    pub(crate) attempt: usize,
    pub(crate) command: Vec<String>,
    pub(crate) environment: Vec<(String, String)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) log_path: PathBuf,
}

/// How an attempt's process ended.
pub(crate) struct Exit {
    pub(crate) code: Option<i32>,
    /// Why it was stopped, when it did not exit by itself.
    pub(crate) reason: Option<String>,
    pub(crate) started_at: u64,
    /// The attempt's log file.
    pub(crate) log: Option<String>,
}

struct Job {
    detail: JobDetail,
    queue: String,
    deps: Vec<String>,
    children: Vec<String>,
    parent: Option<String>,
    history: Vec<(BatchJobStatus, u64)>,
    kill: Option<oneshot::Sender<String>>,
    terminating: Option<String>,
}

impl Job {
    /// A job just submitted: SUBMITTED, then PENDING at once.
    fn pending(
        detail: JobDetail,
        queue: String,
        deps: Vec<String>,
        parent: Option<String>,
        now: u64,
    ) -> Self {
        let mut job = Self {
            detail,
            queue,
            deps,
            children: Vec::new(),
            parent,
            history: Vec::new(),
            kill: None,
            terminating: None,
        };
        job.set_status(BatchJobStatus::Submitted, now);
        job.set_status(BatchJobStatus::Pending, now);
        job
    }

    /// Whether the status changed.
    fn set_status(&mut self, status: BatchJobStatus, now: u64) -> bool {
        let changed = self.detail.status != status || self.history.is_empty();
        if changed {
            self.detail.status = status;
            self.history.push((status, now));
        }
        changed
    }
}

pub(crate) struct State {
    queues: HashMap<String, JobQueue>,
    definitions: HashMap<String, JobDefinition>,
    jobs: HashMap<String, Job>,
    /// Jobs waiting for their dependencies (no array parents), in submission order.
    pending: Vec<String>,
    /// Jobs waiting for capacity, per queue, first come first served (stale ids are skipped).
    runnable: HashMap<String, VecDeque<String>>,
    /// Jobs STARTING or RUNNING, per queue.
    running: HashMap<String, usize>,
    rng: pollflow::policy::Rng,
    log_dir: PathBuf,
    /// Jobs restored from a journal wait to be scheduled (on the next call).
    restored: bool,
    /// The status changes since they were last taken ([`Self::take_changes`]), once anyone
    /// has subscribed to them: the job, its new status and when.
    changes: Option<Vec<(String, BatchJobStatus, u64)>>,
}

impl State {
    pub(crate) fn new(seed: u64, log_dir: PathBuf) -> Self {
        Self {
            queues: HashMap::new(),
            definitions: HashMap::new(),
            jobs: HashMap::new(),
            pending: Vec::new(),
            runnable: HashMap::new(),
            running: HashMap::new(),
            rng: pollflow::policy::Rng::seeded(seed),
            log_dir,
            restored: false,
            changes: None,
        }
    }

    /// Adds the jobs a journal held. An attempt that was starting or running when the journal
    /// was last written ended with the process that ran it: it is recorded as interrupted
    /// ([`INTERRUPTED`]) and the job runs again (or, if it was being terminated, fails).
    pub(crate) fn restore(&mut self, jobs: Vec<SavedJob>, now: u64) {
        for saved in jobs {
            let id = saved.detail.job_id.clone();
            let job = Job {
                detail: saved.detail,
                queue: saved.queue,
                deps: saved.deps,
                children: saved.children,
                parent: saved.parent,
                history: saved.history,
                kill: None,
                terminating: saved.terminating,
            };
            self.jobs.insert(id, job);
        }
        let ids: Vec<String> = self.jobs.keys().cloned().collect();
        for id in ids {
            self.requeue(&id, now);
        }
        self.restored = !self.jobs.is_empty();
    }

    /// Puts a restored job back where its status says it waits.
    fn requeue(&mut self, id: &str, now: u64) {
        let job = self.jobs.get_mut(id).expect("restored jobs exist");
        if !job.children.is_empty() {
            return; // An array parent: its status follows its children's.
        }
        match job.detail.status {
            BatchJobStatus::Submitted | BatchJobStatus::Pending => {
                if job.set_status(BatchJobStatus::Pending, now) {
                    record(&mut self.changes, id, BatchJobStatus::Pending, now);
                }
                self.pending.push(id.to_owned());
            }
            BatchJobStatus::Runnable => self
                .runnable
                .entry(job.queue.clone())
                .or_default()
                .push_back(id.to_owned()),
            BatchJobStatus::Starting | BatchJobStatus::Running => {
                let interrupted = AttemptContainerDetail {
                    exit_code: None,
                    reason: Some(INTERRUPTED.to_owned()),
                    log_stream_name: None,
                };
                job.detail.attempts.push(AttemptDetail {
                    container: interrupted,
                    started_at: job.detail.started_at.unwrap_or(now),
                    stopped_at: now,
                    status_reason: Some(INTERRUPTED.to_owned()),
                });
                match job.terminating.clone() {
                    Some(reason) => self.finish(id, BatchJobStatus::Failed, reason, now),
                    None => self.make_runnable(id, now),
                }
            }
            BatchJobStatus::Succeeded | BatchJobStatus::Failed => {}
        }
    }

    /// RUNNABLE, at the back of its queue.
    fn make_runnable(&mut self, id: &str, now: u64) {
        let Some(job) = self.jobs.get_mut(id) else {
            return;
        };
        if job.set_status(BatchJobStatus::Runnable, now) {
            record(&mut self.changes, id, BatchJobStatus::Runnable, now);
        }
        self.runnable
            .entry(job.queue.clone())
            .or_default()
            .push_back(id.to_owned());
    }

    /// Whether restored jobs wait to be scheduled; reading it clears it.
    pub(crate) fn take_restored(&mut self) -> bool {
        std::mem::take(&mut self.restored)
    }

    /// Every job, as a journal keeps it.
    pub(crate) fn saved_jobs(&self) -> impl Iterator<Item = SavedJobRef<'_>> {
        self.jobs.values().map(|job| SavedJobRef {
            detail: &job.detail,
            queue: &job.queue,
            deps: &job.deps,
            children: &job.children,
            parent: job.parent.as_deref(),
            history: &job.history,
            terminating: job.terminating.as_deref(),
        })
    }

    /// Removes a job just added (and its array children): its submit could not be kept.
    pub(crate) fn forget(&mut self, id: &str) {
        if let Some(job) = self.jobs.remove(id) {
            for child in job.children {
                self.jobs.remove(&child);
            }
        }
        let jobs = &self.jobs;
        self.pending.retain(|id| jobs.contains_key(id));
    }

    pub(crate) fn set_log_dir(&mut self, dir: PathBuf) {
        self.log_dir = dir;
    }

    pub(crate) fn add_queue(&mut self, queue: JobQueue) {
        self.queues.insert(queue.job_queue_name.clone(), queue);
    }

    pub(crate) fn add_definition(&mut self, definition: JobDefinition) {
        self.definitions
            .insert(definition.job_definition_name.clone(), definition);
    }

    /// Moves jobs along (dependencies met → RUNNABLE; capacity free → STARTING) and returns
    /// the processes to start. Costs O(pending + started), not O(all jobs).
    pub(crate) fn advance(&mut self, now: u64) -> Vec<Launch> {
        let mut launches = Vec::new();
        loop {
            let mut progressed = false;
            for id in std::mem::take(&mut self.pending) {
                let job = &self.jobs[&id];
                if job.detail.status != BatchJobStatus::Pending {
                    continue; // Terminated while waiting.
                }
                let deps: Vec<BatchJobStatus> = job
                    .deps
                    .iter()
                    .map(|d| {
                        self.jobs
                            .get(d)
                            .map_or(BatchJobStatus::Succeeded, |j| j.detail.status)
                    })
                    .collect();
                if deps.contains(&BatchJobStatus::Failed) {
                    self.finish(
                        &id,
                        BatchJobStatus::Failed,
                        "Dependent Job failed".into(),
                        now,
                    );
                    progressed = true;
                } else if deps.iter().all(|s| *s == BatchJobStatus::Succeeded) {
                    self.make_runnable(&id, now);
                } else {
                    self.pending.push(id);
                }
            }
            let queues: Vec<String> = self.runnable.keys().cloned().collect();
            for queue in queues {
                let capacity = self.queues.get(&queue).map_or(0, |q| q.max_concurrency);
                while self.running.get(&queue).copied().unwrap_or(0) < capacity {
                    let Some(id) = self.runnable.get_mut(&queue).and_then(VecDeque::pop_front)
                    else {
                        break;
                    };
                    if self.jobs[&id].detail.status == BatchJobStatus::Runnable {
                        *self.running.entry(queue.clone()).or_default() += 1;
                        launches.push(self.launch(&id, now));
                    }
                }
            }
            if !progressed {
                return launches;
            }
        }
    }

    fn launch(&mut self, id: &str, now: u64) -> Launch {
        let log_dir = self.log_dir.clone();
        let job = self.jobs.get_mut(id).expect("launched jobs exist");
        if job.set_status(BatchJobStatus::Starting, now) {
            record(&mut self.changes, id, BatchJobStatus::Starting, now);
        }
        let attempt = job.detail.attempts.len() + 1;
        let container = job.detail.container.clone().unwrap_or_default();
        let mut environment: Vec<(String, String)> = container
            .environment
            .iter()
            .map(|KeyValuePair { name, value }| (name.clone(), value.clone()))
            .collect();
        environment.push(("AWS_BATCH_JOB_ID".into(), job.detail.job_id.clone()));
        environment.push(("AWS_BATCH_JOB_ATTEMPT".into(), attempt.to_string()));
        environment.push(("AWS_BATCH_JQ_NAME".into(), job.queue.clone()));
        environment.push(("AWS_BATCH_CE_NAME".into(), "local".into()));
        if let Some(index) = job.detail.array_properties.as_ref().and_then(|a| a.index) {
            environment.push(("AWS_BATCH_JOB_ARRAY_INDEX".into(), index.to_string()));
        }
        let parent = job.parent.clone();
        let launch = Launch {
            job_id: id.to_owned(),
            attempt,
            command: container.command,
            environment,
            timeout: job
                .detail
                .timeout
                .map(|t| Duration::from_secs(t.attempt_duration_seconds)),
            log_path: log_dir.join(format!("{}-{attempt}.log", id.replace(':', "-"))),
        };
        if let Some(parent) = parent {
            self.refresh_parent(&parent, now);
        }
        launch
    }

    /// The process of `attempt` is running; `kill` stops it.
    pub(crate) fn started(
        &mut self,
        id: &str,
        attempt: usize,
        kill: oneshot::Sender<String>,
        now: u64,
    ) {
        let Some(job) = self.jobs.get_mut(id) else {
            return;
        };
        if job.detail.status != BatchJobStatus::Starting || job.detail.attempts.len() + 1 != attempt
        {
            return;
        }
        if job.set_status(BatchJobStatus::Running, now) {
            record(&mut self.changes, id, BatchJobStatus::Running, now);
        }
        job.detail.started_at = Some(now);
        match job.terminating.clone() {
            Some(reason) => {
                let _ = kill.send(reason);
            }
            None => job.kill = Some(kill),
        }
        if let Some(parent) = job.parent.clone() {
            self.refresh_parent(&parent, now);
        }
    }

    /// An attempt ended: record it, then retry or finish the job.
    pub(crate) fn exited(&mut self, id: &str, exit: Exit, now: u64) {
        let Some(job) = self.jobs.get_mut(id) else {
            return;
        };
        job.kill = None;
        if let Some(running) = self.running.get_mut(&job.queue) {
            *running = running.saturating_sub(1);
        }
        let status_reason = exit.reason.clone().unwrap_or_else(|| EXITED.to_owned());
        let container = AttemptContainerDetail {
            exit_code: exit.code,
            reason: exit.reason.clone(),
            log_stream_name: exit.log.clone(),
        };
        job.detail.attempts.push(AttemptDetail {
            container: container.clone(),
            started_at: exit.started_at,
            stopped_at: now,
            status_reason: Some(status_reason.clone()),
        });
        if let Some(c) = job.detail.container.as_mut() {
            c.exit_code = exit.code;
            c.reason = exit.reason.clone();
            c.log_stream_name = exit.log.clone();
        }
        if exit.code == Some(0) && exit.reason.is_none() {
            self.finish(id, BatchJobStatus::Succeeded, status_reason, now);
            return;
        }
        let retry =
            job.terminating.is_none() && should_retry(&job.detail, &status_reason, &container);
        if retry {
            self.make_runnable(id, now);
        } else {
            let reason = job.terminating.clone().unwrap_or(status_reason);
            self.finish(id, BatchJobStatus::Failed, reason, now);
        }
    }

    /// `TerminateJob`.
    pub(crate) fn terminate(&mut self, id: &str, reason: &str, now: u64) -> Result<(), BatchError> {
        let Some(job) = self.jobs.get_mut(id) else {
            return Err(BatchError::client(format!("job {id:?} does not exist")));
        };
        if job.detail.status.is_done() {
            return Ok(());
        }
        let reason = if reason.is_empty() {
            "Terminated by user".to_owned()
        } else {
            reason.to_owned()
        };
        job.terminating = Some(reason.clone());
        let children = job.children.clone();
        match job.detail.status {
            BatchJobStatus::Running => {
                if let Some(kill) = job.kill.take() {
                    let _ = kill.send(reason.clone());
                }
            }
            // The runner kills it as soon as it has started.
            BatchJobStatus::Starting => {}
            _ if children.is_empty() => {
                self.finish(id, BatchJobStatus::Failed, reason.clone(), now)
            }
            _ => {}
        }
        for child in children {
            self.terminate(&child, &reason, now)?;
        }
        Ok(())
    }

    pub(crate) fn describe(&self, ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        if ids.len() > DESCRIBE_JOBS_MAX {
            return Err(BatchError::client(format!(
                "jobs: at most {DESCRIBE_JOBS_MAX} job ids per DescribeJobs call, got {}",
                ids.len()
            )));
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.jobs.get(id))
            .map(|j| j.detail.clone())
            .collect())
    }

    /// The ids of the jobs named `name` in `queue` (its name or ARN), oldest first; array
    /// children are not listed (as `ListJobs` without an array job id).
    pub(crate) fn named(&self, queue: &str, name: &str) -> Vec<String> {
        let mut jobs: Vec<&Job> = self
            .jobs
            .values()
            .filter(|job| job.parent.is_none() && job.detail.job_name == name)
            .filter(|job| job.queue == queue || job.detail.job_queue == queue)
            .collect();
        jobs.sort_by_key(|job| (job.detail.created_at, job.detail.job_id.clone()));
        jobs.into_iter()
            .map(|job| job.detail.job_id.clone())
            .collect()
    }

    pub(crate) fn history(&self, id: &str) -> Option<Vec<(BatchJobStatus, u64)>> {
        self.jobs.get(id).map(|j| j.history.clone())
    }

    fn finish(&mut self, id: &str, status: BatchJobStatus, reason: String, now: u64) {
        let Some(job) = self.jobs.get_mut(id) else {
            return;
        };
        if job.set_status(status, now) {
            record(&mut self.changes, id, status, now);
        }
        job.detail.status_reason = Some(reason);
        job.detail.stopped_at = Some(now);
        if let Some(parent) = job.parent.clone() {
            self.refresh_parent(&parent, now);
        }
    }

    /// Derives an array parent's status and summary from its children.
    fn refresh_parent(&mut self, id: &str, now: u64) {
        let Some(parent) = self.jobs.get(id) else {
            return;
        };
        if parent.children.is_empty() {
            return;
        }
        let mut summary = std::collections::BTreeMap::new();
        for child in &parent.children {
            *summary
                .entry(self.jobs[child].detail.status)
                .or_insert(0u32) += 1;
        }
        let total = parent.children.len() as u32;
        let count = |s: BatchJobStatus| summary.get(&s).copied().unwrap_or(0);
        let done = count(BatchJobStatus::Succeeded) + count(BatchJobStatus::Failed);
        let started = done + count(BatchJobStatus::Starting) + count(BatchJobStatus::Running);
        let terminating = parent.terminating.clone();
        let parent = self.jobs.get_mut(id).expect("checked above");
        if let Some(array) = parent.detail.array_properties.as_mut() {
            array.status_summary = summary;
        }
        if done == total {
            let failed = parent.detail.array_properties.as_ref().is_some_and(|a| {
                a.status_summary
                    .get(&BatchJobStatus::Failed)
                    .is_some_and(|n| *n > 0)
            });
            let (status, reason) = if failed {
                (
                    BatchJobStatus::Failed,
                    terminating.unwrap_or_else(|| "Array Child Job failed".into()),
                )
            } else {
                (
                    BatchJobStatus::Succeeded,
                    "Array Child Jobs succeeded".into(),
                )
            };
            if parent.set_status(status, now) {
                record(&mut self.changes, id, status, now);
            }
            parent.detail.status_reason = Some(reason);
            parent.detail.stopped_at = Some(now);
        } else if started > 0 && parent.set_status(BatchJobStatus::Running, now) {
            record(&mut self.changes, id, BatchJobStatus::Running, now);
        }
    }

    /// Starts recording status changes for [`Self::take_changes`].
    pub(crate) fn record_changes(&mut self) {
        self.changes.get_or_insert_with(Vec::new);
    }

    /// The status changes since the last call, each with the job as it is now and an event id.
    pub(crate) fn take_changes(&mut self) -> Vec<(String, JobDetail, BatchJobStatus, u64)> {
        let changes = match &mut self.changes {
            Some(changes) if !changes.is_empty() => std::mem::take(changes),
            _ => return Vec::new(),
        };
        changes
            .into_iter()
            .filter_map(|(id, status, at)| {
                let detail = self.jobs.get(&id)?.detail.clone();
                Some((self.new_id(), detail, status, at))
            })
            .collect()
    }
}

/// Notes a job's status change, if anyone listens.
fn record(
    changes: &mut Option<Vec<(String, BatchJobStatus, u64)>>,
    id: &str,
    status: BatchJobStatus,
    now: u64,
) {
    if let Some(changes) = changes {
        changes.push((id.to_owned(), status, now));
    }
}
