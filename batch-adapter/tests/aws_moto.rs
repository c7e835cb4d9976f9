//! AwsBatch and SnsNotifier against moto, an AWS-compatible server on 127.0.0.1 (started by
//! `scripts/test.sh`). Assertions read what moto holds, not only what our code returns.

#[allow(
    dead_code,
    reason = "the moto module serves several test files; this one uses part of it"
)]
mod moto;

use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use moto::{config, jobs_named, moto, use_docker, FaultLayer};
use pollflow::workflow::Choice;
use pollflow::{
    Engine, EventKind, Notification, Notifier, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow,
};
use pollflow_batch::aws::{AwsBatch, SnsNotifier};
use pollflow_batch::model::{
    ContainerOverrides, JobTimeout, KeyValuePair, RetryStrategy, SubmitJobRequest,
};
use pollflow_batch::{BatchApi, BatchErrorKind, BatchPoller};
use serde_json::json;

/// moto is one shared server; its Docker switch is global. One test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn job_poller(wait: Duration) -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait(
            "Wait X Seconds",
            WaitPolicy::fixed(wait).with_max_wait(Duration::from_secs(60)),
        )
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap()
}

#[tokio::test]
async fn submit_sends_every_field_and_moto_holds_them() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    use_docker(&moto, false).await;
    let layer = FaultLayer::new(0);
    let sdk = config(&moto, &layer).await;
    let batch = AwsBatch::new(&sdk);
    let name = unique("fields");
    let submitted = batch
        .submit_job(SubmitJobRequest {
            job_name: name.clone(),
            job_queue: moto.job_queue.clone(),
            job_definition: moto.job_definition.clone(),
            parameters: [("inputFile".to_owned(), "s3://bucket/key".to_owned())].into(),
            container_overrides: Some(ContainerOverrides {
                command: Some(vec!["echo".into(), "Ref::inputFile".into()]),
                environment: vec![KeyValuePair {
                    name: "MODE".into(),
                    value: "fast".into(),
                }],
            }),
            retry_strategy: Some(RetryStrategy {
                attempts: 2,
                evaluate_on_exit: vec![],
            }),
            timeout: Some(JobTimeout {
                attempt_duration_seconds: 120,
            }),
            tags: [("team".to_owned(), "data".to_owned())].into(),
            ..SubmitJobRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(submitted.job_name, name);

    // Read it back with the SDK itself: what moto stored.
    let raw = aws_sdk_batch::Client::new(&sdk)
        .describe_jobs()
        .jobs(&submitted.job_id)
        .send()
        .await
        .unwrap();
    let job = &raw.jobs()[0];
    assert_eq!(job.job_name(), Some(name.as_str()));
    assert_eq!(job.job_queue(), Some(moto.job_queue.as_str()));
    assert!(
        job.job_definition()
            .unwrap()
            .starts_with(&moto.job_definition),
        "{:?}",
        job.job_definition()
    );
    assert_eq!(
        job.parameters()
            .and_then(|p| p.get("inputFile"))
            .map(String::as_str),
        Some("s3://bucket/key")
    );
    assert_eq!(layer.forwarded("submitjob"), 1);

    // And through our describe: the same job, in our model.
    let ours = &batch
        .describe_jobs(std::slice::from_ref(&submitted.job_id))
        .await
        .unwrap()[0];
    assert_eq!(ours.job_id, submitted.job_id);
    assert_eq!(
        ours.parameters.get("inputFile").map(String::as_str),
        Some("s3://bucket/key")
    );
}

#[tokio::test]
async fn the_job_poller_succeeds_and_a_failed_job_is_a_task_failure() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    let layer = FaultLayer::new(0);
    let sdk = config(&moto, &layer).await;
    let engine = Engine::new(
        job_poller(Duration::from_millis(100)),
        BatchPoller::new(AwsBatch::new(&sdk)),
        TokioClock::new(),
    );
    let input = |name: &str| json!({"jobName": name, "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition, "wait_time": 1});

    use_docker(&moto, false).await;
    let name = unique("poller-ok");
    let Outcome::Succeeded { output } = engine.start(input(&name)).outcome().await else {
        panic!("expected success")
    };
    assert_eq!(output["jobName"], name.as_str());
    assert_eq!(output["status"], "SUCCEEDED");

    // With Docker requested and none running, moto fails the job.
    use_docker(&moto, true).await;
    let outcome = engine.start(input(&unique("poller-fail"))).outcome().await;
    use_docker(&moto, false).await;
    let Outcome::Failed { error } = outcome else {
        panic!("expected failure, got {outcome:?}")
    };
    assert_eq!(error.error, "States.TaskFailed");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&error.cause).unwrap()["status"],
        "FAILED"
    );
}

#[tokio::test]
async fn api_errors_are_named_like_step_functions_names_them() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    let layer = FaultLayer::new(0);
    let batch = AwsBatch::new(&config(&moto, &layer).await);
    let err = batch
        .submit_job(SubmitJobRequest {
            job_name: "x".into(),
            job_queue: "no-such-queue".into(),
            job_definition: moto.job_definition.clone(),
            ..SubmitJobRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, BatchErrorKind::Client);
    assert_eq!(err.name(), "Batch.ClientException");
    assert!(err.message.contains("no-such-queue"), "{}", err.message);

    // Nobody listening: a network error, transient, apart from job failure.
    let unreachable = moto::Moto {
        endpoint: "http://127.0.0.1:9".into(),
        ..moto
    };
    let batch = AwsBatch::new(&config(&unreachable, &FaultLayer::new(0)).await);
    let err = batch.describe_jobs(&["a".to_owned()]).await.unwrap_err();
    assert_eq!(err.name(), "Batch.NetworkException");
    assert!(err.is_transient());
}

#[tokio::test]
async fn sns_notifier_publishes_message_subject_and_attributes() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    let sdk = config(&moto, &FaultLayer::new(0)).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    // Start from an empty queue.
    let _ = sqs
        .purge_queue()
        .queue_url(&moto.sqs_queue_url)
        .send()
        .await;
    let marker = unique("notify");
    SnsNotifier::new(&sdk, &moto.topic_arn)
        .with_attribute("workflow", "Manage a Batch Job")
        .notify(&Notification {
            state: "Notify Success".into(),
            subject: Some("Batch job done".into()),
            message: format!("Batch job submitted through Step Functions succeeded ({marker})"),
            detail: json!(null),
        })
        .await
        .unwrap();

    let bodies = moto::receive_until(&sqs, &moto.sqs_queue_url, |bodies| {
        bodies.iter().any(|b| b.contains(&marker))
    })
    .await;
    let body = bodies
        .iter()
        .find(|b| b.contains(&marker))
        .expect("the message reached the subscribed queue");
    let envelope: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(envelope["TopicArn"], moto.topic_arn.as_str());
    assert_eq!(envelope["Subject"], "Batch job done");
    assert_eq!(
        envelope["Message"],
        format!("Batch job submitted through Step Functions succeeded ({marker})")
    );
    assert_eq!(
        envelope["MessageAttributes"]["state"]["Value"],
        "Notify Success"
    );
    assert_eq!(
        envelope["MessageAttributes"]["workflow"]["Value"],
        "Manage a Batch Job"
    );
}

#[tokio::test]
async fn two_hundred_fifty_workflows_cost_at_most_three_describe_jobs_calls_per_round() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    use_docker(&moto, false).await;
    let layer = FaultLayer::new(0);
    let sdk = config(&moto, &layer).await;
    // The 250 SubmitJob answers, and so the first checks, spread over a few hundred ms when
    // the machine is busy (gaps of over 50 ms were seen with builds running beside the test):
    // a linger of 500 ms keeps the round together however the answers arrive.
    let poller = PollGroup::lingering(
        BatchPoller::new(AwsBatch::new(&sdk)),
        100,
        TokioClock::new(),
        Duration::from_millis(500),
    );
    let engine = Engine::new(
        job_poller(Duration::from_millis(200)),
        poller,
        TokioClock::new(),
    );
    let prefix = unique("fleet");
    let runs: FuturesUnordered<_> = (0..250)
        .map(|i| {
            let input = json!({"jobName": format!("{prefix}-{i}"), "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition});
            engine.start(input).outcome()
        })
        .collect();
    let outcomes: Vec<Outcome> = runs.collect().await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Succeeded { .. })),
        "{:?}",
        outcomes
            .iter()
            .find(|o| !matches!(o, Outcome::Succeeded { .. }))
    );

    // moto SUCCEEDs jobs at once, so each workflow checks once: one round of 250 checks.
    assert_eq!(
        layer.forwarded("describejobs"),
        3,
        "250 checks in one round = 100 + 100 + 50"
    );
    assert_eq!(layer.forwarded("submitjob"), 250);
    assert_eq!(jobs_named(&sdk, &moto.job_queue, &prefix).await.len(), 250);
}

#[tokio::test]
async fn throttling_slows_runs_down_and_never_submits_a_job_twice() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    use_docker(&moto, false).await;
    let run = |throttle_every: usize| {
        let moto = &moto;
        async move {
            let layer = FaultLayer::new(throttle_every);
            let sdk = config(moto, &layer).await;
            let poller = PollGroup::lingering(
                BatchPoller::new(AwsBatch::new(&sdk)),
                100,
                TokioClock::new(),
                Duration::from_millis(20),
            );
            let engine = Engine::new(
                job_poller(Duration::from_millis(100)),
                poller,
                TokioClock::new(),
            );
            let prefix = unique("throttled");
            let started = Instant::now();
            let runs: FuturesUnordered<_> = (0..20)
                .map(|i| engine.start(json!({"jobName": format!("{prefix}-{i}"), "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition})).outcome())
                .collect();
            let outcomes: Vec<Outcome> = runs.collect().await;
            (started.elapsed(), outcomes, layer, sdk, prefix)
        }
    };
    let (calm, calm_outcomes, _, _, _) = run(0).await;
    let (throttled, outcomes, layer, sdk, prefix) = run(3).await;

    assert!(
        calm_outcomes
            .iter()
            .chain(&outcomes)
            .all(|o| matches!(o, Outcome::Succeeded { .. })),
        "{outcomes:?}"
    );
    assert!(
        layer.throttled() >= 5,
        "every third request was refused: {:?}",
        layer.traffic.lock().unwrap()
    );
    assert!(
        throttled > calm,
        "throttled runs took {throttled:?}, calm ones {calm:?}"
    );
    // Each job reached moto exactly once, whatever was refused along the way.
    assert_eq!(layer.forwarded("submitjob"), 20);
    assert_eq!(jobs_named(&sdk, &moto.job_queue, &prefix).await.len(), 20);
}

#[tokio::test]
async fn aborting_a_workflow_terminates_its_job_with_a_reason_naming_the_workflow() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    use_docker(&moto, false).await;
    let layer = FaultLayer::new(0);
    let sdk = config(&moto, &layer).await;
    let engine = Engine::new(
        job_poller(Duration::from_secs(30)),
        BatchPoller::new(AwsBatch::new(&sdk)),
        TokioClock::new(),
    );
    let mut run = engine.start(json!({"jobName": unique("aborted"), "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition}));
    let abort = run.abort_handle();
    let mut job_id = String::new();
    while let Some(event) = run.next().await {
        if let EventKind::TaskSubmitted { handle, .. } = &event.kind {
            job_id = handle.as_str().unwrap().to_owned();
            abort.abort();
        }
    }
    assert_eq!(
        run.finished(),
        Some(&Outcome::Aborted {
            job_cancelled: true
        })
    );
    assert_eq!(layer.forwarded("terminatejob"), 1);
    let raw = aws_sdk_batch::Client::new(&sdk)
        .describe_jobs()
        .jobs(&job_id)
        .send()
        .await
        .unwrap();
    let reason = raw.jobs()[0].status_reason().unwrap_or_default().to_owned();
    assert!(
        reason.contains("\"Job Poller\" was aborted"),
        "moto holds the reason {reason:?}"
    );
}

mod lost_submit;

#[tokio::test]
async fn a_run_resumed_after_a_crash_between_submit_and_save_finds_its_job_on_moto() {
    let _serial = SERIAL.lock().await;
    let moto = moto();
    let layer = FaultLayer::new(0);
    let sdk = config(&moto, &layer).await;
    use_docker(&moto, false).await;
    let name = unique("exactly-once");
    let input = json!({"jobName": name, "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition, "wait_time": 1});
    let (outcome, jobs) = lost_submit::crash_after_submit_then_resume(
        AwsBatch::new(&sdk).with_submit_window(moto::SUBMIT_WINDOW),
        input,
    )
    .await;
    let Outcome::Succeeded { output } = outcome else {
        panic!("expected success, got {outcome:?}")
    };
    assert_eq!(jobs.len(), 1, "one job, not submitted again: {jobs:?}");
    assert_eq!(output["jobId"], jobs[0].as_str());
    // What moto holds, read without our code: one job of that name, tagged with its key.
    let held = jobs_named(&sdk, &moto.job_queue, &name).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let described = aws_sdk_batch::Client::new(&sdk)
        .describe_jobs()
        .jobs(jobs[0].clone())
        .send()
        .await
        .unwrap();
    let tags = described.jobs()[0].tags().cloned().unwrap_or_default();
    assert!(
        tags.contains_key(pollflow_batch::SUBMIT_KEY_TAG),
        "{tags:?}"
    );
}
