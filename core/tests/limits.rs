//! Hostile and runaway definitions end in clean errors: Step Functions' quotas as the engine's
//! default limits, no arithmetic that overflows, no recursion that input controls.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use pollflow::task::Tasks;
use pollflow::{
    task_fn, Clock, Engine, Event, EventKind, JobStatus, Limits, Outcome, TaskError, VirtualClock,
    Workflow,
};
use serde_json::{json, Value};
use support::SyncCell;

const WORK: &str = "arn:aws:lambda:us-east-1:123456789012:function:work";

fn machine(definition: Value) -> Workflow {
    Workflow::from_asl(&definition.to_string(), "limits").unwrap_or_else(|e| panic!("{e}"))
}

fn run_with(definition: Value, tasks: Tasks, limits: Limits, input: Value) -> Vec<Event> {
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone())
        .limits(limits)
        .build();
    clock.block_on(engine.start(input).collect())
}

fn run(definition: Value, tasks: Tasks, input: Value) -> Vec<Event> {
    run_with(definition, tasks, Limits::default(), input)
}

fn outcome(events: &[Event]) -> Outcome {
    Outcome::from_terminal(&events.last().expect("events").kind).expect("a terminal event")
}

/// The error the execution failed with.
fn failure(events: &[Event]) -> TaskError {
    match outcome(events) {
        Outcome::Failed { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn assert_data_limit(events: &[Event], needle: &str) {
    let error = failure(events);
    assert_eq!(error.error, "States.DataLimitExceeded", "{error}");
    assert!(error.cause.contains(needle), "{error} lacks {needle:?}");
}

/// A string whose JSON text is `bytes` long.
fn text(bytes: usize) -> Value {
    json!("x".repeat(bytes - 2))
}

/// A task that returns `result` (and counts its calls).
fn returning(result: Value, calls: &Arc<SyncCell<u32>>) -> Tasks {
    let calls = calls.clone();
    Tasks::new().handler(
        WORK,
        task_fn(move |_input: Value| {
            calls.set(calls.get() + 1);
            let result = result.clone();
            async move { Ok(result) }
        }),
    )
}

/// Runs `f` on a thread with a small stack: recursion proportional to a value nested 100,000
/// deep needs hundreds of megabytes of it, values within `Limits::MAX_DEPTH` fit.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// A value nested `levels` deep (`[[[…"bottom"…]]]`), built without recursion.
fn nested(levels: usize) -> Value {
    let mut value = json!("bottom");
    for _ in 0..levels {
        value = Value::Array(vec![value]);
    }
    value
}

/// Drops a deeply nested value without recursion (serde_json's drop recurses).
fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

// --- 256 KiB per input, output, result and variable -----------------------------------------

#[test]
fn a_task_result_past_256_kib_fails_the_execution_whatever_its_catchers_say() {
    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": WORK, "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}],
            "Catch": [
                {"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"},
                {"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}});
    let calls = Arc::new(SyncCell::new(0));
    let events = run(
        definition.clone(),
        returning(text(256 * 1024 + 1), &calls),
        json!({}),
    );
    assert_data_limit(
        &events,
        "the task's result: larger than the payload limit of 262144 bytes",
    );
    assert_eq!(calls.get(), 1, "States.DataLimitExceeded is not retried");
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::TaskFailed { error, retry_in_ms: None, .. } if error.error == "States.DataLimitExceeded")));
    assert!(
        !events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::TaskSucceeded { .. })),
        "the oversized result is not in the history"
    );

    // Exactly 256 KiB fits; and the limit is the engine's to set.
    let fits = run(
        definition.clone(),
        returning(text(256 * 1024), &calls),
        json!({}),
    );
    assert!(matches!(outcome(&fits), Outcome::Succeeded { .. }));
    let raised = Limits {
        max_payload_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let events = run_with(
        definition,
        returning(text(300_000), &calls),
        raised,
        json!({}),
    );
    assert!(matches!(outcome(&events), Outcome::Succeeded { .. }));
}

#[test]
fn an_execution_input_past_the_limit_fails_at_once_and_is_not_kept_in_the_history() {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let events = run(definition, Tasks::new(), json!({"big": text(300_000)}));
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[0].kind, EventKind::ExecutionStarted { input } if **input == Value::Null)
    );
    assert_data_limit(&events, "the execution's input");
}

#[test]
fn a_shared_input_is_checked_for_every_execution_until_it_fits() {
    let clock = VirtualClock::new();
    let workflow = machine(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let big = std::sync::Arc::new(json!({"big": text(300_000)}));
    let small = std::sync::Arc::new(json!({"small": 1}));
    for input in [&big, &small, &big, &small, &big] {
        let events: Vec<Event> = clock.block_on(engine.start_shared(input.clone()).collect());
        if std::sync::Arc::ptr_eq(input, &big) {
            assert_data_limit(&events, "the execution's input");
        } else {
            assert_eq!(
                outcome(&events),
                Outcome::Succeeded {
                    output: json!({"small": 1})
                }
            );
        }
    }
}

#[test]
fn parameters_outputs_and_variables_past_the_limit_fail_the_execution() {
    let doubling = |field: &str| {
        json!({"StartAt": "Grow", "States": {"Grow": {"Type": "Pass", "End": true,
            field: {"s.$": "States.Format('{}{}', $.s, $.s)"}}}})
    };
    let input = json!({"s": "x".repeat(150_000)});
    assert_data_limit(
        &run(doubling("Parameters"), Tasks::new(), input.clone()),
        "the arguments of States.Format",
    );

    // A Task's effective input, built from paths only.
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK,
        "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}});
    let calls = Arc::new(SyncCell::new(0));
    let events = run(definition, returning(json!(1), &calls), input.clone());
    assert_data_limit(&events, "once the field 'b.$' is filled in");
    assert_eq!(calls.get(), 0, "the task is not called");

    // An output: the result placed next to the input.
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK,
        "ResultPath": "$.copy", "End": true}}});
    let events = run(
        definition,
        returning(input["s"].clone(), &calls),
        input.clone(),
    );
    assert_data_limit(&events, "the state's output");

    // A variable.
    let definition = json!({"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": true,
        "Assign": {"a.$": "$.s", "b.$": "$.s"}}}});
    assert_data_limit(
        &run(definition, Tasks::new(), input),
        "once the field 'b.$' is filled in",
    );
}

#[test]
fn variables_together_stay_within_their_own_limit() {
    let definition = json!({"StartAt": "One", "States": {
        "One": {"Type": "Pass", "Assign": {"a.$": "$.s"}, "Next": "Two"},
        "Two": {"Type": "Pass", "Assign": {"b.$": "$.s"}, "Next": "Again"},
        "Again": {"Type": "Pass", "Assign": {"a.$": "$.s"}, "End": true}}});
    let input = json!({"s": "x".repeat(400)});
    let limits = |max| Limits {
        max_variables_bytes: max,
        ..Limits::default()
    };
    // Each variable is its name plus its value's JSON text: 1 + 402 bytes.
    let events = run_with(definition.clone(), Tasks::new(), limits(806), input.clone());
    assert!(
        matches!(outcome(&events), Outcome::Succeeded { .. }),
        "reassigning a variable replaces its size"
    );
    let events = run_with(definition, Tasks::new(), limits(805), input);
    assert_data_limit(
        &events,
        "more than the limit of 805 (Limits::max_variables_bytes)",
    );
}

#[test]
fn doubling_a_string_through_32_pass_states_ends_at_the_limit() {
    let mut states = serde_json::Map::new();
    for i in 0..32 {
        let mut state = json!({"Type": "Pass",
            "Parameters": {"s.$": "States.Format('{}{}', $.s, $.s)"}});
        if i == 31 {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("Double{}", i + 1));
        }
        states.insert(format!("Double{i}"), state);
    }
    let definition = json!({"StartAt": "Double0", "States": states});
    let started = Instant::now();
    let events = run(definition, Tasks::new(), json!({"s": "ab"}));
    assert_data_limit(&events, "the payload limit of 262144 bytes");
    let entered = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::StateEntered { .. }))
        .count();
    assert_eq!(
        entered, 17,
        "2 bytes doubled 17 times is 256 KiB, plus quotes"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn map_results_that_cannot_fit_stop_the_map_early() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK, "End": true}}}}}});
    let calls = Arc::new(SyncCell::new(0));
    let events = run(
        definition,
        returning(text(100_000), &calls),
        json!([1, 2, 3, 4, 5, 6]),
    );
    assert_data_limit(&events, "its branches' outputs together");
    assert_eq!(calls.get(), 3, "the third 100 kB output is one too many");
}

#[test]
fn item_selector_makes_each_input_as_its_item_starts() {
    // One item at a time: the selector of the third item fails after two items ran (selecting
    // every input up front would hold them all at once: a 200 kB selection for 2,000 items
    // is 400 MB).
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "MaxConcurrency": 1,
        "ItemSelector": {"id.$": "$$.Map.Item.Value.id", "all.$": "$.big"},
        "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK, "End": true}}}}}});
    let calls = Arc::new(SyncCell::new(0));
    let input = json!({"items": [{"id": 1}, {"id": 2}, {"no": 3}, {"id": 4}], "big": "b"});
    let events = run(definition.clone(), returning(json!("done"), &calls), input);
    assert_eq!(failure(&events).error, "States.Runtime");
    assert_eq!(calls.get(), 2);

    let calls = Arc::new(SyncCell::new(0));
    let seen = Arc::new(SyncCell::new(0));
    let counted = (calls.clone(), seen.clone());
    let tasks = Tasks::new().handler(
        WORK,
        task_fn(move |input: Value| {
            counted.0.set(counted.0.get() + 1);
            counted.1.set(
                counted
                    .1
                    .get()
                    .max(input["all"].as_str().map_or(0, str::len)),
            );
            async move { Ok(json!(1)) }
        }),
    );
    let items: Vec<Value> = (0..300).map(|i| json!({"id": i})).collect();
    let input = json!({"items": items, "big": "y".repeat(100_000)});
    let events = run(definition, tasks, input);
    assert!(matches!(outcome(&events), Outcome::Succeeded { .. }));
    assert_eq!((calls.get(), seen.get()), (300, 100_000));
}

// --- 25,000 events -----------------------------------------------------------------------------

fn assert_event_limit(events: &[Event], limit: u64) {
    let last = events.last().expect("events");
    assert_eq!(last.id, limit);
    assert!(last.route.is_empty());
    assert_eq!(
        failure(events),
        TaskError::new(
            "States.Runtime",
            format!("The execution reached the maximum number of history events ({limit})."),
        )
    );
    assert_eq!(events.len() as u64, limit);
    assert!(!events[events.len() - 2].kind.is_terminal());
}

#[test]
fn a_pass_state_that_loops_on_itself_ends_at_25000_events() {
    let definition = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}});
    let events = run(definition, Tasks::new(), json!({}));
    assert_event_limit(&events, 25_000);
    assert!(matches!(events[24_998].kind, EventKind::StateExited { .. }));
}

#[test]
fn a_retry_with_99999999_attempts_ends_at_the_event_limit() {
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK,
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999999, "BackoffRate": 1}],
        "End": true}}});
    let tasks = Tasks::new().handler(
        WORK,
        task_fn(|_input: Value| async { Err(TaskError::new("Flaky", "again")) }),
    );
    let limits = Limits {
        max_events: 2_000,
        ..Limits::default()
    };
    assert_event_limit(&run_with(definition, tasks, limits, json!({})), 2_000);
}

#[test]
fn the_event_limit_counts_the_events_of_map_items() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 5, "End": true}}}}}});
    let limits = Limits {
        max_events: 101,
        ..Limits::default()
    };
    let items: Vec<Value> = (0..100).map(|i| json!(i)).collect();
    let events = run_with(definition, Tasks::new(), limits, json!(items));
    assert_event_limit(&events, 101);
    assert!(events.iter().any(|e| !e.route.is_empty()));
}

// --- JSONPath and intrinsic functions ----------------------------------------------------------

#[test]
fn a_union_with_a_hundred_million_matches_fails_quickly() {
    let union = format!("${}", "[0,0,0,0,0,0,0,0,0,0]".repeat(8));
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
        "Parameters": {"x.$": union}}}});
    let started = Instant::now();
    let events = run(definition, Tasks::new(), nested(8));
    assert_data_limit(&events, "looks at more values than the limit allows");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn chained_recursive_descent_fails_quickly() {
    let mut deep = json!(1);
    for _ in 0..120 {
        let mut map = serde_json::Map::new();
        map.insert("a".into(), deep);
        deep = Value::Object(map);
    }
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
        "Parameters": {"x.$": "$..a..a..a..a"}}}});
    let started = Instant::now();
    let events = run(definition, Tasks::new(), deep);
    assert_data_limit(&events, "(Limits::max_path_visits)");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn intrinsic_functions_stop_at_the_payload_limit() {
    let ones = json!({"ones": vec![1; 100_000]});
    let text = json!({"s": "z".repeat(100_000)});
    let cases = [
        // Arrays print Java-style, `[1, 1, …]`: half as long again as their JSON text.
        (
            "States.Format('{}', $.ones)",
            &ones,
            "the result of States.Format",
        ),
        (
            "States.Format('{}{}{}{}{}{}{}{}', $.s, $.s, $.s, $.s, $.s, $.s, $.s, $.s)",
            &text,
            "the arguments of States.Format",
        ),
        (
            "States.Array($.s, $.s, $.s, $.s, $.s, $.s, $.s, $.s)",
            &text,
            "the arguments of States.Array",
        ),
        (
            "States.JsonToString(States.Array($.s, $.s, $.s))",
            &text,
            "the arguments of States.Array",
        ),
    ];
    for (call, input, needle) in cases {
        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "Parameters": {"x.$": call}}}});
        let events = run(definition, Tasks::new(), input.clone());
        assert_data_limit(&events, needle);
    }
}

#[test]
fn filters_with_many_terms_do_not_recurse() {
    let terms = vec!["@.a == 1"; 20_000].join(" || ");
    let path = format!("$[?({terms})]");
    on_small_stack(move || {
        let parsed = pollflow::expr::Path::parse(&path).unwrap();
        let selected = parsed
            .select(&json!([{"a": 1}, {"a": 2}]), &json!({}))
            .unwrap();
        assert_eq!(selected, Some(json!([{"a": 1}])));
    });
}

// --- Nesting depth -----------------------------------------------------------------------------

#[test]
fn paths_longer_than_the_nesting_limit_are_refused_when_the_definition_loads() {
    on_small_stack(|| {
        for steps in [5_000, 100_000] {
            let long = format!("${}", ".a".repeat(steps));
            for field in ["ResultPath", "InputPath", "OutputPath"] {
                let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
                    field: long}}});
                let error = Workflow::from_asl(&definition.to_string(), "deep").unwrap_err();
                assert!(
                    error.to_string().contains(&format!(
                        "at most 256 steps (values nest at most that deep), not {steps}"
                    )),
                    "{field}: {error}"
                );
            }
        }
        let at_limit = format!("${}", ".a".repeat(256));
        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "ResultPath": at_limit}}});
        Workflow::from_asl(&definition.to_string(), "deep").unwrap();
    });
}

#[test]
fn a_result_path_that_would_nest_past_the_limit_fails_before_building_it() {
    on_small_stack(|| {
        let path = format!("${}", ".a".repeat(250));
        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "Result": nested(10), "ResultPath": path}}});
        let events = run(definition.clone(), Tasks::new(), json!({}));
        assert_data_limit(&events, "nests deeper than 256 levels");

        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "Result": nested(6), "ResultPath": format!("${}", ".a".repeat(250))}}});
        let events = run(definition, Tasks::new(), json!({}));
        assert!(matches!(outcome(&events), Outcome::Succeeded { .. }));
        serde_json::to_string(&events).unwrap();
    });
}

#[test]
fn deep_inputs_and_results_are_refused_without_recursion() {
    on_small_stack(|| {
        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
        let events = run(definition, Tasks::new(), nested(100_000));
        assert_data_limit(
            &events,
            "the execution's input: nests deeper than 256 levels",
        );
        serde_json::to_string(&events).unwrap();

        let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK, "End": true}}});
        let tasks =
            Tasks::new().handler(WORK, task_fn(|_input: Value| async { Ok(nested(100_000)) }));
        let events = run(definition, tasks, json!({}));
        assert_data_limit(&events, "the task's result: nests deeper than 256 levels");
        serde_json::to_string(&events).unwrap();

        // The caller's own value stays the caller's: refusing it copies nothing.
        let input = std::sync::Arc::new(nested(100_000));
        let clock = VirtualClock::new();
        let workflow =
            machine(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
        let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
        let outcome = clock.block_on(engine.start_shared(input.clone()).outcome());
        assert!(matches!(outcome, Outcome::Failed { .. }));
        dismantle(std::sync::Arc::try_unwrap(input).unwrap());
    });
}

#[test]
fn a_state_that_nests_its_data_one_level_per_pass_stops_at_the_nesting_limit() {
    on_small_stack(|| {
        let definition = json!({"StartAt": "Wrap", "States": {"Wrap": {"Type": "Pass",
            "Parameters": {"in.$": "$"}, "Next": "Wrap"}}});
        let events = run(definition, Tasks::new(), json!(0));
        assert_data_limit(&events, "nests deeper than 256 levels");
        let wraps = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::StateExited { .. }))
            .count();
        assert_eq!(wraps, 256, "the 257th would nest 257 levels deep");
        serde_json::to_string(&events).unwrap();
    });
}

// --- Times and numbers that would overflow ---------------------------------------------------

#[test]
fn retry_and_timeout_fields_outside_step_functions_ranges_are_refused() {
    let task = |extra: Value| {
        let mut state = json!({"Type": "Task", "Resource": WORK, "End": true});
        state
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "Work", "States": {"Work": state}})
    };
    let retry = |retrier: Value| {
        let mut retrier = retrier;
        retrier["ErrorEquals"] = json!(["States.ALL"]);
        task(json!({"Retry": [retrier]}))
    };
    let refused = [
        (
            retry(json!({"IntervalSeconds": 18446744073709551u64})),
            "IntervalSeconds: must be an integer from 1 to 99999999, not 18446744073709551",
        ),
        (
            retry(json!({"IntervalSeconds": 100000000})),
            "IntervalSeconds",
        ),
        (
            retry(json!({"MaxAttempts": 100000000})),
            "MaxAttempts: must be an integer from 0 to 99999999, not 100000000",
        ),
        (retry(json!({"MaxAttempts": 1e9})), "MaxAttempts"),
        (
            retry(json!({"MaxDelaySeconds": 31622401})),
            "MaxDelaySeconds: must be an integer from 1 to 31622400",
        ),
        (
            retry(json!({"BackoffRate": 0.5})),
            "rate must be a finite number >= 1",
        ),
        (
            task(json!({"TimeoutSeconds": 100000000})),
            "TimeoutSeconds: must be an integer from 1 to 99999999",
        ),
        (
            task(json!({"HeartbeatSeconds": 0})),
            "HeartbeatSeconds: must be an integer from 1 to 99999999",
        ),
        (
            task(json!({"TimeoutSeconds": 10, "HeartbeatSeconds": 10})),
            "HeartbeatSeconds: must be less than TimeoutSeconds",
        ),
    ];
    for (definition, needle) in refused {
        let error = Workflow::from_asl(&definition.to_string(), "ranges").unwrap_err();
        assert!(
            error.to_string().contains(needle),
            "{error} lacks {needle:?}"
        );
    }
    for accepted in [
        retry(
            json!({"IntervalSeconds": 99999999, "MaxAttempts": 99999999, "MaxDelaySeconds": 31622400}),
        ),
        task(json!({"TimeoutSeconds": 99999999, "HeartbeatSeconds": 99999998})),
    ] {
        Workflow::from_asl(&accepted.to_string(), "ranges").unwrap();
    }
}

#[test]
fn the_longest_retry_interval_and_timeout_path_do_not_overflow() {
    // 99,999,999 s retries and a TimeoutSecondsPath of 99,999,999 s starting near the end of
    // time: saturating, not panicking (tests run in debug, where overflow panics).
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK,
        "TimeoutSecondsPath": "$.timeout",
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 99999999, "MaxAttempts": 3, "BackoffRate": 1000}],
        "End": true}}});
    let calls = Arc::new(SyncCell::new(0));
    let counted = calls.clone();
    let tasks = Tasks::new().handler(
        WORK,
        task_fn(move |_input: Value| {
            counted.set(counted.get() + 1);
            async { Err(TaskError::new("Flaky", "again")) }
        }),
    );
    let clock = VirtualClock::starting_at(Duration::from_millis(u64::MAX - 1_000));
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let events: Vec<Event> = clock.block_on(engine.start(json!({"timeout": 99999999})).collect());
    assert_eq!(failure(&events).error, "Flaky");
    assert_eq!(calls.get(), 4);
    assert_eq!(events.last().unwrap().timestamp_ms, u64::MAX);
    clock.advance(Duration::MAX);
    clock.advance(Duration::MAX);
    assert_eq!(clock.now(), Duration::MAX);
}

/// A hint of `Duration::MAX` once overflowed `now + delay`; hints are now also cut to the
/// polling policy's longest delay (30 s for `.sync` jobs), so the run waits that long.
#[test]
fn a_sync_job_that_asks_to_be_checked_after_forever_does_not_overflow() {
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let forever = JobStatus::Pending {
        detail: json!("RUNNING"),
        retry_after: Some(Duration::MAX),
    };
    let job = support::ScriptedJob::new([
        Ok(forever.clone()),
        Ok(forever),
        Ok(JobStatus::succeeded(json!({"done": true}))),
    ]);
    let definition = json!({"StartAt": "Job", "States": {"Job": {"Type": "Task", "Resource": sync, "End": true}}});
    let events = run(definition, Tasks::new().job(sync, job.clone()), json!({}));
    assert_eq!(
        outcome(&events),
        Outcome::Succeeded {
            output: json!({"done": true})
        }
    );
    assert_eq!(job.checks.get(), 3);
    // Checked after 1 s, then twice after 30 s, the hints cut (.sync polls record no waits).
    let took = events.last().unwrap().timestamp_ms - events[0].timestamp_ms;
    assert_eq!(took, 61_000);
}

// --- Map: concurrency and cost per step ------------------------------------------------------

/// A Map of `items` one-second tasks, with the most that ran at once.
fn map_of_sleeps(items: usize, max_concurrency: Option<u32>, limits: Limits) -> (Outcome, u32) {
    let mut each = json!({"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK, "End": true}}}});
    if let Some(n) = max_concurrency {
        each["MaxConcurrency"] = json!(n);
    }
    let definition = json!({"StartAt": "Each", "States": {"Each": each}});
    let clock = VirtualClock::new();
    let (running, most) = (Arc::new(SyncCell::new(0u32)), Arc::new(SyncCell::new(0u32)));
    let sleeper = clock.clone();
    let (now_running, peak) = (running.clone(), most.clone());
    let tasks = Tasks::new().handler(
        WORK,
        task_fn(move |n: Value| {
            now_running.set(now_running.get() + 1);
            peak.set(peak.get().max(now_running.get()));
            let sleep = sleeper.sleep(Duration::from_secs(1));
            let now_running = now_running.clone();
            async move {
                sleep.await;
                now_running.set(now_running.get() - 1);
                Ok(n)
            }
        }),
    );
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone())
        .limits(limits)
        .build();
    let input = Value::Array((0..items).map(|i| json!(i)).collect());
    let outcome = clock.block_on(engine.start(input).outcome());
    (outcome, most.get())
}

#[test]
fn inline_map_items_run_at_most_40_at_once_unless_the_limit_says_otherwise() {
    let (outcome, most) = map_of_sleeps(100, None, Limits::default());
    assert!(
        matches!(outcome, Outcome::Succeeded { output } if output.as_array().map(Vec::len) == Some(100))
    );
    assert_eq!(most, 40, "MaxConcurrency 0 is Step Functions' inline limit");
    assert_eq!(map_of_sleeps(100, Some(50), Limits::default()).1, 40);
    assert_eq!(map_of_sleeps(100, Some(7), Limits::default()).1, 7);
    let unbounded = Limits {
        max_map_concurrency: 0,
        ..Limits::default()
    };
    assert_eq!(map_of_sleeps(100, None, unbounded.clone()).1, 100);
    assert_eq!(map_of_sleeps(100, Some(60), unbounded).1, 60);
}

#[test]
fn a_map_step_costs_the_same_however_many_items_run() {
    let all_at_once = Limits {
        max_map_concurrency: 0,
        max_events: u64::MAX,
        ..Limits::default()
    };
    let time = |items: usize| {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                let (outcome, most) = map_of_sleeps(items, None, all_at_once.clone());
                assert!(matches!(outcome, Outcome::Succeeded { .. }));
                assert_eq!(most as usize, items);
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let (small, large) = (time(300), time(4_800));
    // In a debug build 4,800 items take 0.2 to 0.5 s (16 to 50 times 300 items, depending on
    // the load). Looking at every running item on every step took 6 s (130 times).
    assert!(
        large < Duration::from_secs(3),
        "300 items: {small:?}; 4,800 items: {large:?}"
    );
}

#[test]
fn a_checkpoint_of_a_map_written_before_items_were_selected_lazily_resumes() {
    // Taken with pollflow 2ddf4f6 (every item's input selected up front), after the third item
    // started: two items done, one waiting, two not started.
    let saved = r#"{"workflow":"old-map","state":"Each","execution":{"state":0,"phase":{"phase":"branches","branches":{"children":[{"state":0,"phase":{"phase":"finished","end":{"status":"SUCCEEDED","output":{"n":1,"tag":"t"}}},"input":{"n":1,"tag":"t"},"data":{"n":1,"tag":"t"},"number":0,"started_ms":0,"entered_ms":0,"handle":null,"last":null,"attempt":0,"check_errors":0,"deadline_ms":null,"rng":12035550249420947055,"next_event_id":1},{"state":0,"phase":{"phase":"finished","end":{"status":"SUCCEEDED","output":{"n":2,"tag":"t"}}},"input":{"n":2,"tag":"t"},"data":{"n":2,"tag":"t"},"number":0,"started_ms":0,"entered_ms":0,"handle":null,"last":null,"attempt":0,"check_errors":0,"deadline_ms":null,"rng":12935080325729570654,"next_event_id":1},{"state":0,"phase":{"phase":"sleeping","until_ms":20000,"then":{"exit":null}},"input":{"n":3,"tag":"t"},"data":{"n":3,"tag":"t"},"number":0,"started_ms":10000,"entered_ms":10000,"handle":null,"last":null,"attempt":0,"check_errors":0,"deadline_ms":null,"rng":7141179953334974231,"next_event_id":1},{"state":0,"phase":{"phase":"start"},"input":{"n":4,"tag":"t"},"data":{"n":4,"tag":"t"},"number":0,"started_ms":0,"entered_ms":0,"handle":null,"last":null,"attempt":0,"check_errors":0,"deadline_ms":null,"rng":12108695660851890438,"next_event_id":1},{"state":0,"phase":{"phase":"start"},"input":{"n":5,"tag":"t"},"data":{"n":5,"tag":"t"},"number":0,"started_ms":0,"entered_ms":0,"handle":null,"last":null,"attempt":0,"check_errors":0,"deadline_ms":null,"rng":14534714757872152763,"next_event_id":1}],"started":3,"limit":2}},"input":{"items":[1,2,3,4,5],"tag":"t"},"data":{"items":[1,2,3,4,5],"tag":"t"},"number":0,"started_ms":0,"entered_ms":0,"handle":null,"last":null,"attempt":0,"check_errors":0,"deadline_ms":null,"rng":17957550292145945112,"next_event_id":16}}"#;
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemsPath": "$.items", "MaxConcurrency": 2,
        "ItemSelector": {"n.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
        "ItemProcessor": {"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 10, "End": true}}}}}});
    let workflow = Workflow::from_asl(&definition.to_string(), "old-map").unwrap();
    let clock = VirtualClock::starting_at(Duration::from_secs(10));
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let checkpoint: pollflow::Checkpoint = serde_json::from_str(saved).unwrap();
    let events: Vec<Event> = clock.block_on(engine.resume(checkpoint).unwrap().collect());
    let expected: Vec<Value> = (1..=5).map(|n| json!({"n": n, "tag": "t"})).collect();
    assert_eq!(
        outcome(&events),
        Outcome::Succeeded {
            output: json!(expected)
        }
    );
    assert_eq!(events.last().unwrap().timestamp_ms, 30_000);
}
