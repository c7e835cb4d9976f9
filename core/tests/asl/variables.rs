//! Variables (`Assign`, `$name`): scope, checkpoints, errors.

use super::*;

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
