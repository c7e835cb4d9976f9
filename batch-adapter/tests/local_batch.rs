//! The local Batch: lifecycle, failures, retries, timeouts, termination, arrays,
//! dependencies, capacity and request validation — with real (short) processes.

use std::time::Duration;

use pollflow_batch::model::{
    ArrayJobDependency, ArrayProperties, BatchJobStatus, ContainerOverrides, EvaluateOnExit,
    JobDependency, JobDetail, JobTimeout, KeyValuePair, RetryAction, RetryStrategy,
    SubmitJobRequest,
};
use pollflow_batch::{BatchApi, JobDefinition, JobQueue, LocalBatch};

fn batch() -> LocalBatch {
    let logs = std::env::temp_dir().join(format!("pollflow-batch-tests-{}", std::process::id()));
    LocalBatch::new()
        .with_log_dir(logs)
        .with_queue(JobQueue::new("q", 4))
        .with_queue(JobQueue::new("single", 1))
        .with_definition(JobDefinition::shell("ok", "exit 0"))
        .with_definition(JobDefinition::shell("fail", "echo boom >&2; exit 3"))
        .with_definition(
            JobDefinition::shell("sleepy", "sleep Ref::seconds").parameter("seconds", "0.2"),
        )
        .with_definition(JobDefinition::shell(
            "env",
            "echo \"$AWS_BATCH_JOB_ID $AWS_BATCH_JOB_ARRAY_INDEX $GREETING\" > \"$OUT\"",
        ))
}

fn request(definition: &str, queue: &str) -> SubmitJobRequest {
    SubmitJobRequest {
        job_name: "test-job".into(),
        job_queue: queue.into(),
        job_definition: definition.into(),
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

/// Polls until the job is done; fails the test after 10 s.
async fn wait_done(batch: &LocalBatch, id: &str) -> JobDetail {
    for _ in 0..1000 {
        let detail = describe(batch, id).await;
        if detail.status.is_done() {
            return detail;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not finish in 10 s");
}

fn statuses(batch: &LocalBatch, id: &str) -> Vec<BatchJobStatus> {
    batch
        .history(id)
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

#[tokio::test]
async fn a_job_goes_through_the_whole_lifecycle_in_order() {
    let batch = batch();
    let job = batch.submit_job(request("sleepy", "q")).await.unwrap();
    assert!(job.job_arn.ends_with(&job.job_id));
    let detail = wait_done(&batch, &job.job_id).await;
    assert_eq!(detail.status, BatchJobStatus::Succeeded);
    assert_eq!(
        statuses(&batch, &job.job_id),
        BatchJobStatus::ALL[..6].to_vec()
    );
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.attempts[0].container.exit_code, Some(0));
    assert!(detail.attempts[0].stopped_at - detail.attempts[0].started_at >= 150);
    assert_eq!(detail.container.unwrap().command, ["sh", "-c", "sleep 0.2"]);
}

#[tokio::test]
async fn a_failing_command_fails_the_job_with_its_exit_code_and_output_in_the_log() {
    let batch = batch();
    let job = batch.submit_job(request("fail", "q")).await.unwrap();
    let detail = wait_done(&batch, &job.job_id).await;
    assert_eq!(detail.status, BatchJobStatus::Failed);
    assert_eq!(
        detail.status_reason.as_deref(),
        Some("Essential container in task exited")
    );
    assert_eq!(detail.attempts[0].container.exit_code, Some(3));
    let log = detail.attempts[0]
        .container
        .log_stream_name
        .clone()
        .unwrap();
    assert_eq!(std::fs::read_to_string(log).unwrap(), "boom\n");
}

#[tokio::test]
async fn the_job_environment_and_overrides_reach_the_process() {
    let batch = batch();
    let out = std::env::temp_dir().join(format!("pollflow-env-{}", std::process::id()));
    let mut req = request("env", "q");
    req.container_overrides = Some(ContainerOverrides {
        command: None,
        environment: vec![
            KeyValuePair {
                name: "GREETING".into(),
                value: "hello".into(),
            },
            KeyValuePair {
                name: "OUT".into(),
                value: out.display().to_string(),
            },
        ],
    });
    let job = batch.submit_job(req).await.unwrap();
    assert_eq!(
        wait_done(&batch, &job.job_id).await.status,
        BatchJobStatus::Succeeded
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{}  hello\n", job.job_id)
    );
}

#[tokio::test]
async fn retries_follow_attempts_and_evaluate_on_exit() {
    let batch = batch();
    // Exit code 3 is retried until the attempts are used up.
    let mut req = request("fail", "q");
    req.retry_strategy = Some(RetryStrategy {
        attempts: 3,
        evaluate_on_exit: vec![],
    });
    let job = batch.submit_job(req).await.unwrap();
    let detail = wait_done(&batch, &job.job_id).await;
    assert_eq!(detail.status, BatchJobStatus::Failed);
    assert_eq!(detail.attempts.len(), 3);
    let history = statuses(&batch, &job.job_id);
    assert_eq!(
        history
            .iter()
            .filter(|s| **s == BatchJobStatus::Runnable)
            .count(),
        3
    );

    // An EXIT rule matching the exit code stops at the first attempt.
    let mut req = request("fail", "q");
    req.retry_strategy = Some(RetryStrategy {
        attempts: 3,
        evaluate_on_exit: vec![
            EvaluateOnExit {
                on_exit_code: Some("3".into()),
                on_status_reason: None,
                on_reason: None,
                action: RetryAction::Exit,
            },
            EvaluateOnExit {
                on_exit_code: Some("*".into()),
                on_status_reason: None,
                on_reason: None,
                action: RetryAction::Retry,
            },
        ],
    });
    let job = batch.submit_job(req).await.unwrap();
    assert_eq!(wait_done(&batch, &job.job_id).await.attempts.len(), 1);
}

#[tokio::test]
async fn a_timed_out_attempt_is_killed_and_the_job_fails_with_a_reason() {
    let batch = batch();
    let mut req = request("sleepy", "q");
    req.parameters.insert("seconds".into(), "30".into());
    req.timeout = Some(JobTimeout {
        attempt_duration_seconds: 1,
    });
    let job = batch.submit_job(req).await.unwrap();
    let started = std::time::Instant::now();
    let detail = wait_done(&batch, &job.job_id).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "killed after ~1 s, not 30"
    );
    assert_eq!(detail.status, BatchJobStatus::Failed);
    assert_eq!(
        detail.status_reason.as_deref(),
        Some("Job attempt duration exceeded timeout")
    );
    assert_eq!(detail.attempts[0].container.exit_code, None);
}

#[tokio::test]
async fn terminate_kills_the_process_and_everything_it_started() {
    let batch = batch();
    let pid_file = std::env::temp_dir().join(format!("pollflow-pid-{}", std::process::id()));
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let batch = batch.with_definition(JobDefinition::shell("forever", script));
    let job = batch.submit_job(request("forever", "q")).await.unwrap();
    // Wait until it runs and its grandchild exists.
    while !(describe(&batch, &job.job_id).await.status == BatchJobStatus::Running
        && pid_file.exists())
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let grandchild: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    batch
        .terminate_job(&job.job_id, "Stopped by the test")
        .await
        .unwrap();
    let detail = wait_done(&batch, &job.job_id).await;
    assert_eq!(detail.status, BatchJobStatus::Failed);
    assert_eq!(detail.status_reason.as_deref(), Some("Stopped by the test"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let alive = std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
        .is_ok_and(|stat| !stat.contains(") Z "));
    assert!(!alive, "process {grandchild} outlived its terminated job");
    // Terminating a finished job is a no-op; an unknown job is a ClientException.
    batch.terminate_job(&job.job_id, "again").await.unwrap();
    let err = batch.terminate_job("nope", "x").await.unwrap_err();
    assert_eq!(err.name(), "Batch.ClientException");
}

#[tokio::test]
async fn array_jobs_run_each_index_and_summarize_on_the_parent() {
    let batch = batch();
    let out_dir = std::env::temp_dir().join(format!("pollflow-array-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let batch = batch.with_definition(JobDefinition::shell(
        "indexed",
        format!(
            "echo $AWS_BATCH_JOB_ARRAY_INDEX > {}/$AWS_BATCH_JOB_ARRAY_INDEX",
            out_dir.display()
        ),
    ));
    let mut req = request("indexed", "q");
    req.array_properties = Some(ArrayProperties { size: 5 });
    let job = batch.submit_job(req).await.unwrap();
    let parent = wait_done(&batch, &job.job_id).await;
    assert_eq!(parent.status, BatchJobStatus::Succeeded);
    let array = parent.array_properties.unwrap();
    assert_eq!(array.size, Some(5));
    assert_eq!(
        array.status_summary.get(&BatchJobStatus::Succeeded),
        Some(&5)
    );
    for i in 0..5 {
        assert_eq!(
            std::fs::read_to_string(out_dir.join(i.to_string())).unwrap(),
            format!("{i}\n")
        );
        let child = describe(&batch, &format!("{}:{i}", job.job_id)).await;
        assert_eq!(child.array_properties.unwrap().index, Some(i));
    }
}

#[tokio::test]
async fn dependencies_wait_and_a_failed_dependency_fails_the_dependent() {
    let batch = batch();
    let first = batch.submit_job(request("sleepy", "q")).await.unwrap();
    let mut second = request("ok", "q");
    second.depends_on = vec![JobDependency {
        job_id: Some(first.job_id.clone()),
        kind: None,
    }];
    let second = batch.submit_job(second).await.unwrap();
    assert_eq!(
        describe(&batch, &second.job_id).await.status,
        BatchJobStatus::Pending
    );
    let (a, b) = (
        wait_done(&batch, &first.job_id).await,
        wait_done(&batch, &second.job_id).await,
    );
    assert_eq!(b.status, BatchJobStatus::Succeeded);
    assert!(b.started_at.unwrap() >= a.stopped_at.unwrap());

    let failing = batch.submit_job(request("fail", "q")).await.unwrap();
    let mut dependent = request("ok", "q");
    dependent.depends_on = vec![JobDependency {
        job_id: Some(failing.job_id),
        kind: None,
    }];
    let dependent = batch.submit_job(dependent).await.unwrap();
    let detail = wait_done(&batch, &dependent.job_id).await;
    assert_eq!(detail.status, BatchJobStatus::Failed);
    assert_eq!(
        detail.status_reason.as_deref(),
        Some("Dependent Job failed")
    );
    assert!(detail.attempts.is_empty(), "it never ran");
}

#[tokio::test]
async fn sequential_array_children_run_one_after_another() {
    let batch = batch();
    let mut req = request("sleepy", "q");
    req.parameters.insert("seconds".into(), "0.05".into());
    req.array_properties = Some(ArrayProperties { size: 3 });
    req.depends_on = vec![JobDependency {
        job_id: None,
        kind: Some(ArrayJobDependency::Sequential),
    }];
    let job = batch.submit_job(req).await.unwrap();
    wait_done(&batch, &job.job_id).await;
    let mut last_stop = 0;
    for i in 0..3 {
        let child = describe(&batch, &format!("{}:{i}", job.job_id)).await;
        assert!(
            child.started_at.unwrap() >= last_stop,
            "child {i} started before {} ended",
            i.max(1) - 1
        );
        last_stop = child.stopped_at.unwrap();
    }
}

#[tokio::test]
async fn a_queue_runs_at_most_its_concurrency() {
    let batch = batch();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            batch
                .submit_job(request("sleepy", "single"))
                .await
                .unwrap()
                .job_id,
        );
    }
    let mut most_running = 0;
    loop {
        let details = batch.describe_jobs(&ids).await.unwrap();
        let running = details
            .iter()
            .filter(|d| matches!(d.status, BatchJobStatus::Starting | BatchJobStatus::Running))
            .count();
        most_running = most_running.max(running);
        if details.iter().all(|d| d.status.is_done()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(most_running, 1);
    // The third waited in RUNNABLE.
    assert!(statuses(&batch, &ids[2]).contains(&BatchJobStatus::Runnable));
}

#[tokio::test]
async fn bad_requests_get_client_exceptions_that_say_what_is_wrong() {
    let batch = batch();
    let cases: Vec<(SubmitJobRequest, &str)> = vec![
        (
            request("ok", "missing-queue"),
            "jobQueue \"missing-queue\" does not exist",
        ),
        (
            request("missing-def", "q"),
            "jobDefinition \"missing-def\" does not exist",
        ),
        (
            SubmitJobRequest {
                job_name: "bad name!".into(),
                ..request("ok", "q")
            },
            "jobName \"bad name!\"",
        ),
        (
            SubmitJobRequest {
                array_properties: Some(ArrayProperties { size: 1 }),
                ..request("ok", "q")
            },
            "between 2 and 10,000, got 1",
        ),
        (
            SubmitJobRequest {
                array_properties: Some(ArrayProperties { size: 10_001 }),
                ..request("ok", "q")
            },
            "got 10001",
        ),
        (
            SubmitJobRequest {
                depends_on: vec![JobDependency {
                    job_id: Some("ghost".into()),
                    kind: None,
                }],
                ..request("ok", "q")
            },
            "dependsOn: job \"ghost\" does not exist",
        ),
        (
            SubmitJobRequest {
                retry_strategy: Some(RetryStrategy {
                    attempts: 11,
                    evaluate_on_exit: vec![],
                }),
                ..request("ok", "q")
            },
            "between 1 and 10, got 11",
        ),
        (
            SubmitJobRequest {
                timeout: Some(JobTimeout {
                    attempt_duration_seconds: 0,
                }),
                ..request("ok", "q")
            },
            "attemptDurationSeconds",
        ),
    ];
    for (req, expected) in cases {
        let err = batch.submit_job(req).await.unwrap_err();
        assert_eq!(err.name(), "Batch.ClientException");
        assert!(
            err.message.contains(expected),
            "{:?} does not mention {expected:?}",
            err.message
        );
    }
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let err = batch.describe_jobs(&too_many).await.unwrap_err();
    assert!(err.message.contains("at most 100"), "{}", err.message);
    // Unknown ids are simply left out, as AWS does.
    assert!(batch
        .describe_jobs(&["ghost".to_owned()])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn arns_and_revisions_resolve_to_local_names_and_a_config_file_loads() {
    let config = r#"{
        "jobQueues": [{"jobQueueName": "SampleJobQueue-4d9d696031e1449", "maxConcurrency": 2}],
        "jobDefinitions": [{"jobDefinitionName": "SampleJobDefinition-343f54b445d5312",
                            "containerProperties": {"command": ["true"]}}]
    }"#;
    let path = std::env::temp_dir().join(format!("pollflow-config-{}.json", std::process::id()));
    std::fs::write(&path, config).unwrap();
    let batch =
        LocalBatch::from_config(pollflow_batch::LocalBatchConfig::from_file(&path).unwrap());
    let seed_input: SubmitJobRequest = serde_json::from_value(serde_json::json!({
        "jobName": "my-job",
        "jobDefinition": "arn:aws:batch:us-east-2:123456789012:job-definition/SampleJobDefinition-343f54b445d5312:1",
        "jobQueue": "arn:aws:batch:us-east-2:123456789012:job-queue/SampleJobQueue-4d9d696031e1449",
        "wait_time": 60
    }))
    .unwrap();
    let job = batch.submit_job(seed_input).await.unwrap();
    assert_eq!(
        wait_done(&batch, &job.job_id).await.status,
        BatchJobStatus::Succeeded
    );
    let bad = pollflow_batch::LocalBatchConfig::from_file("/nonexistent.json").unwrap_err();
    assert!(bad.message.contains("/nonexistent.json"));
}
