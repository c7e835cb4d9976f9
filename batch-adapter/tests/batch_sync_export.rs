//! A builder Job Poller exported with `batch_sync_export` runs as the builder workflow does:
//! the `.sync` definition loads back into the engine and ends the same way on the local Batch.

use std::time::Duration;

use futures::StreamExt;
use pollflow::asl::to_asl;
use pollflow::workflow::{Arm, Choice};
use pollflow::{Engine, EventKind, Outcome, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::integrations::{service_tasks, BATCH_SUBMIT_JOB_SYNC};
use pollflow_batch::{batch_sync_export, JobDefinition, JobQueue, LocalBatch, LocalNotifier};
use serde_json::{json, Value};

fn manage_batch_job() -> Workflow {
    Workflow::builder("manage-batch-job")
        .submit("Submit Batch Job")
        .wait("Wait", WaitPolicy::fixed(Duration::from_secs(30)))
        .check("Get Job Status")
        .branch(
            "Job Complete?",
            Choice::new()
                .on_succeeded(
                    Arm::notify("Notify Success", "Batch job succeeded").then_succeed("Done"),
                )
                .on_failed(
                    Arm::notify("Notify Failure", "Batch job failed")
                        .then_fail("Job Failed", "States.TaskFailed"),
                ),
        )
        .build()
        .unwrap()
}

/// The same workflow, with an arm for errors (a submit the service refuses).
fn with_on_error() -> Workflow {
    Workflow::builder("with-on-error")
        .submit("Submit Batch Job")
        .wait("Wait", WaitPolicy::fixed(Duration::from_secs(30)))
        .check("Get Job Status")
        .branch(
            "Job Complete?",
            Choice::new().on_error(
                Arm::notify("Notify Error", "could not submit").then_fail("Gave Up", "Job.Error"),
            ),
        )
        .build()
        .unwrap()
}

fn export(workflow: &Workflow) -> Value {
    to_asl(
        workflow.graph(),
        &batch_sync_export("arn:aws:sns:us-east-1:123456789012:jobs"),
    )
    .unwrap()
}

fn exported() -> Value {
    export(&manage_batch_job())
}

/// Runs the exported definition on a local Batch; the outcome and the states entered.
async fn run_locally(definition: &str) -> (Outcome, Vec<String>) {
    run_exported(
        &exported(),
        json!({"jobName": "j", "jobQueue": "q", "jobDefinition": definition}),
    )
    .await
}

async fn run_exported(asl: &Value, input: Value) -> (Outcome, Vec<String>) {
    let batch = LocalBatch::new()
        .with_queue(JobQueue::new("q", 2))
        .with_definition(JobDefinition::shell("ok", "true"))
        .with_definition(JobDefinition::shell("broken", "exit 3"));
    let workflow = Workflow::from_asl(&asl.to_string(), "exported").unwrap();
    let engine = Engine::with_tasks(
        workflow,
        service_tasks(batch, LocalNotifier::new().quiet()),
        TokioClock::new(),
    )
    .build();
    let mut run = engine.start(input);
    let mut entered = Vec::new();
    while let Some(event) = run.next().await {
        if let EventKind::StateEntered { state, .. } = event.kind {
            entered.push(state.to_string());
        }
    }
    (run.finished().cloned().unwrap(), entered)
}

#[test]
fn the_poll_loop_becomes_one_sync_task_and_no_state_points_at_what_was_left_out() {
    let asl = exported();
    let states = asl["States"].as_object().unwrap();
    assert_eq!(
        states["Submit Batch Job"]["Resource"],
        BATCH_SUBMIT_JOB_SYNC
    );
    assert!(!states.contains_key("Wait") && !states.contains_key("Get Job Status"));
    assert!(!asl.to_string().contains("arn:aws:lambda"));
    assert_eq!(
        states["Notify Success"]["Resource"],
        "arn:aws:states:::sns:publish"
    );
    let targets: Vec<&str> = states
        .values()
        .flat_map(|state| {
            let choices = state["Choices"].as_array().into_iter().flatten();
            let catches = state["Catch"].as_array().into_iter().flatten();
            [&state["Next"], &state["Default"]]
                .into_iter()
                .chain(choices.chain(catches).map(|c| &c["Next"]))
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(targets.len() >= 6, "{targets:?}");
    for target in targets {
        assert!(states.contains_key(target), "{target} is not a state");
    }
}

#[tokio::test]
async fn the_exported_definition_succeeds_with_the_job_and_fails_with_it_locally() {
    let (outcome, entered) = run_locally("ok").await;
    match outcome {
        Outcome::Succeeded { output } => assert_eq!(output["Status"], "SUCCEEDED"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        entered,
        [
            "Submit Batch Job",
            "Job Complete?",
            "Notify Success",
            "Done"
        ]
    );

    let (outcome, entered) = run_locally("broken").await;
    match outcome {
        Outcome::Failed { error } => assert_eq!(error.error, "States.TaskFailed"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        entered,
        [
            "Submit Batch Job",
            "Submit Batch Job Failed?",
            "Submit Batch Job Failed",
            "Job Complete?",
            "Notify Failure",
            "Job Failed"
        ]
    );
}

#[tokio::test]
async fn a_submit_the_service_refuses_is_not_a_failed_job() {
    let unknown_queue = json!({"jobName": "j", "jobQueue": "nowhere", "jobDefinition": "ok"});
    // Without an error arm the execution fails with the service's error, as it does locally.
    let (outcome, entered) = run_exported(&exported(), unknown_queue.clone()).await;
    match outcome {
        Outcome::Failed { error } => assert_eq!(error.error, "Batch.ClientException", "{error:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        entered,
        [
            "Submit Batch Job",
            "Submit Batch Job Failed?",
            "Submit Batch Job Error"
        ]
    );

    // With one, the error goes there, not to the failed-job branch.
    let (outcome, entered) = run_exported(&export(&with_on_error()), unknown_queue).await;
    match outcome {
        Outcome::Failed { error } => assert_eq!(error.error, "Job.Error"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        entered,
        [
            "Submit Batch Job",
            "Submit Batch Job Failed?",
            "Submit Batch Job Error",
            "Notify Error",
            "Gave Up"
        ]
    );
}

#[test]
fn a_way_into_the_poll_loop_other_than_a_choice_rule_is_a_problem() {
    let workflow = Workflow::builder("loops")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(Duration::from_secs(30)))
        .check("Check")
        .branch(
            "Done?",
            Choice::new().when(
                pollflow::graph::Condition::Pending,
                Arm::notify("Still Running", "not yet").then_goto("Wait"),
            ),
        )
        .build()
        .unwrap();
    let problems = to_asl(
        workflow.graph(),
        &batch_sync_export("arn:aws:sns:us-east-1:1:t"),
    )
    .unwrap_err()
    .problems;
    assert!(
        problems
            .iter()
            .any(|p| p.state.as_deref() == Some("Still Running") && p.message.contains("\"Wait\"")),
        "{problems:?}"
    );
}
