//! The HTTP service example (`examples/http_service`), driven over loopback with reqwest on a
//! multi-threaded runtime: start, poll, finish, fail, abort, and 50 jobs at once.

#[path = "../examples/http_service/jobs.rs"]
mod jobs;

use std::time::{Duration, Instant};

use pollflow_batch::model::BatchJobStatus;
use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

const QUEUE: &str = "jobs";

/// A local Batch running up to 64 jobs at once, with short jobs, a failing one and a long one.
fn batch() -> LocalBatch {
    LocalBatch::new()
        .with_log_dir(std::env::temp_dir().join(format!("pollflow-http-{}", std::process::id())))
        .with_queue(JobQueue::new(QUEUE, 64))
        .with_definition(JobDefinition::shell("short", "sleep 0.2; echo done"))
        .with_definition(JobDefinition::shell(
            "failing",
            "echo 'out of disk' >&2; exit 3",
        ))
        .with_definition(JobDefinition::shell("long", "sleep 60"))
}

/// The service on 127.0.0.1, an ephemeral port; its base URL.
async fn serve(batch: LocalBatch) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = jobs::router(batch, Duration::from_millis(100));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// `POST /jobs`: the `Location` of the new job.
async fn submit(client: &Client, base: &str, name: &str, definition: &str) -> String {
    let response = client
        .post(format!("{base}/jobs"))
        .json(&json!({"jobName": name, "jobQueue": QUEUE, "jobDefinition": definition}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("/jobs/"), "{location}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["state"], "RUNNING");
    location
}

/// `GET` until it is no longer 202; checks each 202's `Retry-After`. The final status and body,
/// and how many 202s came first.
async fn wait(client: &Client, url: &str) -> (StatusCode, Value, usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut accepted = 0;
    loop {
        let response = client.get(url).send().await.unwrap();
        let status = response.status();
        if status != StatusCode::ACCEPTED {
            return (status, response.json().await.unwrap(), accepted);
        }
        accepted += 1;
        let retry_after: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after >= 1);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["state"], "RUNNING");
        assert!(
            Instant::now() < deadline,
            "still running after a minute: {body}"
        );
        // Sooner than Retry-After says, to see the 202s.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_accepted_polled_and_done_with_its_detail() {
    let base = serve(batch()).await;
    let client = Client::new();
    let location = submit(&client, &base, "one", "short").await;
    let (status, body, accepted) = wait(&client, &format!("{base}{location}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(accepted >= 1, "202 while the job ran");
    assert_eq!(body["state"], "SUCCEEDED");
    assert_eq!(body["job"]["status"], "SUCCEEDED");
    assert_eq!(body["job"]["jobName"], "one");
    assert_eq!(body["job"]["container"]["exitCode"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_is_reported_with_its_error_and_detail() {
    let base = serve(batch()).await;
    let client = Client::new();
    let location = submit(&client, &base, "broken", "failing").await;
    let (status, body, _) = wait(&client, &format!("{base}{location}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the status request succeeded: {body}"
    );
    assert_eq!(body["state"], "FAILED");
    assert_eq!(body["error"], "States.TaskFailed");
    assert_eq!(body["cause"]["status"], "FAILED");
    assert_eq!(body["cause"]["container"]["exitCode"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_aborts_the_run_and_terminates_the_job() {
    let batch = batch();
    let base = serve(batch.clone()).await;
    let client = Client::new();
    let location = submit(&client, &base, "forever", "long").await;
    let url = format!("{base}{location}");
    // Wait until the job is submitted and checked once.
    let job_id = loop {
        let body: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        if let (Some(id), false) = (body["jobId"].as_str(), body["status"].is_null()) {
            break id.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let response = client.delete(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["state"], "ABORTED");
    assert_eq!(body["jobCancelled"], true);
    // TerminateJob kills the process; the job then ends FAILED with the abort as its reason.
    let deadline = Instant::now() + Duration::from_secs(10);
    let detail = loop {
        let detail = batch
            .describe_jobs(std::slice::from_ref(&job_id))
            .await
            .unwrap()
            .remove(0);
        if detail.status != BatchJobStatus::Running || Instant::now() > deadline {
            break detail;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        detail.status,
        BatchJobStatus::Failed,
        "terminated: {detail:?}"
    );
    let reason = detail.status_reason.unwrap_or_default();
    assert!(reason.contains("aborted"), "{reason}");
    // Still reported as aborted; deleting again is a conflict.
    let (status, body, _) = wait(&client, &url).await;
    assert_eq!(
        (status, &body["state"]),
        (StatusCode::OK, &json!("ABORTED"))
    );
    let again = client.delete(&url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_jobs_are_not_found_and_bad_bodies_refused() {
    let base = serve(batch()).await;
    let client = Client::new();
    for request in [
        client.get(format!("{base}/jobs/999")),
        client.delete(format!("{base}/jobs/999")),
    ] {
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
    let not_json = client
        .post(format!("{base}/jobs"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(not_json.status().is_client_error(), "{}", not_json.status());
    // JSON that is no SubmitJob request: the run fails at its submit.
    let response = client
        .post(format!("{base}/jobs"))
        .json(&json!({"jobName": "no queue"}))
        .send()
        .await
        .unwrap();
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body, _) = wait(&client, &format!("{base}{location}")).await;
    assert_eq!((status, &body["state"]), (StatusCode::OK, &json!("FAILED")));
    assert_eq!(body["error"], "Batch.ClientException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_jobs_all_finish() {
    let base = serve(batch()).await;
    let client = Client::new();
    let locations = futures::future::join_all((0..50).map(|i| {
        let (client, base) = (client.clone(), base.clone());
        async move { submit(&client, &base, &format!("job-{i}"), "short").await }
    }))
    .await;
    let mut seen = std::collections::HashSet::new();
    assert!(
        locations.iter().all(|l| seen.insert(l.clone())),
        "50 distinct locations"
    );
    let finished = futures::future::join_all(locations.iter().map(|location| {
        let (client, url) = (client.clone(), format!("{base}{location}"));
        async move { wait(&client, &url).await }
    }))
    .await;
    let mut job_ids = std::collections::HashSet::new();
    for (i, (status, body, _)) in finished.iter().enumerate() {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "SUCCEEDED", "{body}");
        assert_eq!(body["job"]["jobName"], format!("job-{i}"));
        job_ids.insert(body["job"]["jobId"].as_str().unwrap().to_owned());
    }
    assert_eq!(job_ids.len(), 50, "one Batch job each");
}
