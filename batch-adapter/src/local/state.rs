//! The local Batch's bookkeeping: jobs, queues, the lifecycle and the scheduling decisions.
//! No I/O here: the runner starts and stops processes and reports back.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::oneshot;

use super::config::{JobDefinition, JobQueue};
use crate::api::{BatchError, DESCRIBE_JOBS_MAX};
use crate::model::{
    ArrayJobDependency, ArrayPropertiesDetail, AttemptContainerDetail, AttemptDetail,
    ContainerDetail, JobDependency, JobDetail, JobStatus, KeyValuePair, RetryAction,
    SubmitJobRequest, SubmitJobResponse,
};

const ARN_PREFIX: &str = "arn:aws:batch:local:000000000000";
/// AWS's status reason for a container that exited (either way).
const EXITED: &str = "Essential container in task exited";
/// AWS's status reason for an attempt killed by its timeout.
pub(crate) const TIMED_OUT: &str = "Job attempt duration exceeded timeout";

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
    history: Vec<(JobStatus, u64)>,
    kill: Option<oneshot::Sender<String>>,
    terminating: Option<String>,
}

impl Job {
    fn set_status(&mut self, status: JobStatus, now: u64) {
        if self.detail.status != status || self.history.is_empty() {
            self.detail.status = status;
            self.history.push((status, now));
        }
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
    rng: pollflow::Rng,
    log_dir: PathBuf,
}

/// The name in a name, `name:revision`, or ARN.
fn resource_name(reference: &str) -> &str {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    match name.rsplit_once(':') {
        Some((base, revision)) if revision.chars().all(|c| c.is_ascii_digit()) => base,
        _ => name,
    }
}

fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

fn valid_job_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
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
            rng: pollflow::Rng::seeded(seed),
            log_dir,
        }
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

    fn new_id(&mut self) -> String {
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    pub(crate) fn submit(
        &mut self,
        request: SubmitJobRequest,
        now: u64,
    ) -> Result<SubmitJobResponse, BatchError> {
        let queue = resource_name(&request.job_queue).to_owned();
        if !self.queues.contains_key(&queue) {
            return Err(BatchError::client(format!(
                "jobQueue {:?} does not exist",
                request.job_queue
            )));
        }
        let definition_name = resource_name(&request.job_definition);
        let Some(definition) = self.definitions.get(definition_name).cloned() else {
            return Err(BatchError::client(format!(
                "jobDefinition {:?} does not exist",
                request.job_definition
            )));
        };
        if !valid_job_name(&request.job_name) {
            return Err(BatchError::client(format!(
                "jobName {:?} must be 1 to 128 letters, digits, hyphens and underscores, starting with a letter or digit",
                request.job_name
            )));
        }
        let size = request.array_properties.map(|a| a.size);
        if let Some(size) = size.filter(|s| !(2..=10_000).contains(s)) {
            return Err(BatchError::client(format!(
                "arrayProperties.size must be between 2 and 10,000, got {size}"
            )));
        }
        if request.depends_on.len() > 20 {
            return Err(BatchError::client("dependsOn takes at most 20 jobs"));
        }
        for dep in &request.depends_on {
            match &dep.job_id {
                Some(id) if !self.jobs.contains_key(id) => {
                    return Err(BatchError::client(format!(
                        "dependsOn: job {id:?} does not exist"
                    )))
                }
                None if !(size.is_some() && dep.kind == Some(ArrayJobDependency::Sequential)) => {
                    return Err(BatchError::client(
                        "dependsOn: a jobId is required, except for SEQUENTIAL on an array job",
                    ))
                }
                _ => {}
            }
        }
        let retry_strategy = request
            .retry_strategy
            .clone()
            .or(definition.retry_strategy.clone());
        if let Some(attempts) = retry_strategy
            .as_ref()
            .map(|r| r.attempts)
            .filter(|a| !(1..=10).contains(a))
        {
            return Err(BatchError::client(format!(
                "retryStrategy.attempts must be between 1 and 10, got {attempts}"
            )));
        }
        let timeout = request.timeout.or(definition.timeout);
        if timeout.is_some_and(|t| t.attempt_duration_seconds == 0) {
            return Err(BatchError::client(
                "timeout.attemptDurationSeconds must be at least 1",
            ));
        }

        let mut parameters = definition.parameters.clone();
        parameters.extend(request.parameters.clone());
        let overrides = request.container_overrides.clone().unwrap_or_default();
        let command: Vec<String> = overrides
            .command
            .unwrap_or(definition.container_properties.command.clone())
            .into_iter()
            .map(|arg| substitute(&arg, &parameters))
            .collect();
        if command.is_empty() {
            return Err(BatchError::client(format!(
                "jobDefinition {definition_name:?} has an empty command"
            )));
        }
        let mut environment = definition.container_properties.environment.clone();
        for var in overrides.environment {
            environment.retain(|v| v.name != var.name);
            environment.push(var);
        }

        let id = self.new_id();
        let detail = JobDetail {
            job_arn: format!("{ARN_PREFIX}:job/{id}"),
            job_name: request.job_name.clone(),
            job_id: id.clone(),
            job_queue: format!("{ARN_PREFIX}:job-queue/{queue}"),
            status: JobStatus::Submitted,
            status_reason: None,
            attempts: Vec::new(),
            created_at: now,
            started_at: None,
            stopped_at: None,
            depends_on: request.depends_on.clone(),
            job_definition: format!("{ARN_PREFIX}:job-definition/{definition_name}:1"),
            parameters,
            container: Some(ContainerDetail {
                command,
                environment,
                ..ContainerDetail::default()
            }),
            array_properties: size.map(|size| ArrayPropertiesDetail {
                size: Some(size),
                ..ArrayPropertiesDetail::default()
            }),
            retry_strategy,
            timeout,
            tags: request.tags.clone(),
        };
        let deps: Vec<String> = request
            .depends_on
            .iter()
            .filter_map(|d| d.job_id.clone())
            .collect();
        let mut job = Job {
            detail,
            queue,
            deps: deps.clone(),
            children: Vec::new(),
            parent: None,
            history: Vec::new(),
            kill: None,
            terminating: None,
        };
        job.set_status(JobStatus::Submitted, now);
        job.set_status(JobStatus::Pending, now);

        if let Some(size) = size {
            let sequential = request
                .depends_on
                .iter()
                .any(|d| d.kind == Some(ArrayJobDependency::Sequential));
            for index in 0..size {
                let child_id = format!("{id}:{index}");
                let mut child_deps = Vec::new();
                for dep in &request.depends_on {
                    let Some(dep_id) = &dep.job_id else { continue };
                    let n_to_n = dep.kind == Some(ArrayJobDependency::NToN)
                        && !self.jobs[dep_id].children.is_empty();
                    child_deps.push(if n_to_n {
                        format!("{dep_id}:{index}")
                    } else {
                        dep_id.clone()
                    });
                }
                if sequential && index > 0 {
                    child_deps.push(format!("{id}:{}", index - 1));
                }
                let mut child_detail = job.detail.clone();
                child_detail.job_arn = format!("{ARN_PREFIX}:job/{child_id}");
                child_detail.job_id = child_id.clone();
                child_detail.array_properties = Some(ArrayPropertiesDetail {
                    index: Some(index),
                    ..ArrayPropertiesDetail::default()
                });
                child_detail.depends_on = child_deps
                    .iter()
                    .map(|d| JobDependency {
                        job_id: Some(d.clone()),
                        kind: None,
                    })
                    .collect();
                let mut child = Job {
                    detail: child_detail,
                    queue: job.queue.clone(),
                    deps: child_deps,
                    children: Vec::new(),
                    parent: Some(id.clone()),
                    history: Vec::new(),
                    kill: None,
                    terminating: None,
                };
                child.set_status(JobStatus::Submitted, now);
                child.set_status(JobStatus::Pending, now);
                job.children.push(child_id.clone());
                self.pending.push(child_id.clone());
                self.jobs.insert(child_id, child);
            }
        } else {
            self.pending.push(id.clone());
        }
        self.jobs.insert(id.clone(), job);
        self.refresh_parent(&id, now);
        Ok(SubmitJobResponse {
            job_arn: format!("{ARN_PREFIX}:job/{id}"),
            job_name: request.job_name,
            job_id: id,
        })
    }

    /// Moves jobs along (dependencies met → RUNNABLE; capacity free → STARTING) and returns
    /// the processes to start. Costs O(pending + started), not O(all jobs).
    pub(crate) fn advance(&mut self, now: u64) -> Vec<Launch> {
        let mut launches = Vec::new();
        loop {
            let mut progressed = false;
            for id in std::mem::take(&mut self.pending) {
                let job = &self.jobs[&id];
                if job.detail.status != JobStatus::Pending {
                    continue; // Terminated while waiting.
                }
                let deps: Vec<JobStatus> = job
                    .deps
                    .iter()
                    .map(|d| {
                        self.jobs
                            .get(d)
                            .map_or(JobStatus::Succeeded, |j| j.detail.status)
                    })
                    .collect();
                if deps.contains(&JobStatus::Failed) {
                    self.finish(&id, JobStatus::Failed, "Dependent Job failed".into(), now);
                    progressed = true;
                } else if deps.iter().all(|s| *s == JobStatus::Succeeded) {
                    let job = self.jobs.get_mut(&id).expect("pending jobs exist");
                    job.set_status(JobStatus::Runnable, now);
                    self.runnable
                        .entry(job.queue.clone())
                        .or_default()
                        .push_back(id);
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
                    if self.jobs[&id].detail.status == JobStatus::Runnable {
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
        job.set_status(JobStatus::Starting, now);
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
        if job.detail.status != JobStatus::Starting || job.detail.attempts.len() + 1 != attempt {
            return;
        }
        job.set_status(JobStatus::Running, now);
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
            self.finish(id, JobStatus::Succeeded, status_reason, now);
            return;
        }
        let retry =
            job.terminating.is_none() && should_retry(&job.detail, &status_reason, &container);
        if retry {
            job.set_status(JobStatus::Runnable, now);
            let queue = job.queue.clone();
            self.runnable
                .entry(queue)
                .or_default()
                .push_back(id.to_owned());
        } else {
            let reason = job.terminating.clone().unwrap_or(status_reason);
            self.finish(id, JobStatus::Failed, reason, now);
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
            JobStatus::Running => {
                if let Some(kill) = job.kill.take() {
                    let _ = kill.send(reason.clone());
                }
            }
            // The runner kills it as soon as it has started.
            JobStatus::Starting => {}
            _ if children.is_empty() => self.finish(id, JobStatus::Failed, reason.clone(), now),
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

    pub(crate) fn history(&self, id: &str) -> Option<Vec<(JobStatus, u64)>> {
        self.jobs.get(id).map(|j| j.history.clone())
    }

    fn finish(&mut self, id: &str, status: JobStatus, reason: String, now: u64) {
        let Some(job) = self.jobs.get_mut(id) else {
            return;
        };
        job.set_status(status, now);
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
        let count = |s: JobStatus| summary.get(&s).copied().unwrap_or(0);
        let done = count(JobStatus::Succeeded) + count(JobStatus::Failed);
        let started = done + count(JobStatus::Starting) + count(JobStatus::Running);
        let terminating = parent.terminating.clone();
        let parent = self.jobs.get_mut(id).expect("checked above");
        if let Some(array) = parent.detail.array_properties.as_mut() {
            array.status_summary = summary;
        }
        if done == total {
            let failed = parent.detail.array_properties.as_ref().is_some_and(|a| {
                a.status_summary
                    .get(&JobStatus::Failed)
                    .is_some_and(|n| *n > 0)
            });
            let (status, reason) = if failed {
                (
                    JobStatus::Failed,
                    terminating.unwrap_or_else(|| "Array Child Job failed".into()),
                )
            } else {
                (JobStatus::Succeeded, "Array Child Jobs succeeded".into())
            };
            parent.set_status(status, now);
            parent.detail.status_reason = Some(reason);
            parent.detail.stopped_at = Some(now);
        } else if started > 0 {
            parent.set_status(JobStatus::Running, now);
        }
    }
}

/// Replaces each `Ref::name` in an argument with the parameter `name`; a name is letters,
/// digits, `_` and `-`. Unknown names stay as they are.
fn substitute(arg: &str, parameters: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(at) = rest.find("Ref::") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        match parameters.get(&after[..end]) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[at..at + 5 + end]),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a failed attempt is retried: attempts remain and the first matching
/// `evaluateOnExit` rule (if any matches) says RETRY.
fn should_retry(
    detail: &JobDetail,
    status_reason: &str,
    container: &AttemptContainerDetail,
) -> bool {
    let Some(strategy) = &detail.retry_strategy else {
        return false;
    };
    if detail.attempts.len() >= strategy.attempts as usize {
        return false;
    }
    let exit_code = container
        .exit_code
        .map(|c| c.to_string())
        .unwrap_or_default();
    let reason = container.reason.clone().unwrap_or_default();
    let rule = strategy.evaluate_on_exit.iter().find(|rule| {
        rule.on_status_reason
            .as_deref()
            .is_none_or(|p| matches_pattern(p, status_reason))
            && rule
                .on_reason
                .as_deref()
                .is_none_or(|p| matches_pattern(p, &reason))
            && rule
                .on_exit_code
                .as_deref()
                .is_none_or(|p| matches_pattern(p, &exit_code))
    });
    rule.is_none_or(|r| r.action == RetryAction::Retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_arns_and_revisions() {
        assert_eq!(
            resource_name("arn:aws:batch:us-east-2:123456789012:job-queue/SampleJobQueue-4d9d"),
            "SampleJobQueue-4d9d"
        );
        assert_eq!(
            resource_name("arn:aws:batch:us-east-2:1:job-definition/SampleJobDefinition-343f:1"),
            "SampleJobDefinition-343f"
        );
        assert_eq!(resource_name("Def:7"), "Def");
        assert_eq!(resource_name("Plain"), "Plain");
    }

    #[test]
    fn patterns_allow_a_trailing_star() {
        assert!(matches_pattern(
            "Host EC2*",
            "Host EC2 (instance i-1) terminated."
        ));
        assert!(matches_pattern("3", "3"));
        assert!(!matches_pattern("3", "31"));
        assert!(matches_pattern("*", ""));
    }

    #[test]
    fn parameters_replace_whole_ref_arguments() {
        let params = [("seconds".to_owned(), "3".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(substitute("Ref::seconds", &params), "3");
        assert_eq!(substitute("Ref::missing", &params), "Ref::missing");
        assert_eq!(substitute("sleep", &params), "sleep");
        assert_eq!(
            substitute("sleep Ref::seconds; echo Ref::x", &params),
            "sleep 3; echo Ref::x"
        );
    }
}
