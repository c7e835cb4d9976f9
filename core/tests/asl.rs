//! Amazon States Language definitions run on the same interpreter as builder workflows.

mod support;

use std::sync::{Arc, Mutex};

use pollflow::{
    task_fn, Engine, EventKind, JobStatus, Outcome, TaskError, Tasks, VirtualClock, Workflow,
};
use serde_json::{json, Value};
use support::*;

const JOB_POLLER: &str = include_str!("../../examples/state-machines/job-poller.asl.json");
const MANAGE_BATCH_JOB: &str =
    include_str!("../../examples/state-machines/manage-batch-job.asl.json");
const SUBMIT: &str = "arn:aws:lambda:REGION:ACCOUNT_ID:function:SubmitJob";
const CHECK: &str = "arn:aws:lambda:REGION:ACCOUNT_ID:function:CheckJob";

fn run(engine: &Engine, clock: &VirtualClock, input: Value) -> (Vec<pollflow::Event>, Outcome) {
    let events = run_to_end(engine, clock, input);
    let outcome = Outcome::from_terminal(&events.last().expect("events").kind).expect("terminal");
    (events, outcome)
}

fn machine(definition: Value) -> Workflow {
    Workflow::from_asl(&definition.to_string(), "test").unwrap_or_else(|e| panic!("{e}"))
}

fn outcome_of(definition: Value, tasks: Tasks, input: Value) -> Outcome {
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    run(&engine, &clock, input).1
}

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
fn data_flows_through_input_parameters_result_selector_result_and_output_paths() {
    let definition = json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:1:function:Echo",
                "InputPath": "$.order",
                "Parameters": {"id.$": "$.id", "greeting.$": "States.Format('order {}', $.id)", "fixed": 1},
                "ResultSelector": {"echoed.$": "$.greeting"},
                "ResultPath": "$.order.result",
                "OutputPath": "$.order",
                "Next": "Keep"
            },
            "Keep": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.pass", "End": true}
        }
    });
    let tasks = Tasks::new().handler(
        "arn:aws:lambda:us-east-1:1:function:Echo",
        task_fn(|input: Value| async move {
            assert_eq!(input, json!({"id": 7, "greeting": "order 7", "fixed": 1}));
            Ok(input)
        }),
    );
    let outcome = outcome_of(
        definition,
        tasks,
        json!({"order": {"id": 7}, "other": true}),
    );
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!({"id": 7, "result": {"echoed": "order 7"}, "pass": {"ok": true}})
        }
    );
}

#[test]
fn retry_then_catch_with_result_path() {
    let calls = Arc::new(SyncCell::new(0));
    let counted = calls.clone();
    let definition = json!({
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": "flaky",
                "Retry": [{"ErrorEquals": ["Service.Busy"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 3}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}],
                "End": true
            },
            "Recovered": {"Type": "Succeed"}
        }
    });
    let tasks = Tasks::new().handler(
        "flaky",
        task_fn(move |_| {
            counted.set(counted.get() + 1);
            async { Err::<Value, _>(TaskError::new("Service.Busy", "try later")) }
        }),
    );
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({"n": 1}));
    assert_eq!(calls.get(), 3, "one call and two retries");
    let retries: Vec<Option<u64>> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskFailed { retry_in_ms, .. } => Some(*retry_in_ms),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [Some(2_000), Some(6_000), None]);
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!({"n": 1, "error": {"Error": "Service.Busy", "Cause": "try later"}})
        }
    );
}

#[test]
fn choice_rules_compare_paths_and_fall_back_to_default_or_fail() {
    let definition = |default: Option<&str>| {
        let mut choice = json!({
            "Type": "Choice",
            "Choices": [
                {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 10}, {"Variable": "$.tag", "StringMatches": "big-*"}], "Next": "Big"},
                {"And": [{"Not": {"Variable": "$.missing", "IsPresent": true}}, {"Variable": "$.n", "NumericLessThanPath": "$.limit"}], "Next": "Small"}
            ]
        });
        let mut machine = json!({"StartAt": "Pick", "States": {
            "Big": {"Type": "Pass", "Result": "big", "End": true},
            "Small": {"Type": "Pass", "Result": "small", "End": true}
        }});
        if let Some(d) = default {
            choice["Default"] = json!(d);
            machine["States"][d] = json!({"Type": "Pass", "Result": "other", "End": true});
        }
        machine["States"]["Pick"] = choice;
        machine
    };
    let result =
        |input: Value, default: Option<&str>| outcome_of(definition(default), Tasks::new(), input);
    assert_eq!(
        result(
            json!({"n": 12, "tag": "big-one", "limit": 0}),
            Some("Other")
        ),
        Outcome::Succeeded {
            output: json!("big")
        }
    );
    assert_eq!(
        result(json!({"n": 3, "tag": "x", "limit": 5}), Some("Other")),
        Outcome::Succeeded {
            output: json!("small")
        }
    );
    assert_eq!(
        result(json!({"n": 7, "tag": "x", "limit": 5}), Some("Other")),
        Outcome::Succeeded {
            output: json!("other")
        }
    );
    let Outcome::Failed { error } = result(json!({"n": 7, "tag": "x", "limit": 5}), None) else {
        panic!("no rule matched")
    };
    assert_eq!(error.error, "States.NoChoiceMatched");
}

#[test]
fn runtime_errors_are_not_caught_by_states_all() {
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "r", "InputPath": "$.absent",
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Succeed"}
    }});
    let tasks = Tasks::new().handler("r", task_fn(|v| async move { Ok(v) }));
    let Outcome::Failed { error } = outcome_of(definition, tasks, json!({})) else {
        panic!("must fail")
    };
    assert_eq!(error.error, "States.Runtime");
    assert!(error.cause.contains("$.absent"), "{}", error.cause);
}

#[test]
fn wait_states_sleep_seconds_paths_and_timestamps_on_virtual_time() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Wait", "Seconds": 3, "Next": "B"},
        "B": {"Type": "Wait", "SecondsPath": "$.days_in_seconds", "Next": "C"},
        "C": {"Type": "Wait", "Timestamp": "1970-01-10T00:00:00Z", "Next": "D"},
        "D": {"Type": "Wait", "TimestampPath": "$.until", "End": true}
    }});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let input = json!({"days_in_seconds": 2 * 86_400, "until": "1970-01-20T00:00:00.500Z"});
    let (events, outcome) = run(&engine, &clock, input.clone());
    assert_eq!(outcome, Outcome::Succeeded { output: input });
    assert_eq!(
        waits(&events),
        // (delay, at): 3 s; two days; until day 9; until day 19 and half a second.
        vec![
            (3_000, 0),
            (172_800_000, 3_000),
            (604_797_000, 172_803_000),
            (864_000_500, 777_600_000)
        ]
    );
}

#[test]
fn task_timeout_stops_a_sync_job_and_can_be_caught() {
    let poller = ScriptedJob::never_done();
    let definition = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync", "TimeoutSeconds": 60,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TooSlow"}], "End": true},
        "TooSlow": {"Type": "Fail", "Error": "TooSlow", "Cause": "gave up"}
    }});
    let tasks = Tasks::new().job("arn:aws:states:::batch:submitJob.sync", poller.clone());
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert_eq!(
        outcome,
        Outcome::Failed {
            error: TaskError::new("TooSlow", "gave up")
        }
    );
    assert_eq!(
        poller.cancels.lock().unwrap().len(),
        1,
        "the job is terminated once"
    );
    assert!(poller.cancels.lock().unwrap()[0].1.contains("\"Run\""));
    let cancelled_at = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::JobCancelled { .. }))
        .unwrap();
    assert_eq!(cancelled_at.timestamp_ms, 60_000);
}

#[test]
fn timeout_seconds_path_reads_the_timeout_from_the_effective_input() {
    let poller = ScriptedJob::never_done();
    let definition = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
                "InputPath": "$.job", "TimeoutSecondsPath": "$.limit", "End": true}
    }});
    let tasks = Tasks::new().job("arn:aws:states:::batch:submitJob.sync", poller.clone());
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({"job": {"limit": 45}}));
    assert!(matches!(outcome, Outcome::Failed { ref error } if error.error == "States.Timeout"));
    assert_eq!(
        poller.cancels.lock().unwrap().len(),
        1,
        "the job is terminated once"
    );
    let cancelled = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::JobCancelled { .. }))
        .unwrap();
    assert_eq!(cancelled.timestamp_ms, 45_000);
}

#[test]
fn a_timeout_seconds_path_without_whole_seconds_fails_with_states_runtime() {
    for limit in [json!("ten"), json!(0), json!(1.5), json!(-3), Value::Null] {
        let definition = json!({"StartAt": "Run", "States": {
            "Run": {"Type": "Task", "Resource": "fast", "TimeoutSecondsPath": "$.limit", "End": true}
        }});
        let tasks = Tasks::new().handler("fast", task_fn(|_| async { Ok(json!("done")) }));
        let outcome = outcome_of(definition, tasks, json!({ "limit": limit }));
        let Outcome::Failed { error } = outcome else {
            panic!("{limit}: {outcome:?}")
        };
        assert_eq!(error.error, "States.Runtime", "{limit}");
        assert!(error.cause.contains("$.limit"), "{limit}: {}", error.cause);
    }
}

#[test]
fn timeout_seconds_and_its_path_do_not_go_together_and_the_path_survives_export() {
    let both = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "r", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true}
    }});
    let err = pollflow::asl::from_asl(&both, "both").unwrap_err();
    assert!(err
        .problems
        .iter()
        .any(|p| p.path == "$.States['Run'].TimeoutSecondsPath" && p.message.contains("not both")));
    let path = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "r", "TimeoutSecondsPath": "$.t", "End": true}
    }});
    let graph = pollflow::asl::from_asl(&path, "path").unwrap();
    let exported = pollflow::asl::to_asl(&graph, &Default::default()).unwrap();
    assert_eq!(exported["States"]["Run"]["TimeoutSecondsPath"], "$.t");
    assert_eq!(pollflow::asl::from_asl(&exported, "path").unwrap(), graph);
}

#[test]
fn error_path_and_cause_path_take_paths_and_intrinsic_functions() {
    let fail = |fields: Value| {
        let mut state = json!({"Type": "Fail"});
        state
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        json!({"StartAt": "F", "States": {"F": state}})
    };
    let input = json!({"id": 42, "kind": "Order.Failed"});
    let failed = |definition: Value| match outcome_of(definition, Tasks::new(), input.clone()) {
        Outcome::Failed { error } => error,
        other => panic!("{other:?}"),
    };
    let error = failed(fail(json!({
        "ErrorPath": "$.kind",
        "CausePath": "States.Format('order {} failed', $.id)"
    })));
    assert_eq!(
        (error.error.as_str(), error.cause.as_str()),
        ("Order.Failed", "order 42 failed")
    );
    let error = failed(fail(
        json!({"ErrorPath": "States.Format('{}.Rejected', 'Order')"}),
    ));
    assert_eq!(error.error, "Order.Rejected");
    // A call that gives no string, or a path selecting none, fails the execution.
    for path in ["States.MathAdd($.id, 1)", "$.missing"] {
        let error = failed(fail(json!({"Error": "E", "CausePath": path})));
        assert_eq!(error.error, "States.Runtime", "{path}");
        assert!(error.cause.contains(path), "{path}: {}", error.cause);
    }
}

#[test]
fn error_path_and_cause_path_are_checked_on_load_and_survive_export() {
    let broken = json!({"StartAt": "F", "States": {
        "F": {"Type": "Fail", "ErrorPath": "not a path", "CausePath": "States.Nope(1)"}
    }});
    let err = pollflow::asl::from_asl(&broken, "broken").unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$.States['F'].ErrorPath", "$.States['F'].CausePath"]
    );
    let definition = json!({"StartAt": "F", "States": {
        "F": {"Type": "Fail", "ErrorPath": "$.kind", "CausePath": "States.Format('order {}', $.id)"}
    }});
    let graph = pollflow::asl::from_asl(&definition, "fail").unwrap();
    let exported = pollflow::asl::to_asl(&graph, &Default::default()).unwrap();
    assert_eq!(exported["States"], definition["States"]);
    assert_eq!(pollflow::asl::from_asl(&exported, "fail").unwrap(), graph);
}

#[test]
fn machine_timeout_ends_the_execution_timed_out() {
    let definition = json!({"StartAt": "Long", "TimeoutSeconds": 10, "States": {
        "Long": {"Type": "Wait", "Seconds": 3600, "End": true}
    }});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert!(matches!(outcome, Outcome::TimedOut { ref error } if error.error == "States.Timeout"));
    assert_eq!(events.last().unwrap().timestamp_ms, 10_000);
}

#[test]
fn a_request_response_task_past_its_timeout_fails_with_states_timeout() {
    let definition = json!({"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": "slow", "TimeoutSeconds": 5, "End": true}
    }});
    let clock = VirtualClock::new();
    let sleeper = clock.clone();
    let tasks = Tasks::new().handler(
        "slow",
        task_fn(move |_| {
            let clock = sleeper.clone();
            async move {
                pollflow::Clock::sleep(&clock, secs(60)).await;
                Ok(json!("late"))
            }
        }),
    );
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert!(matches!(outcome, Outcome::Failed { ref error } if error.error == "States.Timeout"));
    assert_eq!(events.last().unwrap().timestamp_ms, 5_000);
}

#[test]
fn unbound_resources_are_listed_before_running_and_fail_clearly_when_run() {
    let workflow = Workflow::from_asl(MANAGE_BATCH_JOB, "Manage a Batch Job").unwrap();
    let problems = Tasks::new().unbound(&workflow);
    assert_eq!(problems.len(), 3);
    assert!(problems[0].message.contains("batch:submitJob.sync"));
    let outcome = outcome_of(
        serde_json::from_str(MANAGE_BATCH_JOB).unwrap(),
        Tasks::new(),
        json!({}),
    );
    // The missing handler fails Submit Batch Job; its Catch routes to Notify Failure, which fails too.
    assert!(
        matches!(outcome, Outcome::Failed { ref error } if error.error == "Pollflow.NoHandler")
    );
}

#[test]
fn every_problem_of_an_invalid_definition_is_reported_with_its_path() {
    let definition = json!({
        "StartAt": "Missing",
        "Extra": 1,
        "States": {
            "Task": {"Type": "Task", "Next": "Nowhere", "End": true, "Retry": [{"ErrorEquals": ["States.ALL"], "BackoffRate": 0.5}]},
            "Wait": {"Type": "Wait", "Seconds": 1, "Timestamp": "2020-01-01T00:00:00Z", "Next": "Task"},
            "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": 3, "Next": "Task"}, {"Variable": "$.y", "Next": "Task"}]},
            "Bad": {"Type": "Pass", "InputPath": "not a path", "Parameters": {"a.$": "$$$"}, "End": true},
            "Par": {"Type": "Parallel", "End": true},
            "Odd": {"Type": "Teleport"}
        }
    });
    let err = pollflow::asl::from_asl(&definition, "broken").unwrap_err();
    let found: Vec<(Option<&str>, &str)> = err
        .problems
        .iter()
        .map(|p| (p.state.as_deref(), p.path.as_str()))
        .collect();
    for expected in [
        (None, "$.Extra"),
        (None, "$.StartAt"),
        (Some("Task"), "$.States['Task'].Resource"),
        (Some("Task"), "$.States['Task'].Next"),
        (Some("Task"), "$.States['Task'].Retry[0]"),
        (Some("Wait"), "$.States['Wait']"),
        (Some("Choose"), "$.States['Choose'].Choices[0].StringEquals"),
        (Some("Choose"), "$.States['Choose'].Choices[1]"),
        (Some("Bad"), "$.States['Bad'].InputPath"),
        (Some("Par"), "$.States['Par'].Branches"),
        (Some("Odd"), "$.States['Odd'].Type"),
    ] {
        assert!(
            found.contains(&expected),
            "missing {expected:?} in {found:#?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|(s, p)| *s == Some("Bad") && p.starts_with("$.States['Bad'].Parameters")),
        "{found:#?}"
    );
}

#[test]
fn malformed_definitions_are_errors_not_panics() {
    let mixed = r#"{"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A", "Choices": [{"Not": {"Variable": "$.a", "IsNull": true}, "Variable": "$.b", "IsNull": true, "Next": "A"}]}}}"#;
    for text in [mixed, "", "[]", "null", "{\"States\": 1}", "{\"StartAt\": \"A\", \"States\": {\"A\": 1}}", "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Choice\", \"Choices\": [{\"Not\": 1, \"Next\": \"A\"}]}}}"] {
        assert!(Workflow::from_asl(text, "x").is_err(), "{text}");
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

#[test]
fn an_exported_builder_workflow_runs_the_same_on_the_asl_path() {
    use pollflow::asl::{to_asl, ExportOptions};
    use pollflow::{Branch, Path, WaitPolicy};

    let workflow = Workflow::builder("Manage")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(secs(30)))
        .check("Check")
        .branch(
            "Done?",
            Branch::new()
                .on_succeeded(Path::notify("Notify Success", "ok").then_succeed("Succeeded"))
                .on_failed(
                    Path::notify("Notify Failure", "bad").then_fail("Failed", "States.TaskFailed"),
                ),
        )
        .build()
        .unwrap();
    let options = ExportOptions::default();
    let asl = to_asl(workflow.graph(), &options).unwrap();

    // The check function answers in JobStatus JSON: pending twice, then succeeded.
    let checks = Arc::new(SyncCell::new(0));
    let counted = checks.clone();
    let published = Arc::new(Mutex::new(Vec::new()));
    let sink = published.clone();
    let tasks = Tasks::new()
        .handler(
            options.submit_resource.clone(),
            task_fn(|_| async { Ok(json!("job-9")) }),
        )
        .handler(
            options.check_resource.clone(),
            task_fn(move |handle: Value| {
                assert_eq!(handle, json!("job-9"));
                counted.set(counted.get() + 1);
                let n = counted.get();
                async move {
                    Ok(if n < 3 {
                        serde_json::to_value(JobStatus::pending("RUNNING")).unwrap()
                    } else {
                        serde_json::to_value(JobStatus::succeeded(json!({"rows": 3}))).unwrap()
                    })
                }
            }),
        )
        .handler(
            "arn:aws:states:::sns:publish",
            task_fn(move |input: Value| {
                sink.lock().unwrap().push(input["Message"].clone());
                async { Ok(json!({})) }
            }),
        );
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(asl), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({"jobName": "x"}));
    assert_eq!(checks.get(), 3);
    assert_eq!(*published.lock().unwrap(), vec![json!("ok")]);
    assert_eq!(
        waits(&events),
        vec![(30_000, 0), (30_000, 30_000), (30_000, 60_000)]
    );
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!({"rows": 3})
        }
    );
}

#[test]
fn what_asl_cannot_express_is_reported_not_approximated() {
    use pollflow::{Branch, WaitPolicy};
    let workflow = Workflow::builder("Backoff")
        .submit("Submit")
        .wait("Wait", WaitPolicy::exponential(secs(1), secs(60)))
        .check("Check")
        .branch("Done?", Branch::new())
        .build()
        .unwrap();
    let err = pollflow::asl::to_asl(workflow.graph(), &Default::default()).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].state.as_deref(), Some("Wait"));
    assert!(err.problems[0].message.contains("exponential"));
}

/// A Task state bound to `resource`, ending its (sub-)machine.
fn task_state(resource: &str) -> Value {
    json!({"Type": "Task", "Resource": resource, "End": true})
}

/// A Parallel state's branch of one state.
fn branch(state: &str, body: Value) -> Value {
    json!({"StartAt": state, "States": {state: body}})
}

#[test]
fn map_max_concurrency_bounds_the_handler_calls_in_flight() {
    use pollflow::Clock;
    for (limit, most, seconds) in [(2, 2, 3), (1, 1, 6), (0, 6, 1)] {
        let clock = VirtualClock::new();
        let (now, peak) = (Arc::new(SyncCell::new(0)), Arc::new(SyncCell::new(0)));
        let (in_flight, highest, timer) = (now.clone(), peak.clone(), clock.clone());
        let work = task_fn(move |input: Value| {
            in_flight.set(in_flight.get() + 1);
            highest.set(highest.get().max(in_flight.get()));
            let (in_flight, sleep) = (in_flight.clone(), timer.sleep(secs(1)));
            async move {
                sleep.await;
                in_flight.set(in_flight.get() - 1);
                Ok(input)
            }
        });
        let definition = json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "MaxConcurrency": limit, "End": true,
            "ItemProcessor": branch("Work", task_state("arn:aws:lambda:us-east-1:1:function:Work"))
        }}});
        let tasks = Tasks::new().handler("Work", work);
        let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
        let (events, outcome) = run(&engine, &clock, json!([1, 2, 3, 4, 5, 6]));
        assert_eq!(
            outcome,
            Outcome::Succeeded {
                output: json!([1, 2, 3, 4, 5, 6])
            }
        );
        assert_eq!(peak.get(), most, "MaxConcurrency {limit}");
        assert_eq!(now.get(), 0);
        assert_eq!(events.last().unwrap().timestamp_ms, seconds * 1_000);
    }
}

/// Drop-counting guard: a request-response call that is dropped, not finished, was cancelled.
struct Dropped(Arc<SyncCell<u32>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn abort_during_a_parallel_cancels_every_branch_job_exactly_once() {
    let job = ScriptedJob::never_done();
    let dropped = Arc::new(SyncCell::new(0));
    let guard = dropped.clone();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let tasks = Tasks::new().job(sync, job.clone()).handler(
        "Forever",
        task_fn(move |_| {
            let guard = Dropped(guard.clone());
            async move {
                futures::future::pending::<()>().await;
                drop(guard);
                Ok(Value::Null)
            }
        }),
    );
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", task_state(sync)),
        branch("B", task_state(sync)),
        {"StartAt": "Nested", "States": {"Nested": {"Type": "Parallel", "End": true, "Branches": [
            branch("C", task_state(sync)),
            branch("Forever", task_state("arn:aws:lambda:us-east-1:1:function:Forever"))
        ]}}}
    ]}}});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let mut run = engine.start(json!({}));
    let abort = run.abort_handle();
    let events = clock.block_on(async {
        use futures::StreamExt;
        let mut seen = Vec::new();
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 2, .. }) {
                abort.abort();
            }
            seen.push(event);
        }
        seen
    });
    let mut cancelled: Vec<String> = job
        .cancels
        .lock()
        .unwrap()
        .iter()
        .map(|(handle, _)| handle["jobId"].as_str().unwrap_or_default().to_owned())
        .collect();
    cancelled.sort();
    assert_eq!(cancelled, ["job-1", "job-2", "job-3"], "each job once");
    assert_eq!(dropped.get(), 1, "the request-response call is dropped");
    assert_eq!(
        events.last().unwrap().kind,
        EventKind::ExecutionAborted {
            job_cancelled: true
        }
    );
    let aborted = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BranchAborted { .. }))
        .count();
    assert_eq!(aborted, 5, "three outer branches and two nested ones");
    assert_eq!(job.submits.get(), 3);
}

#[test]
fn a_failing_branch_stops_its_siblings_and_fails_the_parallel_state() {
    use pollflow::Clock;
    let job = ScriptedJob::never_done();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let clock = VirtualClock::new();
    let timer = clock.clone();
    let tasks = Tasks::new().job(sync, job.clone()).handler(
        "Breaks",
        task_fn(move |_| {
            let sleep = timer.sleep(secs(5));
            async move {
                sleep.await;
                Err(TaskError::new("Job.Broken", "disk full"))
            }
        }),
    );
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("Long", task_state(sync)),
        branch("Breaks", task_state("arn:aws:lambda:us-east-1:1:function:Breaks"))
    ]}}});
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert_eq!(
        outcome,
        Outcome::Failed {
            error: TaskError::new("Job.Broken", "disk full")
        }
    );
    assert_eq!(
        job.cancels.lock().unwrap().len(),
        1,
        "the sibling's job is cancelled"
    );
    assert_eq!(events.last().unwrap().timestamp_ms, 5_000);
}

#[test]
fn branch_and_item_events_carry_their_route() {
    let definition = json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true, "Branches": [
        branch("Id", json!({"Type": "Pass", "End": true})),
        branch("Each", json!({"Type": "Map", "End": true,
            "ItemProcessor": branch("Pause", json!({"Type": "Wait", "Seconds": 5, "End": true}))}))
    ]}}});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!(["a", "b"]));
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!([["a", "b"], ["a", "b"]])
        }
    );
    let routes: Vec<Vec<(String, u32)>> = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::StateEntered { state } if &**state == "Pause"))
        .map(|e| {
            e.route
                .iter()
                .map(|h| (h.state.to_string(), h.index))
                .collect()
        })
        .collect();
    assert_eq!(
        routes,
        [
            [("Par".to_owned(), 1), ("Each".to_owned(), 0)],
            [("Par".to_owned(), 1), ("Each".to_owned(), 1)]
        ]
    );
    let started = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BranchStarted { .. }))
        .count();
    assert_eq!(started, 4, "two branches and two items");
    let entered = events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::StateEntered { state } if &**state == "Pause"))
        .unwrap();
    assert_eq!(
        serde_json::to_value(entered).unwrap()["route"],
        json!([{"state": "Par", "index": 1}, {"state": "Each", "index": 0}])
    );
    assert_eq!(
        waits(&events),
        vec![(5_000, 0), (5_000, 0)],
        "the items wait at once, on virtual time"
    );
    assert!(events.iter().filter(|e| e.kind.is_terminal()).count() == 1);
}

#[test]
fn invalid_parallel_and_map_definitions_report_every_problem_with_its_path() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            branch("A", json!({"Type": "Pass", "End": true})),
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "M"}, "A": {"Type": "Succeed"}}},
            {"States": {}}
        ]},
        "M": {"Type": "Map", "End": true, "ItemReader": {}, "ToleratedFailurePercentage": 5,
              "MaxConcurrency": -1,
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "Y",
                                "States": {"Y": {"Type": "Pass", "Next": "Nowhere"}}}},
        "Old": {"Type": "Map", "End": true}
    }});
    let err = pollflow::asl::from_asl(&definition, "broken").unwrap_err();
    let found: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "$.States['P'].Branches[1].States['X'].Next",
        "$.States['P'].Branches[1].States['A']",
        "$.States['P'].Branches[2].StartAt",
        "$.States['P'].Branches[2].States",
        "$.States['M'].ItemReader",
        "$.States['M'].ToleratedFailurePercentage",
        "$.States['M'].MaxConcurrency",
        "$.States['M'].ItemProcessor.ProcessorConfig.Mode",
        "$.States['M'].ItemProcessor.States['Y'].Next",
        "$.States['Old'].ItemProcessor",
    ] {
        assert!(
            found.contains(&expected),
            "missing {expected} in {found:#?}"
        );
    }

    // Problems found once the graph is checked (here: an unreachable state) name the branch too.
    let unreachable = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "Orphan": {"Type": "Pass", "End": true}}}
    ]}}});
    let err = Workflow::from_asl(&unreachable.to_string(), "x").unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["$.States['P'].Branches[0].States['Orphan']"]);
}

#[test]
fn a_running_parallel_checkpoints_and_resumes_without_submitting_again() {
    use futures::StreamExt;
    let job = ScriptedJob::succeeding_after(3);
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let tasks = Tasks::new().job(sync, job.clone());
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", task_state(sync)),
        branch("B", json!({"Type": "Wait", "Seconds": 100, "End": true}))
    ]}}});
    let workflow = machine(definition);
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    let mut run = engine.start(json!({"jobName": "j"}));
    let saved = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 1, .. }) {
                break;
            }
        }
        serde_json::to_string(&run.checkpoint()).unwrap()
    });
    drop(run);
    let checkpoint: pollflow::Checkpoint = serde_json::from_str(&saved).unwrap();
    assert_eq!(checkpoint.state(), "All");
    let events: Vec<_> = clock.block_on(engine.resume(checkpoint).unwrap().collect());
    assert_eq!(job.submits.get(), 1, "resume must not submit again");
    assert_eq!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Succeeded {
            output: json!([{"done": true}, {"jobName": "j"}])
        })
    );
    assert_eq!(
        events.last().unwrap().timestamp_ms,
        100_000,
        "the Wait branch keeps its deadline"
    );
}

#[test]
fn a_checkpoint_holds_the_input_once_however_many_items_run() {
    use futures::StreamExt;
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 100, "Next": "Tag"},
            "Tag": {"Type": "Pass", "End": true,
                "Parameters": {"item.$": "$", "tag.$": "$$.Execution.Input.tag"}}}}}}});
    let items: Vec<Value> = (0..1_000)
        .map(|i| json!(format!("item-{i:04}-{}", "x".repeat(90))))
        .collect();
    let input = json!({"items": items.clone(), "tag": "outer"});
    let input_len = input.to_string().len();
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(input);
    let saved = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. })
                && event.route.len() == 1
                && event.route[0].index == 999
            {
                break;
            }
        }
        serde_json::to_string(&run.checkpoint()).unwrap()
    });
    drop(run);
    let per_item = 600;
    assert!(
        saved.len() < 2 * (input_len + 1_000 * per_item),
        "checkpoint of {} B for an input of {input_len} B",
        saved.len()
    );
    let checkpoint: pollflow::Checkpoint = serde_json::from_str(&saved).unwrap();
    let events: Vec<_> = clock.block_on(engine.resume(checkpoint).unwrap().collect());
    let Some(Outcome::Succeeded { output }) = Outcome::from_terminal(&events.last().unwrap().kind)
    else {
        panic!("{:?}", events.last());
    };
    assert_eq!(output.as_array().map(Vec::len), Some(1_000));
    assert_eq!(output[999]["item"], items[999]);
    assert_eq!(
        output[999]["tag"], "outer",
        "$$.Execution.Input in a resumed item"
    );
}

/// A machine whose one state `name` holds `inner`: a Parallel branch, or a Map processor
/// (built by hand: `json!` would copy `inner`).
fn wrap(inner: Value, name: String, map: bool) -> Value {
    let mut state = json!({"Type": if map { "Map" } else { "Parallel" }, "End": true});
    let (field, held) = if map {
        ("ItemProcessor", inner)
    } else {
        ("Branches", Value::Array(vec![inner]))
    };
    state[field] = held;
    let mut states = serde_json::Map::new();
    states.insert(name.clone(), state);
    let mut machine = json!({"StartAt": name});
    machine["States"] = Value::Object(states);
    machine
}

#[test]
fn parallel_and_map_nested_a_thousand_deep_are_refused_not_a_stack_overflow() {
    // serde_json drops a Value recursively: 4,000 levels of JSON need more than the 2 MB of
    // a test thread, whereas the loader stops at 32 levels.
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(refuse_a_thousand_levels)
        .unwrap()
        .join()
        .unwrap();
}

fn refuse_a_thousand_levels() {
    let mut definition = branch("Leaf", json!({"Type": "Pass", "End": true}));
    for i in 0..1_000 {
        definition = wrap(definition, format!("S{i}"), i % 2 == 1);
    }
    let err = pollflow::asl::from_asl(&definition, "deep").unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let problem = &err.problems[0];
    assert_eq!(
        problem.message,
        "Parallel and Map states nest at most 32 deep"
    );
    assert_eq!(problem.state.as_deref(), Some("S967"));
    assert!(
        problem.path.ends_with(".States['S967'].ItemProcessor"),
        "{}",
        problem.path
    );

    let mut ok = branch("Leaf", json!({"Type": "Pass", "End": true}));
    for i in 0..32 {
        ok = wrap(ok, format!("S{i}"), false);
    }
    let graph = pollflow::asl::from_asl(&ok, "deepest").unwrap_or_else(|e| panic!("{e}"));
    let workflow = Workflow::from_graph(graph, []).unwrap_or_else(|e| panic!("{e}"));
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let outcome = run(&engine, &clock, json!([1])).1;
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
}

#[test]
fn graphs_nested_a_thousand_deep_are_refused_by_from_graph() {
    use pollflow::State;
    let one = |inner| wrap(inner, "P".into(), false);
    let template = pollflow::asl::from_asl(
        &one(branch("Leaf", json!({"Type": "Pass", "End": true}))),
        "deep",
    )
    .unwrap();
    let mut graph = template.clone();
    for _ in 0..1_000 {
        let mut outer = template.clone();
        if let State::Parallel { branches, .. } = &mut outer.states[0].state {
            *branches = vec![graph];
        }
        graph = outer;
    }
    let err = Workflow::from_graph(graph, []).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(
        err.problems[0].message,
        "Parallel and Map states nest at most 32 deep"
    );
}

#[test]
fn item_selector_sees_each_item_and_the_execution_input() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemsPath": "$.items",
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value",
            "tag.$": "$$.Execution.Input.tag", "state.$": "$$.State.Name"},
        "ItemProcessor": branch("Echo", json!({"Type": "Pass", "End": true}))}}});
    let outcome = outcome_of(
        definition,
        Tasks::new(),
        json!({"items": ["a", "b", "c"], "tag": "t"}),
    );
    let expected: Vec<Value> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"i": i, "v": v, "tag": "t", "state": "Each"}))
        .collect();
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!(expected)
        }
    );
}

#[test]
fn branches_nested_two_deep_keep_the_top_graph_s_cancel_on_stop() {
    let job = ScriptedJob::never_done();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let nested = wrap(branch("Job", task_state(sync)), "Inner".into(), false);
    let definition = wrap(nested, "Outer".into(), false);
    let mut graph = pollflow::asl::from_asl(&definition, "keep").unwrap();
    graph.cancel_on_stop = false;
    let workflow = Workflow::from_graph(graph, []).unwrap();
    let clock = VirtualClock::new();
    let engine =
        Engine::with_tasks(workflow, Tasks::new().job(sync, job.clone()), clock.clone()).build();
    let mut run = engine.start(json!({}));
    let abort = run.abort_handle();
    let last = clock.block_on(async {
        use futures::StreamExt;
        let mut last = None;
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 1, .. }) {
                abort.abort();
            }
            last = Some(event.kind);
        }
        last
    });
    assert_eq!(
        last,
        Some(EventKind::ExecutionAborted {
            job_cancelled: false
        })
    );
    assert!(
        job.cancels.lock().unwrap().is_empty(),
        "the top graph does not cancel on stop"
    );
}

#[test]
fn the_execution_timeout_reaches_into_branches_and_is_not_caught() {
    let definition = json!({"StartAt": "Par", "TimeoutSeconds": 10, "States": {
        "Par": {"Type": "Parallel", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "Branches": [
                branch("Short", json!({"Type": "Wait", "Seconds": 1, "End": true})),
                {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
                    "ItemProcessor": branch("Long", json!({"Type": "Wait", "Seconds": 3600, "End": true}))}}}
            ]},
        "Caught": {"Type": "Pass", "End": true}
    }});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!([1, 2]));
    assert!(
        matches!(outcome, Outcome::TimedOut { ref error } if error.error == "States.Timeout"),
        "{outcome:?}"
    );
    assert_eq!(events.last().unwrap().timestamp_ms, 10_000);
}

#[test]
fn parallel_and_map_states_survive_export_and_reload() {
    let definition = json!({"StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.both",
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Each"}],
            "Branches": [branch("A", json!({"Type": "Pass", "End": true}))]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3, "End": true,
            "ItemSelector": {"i.$": "$$.Map.Item.Index"},
            "ItemProcessor": branch("B", json!({"Type": "Pass", "End": true}))}
    }});
    let loaded = pollflow::asl::from_asl(&definition, "round").unwrap();
    let exported =
        pollflow::asl::to_asl(&loaded, &pollflow::asl::ExportOptions::default()).unwrap();
    assert_eq!(
        exported["States"]["Each"]["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "INLINE"
    );
    assert_eq!(pollflow::asl::from_asl(&exported, "round").unwrap(), loaded);
}

#[test]
fn malformed_parallel_and_map_definitions_are_errors_not_panics() {
    for states in [
        json!({"P": {"Type": "Parallel", "End": true, "Branches": "x"}}),
        json!({"P": {"Type": "Parallel", "End": true, "Branches": [1, {"StartAt": 2}]}}),
        json!({"P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}]}}),
        json!({"P": {"Type": "Map", "End": true, "ItemProcessor": 5}}),
        json!({"P": {"Type": "Map", "End": true, "Iterator": {"StartAt": "A", "States": []}}}),
        json!({"P": {"Type": "Map", "End": true, "ItemsPath": 3, "MaxConcurrency": "2",
                     "ItemProcessor": {"ProcessorConfig": "INLINE", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}}),
        json!({"P": {"Type": "Map", "End": true, "ItemSelector": {"a.$": "$$$"},
                     "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}}),
    ] {
        let definition = json!({"StartAt": "P", "States": states});
        assert!(
            Workflow::from_asl(&definition.to_string(), "x").is_err(),
            "{definition}"
        );
    }
}

#[test]
fn a_checkpoint_whose_branches_do_not_fit_is_refused() {
    use futures::StreamExt;
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", json!({"Type": "Wait", "Seconds": 10, "End": true})),
        branch("B", json!({"Type": "Wait", "Seconds": 10, "End": true}))
    ]}}});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(json!({}));
    let saved = clock.block_on(async {
        let mut waits = 0;
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                waits += 1;
                if waits == 2 {
                    break;
                }
            }
        }
        serde_json::to_value(run.checkpoint()).unwrap()
    });
    let text = saved.to_string();
    assert!(text.contains("\"children\""), "{text}");
    let tamper = |edit: &dyn Fn(&mut Value)| {
        let mut checkpoint = saved.clone();
        edit(&mut checkpoint["execution"]["phase"]["branches"]);
        serde_json::from_value::<pollflow::Checkpoint>(checkpoint)
            .map_err(|e| e.to_string())
            .and_then(|c| engine.resume(c).map(|_| ()).map_err(|e| e.to_string()))
    };
    assert!(tamper(&|b| {
        b["children"].as_array_mut().unwrap().pop();
    })
    .is_err());
    assert!(tamper(&|b| b["children"][1]["state"] = json!(7)).is_err());
    assert!(tamper(&|b| b["started"] = json!(9)).is_err());
    assert!(tamper(&|_| {}).is_ok());
}

#[test]
fn dropping_a_run_cancels_every_branch_job_through_the_spawner() {
    use futures::StreamExt;
    let job = ScriptedJob::never_done();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", task_state(sync)),
        branch("B", task_state(sync))
    ]}}});
    let clock = VirtualClock::new();
    let spawned = Arc::new(Mutex::new(Vec::new()));
    let queue = spawned.clone();
    let engine = Engine::with_tasks(
        machine(definition),
        Tasks::new().job(sync, job.clone()),
        clock.clone(),
    )
    .spawner(move |future| queue.lock().unwrap().push(future))
    .build();
    let mut run = engine.start(json!({}));
    clock.block_on(async {
        let mut submitted = 0;
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::TaskSubmitted { .. }) {
                submitted += 1;
                if submitted == 2 {
                    break;
                }
            }
        }
    });
    drop(run);
    let futures: Vec<_> = spawned.lock().unwrap().drain(..).collect();
    clock.block_on(futures::future::join_all(futures));
    assert_eq!(job.cancels.lock().unwrap().len(), 2, "both branches' jobs");
}

/// A machine with a Parallel state (two branches, a catcher) and a Map state; its last state
/// and every branch's end with `End`.
fn fan_out_machine() -> Workflow {
    machine(json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Fan out"},
            "Fan out": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {
                        "A": {"Type": "Pass", "Next": "B"},
                        "B": {"Type": "Pass", "End": true}}},
                    {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                "Next": "Each"
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "D", "States": {"D": {"Type": "Pass", "End": true}}},
                "Next": "Done"
            },
            "Recover": {"Type": "Fail", "Error": "Recovered"},
            "Done": {"Type": "Pass", "End": true}
        }
    }))
}

#[test]
fn mermaid_draws_parallel_branches_and_map_processors_as_subgraphs() {
    let chart = fan_out_machine().graph().to_mermaid(&["Fan out", "B"]);
    let lines: Vec<&str> = chart.lines().map(str::trim).collect();
    let has = |line: &str| lines.contains(&line);
    // The states themselves, the Parallel and Map ones as subroutines, in the main flow.
    assert!(
        has(r#"s1[["Fan out"]]"#) && has(r#"s2[["Each"]]"#),
        "{chart}"
    );
    assert!(
        has("s0 --> s1") && has("s1 --> s2") && has("s1 -.->|catch| s3"),
        "{chart}"
    );
    // Each branch and the processor: a subgraph the state points into, with its own edges.
    assert!(has(r#"subgraph s1_0_g["Fan out: branch 1"]"#), "{chart}");
    assert!(has(r#"subgraph s1_1_g["Fan out: branch 2"]"#), "{chart}");
    assert!(has(r#"subgraph s2_0_g["Each: each item"]"#), "{chart}");
    assert!(has(r#"s1_0_s0["A"]"#) && has(r#"s1_0_s1["B"]"#) && has(r#"s1_1_s0["C"]"#));
    assert!(has("s1_0_s0 --> s1_0_s1"), "{chart}");
    assert!(has("s1 -.->|branch 1| s1_0_s0") && has("s1 -.->|branch 2| s1_1_s0"));
    assert!(has("s2 -.->|each item| s2_0_s0"), "{chart}");
    // A branch's end is the branch's: only the machine's own end state reaches `end_`.
    assert_eq!(chart.matches("end_((end))").count(), 1, "{chart}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("subgraph")).count(),
        lines.iter().filter(|l| **l == "end").count()
    );
    // Visited states are highlighted inside branches too.
    assert!(has("class s1,s1_0_s1 visited"), "{chart}");
}

#[test]
fn dot_draws_parallel_branches_and_map_processors_as_clusters() {
    let dot = fan_out_machine().graph().to_dot(&["C"]);
    let lines: Vec<&str> = dot.lines().map(str::trim).collect();
    let has = |line: &str| lines.contains(&line);
    assert!(
        has(r#""Fan out" [shape=box3d];"#) && has(r#""Each" [shape=box3d];"#),
        "{dot}"
    );
    assert!(
        has(r#""Prepare" -> "Fan out";"#) && has(r#""Fan out" -> "Each";"#),
        "{dot}"
    );
    assert!(
        has(r#"subgraph "cluster_1_0_" {"#) && has(r#"label="Fan out: branch 1"; style=dashed;"#)
    );
    assert!(
        has(r#"subgraph "cluster_2_0_" {"#) && has(r#"label="Each: each item"; style=dashed;"#)
    );
    assert!(has(r#""A" -> "B";"#), "{dot}");
    assert!(
        has(r#""Fan out" -> "A" [label="branch 1", style=dotted];"#),
        "{dot}"
    );
    assert!(
        has(r#""Fan out" -> "C" [label="branch 2", style=dotted];"#),
        "{dot}"
    );
    assert!(
        has(r#""Each" -> "D" [label="each item", style=dotted];"#),
        "{dot}"
    );
    assert!(has(
        r##""C" [shape=box, style=filled, fillcolor="#2e7d32", fontcolor=white];"##
    ));
    // Only the machine's own end edge reaches "(end)"; braces balance.
    assert_eq!(dot.matches(r#"-> "(end)""#).count(), 1, "{dot}");
    assert_eq!(dot.matches('{').count(), dot.matches('}').count(), "{dot}");
}

#[test]
fn states_named_like_the_drawings_own_nodes_stay_apart_from_them() {
    let workflow = machine(json!({
        "StartAt": "(start)",
        "States": {
            "(start)": {"Type": "Pass", "Next": "(end)"},
            "(end)": {"Type": "Pass", "Next": "((end)"},
            "((end)": {"Type": "Pass", "Next": "end_"},
            "end_": {"Type": "Pass", "Next": "start_"},
            "start_": {"Type": "Pass", "End": true}
        }
    }));
    let dot = workflow.graph().to_dot(&["(end)"]);
    let lines: Vec<&str> = dot.lines().map(str::trim).collect();
    let has = |line: &str| lines.contains(&line);
    // The drawing's start and end, each once, linked to the right states.
    assert!(has(r#""(start)" -> "((start)";"#), "{dot}");
    assert!(has(r#""start_" -> "(end)";"#), "{dot}");
    assert_eq!(dot.matches(r#""(start)" ->"#).count(), 1, "{dot}");
    assert_eq!(dot.matches(r#"-> "(end)""#).count(), 1, "{dot}");
    // The states keep their names as labels, under ids no other name takes.
    assert!(
        has(r#""((start)" [shape=box, label="(start)"];"#)
            && has(
                r##""((end)" [shape=box, style=filled, fillcolor="#2e7d32", fontcolor=white, label="(end)"];"##
            )
            && has(r#""(((end)" [shape=box, label="((end)"];"#),
        "{dot}"
    );
    assert!(
        has(r#""((start)" -> "((end)";"#) && has(r#""((end)" -> "(((end)";"#),
        "{dot}"
    );
    assert!(has(r#""(((end)" -> "end_";"#) && has(r#""end_" [shape=box];"#));

    let chart = workflow.graph().to_mermaid(&[]);
    let lines: Vec<&str> = chart.lines().map(str::trim).collect();
    // Mermaid ids are the states' positions: names are only labels.
    assert!(lines.contains(&"start_((start)) --> s0"), "{chart}");
    assert!(
        lines.contains(&r#"s0["(start)"]"#) && lines.contains(&r#"s1["(end)"]"#),
        "{chart}"
    );
    assert!(lines.contains(&"s4 --> end_((end))"), "{chart}");
    assert_eq!(chart.matches("end_((end))").count(), 1, "{chart}");
    assert_eq!(chart.matches("start_((start))").count(), 1, "{chart}");
}

/// The output of `definition` run on `input`, with `tasks`; panics unless it succeeded.
fn output_of(definition: Value, tasks: Tasks, input: Value) -> Value {
    match outcome_of(definition, tasks, input) {
        Outcome::Succeeded { output } => output,
        other => panic!("{other:?}"),
    }
}

#[test]
fn assign_sets_variables_that_later_states_read_with_dollar_names() {
    // Pass (from its Result), Task (from its result after ResultSelector), Wait (from its
    // input after InputPath), each read later in Parameters, an intrinsic and a Choice.
    let definition = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Result": {"n": 2}, "ResultPath": null,
                "Assign": {"count.$": "$.n", "label": "fixed", "nested": {"run.$": "$$.Execution.Name"}}, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "double", "Parameters": {"n.$": "$count"},
                 "ResultSelector": {"doubled.$": "$.n"}, "ResultPath": null,
                 "Assign": {"doubled.$": "$.doubled"}, "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "InputPath": "$.pause", "Assign": {"paused.$": "$.why"}, "Next": "Big?"},
        "Big?": {"Type": "Choice", "Choices": [
            {"Variable": "$doubled", "NumericGreaterThan": 3, "Next": "Report", "Assign": {"size": "big"}}],
            "Default": "Report", "Assign": {"size": "small", "checked": true}},
        "Report": {"Type": "Pass", "Parameters": {
            "count.$": "$count", "doubled.$": "$doubled", "label.$": "$label", "run.$": "$nested.run",
            "paused.$": "$paused", "size.$": "$size", "checked.$": "$checked",
            "text.$": "States.Format('{} then {}', $count, $doubled)"}, "End": true}
    }});
    let tasks = Tasks::new().handler(
        "double",
        task_fn(
            |input: Value| async move { Ok(json!({"n": input["n"].as_i64().unwrap_or(0) * 2})) },
        ),
    );
    let output = output_of(definition, tasks, json!({"pause": {"why": "rate limit"}}));
    assert_eq!(
        output,
        json!({"count": 2, "doubled": 4, "label": "fixed", "run": "execution-0", "paused": "rate limit",
               "size": "big", "checked": true, "text": "2 then 4"})
    );
}

#[test]
fn a_state_reads_the_variables_as_they_were_when_it_was_entered() {
    // Every expression of one Assign sees the values from before the state: a swap works.
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Parameters": {"seen.$": "$a"}, "Assign": {"a.$": "$b", "b.$": "$a"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b", "before.$": "$.seen"}, "End": true}
    }});
    assert_eq!(
        output_of(definition, Tasks::new(), json!({})),
        json!({"a": 2, "b": 1, "before": 1})
    );
}

#[test]
fn branches_and_items_read_outer_variables_and_keep_their_own() {
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"base": 10, "tag": "outer"}, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value", "base.$": "$base"},
            "ItemProcessor": {"StartAt": "Add", "States": {
                "Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.v, $.base)"},
                        "Assign": {"tag": "inner"}, "Next": "Out"},
                "Out": {"Type": "Pass", "Parameters": {"sum.$": "$.sum", "tag.$": "$tag"}, "End": true}}},
            "Assign": {"count.$": "States.ArrayLength($)"}, "ResultPath": "$.mapped", "Next": "Both"},
        "Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "Read", "States": {"Read": {"Type": "Pass", "Parameters": {"count.$": "$count", "tag.$": "$tag"}, "End": true}}}],
            "ResultPath": "$.parallel", "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"tag.$": "$tag", "mapped.$": "$.mapped", "parallel.$": "$.parallel"}, "End": true}
    }});
    let output = output_of(definition, Tasks::new(), json!({"items": [1, 2]}));
    assert_eq!(
        output,
        json!({
            // Each item read `$base` and its own `$tag`; the Map assigned `$count` from its result.
            "mapped": [{"sum": 11, "tag": "inner"}, {"sum": 12, "tag": "inner"}],
            "parallel": [{"count": 2, "tag": "outer"}],
            // An item's assignment stays in the item.
            "tag": "outer"
        })
    );
}

#[test]
fn a_catcher_assigns_from_the_error_and_a_choice_rule_after_the_state() {
    let definition = json!({"StartAt": "Try", "States": {
        "Try": {"Type": "Task", "Resource": "fail", "Assign": {"never": true},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                           "Assign": {"failure.$": "$.Error", "why.$": "$.Cause"}, "Next": "Route"}], "End": true},
        "Route": {"Type": "Choice", "Assign": {"route": "state", "kept": 1},
            "Choices": [{"Variable": "$failure", "StringEquals": "Boom", "Next": "Show", "Assign": {"route": "rule"}}]},
        "Show": {"Type": "Pass", "Parameters": {"failure.$": "$failure", "why.$": "$why", "route.$": "$route", "kept.$": "$kept"}, "End": true}
    }});
    let tasks = Tasks::new().handler(
        "fail",
        task_fn(|_| async { Err(TaskError::new("Boom", "it broke")) }),
    );
    assert_eq!(
        output_of(definition, tasks, json!({})),
        json!({"failure": "Boom", "why": "it broke", "route": "rule", "kept": 1})
    );
}

#[test]
fn reading_a_variable_never_assigned_fails_with_states_runtime() {
    let definition = json!({"StartAt": "Read", "States": {
        "Read": {"Type": "Pass", "Parameters": {"x.$": "$nope"}, "End": true}}});
    let Outcome::Failed { error } = outcome_of(definition, Tasks::new(), json!({})) else {
        panic!("expected a failure");
    };
    assert_eq!(error.error, "States.Runtime");
    assert!(
        error.cause.contains("$nope is not assigned"),
        "{}",
        error.cause
    );
}

#[test]
fn assign_is_checked_on_load_and_exported_as_written() {
    let bad = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"1st": 1, "ok": 2, "bad-name.$": "$.x"}, "ResultPath": "$ok", "Next": "B"},
        "B": {"Type": "Pass", "Assign": [1], "Next": "C"},
        "C": {"Type": "Succeed", "Assign": {"x": 1}}}});
    let err = Workflow::from_asl(&bad.to_string(), "x").unwrap_err();
    let found: Vec<(String, String)> = err
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    let has = |path: &str, needle: &str| found.iter().any(|(p, m)| p == path && m.contains(needle));
    assert!(
        has("$.States['A'].Assign", "\"1st\" is not a variable name"),
        "{found:?}"
    );
    assert!(
        has(
            "$.States['A'].Assign",
            "\"bad-name\" is not a variable name"
        ),
        "{found:?}"
    );
    assert!(
        has("$.States['A'].ResultPath", "not a variable ($ok)"),
        "{found:?}"
    );
    assert!(
        has("$.States['B'].Assign", "must be an object"),
        "{found:?}"
    );
    assert!(
        has("$.States['C'].Assign", "not a field of a Succeed state"),
        "{found:?}"
    );

    let good = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x.$": "$.v", "y": {"z.$": "$x"}}, "Next": "B"},
        "B": {"Type": "Choice", "Assign": {"c": 1}, "Choices": [{"Variable": "$x", "IsPresent": true, "Assign": {"r": 2}, "Next": "C"}], "Default": "C"},
        "C": {"Type": "Task", "Resource": "r", "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"e.$": "$.Error"}, "Next": "D"}], "Next": "D"},
        "D": {"Type": "Succeed"}}});
    let exported =
        pollflow::asl::to_asl(machine(good.clone()).graph(), &Default::default()).unwrap();
    let states = &exported["States"];
    assert_eq!(states["A"]["Assign"], good["States"]["A"]["Assign"]);
    assert_eq!(states["B"]["Assign"], json!({"c": 1}));
    assert_eq!(states["B"]["Choices"][0]["Assign"], json!({"r": 2}));
    assert_eq!(states["C"]["Catch"][0]["Assign"], json!({"e.$": "$.Error"}));
    // And it loads again to the same graph.
    assert_eq!(machine(exported).graph(), machine(good).graph());
}

#[test]
fn variables_survive_a_checkpoint_inside_a_map_item() {
    use futures::StreamExt;
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": {"StartAt": "Mark", "States": {
            "Mark": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Show"},
            "Show": {"Type": "Pass", "Parameters": {"mine.$": "$mine", "outer.$": "$outer"}, "End": true}}}}
    }});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(json!({"items": ["a", "b"]}));
    let saved = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(&event.kind, EventKind::WaitStarted { .. }) {
                break;
            }
        }
        serde_json::to_string(&run.checkpoint()).unwrap()
    });
    drop(run);
    assert!(
        saved.contains("\"variables\""),
        "the checkpoint holds the variables: {saved}"
    );
    let checkpoint: pollflow::Checkpoint = serde_json::from_str(&saved).unwrap();
    let events: Vec<_> = clock.block_on(engine.resume(checkpoint).unwrap().collect());
    assert_eq!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Succeeded {
            output: json!([{"mine": "a", "outer": "o"}, {"mine": "b", "outer": "o"}])
        })
    );
}

#[test]
fn missing_variables_are_named_in_choice_and_items_path_errors() {
    for (definition, needle) in [
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D",
                "Choices": [{"Variable": "$never", "StringEquals": "x", "Next": "D"}]}, "D": {"Type": "Succeed"}}}),
            "the Choice variable \"$never\" matches nothing in the variables: $never is not assigned",
        ),
        (
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$never", "End": true,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
            "ItemsPath \"$never\" matches nothing in the variables: $never is not assigned",
        ),
    ] {
        let Outcome::Failed { error } = outcome_of(definition, Tasks::new(), json!({})) else {
            panic!("expected a failure");
        };
        assert_eq!(error.error, "States.Runtime");
        assert!(error.cause.contains(needle), "{}", error.cause);
    }
}

#[test]
fn a_graph_whose_assign_is_not_an_object_does_not_build() {
    let mut graph =
        machine(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}))
            .graph()
            .clone();
    let mut state = serde_json::to_value(&graph.states[0].state).unwrap();
    state["io"] = json!({"assign": [1]});
    graph.states[0].state = serde_json::from_value(state).unwrap();
    let err = Workflow::from_graph(graph, []).unwrap_err();
    assert!(
        err.problems
            .iter()
            .any(|p| p.path == "$.states[0].io.assign" && p.message.contains("must be an object")),
        "{err}"
    );
}
