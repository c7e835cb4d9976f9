//! The local Batch's job state-change events: EventBridge's shape, one per status change after
//! the submission, in order, to every subscriber.

use std::collections::BTreeSet;
use std::time::Duration;

use pollflow_batch::model::{BatchJobStatus, SubmitJobRequest};
use pollflow_batch::{BatchApi, JobDefinition, JobEvents, JobQueue, JobStateChange, LocalBatch};
use serde_json::json;

fn batch() -> LocalBatch {
    let logs = std::env::temp_dir().join(format!("pollflow-events-{}", std::process::id()));
    LocalBatch::new()
        .with_log_dir(logs)
        .with_queue(JobQueue::new("single", 1))
        .with_definition(JobDefinition::shell("ok", "exit 0"))
        .with_definition(JobDefinition::shell("fail", "exit 3"))
        .with_definition(JobDefinition::shell("slow", "sleep 5"))
}

async fn submit(batch: &LocalBatch, definition: &str) -> String {
    let request = SubmitJobRequest {
        job_name: format!("{definition}-job"),
        job_queue: "single".into(),
        job_definition: definition.into(),
        ..SubmitJobRequest::default()
    };
    batch.submit_job(request).await.unwrap().job_id
}

/// The events of `job` until it is done (other jobs' events are skipped); fails after 10 s.
async fn until_done(events: &mut JobEvents, job: &str) -> Vec<JobStateChange> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.next().await {
            if event.detail.job_id == job {
                seen.push((*event).clone());
                if event.detail.status.is_done() {
                    return;
                }
            }
        }
    })
    .await
    .expect("the job ends within 10 s");
    seen
}

fn statuses(events: &[JobStateChange]) -> Vec<BatchJobStatus> {
    events.iter().map(|e| e.detail.status).collect()
}

#[tokio::test]
async fn a_job_that_succeeds_sends_one_event_per_status_after_its_submission() {
    let batch = batch();
    let mut events = batch.subscribe();
    let job = submit(&batch, "ok").await;
    let seen = until_done(&mut events, &job).await;
    assert_eq!(
        statuses(&seen),
        [
            BatchJobStatus::Runnable,
            BatchJobStatus::Starting,
            BatchJobStatus::Running,
            BatchJobStatus::Succeeded
        ],
        "no event for SUBMITTED or PENDING (none for the submission, as on AWS)"
    );
    let ids: BTreeSet<&str> = seen.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), seen.len(), "each event has its own id");

    // EventBridge's JSON, as a rule's target receives it.
    let last = serde_json::to_value(seen.last().unwrap()).unwrap();
    let arn = last["detail"]["jobArn"].as_str().unwrap().to_owned();
    assert_eq!(last["detail-type"], json!("Batch Job State Change"));
    assert_eq!(last["source"], json!("aws.batch"));
    assert_eq!(last["version"], json!("0"));
    assert_eq!(last["resources"], json!([arn]));
    assert_eq!(last["detail"]["jobId"], json!(job));
    assert_eq!(last["detail"]["status"], json!("SUCCEEDED"));
    let time = last["time"].as_str().unwrap();
    assert!(
        time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time}"
    );
    let read: JobStateChange = serde_json::from_value(last).unwrap();
    assert_eq!(&read, seen.last().unwrap());

    // What DescribeJobs says afterwards agrees with the last event.
    let described = batch.describe_jobs(&[job]).await.unwrap().remove(0);
    assert_eq!(seen.last().unwrap().detail, described);
}

#[tokio::test]
async fn a_failed_job_and_a_terminated_one_end_with_failed_events_and_their_reasons() {
    let batch = batch();
    let mut events = batch.subscribe();
    let failing = submit(&batch, "fail").await;
    let seen = until_done(&mut events, &failing).await;
    let last = seen.last().unwrap();
    assert_eq!(last.detail.status, BatchJobStatus::Failed);
    assert_eq!(
        last.detail.attempts.last().unwrap().container.exit_code,
        Some(3)
    );

    // One slot: the second job waits RUNNABLE behind the first, and is terminated there.
    let running = submit(&batch, "slow").await;
    let waiting = submit(&batch, "ok").await;
    batch.terminate_job(&waiting, "not needed").await.unwrap();
    let seen = until_done(&mut events, &waiting).await;
    assert_eq!(
        statuses(&seen),
        [BatchJobStatus::Runnable, BatchJobStatus::Failed]
    );
    assert_eq!(
        seen.last().unwrap().detail.status_reason.as_deref(),
        Some("not needed")
    );
    batch.terminate_job(&running, "done here").await.unwrap();
    let seen = until_done(&mut events, &running).await;
    assert_eq!(seen.last().unwrap().detail.status, BatchJobStatus::Failed);
    assert_eq!(events.missed(), 0);
}

#[tokio::test]
async fn every_subscriber_gets_the_same_events_and_they_end_with_the_batch() {
    let batch = batch();
    let mut first = batch.subscribe();
    let mut second = batch.subscribe();
    let job = submit(&batch, "ok").await;
    let a = until_done(&mut first, &job).await;
    let b = until_done(&mut second, &job).await;
    assert_eq!(a, b);
    assert_eq!(a.last().unwrap().detail.status, BatchJobStatus::Succeeded);
    drop(batch);
    let end = tokio::time::timeout(Duration::from_secs(10), first.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "no more events once the Batch is gone: {end:?}"
    );
}
