//! A process that dies between a job's submit and the save of its handle, and the next one
//! that resumes its checkpoint: shared by the local Batch and the moto tests.

use std::time::Duration;

use futures::StreamExt;
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Checkpoint, Engine, JobStatus, Outcome, Poller, TaskError, TokioClock,
    WaitPolicy, Workflow,
};
use pollflow_batch::{BatchApi, BatchPoller};
use serde_json::Value;
use tokio::sync::Notify;

/// A poller whose submit reaches the service, and whose answer never comes back.
struct LostAnswer<P> {
    inner: P,
    delivered: Notify,
}

#[async_trait]
impl<P: Poller> Poller for LostAnswer<P> {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        unreachable!("the engine submits with a key")
    }

    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        let created = self.inner.submit_keyed(input, key).await;
        assert!(created.is_ok(), "the service took the job: {created:?}");
        self.delivered.notify_one();
        futures::future::pending().await
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.inner.check(handle).await
    }
}

fn job_poller() -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait(
            "Wait X Seconds",
            WaitPolicy::fixed(Duration::from_millis(100)).with_max_wait(Duration::from_secs(60)),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("a valid workflow")
}

/// Starts a Job Poller run on `api`, checkpoints it once its submit has reached the service
/// but not answered, drops it (the crash), and resumes the checkpoint on a new engine. Returns
/// the resumed run's outcome and the ids of the jobs named `input.jobName` in its queue.
pub(crate) async fn crash_after_submit_then_resume<B>(
    api: B,
    input: Value,
) -> (Outcome, Vec<String>)
where
    B: BatchApi + Clone + 'static,
{
    let lost = std::sync::Arc::new(LostAnswer {
        inner: BatchPoller::new(api.clone()),
        delivered: Notify::new(),
    });
    let engine = Engine::new(job_poller(), lost.clone(), TokioClock::new());
    let mut run = engine.start(input.clone());
    tokio::select! {
        () = async { while run.next().await.is_some() {} } => panic!("the run ended"),
        () = lost.delivered.notified() => {}
    }
    let saved = serde_json::to_string(&run.checkpoint()).expect("a checkpoint serializes");
    drop((run, engine));

    let engine = Engine::new(
        job_poller(),
        BatchPoller::new(api.clone()),
        TokioClock::new(),
    );
    let checkpoint: Checkpoint = serde_json::from_str(&saved).expect("the checkpoint loads");
    let outcome = engine
        .resume(checkpoint)
        .expect("the checkpoint fits")
        .outcome()
        .await;
    let queue = input["jobQueue"].as_str().unwrap_or_default();
    let name = input["jobName"].as_str().unwrap_or_default();
    let jobs = api.list_jobs(queue, name).await.expect("ListJobs");
    (outcome, jobs)
}
