//! Invalid workflows are reported whole, never panicking.

mod support;

use pollflow::graph::{Catcher, Condition, DataFlow, State, StateDef, StateMachine};
use pollflow::policy::{Backoff, Jitter};
use pollflow::workflow::Choice;
use pollflow::{WaitPolicy, Workflow};
use support::*;

#[test]
fn every_problem_is_reported_at_once_with_state_and_path() {
    let graph = StateMachine {
        name: "Broken".into(),
        start_at: "Nowhere".into(),
        states: vec![
            StateDef {
                name: "Submit".into(),
                state: State::Submit {
                    next: "Missing".into(),
                    catch: vec![Catcher {
                        error_equals: vec!["States.ALL".into(), "Batch.ClientException".into()],
                        ..Catcher::all("Submit")
                    }],
                },
            },
            StateDef {
                name: "Submit".into(),
                state: State::Succeed {
                    io: DataFlow::default(),
                },
            },
            StateDef {
                name: "Wait".into(),
                state: State::PollWait {
                    policy: WaitPolicy::with_backoff(Backoff::Exponential {
                        initial: secs(5),
                        max: secs(1),
                        rate: 2.0,
                        jitter: Jitter::None,
                    }),
                    next: "Submit".into(),
                },
            },
            StateDef {
                name: "Choose".into(),
                state: State::Choice {
                    choices: vec![pollflow::graph::ChoiceRule {
                        condition: Condition::Predicate("unbound".into()),
                        next: "Submit".into(),
                        assign: None,
                        #[cfg(feature = "asl")]
                        jsonata: None,
                    }],
                    default: Some("Submit".into()),
                    io: DataFlow::default(),
                },
            },
        ],
        cancel_on_stop: true,
        timeout: None,
        sync_poll: None,
    };
    let err = Workflow::from_graph(graph, []).unwrap_err();
    let found: Vec<(Option<&str>, &str)> = err
        .problems
        .iter()
        .map(|p| (p.state.as_deref(), p.path.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some("Submit"), "$.states[1].name"),
            (Some("Nowhere"), "$.start_at"),
            (Some("Submit"), "$.states[0].catch[0].error_equals"),
            (Some("Submit"), "$.states[0].next"),
            (Some("Wait"), "$.states[2].policy"),
            (Some("Choose"), "$.states[3].choices[0].condition"),
        ]
    );
    let text = err.to_string();
    assert!(text.starts_with("invalid workflow (6 problems)"), "{text}");
    assert!(text.contains("States.ALL must appear alone"), "{text}");
    assert!(
        text.contains("predicate \"unbound\" is not registered"),
        "{text}"
    );
}

#[test]
fn unreachable_states_and_empty_workflows_are_errors() {
    let err = Workflow::builder("Empty").build().unwrap_err();
    assert_eq!(err.problems[0].path, "$.states");

    let err = Workflow::builder("Orphan")
        .submit("Submit")
        .wait("Wait", WaitPolicy::fixed(secs(1)))
        .check("Check")
        .branch("Done?", Choice::new())
        .state(
            "Orphan",
            State::Succeed {
                io: DataFlow::default(),
            },
        )
        .build()
        .unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].state.as_deref(), Some("Orphan"));
    assert!(err.problems[0].message.contains("not reachable"));
}

#[test]
fn a_chain_without_a_branch_names_the_dangling_state() {
    let err = Workflow::builder("Dangling")
        .submit("Submit")
        .check("Check")
        .build()
        .unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].state.as_deref(), Some("Check"));
    assert_eq!(err.problems[0].path, "$.states[1].next");
}

#[test]
fn malformed_json_graphs_are_serde_errors_not_panics() {
    for bad in [
        r#"{}"#,
        r#"{"name":"x","start_at":"a","states":[{"name":"a","type":"Teleport"}]}"#,
        r#"{"name":"x","start_at":"a","states":[{"name":"a","type":"Wait","next":"a","policy":{"backoff":{"kind":"fixed"}}}]}"#,
        r#"{"name":"x","start_at":"a","states":[],"bogus":1}"#,
    ] {
        assert!(serde_json::from_str::<StateMachine>(bad).is_err(), "{bad}");
    }
}

/// Without the `asl` feature, ASL states are refused with the reason, not run half-way.
#[cfg(not(feature = "asl"))]
#[test]
fn asl_states_need_the_asl_feature() {
    let err = Workflow::builder("Pass")
        .state(
            "Pass",
            State::Pass {
                result: None,
                io: DataFlow::default(),
                next: None,
            },
        )
        .build()
        .unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert!(err.problems[0].message.contains("`asl` feature"), "{err}");
}
