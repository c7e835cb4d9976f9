//! JSONata states: what the loader refuses, what export and the drawings keep, the causes of
//! `States.QueryEvaluationError`, and what an expression sees (clock, seed, variables of
//! JSONPath states). The conformance corpus (`tests/asl-conformance/cases/jsonata-*.json`)
//! covers the fields' semantics.

use super::*;

fn problems_of(definition: Value) -> Vec<(String, String)> {
    let err = pollflow::asl::from_asl(&definition, "broken").unwrap_err();
    err.problems
        .into_iter()
        .map(|p| (p.path, p.message))
        .collect()
}

fn has_problem(problems: &[(String, String)], path: &str, words: &str) -> bool {
    problems.iter().any(|(p, m)| p == path && m.contains(words))
}

#[test]
fn each_language_refuses_the_other_languages_fields() {
    let problems = problems_of(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "r", "InputPath": "$.a", "ResultPath": "$.b",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "P"}], "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": true, "Next": "P"}], "Default": "P"},
            "P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}
        }}),
    );
    for (path, words) in [
        ("$.States['T'].InputPath", "JSONPath field"),
        ("$.States['T'].ResultPath", "JSONPath field"),
        ("$.States['T'].Catch[0].ResultPath", "JSONPath field"),
        (
            "$.States['C'].Choices[0].Variable",
            "a JSONata rule tests a Condition",
        ),
        ("$.States['C'].Choices[0].Condition", "is required"),
        ("$.States['P'].QueryLanguage", "cannot use JSONPath"),
    ] {
        assert!(
            has_problem(&problems, path, words),
            "no {path} ({words}) in {problems:#?}"
        );
    }
    let problems = problems_of(json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% 1 %}", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "P"}]}
    }}));
    assert!(has_problem(
        &problems,
        "$.States['P'].Output",
        "JSONata field"
    ));
    assert!(has_problem(
        &problems,
        "$.States['C'].Choices[0].Condition",
        "JSONata field"
    ));
}

#[test]
fn states_result_and_error_output_are_read_only_where_step_functions_has_them() {
    let problems = problems_of(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "r", "Arguments": "{% $states.result %}",
                  "Output": "{% $states.result %}", "Assign": {"e": "{% $states.errorOutput %}"},
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}",
                             "Assign": {"r": "{% $states.result %}"}, "Next": "P"}], "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.result %}", "Next": "P"}], "Default": "P"},
            "P": {"Type": "Pass", "Output": "{% $states.result %}", "End": true}
        }}),
    );
    let mut found: Vec<(&str, &str)> = problems
        .iter()
        .filter(|(_, m)| m.contains("is not available"))
        .map(|(p, m)| (p.as_str(), m.split(' ').next().unwrap_or_default()))
        .collect();
    found.sort_unstable();
    assert_eq!(
        found,
        [
            ("$.States['C'].Choices[0].Condition", "$states.result"),
            ("$.States['P'].Output", "$states.result"),
            ("$.States['T'].Arguments", "$states.result"),
            ("$.States['T'].Assign", "$states.errorOutput"),
            ("$.States['T'].Catch[0].Assign", "$states.result"),
        ]
    );
}

#[test]
fn expressions_are_parsed_on_load_and_problems_name_where_they_are() {
    let problems = problems_of(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Output": {"list": [1, "{% $states.input.( %}"]},
                  "Assign": {"states": 1, "ok": "{% 2 %}"}, "End": true}
        }}),
    );
    assert!(
        has_problem(
            &problems,
            "$.States['P'].Output[\"list\"][1]",
            "does not parse"
        ),
        "{problems:#?}"
    );
    assert!(has_problem(
        &problems,
        "$.States['P'].Assign",
        "cannot assign"
    ));
    // Not written `{% … %}` exactly: a plain string, as in Step Functions.
    let workflow = machine(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Output": {"a": " {% 1 %}", "b.$": "$.x", "c": "{% 1 + 1 %}"}, "End": true}
        }}),
    );
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let (_, outcome) = run(&engine, &clock, json!({}));
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!({"a": " {% 1 %}", "b.$": "$.x", "c": 2})
        }
    );
}

#[test]
fn export_and_drawings_keep_jsonata_fields_as_written() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "r", "Arguments": {"id": "{% $states.input.id %}"},
                 "Output": "{% $states.result.n %}", "Assign": {"seen": "{% $states.result %}"},
                 "TimeoutSeconds": "{% 5 * 60 %}",
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput.Error %}", "Next": "Done"}],
                 "Next": "Big?"},
        "Big?": {"Type": "Choice", "Choices": [
                    {"Condition": "{% $states.input > 10 %}", "Output": {"big": true}, "Next": "Done"}],
                 "Default": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": "{% $states.input %}", "Next": "Each"},
        "Each": {"Type": "Map", "Items": "{% [1, 2] %}", "ItemSelector": "{% $states.context.Map.Item.Index %}",
                 "MaxConcurrency": "{% 1 %}",
                 "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "Next": "Done"},
        "Done": {"Type": "Fail", "Error": "{% 'Custom' %}", "Cause": "literal"}
    }});
    let graph = pollflow::asl::from_asl(&definition, "jsonata").unwrap();
    let exported = pollflow::asl::to_asl(&graph, &Default::default()).unwrap();
    for (state, body) in definition["States"].as_object().unwrap() {
        for (field, value) in body.as_object().unwrap() {
            if field == "ItemProcessor" {
                continue;
            }
            assert_eq!(
                &exported["States"][state][field], value,
                "{state}.{field} in {exported:#}"
            );
        }
        assert_eq!(exported["States"][state]["QueryLanguage"], "JSONata");
    }
    assert_eq!(
        pollflow::asl::from_asl(&exported, "jsonata").unwrap(),
        graph
    );
    let chart = Workflow::from_graph(graph, [])
        .unwrap()
        .graph()
        .to_mermaid(&[]);
    assert!(
        chart.contains("{% $states.input > 10 %}"),
        "the rule's condition labels its edge:\n{chart}"
    );
}

#[test]
fn query_evaluation_errors_say_which_expression_and_where_and_a_catcher_takes_them() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "r", "Arguments": {"id": "{% $states.input.missing %}"},
                 "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Pass", "Output": {"cause": "{% $states.input.Cause %}",
                   "then": "{% $number('x') %}"}, "End": true}
    }});
    let tasks = Tasks::new().handler("r", task_fn(|input: Value| async move { Ok(input) }));
    let Outcome::Failed { error } = outcome_of(definition, tasks, json!({})) else {
        panic!("the second expression must fail the execution");
    };
    assert_eq!(error.error, "States.QueryEvaluationError");
    assert_eq!(
        error.cause,
        "The JSONata expression '$number('x')' specified for the field 'Output/then' threw an error during evaluation. D3030: Unable to cast value to a number: \"x\""
    );
    // The first failed in Arguments, was caught, and its cause names the field's place.
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "r", "Arguments": {"id": "{% $states.input.missing %}"},
                 "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Succeed"}
    }});
    let tasks = Tasks::new().handler("r", task_fn(|input: Value| async move { Ok(input) }));
    assert_eq!(
        outcome_of(definition, tasks, json!({})),
        Outcome::Succeeded {
            output: json!({"Error": "States.QueryEvaluationError",
                "Cause": "The JSONata expression '$states.input.missing' specified for the field 'Arguments/id' returned nothing (undefined)."})
        }
    );
}

#[test]
fn expressions_read_the_engines_clock_and_seed_and_the_variables_of_jsonpath_states() {
    let definition = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Result": {"n": 7}, "Assign": {"n.$": "$.n"}, "Next": "Read"},
        "Read": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {
            "n": "{% $n %}", "now": "{% $now() %}", "millis": "{% $millis() %}",
            "random": "{% $random() %}", "seeded": "{% $random(42) %}", "uuid": "{% $uuid() %}"},
            "Assign": {"doubled": "{% $n * 2 %}"}, "Next": "Back"},
        "Back": {"Type": "Pass", "Parameters": {"doubled.$": "$doubled", "read.$": "$"}, "End": true}
    }});
    let run_with = |seed: u64| {
        let clock = VirtualClock::starting_at(std::time::Duration::from_secs(1_704_067_200));
        let engine = Engine::with_tasks(machine(definition.clone()), Tasks::new(), clock.clone())
            .seed(seed)
            .build();
        match run(&engine, &clock, json!({})).1 {
            Outcome::Succeeded { output } => output,
            other => panic!("{other:?}"),
        }
    };
    let (a, b, c) = (run_with(1), run_with(1), run_with(2));
    assert_eq!(a["doubled"], 14);
    let read = &a["read"];
    assert_eq!(read["n"], 7);
    assert_eq!(read["now"], "2024-01-01T00:00:00.000Z");
    assert_eq!(read["millis"], 1_704_067_200_000_i64);
    let uuid = read["uuid"].as_str().unwrap();
    assert!(uuid.len() == 36 && uuid.as_bytes()[14] == b'4', "{uuid}");
    let random = read["random"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&random));
    assert_eq!(a, b, "the same seed, the same values");
    assert_ne!(read["uuid"], c["read"]["uuid"]);
    assert_ne!(read["random"], c["read"]["random"]);
    assert_eq!(
        read["seeded"], c["read"]["seeded"],
        "$random(seed) depends on its seed only"
    );
}

#[test]
fn a_pass_state_has_no_result_and_every_task_checks_its_heartbeat_expression() {
    let pass = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $lookup($states, 'result') %}", "End": true}
    }});
    let Outcome::Failed { error } = outcome_of(pass, Tasks::new(), json!({"a": 1})) else {
        panic!("a Pass state's $states has no result");
    };
    assert_eq!(error.error, "States.QueryEvaluationError");
    // Not a callback task: the heartbeat is unused, but its expression is still evaluated.
    let task = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "r", "HeartbeatSeconds": "{% $nope %}", "End": true}
    }});
    let tasks = Tasks::new().handler("r", task_fn(|input: Value| async move { Ok(input) }));
    let Outcome::Failed { error } = outcome_of(task, tasks, json!({})) else {
        panic!("an undefined HeartbeatSeconds fails the state");
    };
    assert_eq!(error.error, "States.QueryEvaluationError");
    assert!(
        error.cause.contains("'HeartbeatSeconds'"),
        "{}",
        error.cause
    );
}
