//! The JSONata differential test: every case in tests/jsonata/cases/*.json evaluated by
//! pollflow's evaluator and by the reference implementation (npm `jsonata`, through Node),
//! results compared (values as JSON, errors by code). A disagreement fails the test unless
//! tests/jsonata/known-differences.json lists it with a reason; a listed difference that
//! no longer differs fails it too, so the list stays true.

mod jsonata_reference;

use std::collections::BTreeMap;

use jsonata_reference::{agree, pollflow, resolve, root, Reference};
use pollflow::jsonata::EvalLimits;
use serde_json::Value;

#[test]
fn pollflow_agrees_with_the_reference_jsonata() {
    let dir = root().join("tests/jsonata/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let known: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/jsonata/known-differences.json"))
            .expect("known differences"),
    )
    .expect("known differences parse");
    let known: BTreeMap<String, String> = known
        .as_array()
        .expect("an array")
        .iter()
        .map(|k| {
            (
                k["expr"].as_str().unwrap_or("").to_owned(),
                k["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut reference = Reference::start();
    let limits = EvalLimits::default();
    let (mut total, mut failures, mut explained) = (0, Vec::new(), Vec::new());
    let mut per_area = Vec::new();
    for file in &files {
        let cases: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("case file"))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let area = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        let cases = cases
            .as_array()
            .unwrap_or_else(|| panic!("{area}: an array of cases"));
        per_area.push((area.clone(), cases.len()));
        for case in cases {
            total += 1;
            let case = resolve(case);
            let expr = case["expr"].as_str().unwrap_or("").to_owned();
            let theirs = reference.eval(&case);
            let ours = pollflow(&case, &limits);
            let same = agree(&ours, &theirs);
            match (same, known.get(&expr)) {
                (true, Some(_)) => failures.push(format!(
                    "[{area}] {expr}\n    listed as a known difference, but both give {}",
                    ours.describe()
                )),
                (true, None) => {}
                (false, Some(_)) => explained.push(expr),
                (false, None) => failures.push(format!(
                    "[{area}] {expr}\n    input: {}\n    pollflow:  {}\n    reference: {}",
                    case.get("input").map_or("(none)".to_owned(), |i| {
                        let s = i.to_string();
                        s.chars().take(200).collect()
                    }),
                    ours.describe(),
                    theirs.describe()
                )),
            }
        }
    }
    let summary: Vec<String> = per_area.iter().map(|(a, n)| format!("{a} {n}")).collect();
    println!(
        "{total} cases ({}); {} known differences",
        summary.join(", "),
        explained.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
