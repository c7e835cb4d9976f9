//! `pollflow deploy`, `pollflow start` and `pollflow run --aws` against moto (started by
//! `scripts/moto-server.sh`, whose fixtures let moto run state machines itself).

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{last_line, pollflow, stderr, stdout, write};

const ROLE: &str = "arn:aws:iam::123456789012:role/pollflow-states";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: these tests need moto; run scripts/test.sh, or `eval \"$(scripts/moto-server.sh start)\"` first")
    })
}

/// A number no other run of these tests uses on the same server.
fn unique() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    u64::try_from(nanos % 1_000_000_000_000).unwrap() * 100 + u64::from(std::process::id() % 100)
}

/// A Wait, a Parallel whose first branch publishes to the fixture topic, and intrinsic
/// functions.
fn definition(topic_arn: &str) -> Value {
    json!({
        "Comment": "deployed by pollflow's tests",
        "StartAt": "Name",
        "States": {
            "Name": {"Type": "Pass", "Next": "Pause",
                "Parameters": {"id.$": "States.Format('job-{}', $.n)", "parts.$": "States.ArrayLength(States.Array($.n, 'a', 'b'))"}},
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Both"},
            "Both": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Publish", "States": {
                    "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn": topic_arn, "Message.$": "$.id"},
                        "ResultPath": null, "End": true}}},
                {"StartAt": "Count", "States": {
                    "Count": {"Type": "Pass", "End": true,
                        "Parameters": {"total.$": "States.MathAdd($.parts, 10)"}}}}
            ]}
        }
    })
}

/// `pollflow deploy FILE --name NAME` with the test role, on `endpoint`.
fn deploy(file: &str, name: &str, endpoint: &str) -> std::process::Output {
    pollflow(&[
        "deploy",
        file,
        "--name",
        name,
        "--role-arn",
        ROLE,
        "--endpoint-url",
        endpoint,
    ])
}

/// The fixture queue's SNS envelopes, until one carries `message` (10 s at most).
fn published(endpoint: &str, message: &str) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .load()
            .await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queue = var("MOTO_SQS_QUEUE_URL");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let received = sqs
                .receive_message()
                .queue_url(&queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            for body in received.messages().iter().filter_map(|m| m.body()) {
                let envelope: Value = serde_json::from_str(body).unwrap_or_default();
                if envelope["Message"] == message {
                    return true;
                }
            }
        }
        false
    })
}

#[test]
fn a_deployed_definition_started_on_moto_ends_as_it_runs_locally_and_publishes() {
    let endpoint = var("MOTO_ENDPOINT");
    let file = write("deployed", &definition(&var("MOTO_TOPIC_ARN")));
    let n = unique();
    let input = json!({"n": n}).to_string();
    let name = format!("pollflow-cli-{n}");

    let local = pollflow(&["run", &file, "--input", &input]);
    assert!(local.status.success(), "{}", stderr(&local));
    let expected = json!([{"id": format!("job-{n}"), "parts": 3}, {"total": 13}]);
    assert_eq!(last_line(&local), expected);

    let deployed = deploy(&file, &name, &endpoint);
    assert!(deployed.status.success(), "{}", stderr(&deployed));
    let arn = stdout(&deployed)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(
        arn.starts_with("arn:aws:states:") && arn.ends_with(&name),
        "{arn}"
    );
    assert!(
        stderr(&deployed).contains("created"),
        "{}",
        stderr(&deployed)
    );
    // Deploying again updates the same state machine.
    let again = deploy(&file, &name, &endpoint);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again).lines().last(), Some(arn.as_str()));
    assert!(stderr(&again).contains("updated"), "{}", stderr(&again));

    let started = pollflow(&[
        "start",
        &name,
        "--input",
        &input,
        "--endpoint-url",
        &endpoint,
    ]);
    assert!(started.status.success(), "{}", stderr(&started));
    assert_eq!(last_line(&started), expected);
    let text = stdout(&started);
    for line in [
        "→ Pause",
        "Both[0] › → Publish",
        "Both[1] › → Count",
        "succeeded",
    ] {
        assert!(text.contains(line), "{line:?} is not in\n{text}");
    }
    // Both runs published; the one on moto went through SNS to the subscribed queue.
    assert!(
        published(&endpoint, &format!("job-{n}")),
        "no SNS message reached the queue"
    );

    // By ARN, with JSON lines: the same outcome.
    let by_arn = pollflow(&[
        "start",
        &arn,
        "--input",
        &input,
        "--json",
        "--endpoint-url",
        &endpoint,
    ]);
    assert!(by_arn.status.success(), "{}", stderr(&by_arn));
    let events: Vec<Value> = stdout(&by_arn)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        events.first().map(|e| &e["type"]),
        Some(&json!("ExecutionStarted"))
    );
    assert!(events.iter().any(|e| e["type"] == "ExecutionSucceeded"));
}

#[test]
fn start_exits_one_when_the_execution_fails_and_two_when_there_is_no_such_machine() {
    let endpoint = var("MOTO_ENDPOINT");
    let n = unique();
    let failing = write(
        "failing",
        &json!({"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Custom.Broken", "Cause": "on purpose"}}}),
    );
    let name = format!("pollflow-cli-failing-{n}");
    let deployed = deploy(&failing, &name, &endpoint);
    assert!(deployed.status.success(), "{}", stderr(&deployed));

    let started = pollflow(&["start", &name, "--endpoint-url", &endpoint]);
    assert_eq!(started.status.code(), Some(1), "{}", stderr(&started));
    assert!(
        stderr(&started).contains("Custom.Broken: on purpose"),
        "{}",
        stderr(&started)
    );

    let missing = pollflow(&[
        "start",
        &format!("nothing-{n}"),
        "--endpoint-url",
        &endpoint,
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("StateMachineDoesNotExist")
            || stderr(&missing).contains("no state machine"),
        "{}",
        stderr(&missing)
    );

    let invalid = write("invalid", &json!({"StartAt": "Nowhere", "States": {}}));
    let refused = deploy(&invalid, &name, &endpoint);
    assert_eq!(refused.status.code(), Some(2));
    let bad_input = pollflow(&["start", &name, "--input", "{", "--endpoint-url", &endpoint]);
    assert_eq!(bad_input.status.code(), Some(2));
}

#[test]
fn run_with_aws_sends_batch_and_sns_calls_to_the_endpoint() {
    let endpoint = var("MOTO_ENDPOINT");
    let input = json!({"jobName": "cli-aws", "jobQueue": var("MOTO_JOB_QUEUE"), "jobDefinition": var("MOTO_JOB_DEFINITION"), "wait_time": 1});
    let out = pollflow(&[
        "run",
        "examples/state-machines/job-poller.asl.json",
        "--aws",
        "--endpoint-url",
        &endpoint,
        "--input",
        &input.to_string(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(last_line(&out), json!("SUCCEEDED"));
    // The job is moto's: its id came from moto's SubmitJob.
    let submitted: Vec<Value> = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "TaskSucceeded" && e["state"] == "Submit Job")
        .collect();
    assert_eq!(submitted.len(), 1);
    assert!(
        submitted[0]["output"]["jobArn"]
            .as_str()
            .unwrap_or_default()
            .contains("arn:aws:batch:"),
        "{submitted:?}"
    );

    let n = unique();
    let notify = write(
        "notify",
        &json!({"StartAt": "Tell", "States": {"Tell": {"Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": var("MOTO_TOPIC_ARN"), "Message": format!("from-run-{n}")}, "End": true}}}),
    );
    let out = pollflow(&["run", &notify, "--aws", "--endpoint-url", &endpoint]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(last_line(&out)["MessageId"].is_string());
    assert!(
        published(&endpoint, &format!("from-run-{n}")),
        "no SNS message reached the queue"
    );

    let usage = pollflow(&["run", &notify, "--endpoint-url", &endpoint]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).contains("--aws"), "{}", stderr(&usage));
}

#[test]
fn sigint_stops_the_execution_that_start_is_watching() {
    let endpoint = var("MOTO_ENDPOINT");
    let n = unique();
    let long = write(
        "long",
        &json!({"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 600, "End": true}}}),
    );
    let name = format!("pollflow-cli-long-{n}");
    let deployed = deploy(&long, &name, &endpoint);
    assert!(deployed.status.success(), "{}", stderr(&deployed));

    let mut child = support::command(&["start", &name, "--endpoint-url", &endpoint])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pollflow starts");
    // Once the execution waits, stop it.
    let mut seen = String::new();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.ends_with("→ Long") {
            break;
        }
    }
    support::signal(child.id(), "INT");
    seen.extend(lines.map_while(Result::ok).map(|l| l + "\n"));
    let out = child.wait_with_output().expect("pollflow ends");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(seen.ends_with("aborted\n"), "{seen}");
    assert!(stderr(&out).contains("AbortError"), "{}", stderr(&out));
}
