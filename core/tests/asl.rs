//! Amazon States Language definitions run on the same interpreter as builder workflows.

mod support;

use std::cell::Cell;
use std::rc::Rc;

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
    let checks = Rc::new(Cell::new(0));
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
        let published = Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = published.clone();
        let tasks = Tasks::new()
            .job("arn:aws:states:::batch:submitJob.sync", poller.clone())
            .handler(
                "arn:aws:states:::sns:publish",
                task_fn(move |input: Value| {
                    sink.borrow_mut().push(input);
                    async { Ok(json!({"MessageId": "m-1"})) }
                }),
            );
        let workflow = Workflow::from_asl(MANAGE_BATCH_JOB, "Manage a Batch Job").unwrap();
        let clock = VirtualClock::new();
        let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
        let (events, outcome) = run(&engine, &clock, json!({}));

        assert_eq!(poller.submits.get(), 1);
        assert_eq!(poller.checks.get(), 3);
        assert_eq!(published.borrow().len(), 1);
        assert_eq!(published.borrow()[0]["Message"], expected_message);
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
    let calls = Rc::new(Cell::new(0));
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
        poller.cancels.borrow().len(),
        1,
        "the job is terminated once"
    );
    assert!(poller.cancels.borrow()[0].1.contains("\"Run\""));
    let cancelled_at = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::JobCancelled { .. }))
        .unwrap();
    assert_eq!(cancelled_at.timestamp_ms, 60_000);
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
    let checks = Rc::new(Cell::new(0));
    let counted = checks.clone();
    let published = Rc::new(std::cell::RefCell::new(Vec::new()));
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
                sink.borrow_mut().push(input["Message"].clone());
                async { Ok(json!({})) }
            }),
        );
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(asl), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({"jobName": "x"}));
    assert_eq!(checks.get(), 3);
    assert_eq!(*published.borrow(), vec![json!("ok")]);
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
