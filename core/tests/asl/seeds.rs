//! The seed state machines (examples/state-machines) run unchanged, and survive export.

use super::*;

#[test]
fn the_seed_job_poller_runs_unchanged_on_virtual_time() {
    let checks = Arc::new(SyncCell::new(0));
    let counted = checks.clone();
    let tasks = Tasks::new()
        .handler(
            SUBMIT,
            task_fn(|input: Value| async move {
                assert_eq!(input["jobName"], "my-job");
                Ok(json!({"jobId": "job-1", "jobName": "my-job"}))
            }),
        )
        .handler(
            CHECK,
            task_fn(move |input: Value| {
                let n = counted.get() + 1;
                counted.set(n);
                async move {
                    assert_eq!(
                        input["jobId"], "job-1",
                        "InputPath $.guid selects the submit result"
                    );
                    Ok(json!(if n < 3 { "RUNNING" } else { "SUCCEEDED" }))
                }
            }),
        );
    let workflow = Workflow::from_asl(JOB_POLLER, "Job Poller").unwrap();
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    let input =
        json!({"jobName": "my-job", "jobQueue": "q", "jobDefinition": "d", "wait_time": 60});
    let (events, outcome) = run(&engine, &clock, input);

    // Three waits of wait_time (60 s), three checks in the loop, then Get Final Job Status.
    assert_eq!(checks.get(), 4);
    assert_eq!(
        waits(&events),
        vec![(60_000, 0), (60_000, 60_000), (60_000, 120_000)]
    );
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!("SUCCEEDED")
        }
    );
    let choices: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ChoiceTaken { next, .. } => Some(&**next),
            _ => None,
        })
        .collect();
    assert_eq!(
        choices,
        ["Wait X Seconds", "Wait X Seconds", "Get Final Job Status"]
    );
    assert_eq!(events.last().unwrap().timestamp_ms, 180_000);
}

#[test]
fn the_seed_job_poller_fails_with_its_fail_state() {
    let tasks = Tasks::new()
        .handler(SUBMIT, task_fn(|_| async { Ok(json!({"jobId": "job-1"})) }))
        .handler(CHECK, task_fn(|_| async { Ok(json!("FAILED")) }));
    let outcome = outcome_of(
        serde_json::from_str(JOB_POLLER).unwrap(),
        tasks,
        json!({"wait_time": 5}),
    );
    assert_eq!(
        outcome,
        Outcome::Failed {
            error: TaskError::new("DescribeJob returned FAILED", "AWS Batch Job Failed")
        }
    );
}

#[test]
fn manage_a_batch_job_notifies_success_or_failure_through_sync_and_publish() {
    for (job, expected_message) in [
        (
            JobStatus::succeeded(json!({"Status": "SUCCEEDED"})),
            "Batch job submitted through Step Functions succeeded",
        ),
        (
            JobStatus::failed(json!({"Status": "FAILED", "StatusReason": "exit 3"})),
            "Batch job submitted through Step Functions failed",
        ),
    ] {
        let poller = ScriptedJob::new([
            Ok(JobStatus::pending("RUNNABLE")),
            Ok(JobStatus::pending("RUNNING")),
            Ok(job),
        ]);
        let published = Arc::new(Mutex::new(Vec::new()));
        let sink = published.clone();
        let tasks = Tasks::new()
            .job("arn:aws:states:::batch:submitJob.sync", poller.clone())
            .handler(
                "arn:aws:states:::sns:publish",
                task_fn(move |input: Value| {
                    sink.lock().unwrap().push(input);
                    async { Ok(json!({"MessageId": "m-1"})) }
                }),
            );
        let workflow = Workflow::from_asl(MANAGE_BATCH_JOB, "Manage a Batch Job").unwrap();
        let clock = VirtualClock::new();
        let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
        let (events, outcome) = run(&engine, &clock, json!({}));

        assert_eq!(poller.submits.get(), 1);
        assert_eq!(poller.checks.get(), 3);
        assert_eq!(published.lock().unwrap().len(), 1);
        assert_eq!(published.lock().unwrap()[0]["Message"], expected_message);
        assert_eq!(
            outcome,
            Outcome::Succeeded {
                output: json!({"MessageId": "m-1"})
            }
        );
        let submitted = events.iter().find_map(|e| match &e.kind {
            EventKind::TaskSubmitted { state, .. } => Some(state.to_string()),
            _ => None,
        });
        assert_eq!(submitted.as_deref(), Some("Submit Batch Job"));
    }
}

#[test]
fn the_seeds_survive_export_and_reload() {
    for (text, name) in [
        (JOB_POLLER, "Job Poller"),
        (MANAGE_BATCH_JOB, "Manage a Batch Job"),
    ] {
        let graph = pollflow::asl::from_asl(&serde_json::from_str(text).unwrap(), name).unwrap();
        let exported = pollflow::asl::to_asl(&graph, &Default::default()).unwrap();
        let original: Value = serde_json::from_str(text).unwrap();
        assert_eq!(exported["States"], original["States"], "{name}");
        assert_eq!(exported["StartAt"], original["StartAt"]);
        assert_eq!(pollflow::asl::from_asl(&exported, name).unwrap(), graph);
    }
}
