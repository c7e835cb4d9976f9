//! `pollflow serve` driven by the AWS SDK for Rust (`aws-sdk-sfn`), as a program written
//! against Step Functions would drive it.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::Server;
use support::temp_path;

const JOB_POLLER: &str = include_str!("../../examples/state-machines/job-poller.asl.json");
const ROLE: &str = "arn:aws:iam::123456789012:role/pollflow";

async fn create(client: &Client, name: &str, definition: &str) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(ROLE)
        .send()
        .await
        .expect("created")
        .state_machine_arn
}

/// Waits (up to 20 s) for the execution to end; returns its description.
async fn ended(
    client: &Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let started = Instant::now();
    loop {
        let described = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("described");
        if described.status != ExecutionStatus::Running {
            return described;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{arn} still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every page of an execution's history.
async fn history(client: &Client, arn: &str) -> Vec<HistoryEvent> {
    let mut events = Vec::new();
    let mut next = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(5)
            .set_next_token(next)
            .send()
            .await
            .expect("history");
        events.extend(page.events);
        next = page.next_token;
        if next.is_none() {
            return events;
        }
    }
}

fn mock_config() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/serve/job-poller.mock.json"
    )
    .to_owned()
}

#[tokio::test]
async fn the_job_poller_runs_on_a_mocked_test_case_with_aws_history() {
    let server = Server::start(&["--mock-config", &mock_config()]);
    let client = server.client();
    let machine = create(&client, "JobPoller", JOB_POLLER).await;
    let started = client
        .start_execution()
        .state_machine_arn(format!("{machine}#RunningTwiceThenSucceeded"))
        .name("poll-1")
        .input(r#"{"wait_time": 0}"#)
        .send()
        .await
        .expect("started");
    assert_eq!(
        started.execution_arn,
        "arn:aws:states:us-east-1:123456789012:execution:JobPoller:poll-1"
    );
    let described = ended(&client, &started.execution_arn).await;
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(described.output().expect("output")).unwrap();
    assert_eq!(output, json!({"jobId": "job-42", "status": "SUCCEEDED"}));

    let events = history(&client, &started.execution_arn).await;
    let types: Vec<&str> = events.iter().map(|e| e.r#type.as_str()).collect();
    let check = [
        "WaitStateEntered",
        "WaitStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
    ];
    let mut expected = vec![
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
    ];
    for _ in 0..3 {
        expected.extend(check);
    }
    expected.extend([
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]);
    assert_eq!(types, expected);
    for (at, event) in events.iter().enumerate() {
        assert_eq!(event.id, at as i64 + 1);
        assert_eq!(event.previous_event_id, at as i64);
    }
    // Each state's entry carries its input, its exit its output.
    let entered: Vec<(&str, Value)> = events
        .iter()
        .filter_map(|e| e.state_entered_event_details())
        .map(|d| (d.name(), serde_json::from_str(d.input().unwrap()).unwrap()))
        .collect();
    assert_eq!(entered[0], ("Submit Job", json!({"wait_time": 0})));
    assert_eq!(
        entered[2],
        ("Get Job Status", json!({"wait_time": 0, "guid": "job-42"}))
    );
    let exited: Vec<Value> = events
        .iter()
        .filter_map(|e| e.state_exited_event_details())
        .map(|d| serde_json::from_str(d.output().unwrap()).unwrap())
        .collect();
    assert_eq!(
        exited[2],
        json!({"wait_time": 0, "guid": "job-42", "status": "RUNNING"})
    );

    // The other test case fails at the Fail state.
    let failed = client
        .start_execution()
        .state_machine_arn(format!("{machine}#Failed"))
        .input(r#"{"wait_time": 0}"#)
        .send()
        .await
        .expect("started");
    let described = ended(&client, &failed.execution_arn).await;
    assert_eq!(described.status, ExecutionStatus::Failed);
    assert_eq!(described.error(), Some("DescribeJob returned FAILED"));
    let listed = client
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("listed");
    let names: Vec<&str> = listed.executions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[1], "poll-1", "newest first: {names:?}");
}

#[tokio::test]
async fn without_a_test_case_the_job_poller_runs_a_job_on_the_embedded_local_batch() {
    let server = Server::start(&[]);
    let client = server.client();
    let machine = create(&client, "JobPoller", JOB_POLLER).await;
    let mut input: Value = serde_json::from_str(include_str!(
        "../../examples/state-machines/job-poller.input.json"
    ))
    .unwrap();
    input["wait_time"] = json!(1);
    let started = client
        .start_execution()
        .state_machine_arn(&machine)
        .input(input.to_string())
        .send()
        .await
        .expect("started");
    let described = ended(&client, &started.execution_arn).await;
    assert_eq!(
        described.status,
        ExecutionStatus::Succeeded,
        "{described:?}"
    );
    assert_eq!(described.output(), Some(r#""SUCCEEDED""#));
    // The local job was submitted once and checked until it ended.
    let events = history(&client, &started.execution_arn).await;
    let submitted: Vec<Value> = events
        .iter()
        .filter_map(|e| e.lambda_function_succeeded_event_details())
        .map(|d| serde_json::from_str(d.output().unwrap()).unwrap())
        .collect();
    assert!(submitted[0]["jobId"].is_string(), "{submitted:?}");
    assert_eq!(submitted.last(), Some(&json!("SUCCEEDED")));
}

#[tokio::test]
async fn a_task_token_state_bound_with_task_completes_through_send_task_success() {
    let token_file = temp_path("serve-token.json");
    let _ = std::fs::remove_file(&token_file);
    let bind = format!("Ask=cat > {}", token_file.display());
    let server = Server::start(&["--task", &bind]);
    let client = server.client();
    let definition = json!({
        "StartAt": "Ask",
        "States": {"Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": true
        }}
    });
    let machine = create(&client, "Approval", &definition.to_string()).await;
    let started = client
        .start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("started");
    let begun = Instant::now();
    let token = loop {
        let sent: Option<Value> = std::fs::read_to_string(&token_file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if let Some(token) = sent
            .as_ref()
            .and_then(|m| m["MessageBody"]["token"].as_str())
        {
            break token.to_owned();
        }
        assert!(
            begun.elapsed() < Duration::from_secs(10),
            "no token written"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved": true}"#)
        .send()
        .await
        .expect("accepted");
    let described = ended(&client, &started.execution_arn).await;
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.output(), Some(r#"{"approved":true}"#));
    let again = client
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .expect_err("a second send is refused");
    assert_eq!(again.code(), Some("TaskTimedOut"), "{again:?}");
    let types: Vec<String> = history(&client, &started.execution_arn)
        .await
        .iter()
        .map(|e| e.r#type.as_str().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn bad_requests_get_aws_error_names() {
    let server = Server::start(&[]);
    let client = server.client();
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:Missing";
    let e = client
        .describe_state_machine()
        .state_machine_arn(missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("StateMachineDoesNotExist"));
    let e = client
        .describe_state_machine()
        .state_machine_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidArn"));
    let e = client
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Missing:x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ExecutionDoesNotExist"));
    let e = client
        .create_state_machine()
        .name("Broken")
        .definition(r#"{"StartAt": "Nowhere", "States": {}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidDefinition"));
    let e = client
        .create_state_machine()
        .name("bad name")
        .definition(r#"{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidName"));
    let wait =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": true}}});
    let machine = create(&client, "Waits", &wait.to_string()).await;
    let start = |input: &'static str| {
        client
            .start_execution()
            .state_machine_arn(&machine)
            .name("once")
            .input(input)
            .send()
    };
    let first = start("{}").await.expect("started");
    let same = start("{}")
        .await
        .expect("the same start again is answered with it");
    assert_eq!(same.execution_arn, first.execution_arn);
    let e = start(r#"{"other": 1}"#).await.unwrap_err();
    assert_eq!(e.code(), Some("ExecutionAlreadyExists"));
    let e = start("{not json").await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidExecutionInput"));
    let e = client
        .send_task_success()
        .task_token("nonsense")
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidToken"));
    let e = client
        .send_task_heartbeat()
        .task_token("0".repeat(48))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("TaskDoesNotExist"));
    client
        .stop_execution()
        .execution_arn(&first.execution_arn)
        .error("Stopped.ByTest")
        .cause("enough")
        .send()
        .await
        .expect("stopped");
    let described = ended(&client, &first.execution_arn).await;
    assert_eq!(described.status, ExecutionStatus::Aborted);
    assert_eq!(described.error(), Some("Stopped.ByTest"));
    let events = history(&client, &first.execution_arn).await;
    let last = events.last().expect("events");
    assert_eq!(last.r#type.as_str(), "ExecutionAborted");
    let aborted = last.execution_aborted_event_details().expect("details");
    assert_eq!(aborted.cause(), Some("enough"));
}

#[tokio::test]
async fn state_machines_are_created_listed_updated_validated_and_deleted() {
    let server = Server::start(&[]);
    let client = server.client();
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}});
    let arns = [
        create(&client, "First", &pass.to_string()).await,
        create(&client, "Second", &pass.to_string()).await,
        create(&client, "Third", &pass.to_string()).await,
    ];
    // Created again alike: answered with the machine; with another definition: refused.
    assert_eq!(create(&client, "First", &pass.to_string()).await, arns[0]);
    let other = json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}).to_string();
    let e = client
        .create_state_machine()
        .name("First")
        .definition(&other)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("StateMachineAlreadyExists"));

    let first = client
        .list_state_machines()
        .max_results(2)
        .send()
        .await
        .unwrap();
    let token = first.next_token.clone().expect("a second page");
    let second = client
        .list_state_machines()
        .next_token(token)
        .send()
        .await
        .unwrap();
    let names: Vec<String> = first
        .state_machines
        .iter()
        .chain(&second.state_machines)
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(names, ["First", "Second", "Third"]);

    client
        .update_state_machine()
        .state_machine_arn(&arns[1])
        .definition(&other)
        .send()
        .await
        .expect("updated");
    let described = client
        .describe_state_machine()
        .state_machine_arn(&arns[1])
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition, other);
    assert_eq!(described.role_arn, ROLE);

    let valid = client
        .validate_state_machine_definition()
        .definition(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(valid.result.as_str(), "OK");
    let invalid = client
        .validate_state_machine_definition()
        .definition(r#"{"StartAt": "Gone", "States": {"S": {"Type": "Succeed"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.result.as_str(), "FAIL");
    assert!(
        invalid.diagnostics[0].message.contains("Gone"),
        "{invalid:?}"
    );

    client
        .delete_state_machine()
        .state_machine_arn(&arns[2])
        .send()
        .await
        .expect("deleted");
    let e = client
        .describe_state_machine()
        .state_machine_arn(&arns[2])
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("StateMachineDoesNotExist"));
}

#[tokio::test]
async fn start_sync_execution_answers_when_an_express_execution_ends() {
    let server = Server::start(&[]);
    let client = server.client();
    let definition = json!({
        "StartAt": "Pause",
        "States": {
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Add"},
            "Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": true}
        }
    })
    .to_string();
    let express = client
        .create_state_machine()
        .name("Quick")
        .definition(&definition)
        .role_arn(ROLE)
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let begun = Instant::now();
    let ended = client
        .start_sync_execution()
        .state_machine_arn(&express)
        .input(r#"{"a": 2, "b": 3}"#)
        .send()
        .await
        .expect("ran");
    assert!(
        begun.elapsed() >= Duration::from_secs(1),
        "answered before the Wait ended"
    );
    assert_eq!(ended.status.as_str(), "SUCCEEDED");
    assert_eq!(ended.output(), Some(r#"{"sum":5}"#));
    let standard = create(&client, "Slow", &definition).await;
    let e = client
        .start_sync_execution()
        .state_machine_arn(&standard)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("StateMachineTypeNotSupported"));
}

#[tokio::test]
async fn mocks_answer_sync_and_token_states_and_a_throw_is_caught() {
    let mocks = json!({
        "StateMachines": {"Mixed": {"TestCases": {"All": {
            "Run": "JobDone",
            "Ask": "Approved",
            "Flaky": "FailsTwice"
        }}}},
        "MockedResponses": {
            "JobDone": {"0": {"Return": {"JobId": "j-1", "Status": "SUCCEEDED"}}},
            "Approved": {"0": {"Return": {"approved": true}}},
            "FailsTwice": {
                "0-1": {"Throw": {"Error": "Service.Busy", "Cause": "try later"}},
                "2": {"Return": "third time"}
            }
        }
    });
    let file = temp_path("serve-mocks.json");
    std::fs::write(&file, mocks.to_string()).unwrap();
    let server = Server::start(&["--mock-config", file.to_str().unwrap()]);
    let client = server.client();
    let definition = json!({
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::batch:submitJob.sync",
                "Parameters": {"JobName": "j", "JobQueue": "q", "JobDefinition": "d"},
                "ResultSelector": {"status.$": "$.Status"},
                "ResultPath": "$.job",
                "Next": "Ask"
            },
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "ResultPath": "$.answer",
                "Next": "Flaky"
            },
            "Flaky": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Flaky",
                "Retry": [{"ErrorEquals": ["Service.Busy"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
                "ResultPath": "$.flaky",
                "Next": "Done"
            },
            "Done": {"Type": "Succeed"}
        }
    });
    let machine = create(&client, "Mixed", &definition.to_string()).await;
    let started = client
        .start_execution()
        .state_machine_arn(format!("{machine}#All"))
        .send()
        .await
        .expect("started");
    let described = ended(&client, &started.execution_arn).await;
    assert_eq!(
        described.status,
        ExecutionStatus::Succeeded,
        "{described:?}"
    );
    let output: Value = serde_json::from_str(described.output().unwrap()).unwrap();
    // One retry (two failures): the second failure is caught.
    assert_eq!(
        output,
        json!({
            "job": {"status": "SUCCEEDED"},
            "answer": {"approved": true},
            "caught": {"Error": "Service.Busy", "Cause": "try later"}
        })
    );
    let types: Vec<String> = history(&client, &started.execution_arn)
        .await
        .iter()
        .map(|e| e.r#type.as_str().to_owned())
        .filter(|t| t.starts_with("LambdaFunction"))
        .collect();
    assert_eq!(
        types,
        [
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed"
        ]
    );

    // A test case the file does not have is refused when the execution starts.
    let e = client
        .start_execution()
        .state_machine_arn(format!("{machine}#Nope"))
        .send()
        .await
        .unwrap_err();
    assert!(
        e.message()
            .unwrap_or_default()
            .contains("no test case \"Nope\""),
        "{e:?}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_executions_so_an_open_sync_request_answers_and_the_server_exits() {
    let mut server = Server::start(&[]);
    let client = server.client();
    let long =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}});
    let express = client
        .create_state_machine()
        .name("Long")
        .definition(long.to_string())
        .role_arn(ROLE)
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let waiting = tokio::spawn(
        client
            .start_sync_execution()
            .state_machine_arn(express)
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let answered = waiting
        .await
        .unwrap()
        .expect("the sync request was answered");
    assert_eq!(answered.status.as_str(), "FAILED");
}

#[tokio::test]
async fn a_map_entered_twice_reports_each_entry_s_items() {
    let server = Server::start(&[]);
    let client = server.client();
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
                "ResultPath": null,
                "Next": "More?"
            },
            "More?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.items[1]", "IsPresent": true, "Next": "Fewer"}],
                "Default": "Done"
            },
            "Fewer": {"Type": "Pass", "Result": [1], "ResultPath": "$.items", "Next": "Each"},
            "Done": {"Type": "Succeed"}
        }
    });
    let machine = create(&client, "Maps", &definition.to_string()).await;
    let started = client
        .start_execution()
        .state_machine_arn(machine)
        .input(r#"{"items": [1, 2, 3]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ended(&client, &started.execution_arn).await.status,
        ExecutionStatus::Succeeded
    );
    let lengths: Vec<i32> = history(&client, &started.execution_arn)
        .await
        .iter()
        .filter_map(|e| e.map_state_started_event_details())
        .map(|d| d.length)
        .collect();
    assert_eq!(lengths, [3, 1]);
}
