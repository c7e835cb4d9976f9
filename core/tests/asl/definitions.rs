//! Loading, validating and exporting definitions: problems reported with their paths.

use super::*;

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
fn an_exported_builder_workflow_runs_the_same_on_the_asl_path() {
    use pollflow::asl::{to_asl, ExportOptions, JobTasks};
    use pollflow::workflow::{Arm, Choice};
    use pollflow::WaitPolicy;

    let workflow = Workflow::builder("Manage")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(secs(30)))
        .check("Check")
        .branch(
            "Done?",
            Choice::new()
                .on_succeeded(Arm::notify("Notify Success", "ok").then_succeed("Succeeded"))
                .on_failed(
                    Arm::notify("Notify Failure", "bad").then_fail("Failed", "States.TaskFailed"),
                ),
        )
        .build()
        .unwrap();
    let options = ExportOptions::default();
    let asl = to_asl(workflow.graph(), &options).unwrap();
    let JobTasks::Functions { submit, check } = &options.jobs else {
        panic!("the default export uses functions")
    };

    // The check function answers in JobStatus JSON: pending twice, then succeeded.
    let checks = Arc::new(SyncCell::new(0));
    let counted = checks.clone();
    let published = Arc::new(Mutex::new(Vec::new()));
    let sink = published.clone();
    let tasks = Tasks::new()
        .handler(submit.clone(), task_fn(|_| async { Ok(json!("job-9")) }))
        .handler(
            check.clone(),
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
    use pollflow::workflow::Choice;
    use pollflow::WaitPolicy;
    let workflow = Workflow::builder("Backoff")
        .submit("Submit")
        .wait("Wait", WaitPolicy::exponential(secs(1), secs(60)))
        .check("Check")
        .branch("Done?", Choice::new())
        .build()
        .unwrap();
    let err = pollflow::asl::to_asl(workflow.graph(), &Default::default()).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].state.as_deref(), Some("Wait"));
    assert!(err.problems[0].message.contains("exponential"));
}

/// Without the `jsonata` feature (the npm package's `pollflow/asl` entry), JSONata states are
/// refused with a problem that names the feature, not run under other rules.
#[cfg(not(feature = "jsonata"))]
#[test]
fn jsonata_states_are_refused_without_the_jsonata_feature() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% 1 %}", "End": true}
    }});
    let err = pollflow::asl::from_asl(&definition, "jsonata").unwrap_err();
    let needs: Vec<&str> = err
        .problems
        .iter()
        .filter(|p| p.message.contains("`jsonata` feature"))
        .map(|p| p.path.as_str())
        .collect();
    assert_eq!(needs, ["$.QueryLanguage", "$.States['P'].Output"]);
}
