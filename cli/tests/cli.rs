//! The `pollflow` binary: the seeds run unchanged, exit statuses, shell tasks, JSON lines.

mod support;

use serde_json::{json, Value};
use support::{command, last_line, pollflow, stderr, stdout, write};

#[test]
fn the_seed_job_poller_runs_unchanged_against_the_local_batch() {
    let out = pollflow(&[
        "run",
        "examples/state-machines/job-poller.asl.json",
        "--input-file",
        "examples/state-machines/job-poller.input.json",
        "--wait",
        "Wait X Seconds=700",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_line(&out), json!("SUCCEEDED"));
    let events: Vec<Value> = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e.get("type").is_some())
        .collect();
    let statuses: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "TaskSucceeded" && e["state"] == "Get Job Status")
        .map(|e| &e["output"])
        .collect();
    assert!(statuses.len() >= 2, "the job ran for a while: {statuses:?}");
    assert_eq!(statuses.last(), Some(&&json!("SUCCEEDED")));
    assert!(statuses.iter().all(|s| [
        "RUNNABLE",
        "STARTING",
        "RUNNING",
        "SUCCEEDED",
        "SUBMITTED",
        "PENDING"
    ]
    .contains(&s.as_str().unwrap_or_default())));
}

#[test]
fn the_seed_manage_a_batch_job_notifies_success() {
    let out = pollflow(&["run", "examples/state-machines/manage-batch-job.asl.json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("Batch job submitted through Step Functions succeeded"),
        "{text}"
    );
    assert_eq!(last_line(&out)["MessageId"], "pollflow-local-1");
}

#[test]
fn shell_tasks_take_input_on_stdin_and_give_json_on_stdout() {
    let definition = json!({"StartAt": "Add", "States": {
        "Add": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Add", "ResultPath": "$.sum", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.sum", "NumericEquals": 5, "Next": "Done"}], "Default": "Wrong"},
        "Done": {"Type": "Succeed"},
        "Wrong": {"Type": "Fail", "Error": "Wrong", "Cause": "bad sum"}
    }});
    let file = write("add", &definition);
    let out = pollflow(&[
        "run",
        &file,
        "--input",
        r#"{"a": 2, "b": 3}"#,
        "--task",
        "Add=python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"a\"]+d[\"b\"])'",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_line(&out), json!({"a": 2, "b": 3, "sum": 5}));

    let failing = pollflow(&["run", &file, "--task", "Add=echo 'disk full' >&2; exit 3"]);
    assert_eq!(failing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&failing.stderr).trim(),
        "States.TaskFailed: disk full"
    );
}

#[test]
fn simulated_time_skips_long_waits() {
    let definition = json!({"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 604800, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": {"slept": "a week"}, "End": true}
    }});
    let file = write("week", &definition);
    let started = std::time::Instant::now();
    let out = pollflow(&["run", &file, "--simulated-time"]);
    assert!(out.status.success());
    assert_eq!(last_line(&out), json!({"slept": "a week"}));
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn exit_status_two_for_invalid_definitions_and_usage() {
    let file = write(
        "bad",
        &json!({"StartAt": "Gone", "States": {"A": {"Type": "Pass"}}}),
    );
    let out = pollflow(&["validate", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("$.StartAt") && err.contains("$.States['A'].Next"),
        "{err}"
    );
    assert_eq!(pollflow(&["run", &file]).status.code(), Some(2));
    assert_eq!(pollflow(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        pollflow(&[
            "run",
            "examples/state-machines/job-poller.asl.json",
            "--wait",
            "Nope=5"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        pollflow(&[
            "run",
            "examples/state-machines/job-poller.asl.json",
            "--input",
            "{not json"
        ])
        .status
        .code(),
        Some(2)
    );
    let unbound = write(
        "unbound",
        &json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:x", "End": true}}}),
    );
    let out = pollflow(&["run", &unbound]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--task"));
}

#[test]
fn validate_and_graph_the_seeds() {
    let out = pollflow(&[
        "validate",
        "examples/state-machines/manage-batch-job.asl.json",
    ]);
    assert!(out.status.success());
    let mermaid = stdout(&pollflow(&[
        "graph",
        "examples/state-machines/manage-batch-job.asl.json",
    ]));
    assert!(mermaid.starts_with("flowchart TD"), "{mermaid}");
    assert!(mermaid.contains("-.->|catch|"), "{mermaid}");
    let dot = stdout(&pollflow(&[
        "graph",
        "examples/state-machines/job-poller.asl.json",
        "--format",
        "dot",
    ]));
    assert!(
        dot.contains(r#""Job Complete?" -> "Wait X Seconds" [label="default"];"#),
        "{dot}"
    );
}

#[test]
fn draw_path_highlights_the_states_the_execution_visited() {
    let definition = json!({"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.big", "BooleanEquals": true, "Next": "Big"}], "Default": "Small"},
        "Big": {"Type": "Pass", "End": true},
        "Small": {"Type": "Pass", "End": true}
    }});
    let file = write("draw", &definition);
    let dot = std::env::temp_dir().join(format!("pollflow-cli-{}-path.dot", std::process::id()));
    let out = pollflow(&[
        "run",
        &file,
        "--input",
        r#"{"big": true}"#,
        "--draw-path",
        &dot.to_string_lossy(),
    ]);
    assert!(out.status.success());
    let drawing = std::fs::read_to_string(&dot).expect("the drawing was written");
    let filled = |state: &str| {
        drawing
            .lines()
            .any(|l| l.starts_with(&format!("    \"{state}\" [")) && l.contains("style=filled"))
    };
    assert!(filled("Pick") && filled("Big"), "{drawing}");
    assert!(!filled("Small"), "{drawing}");
}

#[test]
fn parallel_branches_run_shell_tasks_and_waits_by_state_name() {
    let definition = json!({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Double", "States": {"Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Double", "End": true}}},
        {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 604800, "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
                "ItemProcessor": {"StartAt": "Id", "States": {"Id": {"Type": "Pass", "End": true}}}}}}
    ]}}});
    let file = write("parallel", &definition);
    let out = pollflow(&[
        "run",
        &file,
        "--input",
        r#"{"n": 21, "items": [1, 2]}"#,
        "--task",
        "Double=python3 -c 'import json,sys; print(json.load(sys.stdin)[\"n\"] * 2)'",
        "--wait",
        "Pause=10",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_line(&out), json!([42, [1, 2]]));
    assert!(
        stdout(&out).contains("Both[1] › Each[0] › → Id"),
        "branch events show their route:\n{}",
        stdout(&out)
    );
}

#[test]
fn help_and_version_exit_zero_on_every_subcommand() {
    let version = format!("{}\n", env!("CARGO_PKG_VERSION"));
    let out = pollflow(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), format!("pollflow {version}"));
    for command in ["run", "validate", "graph", "deploy", "start"] {
        let help = pollflow(&[command, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{command} --help");
        assert!(
            stdout(&help).contains(&format!("Usage: pollflow {command} ")),
            "{}",
            stdout(&help)
        );
        let out = pollflow(&[command, "--version"]);
        assert_eq!(out.status.code(), Some(0), "{command} --version");
        assert!(stdout(&out).ends_with(&version), "{}", stdout(&out));
    }
    // `run --help` names every flag, with the spellings scripts already use.
    let help = stdout(&pollflow(&["run", "--help"]));
    for flag in [
        "--input <JSON>",
        "--input-file <PATH>",
        "--task <STATE=COMMAND>",
        "--max-task-output-bytes <BYTES>",
        "--wait <STATE=MILLISECONDS>",
        "--simulated-time",
        "--json",
        "--draw-path <FILE.mmd|FILE.dot>",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(
        help.contains("--aws") && help.contains("--endpoint-url <URL>"),
        "{help}"
    );
    let deploy = stdout(&pollflow(&["deploy", "--help"]));
    for flag in ["--name <NAME>", "--role-arn <ARN>", "--endpoint-url <URL>"] {
        assert!(deploy.contains(flag), "{flag} missing from:\n{deploy}");
    }
    let start = stdout(&pollflow(&["start", "--help"]));
    for flag in [
        "<STATE_MACHINE>",
        "--input <JSON>",
        "--input-file <PATH>",
        "--endpoint-url <URL>",
    ] {
        assert!(start.contains(flag), "{flag} missing from:\n{start}");
    }
    assert!(pollflow(&["help", "graph"]).status.success());
    assert!(stdout(&pollflow(&["graph", "-h"])).contains("--format <FORMAT>"));
}

#[test]
fn the_input_can_come_from_standard_input() {
    use std::io::Write;
    let definition = json!({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}});
    let file = write("stdin", &definition);
    for flag in ["--input", "--input-file"] {
        let mut child = support::command(&["run", &file, flag, "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("pollflow starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(br#"{"a":1}"#)
            .expect("written");
        let out = child.wait_with_output().expect("pollflow ends");
        assert!(out.status.success(), "{flag} -: {}", support::stderr(&out));
        assert_eq!(last_line(&out), json!({"a": 1}), "{flag} -");
    }
}

#[test]
fn usage_errors_exit_two() {
    let seed = "examples/state-machines/job-poller.asl.json";
    let cases: [&[&str]; 12] = [
        &[],
        &["frobnicate"],
        &["run"],
        &["run", seed, "--frobnicate"],
        &["run", seed, "--input", "{}", "--input-file", "x.json"],
        &["run", seed, "--input"],
        &["run", seed, "--wait", "Wait X Seconds=soon"],
        &["run", seed, "--wait", "=5"],
        &["run", seed, "--task", "no equals sign"],
        &["run", seed, "--max-task-output-bytes", "-1"],
        &["graph", seed, "--format", "svg"],
        &["validate", seed, "extra"],
    ];
    for args in cases {
        let out = pollflow(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            support::stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?} printed {}", stdout(&out));
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }
}

#[test]
fn each_run_draws_fresh_uuids_and_random_numbers() {
    let definition = write(
        "random",
        &json!({"StartAt": "Draw", "States": {"Draw": {"Type": "Pass", "End": true, "Parameters": {
            "id.$": "States.UUID()", "n.$": "States.MathRandom(0, 1000000000)"
        }}}}),
    );
    let draw = || {
        let out = pollflow(&["run", &definition]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        last_line(&out)
    };
    let (first, second) = (draw(), draw());
    assert_eq!(first["id"].as_str().map(str::len), Some(36), "{first}");
    assert_ne!(first["id"], second["id"], "two runs, two UUIDs");
    assert_ne!(first["n"], second["n"], "two runs, two random numbers");
}

#[test]
fn a_reader_that_leaves_early_stops_the_run_without_a_panic() {
    use std::io::{BufRead, BufReader};
    // A loop that prints events until it is stopped.
    let definition = write(
        "endless",
        &json!({"StartAt": "Again", "States": {
            "Again": {"Type": "Pass", "Next": "Later"},
            "Later": {"Type": "Wait", "Seconds": 60, "Next": "Again"}
        }}),
    );
    let mut child = command(&["run", &definition, "--simulated-time"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("started"), "{first}");
    // The reader is gone (as `| head -1` leaves): the next write fails.
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(141), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[test]
fn a_task_token_is_answered_through_the_step_functions_api_and_a_second_answer_is_refused() {
    let definition = json!({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token", "order.$": "$.order"},
        "HeartbeatSeconds": 30,
        "ResultPath": "$.approval",
        "End": true
    }}});
    let file = write("answered", &definition);
    let second = support::temp_path("second-answer.json");
    // The command is the worker: it reads the token from its input and answers through
    // $POLLFLOW_ENDPOINT as the AWS CLI would (awsJson1_0), twice.
    let send = r#"curl -s -X POST -H 'X-Amz-Target: AWSStepFunctions.SendTaskSuccess' -H 'Content-Type: application/x-amz-json-1.0' -d "{\"taskToken\":\"$token\",\"output\":\"{\\\"approved\\\":true}\"}" "$POLLFLOW_ENDPOINT""#;
    let task = format!(
        r#"Approve=token=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'); {send} >/dev/null && {send} > {}"#,
        second.display()
    );
    let out = pollflow(&["run", &file, "--input", r#"{"order": 7}"#, "--task", &task]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("task tokens are answered at http://127.0.0.1:"),
        "{}",
        stderr(&out)
    );
    let output: Value = serde_json::from_str(stdout(&out).lines().last().unwrap()).unwrap();
    assert_eq!(output, json!({"order": 7, "approval": {"approved": true}}));
    let refused: Value = serde_json::from_str(&std::fs::read_to_string(&second).unwrap())
        .expect("the second answer got a JSON error");
    assert_eq!(refused["__type"], "TaskTimedOut", "{refused}");
}

#[test]
fn a_wait_for_task_token_state_prints_its_token_and_its_command_gets_it() {
    let definition = json!({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token", "order.$": "$.order"},
        "TimeoutSeconds": 1,
        "End": true
    }}});
    let file = write("approve", &definition);
    let received = support::temp_path("approve-input.json");
    let task = format!("Approve=cat > {}", received.display());
    let out = pollflow(&["run", &file, "--input", r#"{"order": 7}"#, "--task", &task]);
    // The command does not answer the token: the state waits until TimeoutSeconds.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("States.Timeout"), "{}", stderr(&out));
    let printed = stdout(&out)
        .lines()
        .find_map(|line| {
            line.split_once("Approve: task token ")
                .map(|(_, token)| token.to_owned())
        })
        .unwrap_or_else(|| panic!("no token line in {}", stdout(&out)));
    assert_eq!(printed.len(), 48);
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(&received).expect("the command ran"))
            .expect("the command got JSON");
    assert_eq!(input, json!({"token": printed, "order": 7}));
}

#[test]
fn jsonata_definitions_run_validate_and_draw() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Add", "States": {
        "Add": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Add",
                "Arguments": {"a": "{% $states.input.x %}", "b": "{% $states.input.y %}"},
                "Assign": {"sum": "{% $states.result %}"}, "Output": "{% $states.input %}", "Next": "Big?"},
        "Big?": {"Type": "Choice", "Choices": [{"Condition": "{% $sum > 4 %}", "Next": "Done"}], "Default": "Small"},
        "Done": {"Type": "Pass", "Output": {"sum": "{% $sum %}", "of": "{% $keys($states.input) %}"}, "End": true},
        "Small": {"Type": "Fail", "Error": "{% 'Too.Small' %}", "Cause": "{% 'sum ' & $string($sum) %}"}
    }});
    let file = write("jsonata", &definition);
    let add = "Add=python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"a\"]+d[\"b\"])'";
    let out = pollflow(&[
        "run",
        &file,
        "--input",
        r#"{"x": 2, "y": 3}"#,
        "--task",
        add,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_line(&out), json!({"sum": 5, "of": ["x", "y"]}));
    let small = pollflow(&[
        "run",
        &file,
        "--input",
        r#"{"x": 1, "y": 1}"#,
        "--task",
        add,
    ]);
    assert_eq!(small.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&small.stderr).trim(),
        "Too.Small: sum 2"
    );

    let valid = pollflow(&["validate", &file]);
    assert!(
        valid.status.success(),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );
    let chart = pollflow(&["graph", &file]);
    assert!(String::from_utf8_lossy(&chart.stdout).contains("{% $sum > 4 %}"));

    let broken = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $states.input.( %}", "End": true}
    }});
    let invalid = pollflow(&["validate", &write("broken-jsonata", &broken)]);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("$.States['P'].Output"));
}
