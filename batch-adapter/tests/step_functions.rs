//! `StepFunctions` against moto's own Step Functions engine (the fixtures turn on
//! `execute_state_machine`): deploy and update, start, the history as pollflow events (the
//! same as a local run's), stop by dropping the stream, and the Batch `.sync` export.

#[allow(
    dead_code,
    reason = "the moto module serves several test files; this one uses part of it"
)]
mod moto;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use moto::moto;
use pollflow::workflow::Choice;
use pollflow::{Engine, Event, EventKind, Outcome, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::aws::{load_config, service_tasks, StepFunctions};
use pollflow_batch::batch_sync_export;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/pollflow-states";

/// A name no other run of these tests uses on the same server.
fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// A Pass with intrinsic functions, a Wait, a Parallel whose branches publish to SNS and
/// compute, and a Map over the branches' results: what moto's engine runs as the
/// specification says.
fn definition(topic_arn: &str) -> Value {
    json!({
        "StartAt": "Name",
        "States": {
            "Name": {"Type": "Pass", "Next": "Pause",
                "Parameters": {"id.$": "States.Format('job-{}', $.n)", "sum.$": "States.MathAdd($.n, 4)"}},
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Both"},
            "Both": {"Type": "Parallel", "Next": "Each", "Branches": [
                {"StartAt": "Publish", "States": {
                    "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn": topic_arn, "Message.$": "$.id"},
                        "ResultPath": null, "Next": "Published"},
                    "Published": {"Type": "Pass", "End": true}}},
                {"StartAt": "Count", "States": {
                    "Count": {"Type": "Pass", "End": true,
                        "Parameters": {"items.$": "States.ArrayRange(1, $.sum, 2)"}}}}
            ]},
            "Each": {"Type": "Map", "ItemsPath": "$", "End": true, "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}}
        }
    })
}

/// What an event stream showed: the states entered along each route, and how it ended. The
/// same code reads a local run and a Step Functions execution.
async fn watch(
    mut events: impl Stream<Item = Event> + Unpin,
) -> (BTreeMap<Vec<(String, u32)>, Vec<String>>, Option<Outcome>) {
    let mut entered: BTreeMap<Vec<(String, u32)>, Vec<String>> = BTreeMap::new();
    let mut outcome = None;
    while let Some(event) = events.next().await {
        match &event.kind {
            EventKind::StateEntered { state, .. } => entered
                .entry(
                    event
                        .route
                        .iter()
                        .map(|hop| (hop.state.to_string(), hop.index))
                        .collect(),
                )
                .or_default()
                .push(state.to_string()),
            kind => outcome = outcome.or_else(|| Outcome::from_terminal(kind)),
        }
    }
    (entered, outcome)
}

/// A topic with a new queue subscribed to it (raw delivery).
async fn topic_with_queue(sdk: &aws_config::SdkConfig) -> (String, String) {
    let name = unique("sfn");
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let topic = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = moto::queue_arn(&sqs, &queue_url).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    (topic, queue_url)
}

#[tokio::test]
async fn a_deployed_definition_runs_as_it_does_locally_and_its_history_reads_as_the_same_events() {
    let sdk = load_config(Some(&moto().endpoint)).await;
    let sfn = StepFunctions::new(&sdk);
    let (topic, queue_url) = topic_with_queue(&sdk).await;
    let definition = definition(&topic);
    let name = unique("pollflow");

    // Deploy, then deploy again: the second updates the same state machine.
    let placeholder = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let first = sfn
        .deploy(&name, &placeholder.to_string(), ROLE)
        .await
        .unwrap();
    assert!(first.created);
    let second = sfn
        .deploy(&name, &definition.to_string(), ROLE)
        .await
        .unwrap();
    assert!(!second.created);
    assert_eq!(second.arn, first.arn);
    assert_eq!(sfn.state_machine_arn(&name).await.unwrap(), first.arn);

    let input = json!({"n": 3});
    let cloud = sfn.start(&name, &input).await.unwrap();
    let arn = cloud.execution_arn().to_owned();
    let (cloud_entered, cloud_outcome) = watch(cloud).await;

    let workflow = Workflow::from_asl(&definition.to_string(), "local").unwrap();
    let tasks = service_tasks(&sdk);
    let engine = Engine::with_tasks(workflow, tasks, TokioClock::new()).build();
    let (local_entered, local_outcome) = watch(engine.start(input)).await;

    let expected_output = json!([{"id": "job-3", "sum": 7}, {"items": [1, 3, 5, 7]}]);
    assert_eq!(
        local_outcome,
        Some(Outcome::Succeeded {
            output: expected_output.clone()
        })
    );
    assert_eq!(
        cloud_outcome,
        Some(Outcome::Succeeded {
            output: expected_output
        })
    );
    assert_eq!(sfn.status(&arn).await.unwrap(), "SUCCEEDED");
    assert_eq!(cloud_entered, local_entered);
    let branch = |index| vec![("Both".to_owned(), index)];
    assert_eq!(local_entered[&vec![]], ["Name", "Pause", "Both", "Each"]);
    for index in 0..2 {
        assert_eq!(local_entered[&vec![("Each".to_owned(), index)]], ["Item"]);
    }
    assert_eq!(local_entered[&branch(0)], ["Publish", "Published"]);
    assert_eq!(local_entered[&branch(1)], ["Count"]);

    // Both runs published "job-3".
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let bodies = moto::receive_until(&sqs, &queue_url, |bodies| bodies.len() >= 2).await;
    assert_eq!(bodies, ["job-3", "job-3"]);
}

#[tokio::test]
async fn dropping_the_events_of_a_running_execution_stops_it() {
    let sdk = load_config(Some(&moto().endpoint)).await;
    let sfn = StepFunctions::new(&sdk);
    let name = unique("long-wait");
    let definition = json!({"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 600, "End": true}}});
    sfn.deploy(&name, &definition.to_string(), ROLE)
        .await
        .unwrap();

    let mut events = sfn
        .start(&name, &json!({}))
        .await
        .unwrap()
        .with_policy(WaitPolicy::fixed(Duration::from_millis(50)));
    let arn = events.execution_arn().to_owned();
    while let Some(event) = events.next().await {
        if matches!(&event.kind, EventKind::StateEntered { state, .. } if state == "Long") {
            break;
        }
    }
    assert_eq!(sfn.status(&arn).await.unwrap(), "RUNNING");
    drop(events);

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = String::new();
    while Instant::now() < deadline {
        status = sfn.status(&arn).await.unwrap();
        if status != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "ABORTED");
    // Its history ends the way a local aborted run does.
    let (_, outcome) = watch(sfn.events(&arn)).await;
    assert_eq!(
        outcome,
        Some(Outcome::Aborted {
            job_cancelled: false
        })
    );
}

#[tokio::test]
async fn the_builder_job_poller_with_the_batch_poller_deploys_as_a_batch_sync_definition() {
    let moto = moto();
    let sdk = load_config(Some(&moto.endpoint)).await;
    let sfn = StepFunctions::new(&sdk);
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap();
    let name = unique("job-poller");
    let deployed = sfn
        .deploy_workflow(&name, &workflow, &batch_sync_export(&moto.topic_arn), ROLE)
        .await
        .unwrap();
    assert!(deployed.created);

    let described = aws_sdk_sfn::Client::new(&sdk)
        .describe_state_machine()
        .state_machine_arn(&deployed.arn)
        .send()
        .await
        .unwrap();
    let definition: Value = serde_json::from_str(described.definition()).unwrap();
    assert_eq!(
        definition["States"]["Submit Job"]["Resource"],
        "arn:aws:states:::batch:submitJob.sync"
    );
    assert!(!described.definition().contains("arn:aws:lambda"));
    // What was deployed loads back into pollflow (its own validation).
    Workflow::from_asl(described.definition(), "deployed").unwrap();
}

#[tokio::test]
async fn a_missing_state_machine_is_named_in_the_error() {
    let sdk = load_config(Some(&moto().endpoint)).await;
    let sfn = StepFunctions::new(&sdk);
    let error = sfn.start(&unique("nothing"), &json!({})).await.unwrap_err();
    assert_eq!(error.code(), "StateMachineDoesNotExist");
    assert!(!error.is_transient());
}

/// moto has no `ValidateStateMachineDefinition`: a stand-in answers it as AWS documents, and
/// `validate` reads the diagnostics.
#[tokio::test]
async fn validate_reads_step_functions_diagnostics() {
    use axum::http::header::CONTENT_TYPE;
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(|headers: axum::http::HeaderMap, body: String| async move {
            let target = headers["x-amz-target"].to_str().unwrap().to_owned();
            assert_eq!(target, "AWSStepFunctions.ValidateStateMachineDefinition");
            let request: Value = serde_json::from_str(&body).unwrap();
            assert!(request["definition"].as_str().unwrap().contains("Nowhere"));
            let answer = json!({"result": "FAIL", "diagnostics": [{"severity": "ERROR",
                "code": "MISSING_TRANSITION_TARGET", "message": "Missing 'Next' target: Nowhere",
                "location": "/States/A/Next"}]});
            (
                [(CONTENT_TYPE, "application/x-amz-json-1.0")],
                answer.to_string(),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let sfn = StepFunctions::new(&load_config(Some(&url)).await);
    let definition = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}});
    let diagnostics = sfn.validate(&definition.to_string()).await.unwrap();
    assert_eq!(
        diagnostics,
        ["ERROR MISSING_TRANSITION_TARGET at /States/A/Next: Missing 'Next' target: Nowhere"]
    );
}
