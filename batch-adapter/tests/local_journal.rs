//! The local Batch's journal (`LocalBatch::with_journal`): a local Batch opened again on the
//! same file still has its jobs; an attempt that was running is recorded as interrupted and
//! runs again; a file it cannot read is a clear error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pollflow_batch::model::{BatchJobStatus, JobDetail, SubmitJobRequest};
use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};

/// A fresh directory for one test's journal.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pollflow-journal-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The same Batch each "process" opens: one job at a time, a job that takes `seconds`.
fn batch(dir: &Path) -> LocalBatch {
    LocalBatch::new()
        .with_log_dir(dir.join("logs"))
        .with_queue(JobQueue::new("q", 1))
        .with_definition(
            JobDefinition::shell("sleepy", "sleep Ref::seconds").parameter("seconds", "1"),
        )
}

fn request(name: &str) -> SubmitJobRequest {
    SubmitJobRequest {
        job_name: name.into(),
        job_queue: "q".into(),
        job_definition: "sleepy".into(),
        ..SubmitJobRequest::default()
    }
}

async fn describe(batch: &LocalBatch, id: &str) -> JobDetail {
    batch
        .describe_jobs(&[id.to_owned()])
        .await
        .unwrap()
        .remove(0)
}

/// Polls until the job reaches `status` (or is done); fails the test after 10 s.
async fn wait_for(batch: &LocalBatch, id: &str, status: BatchJobStatus) -> JobDetail {
    for _ in 0..1000 {
        let detail = describe(batch, id).await;
        if detail.status == status || detail.status.is_done() {
            return detail;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not reach {status:?} in 10 s");
}

#[tokio::test]
async fn a_running_job_is_interrupted_with_its_process_and_runs_again_after_reopening() {
    let dir = scratch("running");
    let journal = dir.join("jobs.json");
    let first = batch(&dir).with_journal(&journal).unwrap();
    let job = first.submit_job(request("report")).await.unwrap();
    let running = wait_for(&first, &job.job_id, BatchJobStatus::Running).await;
    assert_eq!(running.status, BatchJobStatus::Running);

    // Another process opens the journal: the first one's attempt did not end in its books.
    let second = batch(&dir).with_journal(&journal).unwrap();
    assert_eq!(
        second.list_jobs("q", "report").await.unwrap(),
        vec![job.job_id.clone()],
        "the job is still there, under its id"
    );
    let done = wait_for(&second, &job.job_id, BatchJobStatus::Succeeded).await;
    assert_eq!(done.status, BatchJobStatus::Succeeded);
    assert_eq!(done.attempts.len(), 2, "{:?}", done.attempts);
    let interrupted = done.attempts[0]
        .status_reason
        .as_deref()
        .unwrap_or_default();
    assert!(
        interrupted.contains("local Batch's process ended"),
        "{interrupted}"
    );
    first.terminate_job(&job.job_id, "test over").await.unwrap();
}

#[tokio::test]
async fn queued_and_finished_jobs_survive_reopening() {
    let dir = scratch("queued");
    let journal = dir.join("jobs.json");
    let first = batch(&dir).with_journal(&journal).unwrap();
    let done = first.submit_job(request("done")).await.unwrap();
    wait_for(&first, &done.job_id, BatchJobStatus::Succeeded).await;
    // One at a time: the first runs, the second waits in the queue.
    let running = first.submit_job(request("running")).await.unwrap();
    let queued = first.submit_job(request("queued")).await.unwrap();
    assert_eq!(
        describe(&first, &queued.job_id).await.status,
        BatchJobStatus::Runnable
    );

    let second = batch(&dir).with_journal(&journal).unwrap();
    let finished = describe(&second, &done.job_id).await;
    assert_eq!(finished.status, BatchJobStatus::Succeeded);
    assert_eq!(
        finished.attempts.len(),
        1,
        "a finished job does not run again"
    );
    for id in [&running.job_id, &queued.job_id] {
        let detail = wait_for(&second, id, BatchJobStatus::Succeeded).await;
        assert_eq!(detail.status, BatchJobStatus::Succeeded, "{id}");
    }
    // A job submitted now is kept too: a third opening lists all three.
    let third = batch(&dir).with_journal(&journal).unwrap();
    for name in ["done", "running", "queued"] {
        assert_eq!(third.list_jobs("q", name).await.unwrap().len(), 1, "{name}");
    }
    first
        .terminate_job(&running.job_id, "test over")
        .await
        .unwrap();
}

#[test]
fn a_file_that_is_not_a_journal_is_a_clear_error() {
    let dir = scratch("bad");
    let not_json = dir.join("notes.txt");
    std::fs::write(&not_json, "shopping list").unwrap();
    let error = batch(&dir).with_journal(&not_json).err().expect("an error");
    assert!(error.message.contains("not a journal"), "{error}");

    let future = dir.join("future.json");
    std::fs::write(&future, r#"{"version": 99, "jobs": []}"#).unwrap();
    let error = batch(&dir).with_journal(&future).err().expect("an error");
    assert!(
        error.message.contains("format version 99") && error.message.contains("version 1"),
        "{error}"
    );
}

#[tokio::test]
async fn a_submit_that_cannot_be_kept_is_refused_and_does_not_run() {
    let dir = scratch("unwritable");
    let journal = dir.join("jobs.json");
    let batch = batch(&dir).with_journal(&journal).unwrap();
    // The journal's new file cannot be created where a directory stands.
    std::fs::create_dir_all(dir.join("jobs.json.new")).unwrap();
    let error = batch.submit_job(request("lost")).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert!(
        batch.list_jobs("q", "lost").await.unwrap().is_empty(),
        "a refused submit leaves no job to run"
    );
}
