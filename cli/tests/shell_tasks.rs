//! `--task STATE=COMMAND` against hostile commands: large input and output, endless output,
//! children left behind, timeouts and signals, real work on simulated time.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{command, gone, last_line, pollflow, read_pid, signal, stderr, stdout, temp_path};

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:T";

/// A machine of one Task state `T` with `fields` (TimeoutSeconds, Resource...).
fn one_task(name: &str, fields: Value) -> String {
    let mut task = json!({"Type": "Task", "Resource": LAMBDA, "End": true});
    task.as_object_mut()
        .expect("an object")
        .extend(fields.as_object().cloned().unwrap_or_default());
    support::write(name, &json!({"StartAt": "T", "States": {"T": task}}))
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

#[test]
fn input_and_output_stream_at_once_through_a_command_that_reads_its_input() {
    // `cat` writes as it reads: with the input written whole before the output is read, it
    // deadlocked once both pipes filled (about 190 KB).
    let file = one_task("cat", json!({}));
    let input = json!({"text": "x".repeat(4_000_000)});
    let input_file = temp_path("cat-input.json");
    std::fs::write(&input_file, input.to_string()).expect("temp file");
    let started = Instant::now();
    let out = pollflow(&[
        "run",
        &file,
        "--input-file",
        &input_file.to_string_lossy(),
        "--task",
        "T=cat",
        "--max-payload-bytes",
        "5000000",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(last_line(&out), input);
    assert!(seconds(started) < 30.0, "took {:.1} s", seconds(started));
}

#[test]
fn output_past_the_cap_fails_the_task_and_kills_the_command() {
    let file = one_task("cap", json!({"TimeoutSeconds": 600}));
    let pid_file = temp_path("yes.pid");
    // `yes` never stops: the default cap (256 KiB) stops it, not the timeout.
    let started = Instant::now();
    let out = pollflow(&[
        "run",
        &file,
        "--task",
        &format!("T=echo $$ > {}; exec yes", pid_file.display()),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("States.DataLimitExceeded: ") && err.contains("262144 bytes"),
        "{err}"
    );
    assert!(seconds(started) < 10.0, "took {:.1} s", seconds(started));
    assert!(gone(read_pid(&pid_file)), "yes still runs");

    // The cap is a flag; output up to it passes.
    let printing = |bytes: usize, cap: &str| {
        pollflow(&[
            "run",
            &file,
            "--task",
            &format!("T=printf '\"%0{}d\"' 0", bytes - 2),
            "--max-task-output-bytes",
            cap,
        ])
    };
    let fits = printing(100, "100");
    assert!(fits.status.success(), "{}", stderr(&fits));
    assert_eq!(last_line(&fits), json!("0".repeat(98)));
    let over = printing(101, "100");
    assert_eq!(over.status.code(), Some(1));
    assert!(stderr(&over).starts_with("States.DataLimitExceeded: "));
}

#[test]
fn a_timeout_kills_the_commands_whole_process_group_on_real_and_simulated_time() {
    let file = one_task("timeout", json!({"TimeoutSeconds": 1}));
    for clock in ["--json", "--simulated-time"] {
        let pid_file = temp_path(&format!("timeout{clock}.pid"));
        let started = Instant::now();
        let out = pollflow(&[
            "run",
            &file,
            clock,
            "--task",
            &format!(
                "T=sleep 1000 & echo $! > {}; sleep 1000",
                pid_file.display()
            ),
        ]);
        assert_eq!(out.status.code(), Some(1), "{clock}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("States.Timeout: "),
            "{}",
            stderr(&out)
        );
        // One second of real time, on simulated time too: the command is real work.
        let took = seconds(started);
        assert!((0.9..10.0).contains(&took), "{clock}: took {took:.1} s");
        assert!(gone(read_pid(&pid_file)), "{clock}: the child survived");
    }
}

#[test]
fn sigterm_and_sigint_abort_the_run_and_kill_the_commands_process_group() {
    let file = one_task("signal", json!({}));
    for (name, code) in [("TERM", 143), ("INT", 130)] {
        let pid_file = temp_path(&format!("signal-{name}.pid"));
        let child = command(&[
            "run",
            &file,
            "--task",
            &format!("T=sleep 1000 & echo $! > {}; wait", pid_file.display()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pollflow starts");
        let grandchild = read_pid(&pid_file);
        signal(child.id(), name);
        let out = child.wait_with_output().expect("pollflow ends");
        assert_eq!(out.status.code(), Some(code), "SIG{name}: {}", stderr(&out));
        assert!(stdout(&out).contains("aborted"), "{}", stdout(&out));
        assert!(gone(grandchild), "SIG{name}: the command's child survived");
    }
}

#[test]
fn a_background_child_that_keeps_stdout_open_does_not_hang_the_task() {
    let file = one_task("background", json!({}));
    let pid_file = temp_path("background.pid");
    let started = Instant::now();
    let out = pollflow(&[
        "run",
        &file,
        "--task",
        &format!(
            "T=(sleep 30; echo late) & echo $! > {}; echo 7",
            pid_file.display()
        ),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(last_line(&out), json!(7));
    assert!(seconds(started) < 10.0, "took {:.1} s", seconds(started));
    // The task ended with `sh`: what it left running went with it.
    assert!(gone(read_pid(&pid_file)));
}

#[test]
fn simulated_time_skips_waits_but_measures_real_work_in_real_time() {
    let definition = json!({"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 604800, "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 2, "End": true}
    }});
    let file = support::write("simulated", &definition);
    let started = Instant::now();
    let out = pollflow(&[
        "run",
        &file,
        "--simulated-time",
        "--json",
        "--task",
        "T=sleep 0.2; echo '\"done\"'",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(last_line(&out), json!("done"));
    assert!(seconds(started) < 10.0, "took {:.1} s", seconds(started));
    // The events' times: a week for the Wait, about 0.2 s for the command.
    let events: Vec<Value> = stdout(&out)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event.get("type").is_some())
        .collect();
    let at = |kind: &str, state: &str| {
        events
            .iter()
            .find(|e| e["type"] == kind && e["state"] == state)
            .and_then(|e| e["timestamp_ms"].as_u64())
            .unwrap_or_else(|| panic!("no {kind} of {state}: {events:?}"))
    };
    let waited = at("StateExited", "Sleep") - at("StateEntered", "Sleep");
    assert_eq!(waited, 604_800_000);
    let worked = at("TaskSucceeded", "T") - at("StateEntered", "T");
    assert!(
        (200..2000).contains(&worked),
        "the command took {worked} ms"
    );
}

#[test]
fn the_manage_a_batch_job_seed_succeeds_on_simulated_time() {
    // Its 3-second local Batch job is polled on the seed's schedule in real time, within the
    // machine's TimeoutSeconds (it used to time out: the polls jumped through the hour).
    let out = pollflow(&[
        "run",
        "examples/state-machines/manage-batch-job.asl.json",
        "--simulated-time",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Batch job submitted through Step Functions succeeded"));
}

#[test]
fn a_sync_task_state_bound_to_a_command_runs_it_as_its_job() {
    let definition = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
            "TimeoutSeconds": 30, "ResultPath": "$.result", "End": true,
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Failed"}]},
        "Failed": {"Type": "Pass", "End": true}
    }});
    let file = support::write("sync", &definition);
    // Unbound, the error says what works; bound, it runs.
    let unbound = pollflow(&["run", &file]);
    assert_eq!(unbound.status.code(), Some(2));
    assert!(stderr(&unbound).contains("--task"), "{}", stderr(&unbound));
    let out = pollflow(&[
        "run",
        &file,
        "--input",
        r#"{"n": 2}"#,
        "--task",
        r#"Run=python3 -c 'import json,sys; print(json.load(sys.stdin)["n"] * 21)'"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(last_line(&out), json!({"n": 2, "result": 42}));
    assert!(
        stdout(&out).contains("Run: submitted job"),
        "{}",
        stdout(&out)
    );

    let failing = pollflow(&["run", &file, "--task", "Run=echo 'no capacity' >&2; exit 1"]);
    assert!(failing.status.success(), "{}", stderr(&failing));
    assert_eq!(
        last_line(&failing)["error"],
        json!({"Error": "States.TaskFailed", "Cause": "no capacity"})
    );
}

#[test]
fn a_sync_commands_timeout_cancels_it_and_kills_its_process_group() {
    let file = one_task(
        "sync-timeout",
        json!({"Resource": "arn:aws:states:::glue:startJobRun.sync", "TimeoutSeconds": 1}),
    );
    let pid_file = temp_path("sync-timeout.pid");
    let started = Instant::now();
    let out = pollflow(&[
        "run",
        &file,
        "--simulated-time",
        "--task",
        &format!("T=sleep 1000 & echo $! > {}; wait", pid_file.display()),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("States.Timeout: "),
        "{}",
        stderr(&out)
    );
    let took = seconds(started);
    assert!((0.9..10.0).contains(&took), "took {took:.1} s");
    assert!(stdout(&out).contains("cancelled job"), "{}", stdout(&out));
    assert!(gone(read_pid(&pid_file)), "the child survived");
}

#[test]
fn state_names_and_commands_may_both_contain_equals_signs() {
    let definition = json!({"StartAt": "a=b", "States": {
        "a=b": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.x", "Next": "a"},
        "a": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.y", "End": true}
    }});
    let file = support::write("equals", &definition);
    let out = pollflow(&[
        "run",
        &file,
        "--task",
        "a=b=x=1; echo $x",
        "--task",
        "a=y=2; echo $y",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(last_line(&out), json!({"x": 1, "y": 2}));
    let unknown = pollflow(&["run", &file, "--task", "c=echo 1"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains(r#"there is no Task state named "c""#),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn waits_overridden_by_name_may_contain_equals_signs() {
    let definition = json!({"StartAt": "w=1", "States": {
        "w=1": {"Type": "Wait", "Seconds": 604800, "End": true}
    }});
    let file = support::write("wait-equals", &definition);
    let started = Instant::now();
    let out = pollflow(&["run", &file, "--wait", "w=1=10"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
}
