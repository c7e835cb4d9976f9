//! The Batch poller: the engine drives real local Batch jobs; DescribeJobs calls coalesce.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, Engine, EventKind, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow,
};
use pollflow_batch::model::{BatchJobStatus, JobDetail, SubmitJobRequest, SubmitJobResponse};
use pollflow_batch::{BatchApi, BatchError, BatchPoller, JobDefinition, JobQueue, LocalBatch};
use serde_json::json;

/// Counts DescribeJobs calls and their sizes.
#[derive(Clone)]
struct Counting {
    batch: LocalBatch,
    describes: Arc<Mutex<Vec<usize>>>,
    terminations: Arc<Mutex<Vec<(String, String)>>>,
}

#[async_trait]
impl BatchApi for Counting {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        self.batch.submit_job(request).await
    }
    async fn describe_jobs(&self, ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        self.describes.lock().unwrap().push(ids.len());
        self.batch.describe_jobs(ids).await
    }
    async fn terminate_job(&self, id: &str, reason: &str) -> Result<(), BatchError> {
        self.terminations
            .lock()
            .unwrap()
            .push((id.to_owned(), reason.to_owned()));
        self.batch.terminate_job(id, reason).await
    }
}

fn counting(max_concurrency: usize) -> Counting {
    let batch = LocalBatch::new()
        .with_queue(JobQueue::new("q", max_concurrency))
        .with_definition(JobDefinition::shell("ok", "sleep 0.2; echo done"))
        .with_definition(JobDefinition::shell("fail", "exit 7"))
        .with_definition(JobDefinition::shell("slow", "sleep 30"));
    Counting {
        batch,
        describes: Arc::default(),
        terminations: Arc::default(),
    }
}

fn job_poller(wait: Duration) -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait(
            "Wait X Seconds",
            WaitPolicy::fixed(wait).with_max_wait(Duration::from_secs(20)),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap()
}

fn input(definition: &str) -> serde_json::Value {
    json!({"jobName": "my-job", "jobQueue": "q", "jobDefinition": definition, "wait_time": 1})
}

#[tokio::test]
async fn a_succeeded_job_is_the_output_and_a_failed_job_is_a_task_failure() {
    let api = counting(4);
    let engine = Engine::new(
        job_poller(Duration::from_millis(50)),
        BatchPoller::new(api),
        TokioClock::new(),
    );

    let Outcome::Succeeded { output } = engine.start(input("ok")).outcome().await else {
        panic!()
    };
    assert_eq!(output["status"], "SUCCEEDED");
    assert_eq!(output["jobName"], "my-job");
    assert_eq!(output["attempts"][0]["container"]["exitCode"], 0);

    let Outcome::Failed { error } = engine.start(input("fail")).outcome().await else {
        panic!()
    };
    assert_eq!(error.error, "States.TaskFailed");
    let cause: serde_json::Value = serde_json::from_str(&error.cause).unwrap();
    assert_eq!(cause["status"], "FAILED");
    assert_eq!(cause["container"]["exitCode"], 7);
}

#[tokio::test]
async fn checks_report_the_batch_status_while_pending() {
    let api = counting(4);
    let engine = Engine::new(
        job_poller(Duration::from_millis(40)),
        BatchPoller::new(api),
        TokioClock::new(),
    );
    let events: Vec<_> = engine.start(input("ok")).collect().await;
    let seen: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StatusChecked { status, .. } => status.status_word().map(str::to_owned),
            _ => None,
        })
        .collect();
    assert!(seen.contains(&"RUNNING".to_owned()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("SUCCEEDED"));
}

#[tokio::test]
async fn two_hundred_fifty_workflows_share_three_describe_jobs_calls_per_round() {
    // One job runs, 249 wait in RUNNABLE behind the queue's limit; each workflow gives up
    // after three checks (and terminates its job).
    let api = counting(1);
    // Real clocks drift: a 20 ms linger keeps each round's checks in the same batches.
    let poller = PollGroup::lingering(
        BatchPoller::new(api.clone()),
        100,
        TokioClock::new(),
        Duration::from_millis(20),
    );
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait(
            "Wait X Seconds",
            WaitPolicy::fixed(Duration::from_millis(100)).with_max_attempts(3),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap();
    let engine = Engine::new(workflow, poller, TokioClock::new());
    let runs: FuturesUnordered<_> = (0..250)
        .map(|_| engine.start(input("slow")).outcome())
        .collect();
    let outcomes: Vec<Outcome> = runs.collect().await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::TimedOut { .. })),
        "{outcomes:?}"
    );

    assert_eq!(
        *api.describes.lock().unwrap(),
        [100, 100, 50].repeat(3),
        "three rounds of three calls"
    );
    assert_eq!(api.terminations.lock().unwrap().len(), 250);
}

#[tokio::test]
async fn aborting_a_workflow_terminates_its_job_with_a_reason_naming_the_workflow() {
    let api = counting(4);
    let engine = Engine::new(
        job_poller(Duration::from_millis(50)),
        BatchPoller::new(api.clone()),
        TokioClock::new(),
    );
    let mut run = engine.start(input("slow"));
    let abort = run.abort_handle();
    while let Some(event) = run.next().await {
        if matches!(event.kind, EventKind::StatusChecked { .. }) {
            abort.abort();
        }
    }
    assert_eq!(
        run.finished(),
        Some(&Outcome::Aborted {
            job_cancelled: true
        })
    );
    let (job_id, reason) = api.terminations.lock().unwrap()[0].clone();
    assert!(reason.contains("\"Job Poller\""), "{reason}");
    for _ in 0..500 {
        let detail = api
            .batch
            .describe_jobs(std::slice::from_ref(&job_id))
            .await
            .unwrap()
            .remove(0);
        if detail.status == BatchJobStatus::Failed {
            assert_eq!(detail.status_reason.as_deref(), Some(reason.as_str()));
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the terminated job did not end FAILED");
}

#[tokio::test]
async fn a_bad_input_or_an_unknown_job_is_a_client_exception() {
    let api = counting(4);
    let poller = BatchPoller::new(api);
    let err = pollflow::Poller::submit(&poller, &json!({"jobName": 5}))
        .await
        .unwrap_err();
    assert_eq!(err.error, "Batch.ClientException");
    assert!(
        err.cause.contains("not a SubmitJob request"),
        "{}",
        err.cause
    );
    let err = pollflow::Poller::check(&poller, &json!("no-such-job"))
        .await
        .unwrap_err();
    assert!(!err.is_transient());
    assert_eq!(err.task_error().error, "Batch.ClientException");
}

mod lost_submit;

#[tokio::test]
async fn a_run_resumed_after_a_crash_between_submit_and_save_finds_its_job_on_the_local_batch() {
    let batch = LocalBatch::new()
        .with_queue(JobQueue::new("q", 4))
        .with_definition(JobDefinition::shell("ok", "sleep 0.2; echo done"));
    let input = json!({"jobName": "exactly-once", "jobQueue": "q", "jobDefinition": "ok"});
    let (outcome, jobs) = lost_submit::crash_after_submit_then_resume(batch.clone(), input).await;
    let Outcome::Succeeded { output } = outcome else {
        panic!("expected success, got {outcome:?}")
    };
    assert_eq!(jobs.len(), 1, "one job, not submitted again: {jobs:?}");
    assert_eq!(output["jobId"], jobs[0].as_str());
    assert_eq!(
        output["tags"][pollflow_batch::SUBMIT_KEY_TAG]
            .as_str()
            .map(str::len),
        Some(16 + 2),
        "the job carries its submit key: {output}"
    );
}

#[tokio::test]
async fn find_submitted_looks_a_job_up_by_its_key_among_jobs_of_its_name() {
    use pollflow::Poller;
    let batch = LocalBatch::new()
        .with_queue(JobQueue::new("q", 4))
        .with_definition(JobDefinition::shell("ok", "true"));
    let poller = BatchPoller::new(batch.clone());
    let input = json!({"jobName": "named", "jobQueue": "q", "jobDefinition": "ok"});
    let first = poller.submit_keyed(&input, "key-1").await.unwrap();
    let second = poller.submit_keyed(&input, "key-2").await.unwrap();
    poller.submit(&input).await.unwrap();
    assert_eq!(
        poller.find_submitted(&input, "key-1").await.unwrap(),
        Some(first)
    );
    assert_eq!(
        poller.find_submitted(&input, "key-2").await.unwrap(),
        Some(second)
    );
    assert_eq!(poller.find_submitted(&input, "key-3").await.unwrap(), None);
    let other_name = json!({"jobName": "other", "jobQueue": "q", "jobDefinition": "ok"});
    assert_eq!(
        poller.find_submitted(&other_name, "key-1").await.unwrap(),
        None
    );
    assert_eq!(batch.list_jobs("q", "named").await.unwrap().len(), 3);
}
