//! Data flow through a state (paths, parameters, selectors, Choice rules, Wait states, Fail paths).

use super::*;

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
fn each_state_entry_carries_its_input_and_each_exit_its_output() {
    let definition = json!({
        "StartAt": "Add",
        "States": {
            "Add": {"Type": "Pass", "Result": 1, "ResultPath": "$.added", "Next": "Broken"},
            "Broken": {
                "Type": "Task",
                "Resource": "broken",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Both"}],
                "End": true
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [branch("Inner", json!({"Type": "Pass", "InputPath": "$.added", "End": true}))],
                "End": true
            }
        }
    });
    let tasks = Tasks::new().handler(
        "broken",
        task_fn(|_: Value| async { Err::<Value, _>(TaskError::new("Boom", "no")) }),
    );
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, _) = run(&engine, &clock, json!({"n": 0}));
    let seen: Vec<(String, String, Value)> = events
        .iter()
        .filter_map(|event| {
            let place = event
                .route
                .iter()
                .map(|hop| format!("{}#{}/", hop.state, hop.index));
            let place: String = place.collect();
            match &event.kind {
                EventKind::StateEntered { state, input } => {
                    Some((format!("{place}{state}"), "in".into(), Value::clone(input)))
                }
                EventKind::StateExited { state, output } => Some((
                    format!("{place}{state}"),
                    "out".into(),
                    Value::clone(output),
                )),
                _ => None,
            }
        })
        .collect();
    let caught = json!({"n": 0, "added": 1, "error": {"Error": "Boom", "Cause": "no"}});
    let expected = vec![
        ("Add", "in", json!({"n": 0})),
        ("Add", "out", json!({"n": 0, "added": 1})),
        ("Broken", "in", json!({"n": 0, "added": 1})),
        ("Broken", "out", caught.clone()),
        ("Both", "in", caught.clone()),
        ("Both#0/Inner", "in", caught),
        ("Both#0/Inner", "out", json!(1)),
        ("Both", "out", json!([1])),
    ];
    let expected: Vec<(String, String, Value)> = expected
        .into_iter()
        .map(|(state, way, value)| (state.to_owned(), way.to_owned(), value))
        .collect();
    assert_eq!(seen, expected);
}
