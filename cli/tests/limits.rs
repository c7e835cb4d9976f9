//! `pollflow run --max-*`: the engine's limits from the command line.

mod support;

use serde_json::{json, Value};
use support::{pollflow, stderr, stdout, write};

/// A Pass state that loops on itself: only the event limit ends it.
fn endless_loop() -> String {
    write(
        "endless-loop",
        &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}),
    )
}

/// The `--json` event lines of a run.
fn events(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event.get("type").is_some())
        .collect()
}

#[test]
fn max_events_stops_a_machine_that_loops_with_states_runtime() {
    let out = pollflow(&["run", &endless_loop(), "--max-events", "10", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        "States.Runtime: The execution reached the maximum number of history events (10)."
    );
    let events = events(&out);
    assert_eq!(events.len(), 10);
    assert_eq!(events[9]["id"], 10);
    assert_eq!(events[9]["type"], "ExecutionFailed");
    assert_eq!(events[9]["error"]["error"], "States.Runtime");
}

#[test]
fn without_the_flag_the_loop_ends_at_step_functions_25000_events() {
    let out = pollflow(&["run", &endless_loop(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("maximum number of history events (25000)"));
    assert_eq!(events(&out).len(), 25_000);
}

#[test]
fn max_payload_bytes_moves_the_data_limit_and_the_task_output_cap() {
    let file = write(
        "echo",
        &json!({"StartAt": "Echo", "States": {"Echo": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:1:function:Echo", "End": true}}}),
    );
    let input = json!({"text": "x".repeat(300_000)}).to_string();
    let input_file = support::temp_path("300-kb.json");
    std::fs::write(&input_file, &input).expect("temp file");
    let run = [
        "run",
        &file,
        "--input-file",
        &input_file.to_string_lossy(),
        "--task",
        "Echo=cat",
    ];
    // Past 256 KiB by default: the execution fails at once.
    let out = pollflow(&run);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("States.DataLimitExceeded: the execution's input: larger than the payload limit of 262144 bytes"),
        "{}",
        stderr(&out)
    );
    // With room, the input passes, and so does the command's 300 KB output: the output cap
    // follows the payload limit unless --max-task-output-bytes says otherwise.
    let roomy = ["--max-payload-bytes", "400000"];
    let out = pollflow(&[&run[..], &roomy].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(support::last_line(&out).to_string(), input);
    let capped = ["--max-task-output-bytes", "1000"];
    let out = pollflow(&[&run[..], &roomy, &capped].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("States.DataLimitExceeded"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn max_map_concurrency_sets_how_many_items_wait_at_once() {
    // Six items that each wait 1 s (simulated): 2 at a time take 3 s, all at once 1 s.
    let file = write(
        "six-waits",
        &json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}}}}),
    );
    let took_ms = |concurrency: &str| {
        let out = pollflow(&[
            "run",
            &file,
            "--input",
            "[1, 2, 3, 4, 5, 6]",
            "--simulated-time",
            "--json",
            "--max-map-concurrency",
            concurrency,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let events = events(&out);
        let time = |event: &Value| event["timestamp_ms"].as_u64().expect("a timestamp");
        time(events.last().expect("events")) - time(&events[0])
    };
    assert_eq!(took_ms("2"), 3000);
    assert_eq!(took_ms("0"), 1000);
}

#[test]
fn max_path_visits_and_max_variables_bytes_fail_with_data_limit_exceeded() {
    let descent = write(
        "descent",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$..x", "End": true}}}),
    );
    let input = Value::Array((0..100).map(|i| json!({ "x": i })).collect()).to_string();
    let out = pollflow(&["run", &descent, "--input", &input]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = pollflow(&[
        "run",
        &descent,
        "--input",
        &input,
        "--max-path-visits",
        "50",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("States.DataLimitExceeded"),
        "{}",
        stderr(&out)
    );

    let assign = write(
        "assign",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Assign": {"a.$": "$.a", "b.$": "$.b"}, "End": true}}}),
    );
    let input = json!({"a": "a".repeat(100), "b": "b".repeat(100)}).to_string();
    let out = pollflow(&["run", &assign, "--input", &input]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = pollflow(&[
        "run",
        &assign,
        "--input",
        &input,
        "--max-variables-bytes",
        "150",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("States.DataLimitExceeded"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_limit_values_are_usage_errors() {
    let file = endless_loop();
    for args in [
        ["--max-events", "-1"],
        ["--max-events", "ten"],
        ["--max-payload-bytes", "1.5"],
        ["--max-map-concurrency", "4294967296"],
        ["--max-path-visits", "18446744073709551616"],
        ["--max-variables-bytes", ""],
    ] {
        let out = pollflow(&["run", &file, &format!("{}={}", args[0], args[1])]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("invalid value '{}' for '{} <", args[1], args[0])),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}: nothing ran");
    }
}
