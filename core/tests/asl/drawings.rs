//! Drawings of Parallel and Map states (Mermaid, DOT).

use super::*;

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
