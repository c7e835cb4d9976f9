//! A `.sync` Task state served by a command: the command is the job, its end the job's end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pollflow::{CheckError, JobStatus, Poller, TaskError};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::ShellCommand;

/// Submitting starts the command in the background (handle `{"Id", "Pid"}`); a check sees it
/// `RUNNING` until it exits, then its JSON stdout is the state's result and a failure is the
/// state's error (`States.TaskFailed`, `States.DataLimitExceeded`). Cancelling (a
/// `TimeoutSeconds`, an abort) kills the command's process group.
///
/// While the command runs, each check asks to be repeated after half the time it has run so
/// far, between 100 ms and 10 s: a short command is seen to end soon after it does, a long one
/// is not checked thousands of times.
pub(crate) struct ShellJob {
    command: ShellCommand,
    next_id: AtomicU64,
    running: Mutex<HashMap<u64, Job>>,
}

/// A command running in the background; dropping it stops the command.
struct Job {
    started: Instant,
    task: JoinHandle<Result<Value, TaskError>>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ShellJob {
    pub(crate) fn new(command: ShellCommand) -> Self {
        Self {
            command,
            next_id: AtomicU64::new(1),
            running: Mutex::default(),
        }
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Job>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The job id in a handle.
fn id(handle: &Value) -> Result<u64, TaskError> {
    handle["Id"]
        .as_u64()
        .ok_or_else(|| TaskError::task_failed(format!("{handle} is not a command's handle")))
}

fn not_running(handle: &Value) -> TaskError {
    TaskError::task_failed(format!("no command is running as {handle}"))
}

#[async_trait]
impl Poller for ShellJob {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        let running = self.command.start(input)?;
        let pid = running.pid();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            started: Instant::now(),
            task: tokio::spawn(running.finish()),
        };
        self.jobs().insert(id, job);
        Ok(json!({ "Id": id, "Pid": pid }))
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        let id = id(handle).map_err(CheckError::Fatal)?;
        let finished = {
            let mut jobs = self.jobs();
            let job = jobs
                .get(&id)
                .ok_or_else(|| CheckError::Fatal(not_running(handle)))?;
            if !job.task.is_finished() {
                let hint = (job.started.elapsed() / 2)
                    .clamp(Duration::from_millis(100), Duration::from_secs(10));
                return Ok(JobStatus::Pending {
                    detail: json!("RUNNING"),
                    retry_after: Some(hint),
                });
            }
            jobs.remove(&id)
        };
        let mut job = finished.ok_or_else(|| CheckError::Fatal(not_running(handle)))?;
        match (&mut job.task).await {
            Ok(Ok(output)) => Ok(JobStatus::succeeded(output)),
            Ok(Err(error)) => Err(CheckError::Fatal(error)),
            Err(e) => Err(CheckError::Fatal(TaskError::task_failed(format!(
                "the command stopped: {e}"
            )))),
        }
    }

    async fn cancel(&self, handle: &Value, _reason: &str) -> Result<(), TaskError> {
        // Dropping the job aborts its task, which kills the command's process group.
        let job = self.jobs().remove(&id(handle)?);
        job.map(drop).ok_or_else(|| not_running(handle))
    }
}
