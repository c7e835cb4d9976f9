//! `SubmitJob` construction: a validated request becomes a job (and an array job's children),
//! PENDING and queued for [`State::advance`].

use super::{Job, State, ARN_PREFIX};
use crate::api::BatchError;
use crate::local::validate::{validate, Submission};
use crate::model::{
    ArrayJobDependency, ArrayPropertiesDetail, BatchJobStatus, ContainerDetail, JobDependency,
    JobDetail, SubmitJobRequest, SubmitJobResponse,
};

impl State {
    /// `SubmitJob`: validates the request, then adds the job.
    pub(crate) fn submit(
        &mut self,
        request: SubmitJobRequest,
        now: u64,
    ) -> Result<SubmitJobResponse, BatchError> {
        let submission = validate(request, &self.queues, &self.definitions, |id| {
            self.jobs.contains_key(id)
        })?;
        Ok(self.add_job(submission, now))
    }

    /// A random version-4 UUID.
    pub(super) fn new_id(&mut self) -> String {
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

    /// Adds the job of an accepted submission, with its children when it is an array job.
    fn add_job(&mut self, submission: Submission, now: u64) -> SubmitJobResponse {
        let Submission {
            request,
            queue,
            definition,
            size,
            parameters,
            command,
            environment,
            retry_strategy,
            timeout,
        } = submission;
        let id = self.new_id();
        let detail = JobDetail {
            job_arn: format!("{ARN_PREFIX}:job/{id}"),
            job_name: request.job_name.clone(),
            job_id: id.clone(),
            job_queue: format!("{ARN_PREFIX}:job-queue/{queue}"),
            status: BatchJobStatus::Submitted,
            status_reason: None,
            attempts: Vec::new(),
            created_at: now,
            started_at: None,
            stopped_at: None,
            depends_on: request.depends_on.clone(),
            job_definition: format!("{ARN_PREFIX}:job-definition/{definition}:1"),
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
        let mut job = Job::pending(detail, queue, deps, None, now);
        if let Some(size) = size {
            for index in 0..size {
                let child = self.array_child(&job, &request.depends_on, index, now);
                let child_id = child.detail.job_id.clone();
                job.children.push(child_id.clone());
                self.pending.push(child_id.clone());
                self.jobs.insert(child_id, child);
            }
        } else {
            self.pending.push(id.clone());
        }
        self.jobs.insert(id.clone(), job);
        self.refresh_parent(&id, now);
        SubmitJobResponse {
            job_arn: format!("{ARN_PREFIX}:job/{id}"),
            job_name: request.job_name,
            job_id: id,
        }
    }

    /// Child `index` of the array job `parent`: `N_TO_N` dependencies on array jobs name the
    /// same index, `SEQUENTIAL` makes it wait for the child before it.
    fn array_child(&self, parent: &Job, depends_on: &[JobDependency], index: u32, now: u64) -> Job {
        let id = &parent.detail.job_id;
        let child_id = format!("{id}:{index}");
        let mut deps = Vec::new();
        for dep in depends_on {
            let Some(dep_id) = &dep.job_id else { continue };
            let n_to_n = dep.kind == Some(ArrayJobDependency::NToN)
                && !self.jobs[dep_id].children.is_empty();
            deps.push(if n_to_n {
                format!("{dep_id}:{index}")
            } else {
                dep_id.clone()
            });
        }
        let sequential = depends_on
            .iter()
            .any(|d| d.kind == Some(ArrayJobDependency::Sequential));
        if sequential && index > 0 {
            deps.push(format!("{id}:{}", index - 1));
        }
        let mut detail = parent.detail.clone();
        detail.job_arn = format!("{ARN_PREFIX}:job/{child_id}");
        detail.job_id = child_id;
        detail.array_properties = Some(ArrayPropertiesDetail {
            index: Some(index),
            ..ArrayPropertiesDetail::default()
        });
        detail.depends_on = deps
            .iter()
            .map(|d| JobDependency {
                job_id: Some(d.clone()),
                kind: None,
            })
            .collect();
        Job::pending(detail, parent.queue.clone(), deps, Some(id.clone()), now)
    }
}
