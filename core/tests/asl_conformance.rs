//! The ASL conformance corpus (`tests/asl-conformance/cases/*.json` at the repository root)
//! run through pollflow: every case's definition loads with `Workflow::from_asl`, runs with
//! `Engine::with_tasks` on a `VirtualClock` starting at 2024-01-01T00:00:00Z, and its output
//! (or error name, cause, status and virtual time taken) is compared with what Step Functions
//! does. A difference fails the test unless `tests/asl-conformance/known-differences.json`
//! lists it for engine "pollflow", with a section of `docs/asl-compatibility.md` explaining it.
//!
//! `ASL_CASE=name cargo test -p pollflow --test asl_conformance -- --nocapture` runs one case
//! and prints its result.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pollflow::task::Tasks;
use pollflow::{task_fn, Clock, Engine, Event, Outcome, TaskError, VirtualClock, Workflow};
use serde_json::Value;

const ENGINE: &str = "pollflow";
/// 2024-01-01T00:00:00Z: where virtual time starts (the corpus's Timestamp waits count on it).
const START: Duration = Duration::from_secs(1_704_067_200);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/asl-conformance")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every case of the corpus, in file-name order (a file holds one case or an array of them).
fn cases() -> Vec<Value> {
    let dir = corpus().join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        match read_json(&file) {
            Value::Array(many) => cases.extend(many),
            one => cases.push(one),
        }
    }
    cases
}

/// What one task key does when called, as the corpus describes it.
#[derive(Clone)]
enum Behaviour {
    Echo,
    Return(Value),
    Fail(TaskError),
    Sequence(Vec<Behaviour>),
    Delay(Duration, Box<Behaviour>),
}

impl Behaviour {
    fn parse(value: &Value) -> Behaviour {
        let field = |name: &str| value.get(name);
        if let Some(steps) = field("sequence").and_then(Value::as_array) {
            Behaviour::Sequence(steps.iter().map(Behaviour::parse).collect())
        } else if let Some(seconds) = field("delay").and_then(Value::as_f64) {
            let then = field("then").map_or(Behaviour::Echo, Behaviour::parse);
            Behaviour::Delay(Duration::from_secs_f64(seconds), Box::new(then))
        } else if field("echo") == Some(&Value::Bool(true)) {
            Behaviour::Echo
        } else if let Some(result) = field("return") {
            Behaviour::Return(result.clone())
        } else if let Some(fail) = field("fail") {
            let text = |name: &str| fail.get(name).and_then(Value::as_str).unwrap_or_default();
            Behaviour::Fail(TaskError::new(text("error"), text("cause")))
        } else {
            panic!("unknown task behaviour {value}")
        }
    }

    /// The behaviour of the `call`-th call (1-based): a sequence's n-th step, then its last.
    fn step(&self, call: usize) -> &Behaviour {
        match self {
            Behaviour::Sequence(steps) => steps[call.min(steps.len()) - 1].step(call),
            other => other,
        }
    }
}

async fn perform(
    behaviour: Behaviour,
    input: Value,
    clock: VirtualClock,
) -> Result<Value, TaskError> {
    let mut behaviour = behaviour;
    loop {
        match behaviour {
            Behaviour::Echo => return Ok(input),
            Behaviour::Return(value) => return Ok(value),
            Behaviour::Fail(error) => return Err(error),
            Behaviour::Sequence(_) => unreachable!("steps are resolved before the call"),
            Behaviour::Delay(by, then) => {
                clock.sleep(by).await;
                behaviour = *then;
            }
        }
    }
}

fn tasks_of(case: &Value, clock: &VirtualClock) -> Tasks {
    let mut tasks = Tasks::new();
    let Some(bindings) = case.get("tasks").and_then(Value::as_object) else {
        return tasks;
    };
    for (key, behaviour) in bindings {
        let behaviour = Behaviour::parse(behaviour);
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let clock = clock.clone();
        tasks = tasks.handler(
            key.clone(),
            task_fn(move |input: Value| {
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                perform(behaviour.step(n).clone(), input, clock.clone())
            }),
        );
    }
    tasks
}

/// How an execution ended, in the terms the corpus compares.
#[derive(Debug)]
enum Got {
    /// The definition did not load.
    Rejected(String),
    Ended {
        outcome: Outcome,
        elapsed: f64,
    },
}

fn run(case: &Value) -> Got {
    let name = case["name"].as_str().unwrap_or("case");
    let workflow = match Workflow::from_asl(&case["definition"].to_string(), name) {
        Ok(workflow) => workflow,
        Err(e) => return Got::Rejected(e.to_string().replace('\n', " ")),
    };
    let clock = VirtualClock::starting_at(START);
    let engine = Engine::with_tasks(workflow, tasks_of(case, &clock), clock.clone()).build();
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let events: Vec<Event> = clock.block_on(engine.start(input).collect());
    let last = events.last().expect("an execution emits events");
    let outcome = Outcome::from_terminal(&last.kind).expect("the last event ends the execution");
    let elapsed = last
        .timestamp_ms
        .saturating_sub(u64::try_from(START.as_millis()).expect("fits"));
    Got::Ended {
        outcome,
        elapsed: elapsed as f64 / 1000.0,
    }
}

/// JSON equality with numbers compared by value (`2` equals `2.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Why `got` differs from the case's `expected`, or `None` when it matches.
fn difference(expected: &Value, got: &Got) -> Option<String> {
    let (outcome, elapsed) = match got {
        Got::Rejected(why) => return Some(format!("definition rejected: {why}")),
        Got::Ended { outcome, elapsed } => (outcome, *elapsed),
    };
    let mut problems = Vec::new();
    if let Some(output) = expected.get("output") {
        match outcome {
            Outcome::Succeeded { output: out } if json_eq(output, out) => {}
            Outcome::Succeeded { output: out } => {
                problems.push(format!("expected output {output}, got {out}"));
            }
            other => problems.push(format!("expected output {output}, got {}", describe(other))),
        }
    } else {
        let error = expected["error"].as_str().unwrap_or_default();
        let status = expected
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("FAILED");
        let (got_status, got_error) = match outcome {
            Outcome::Failed { error } => ("FAILED", error),
            Outcome::TimedOut { error } => ("TIMED_OUT", error),
            other => {
                return Some(format!("expected error {error}, got {}", describe(other)));
            }
        };
        if got_error.error != error {
            problems.push(format!(
                "expected error {error}, got {}: {}",
                got_error.error, got_error.cause
            ));
        } else if let Some(cause) = expected.get("cause").and_then(Value::as_str) {
            if got_error.cause != cause {
                problems.push(format!(
                    "expected cause {cause:?}, got {:?}",
                    got_error.cause
                ));
            }
        }
        if got_status != status {
            problems.push(format!("expected status {status}, got {got_status}"));
        }
    }
    if let (true, Some(want)) = (problems.is_empty(), expected.get("elapsedSeconds")) {
        let (lo, hi) = match want {
            Value::Array(range) => (range[0].as_f64(), range[1].as_f64()),
            single => (single.as_f64(), single.as_f64()),
        };
        let (lo, hi) = (lo.expect("a number"), hi.expect("a number"));
        if !(elapsed >= lo - 1e-9 && elapsed <= hi + 1e-9) {
            problems.push(format!(
                "expected {want} s of virtual time, took {elapsed} s"
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Succeeded { output } => format!("output {output}"),
        Outcome::Failed { error } => format!("failed {}: {}", error.error, error.cause),
        Outcome::TimedOut { error } => format!("timed out {}: {}", error.error, error.cause),
        Outcome::Aborted { .. } => "aborted".to_owned(),
    }
}

/// pollflow's entries of the known-differences file, and the file's problems (unknown cases,
/// anchors missing from docs/asl-compatibility.md).
fn known_differences(cases: &[Value]) -> (HashMap<String, Value>, Vec<String>) {
    let entries = read_json(&corpus().join("known-differences.json"));
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/asl-compatibility.md");
    let doc = std::fs::read_to_string(&doc_path)
        .unwrap_or_else(|e| panic!("{}: {e}", doc_path.display()));
    let names: Vec<&str> = cases.iter().filter_map(|c| c["name"].as_str()).collect();
    let mut known = HashMap::new();
    let mut problems = Vec::new();
    for entry in entries
        .as_array()
        .expect("known-differences.json is an array")
    {
        let case = entry["case"].as_str().unwrap_or_default();
        let engine = entry["engine"].as_str().unwrap_or_default();
        if !names.contains(&case) {
            problems.push(format!("known-differences.json names no case {case:?}"));
        }
        if !["pollflow", "aws-local-stepfunctions", "npm"].contains(&engine) {
            problems.push(format!("{case}: unknown engine {engine:?}"));
        }
        if entry["why"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{case}: no \"why\""));
        }
        let doc_ref = entry["doc"].as_str().unwrap_or_default();
        match doc_ref.strip_prefix("docs/asl-compatibility.md#") {
            Some(anchor)
                if !anchor.is_empty() && doc.contains(&format!("<a id=\"{anchor}\"></a>")) => {}
            _ => problems.push(format!(
                "{case}: \"doc\" {doc_ref:?} is not an <a id> anchor of docs/asl-compatibility.md"
            )),
        }
        if engine == ENGINE {
            known.insert(case.to_owned(), entry.clone());
        }
    }
    (known, problems)
}

#[test]
fn the_conformance_corpus_runs_as_step_functions_does_or_as_documented() {
    let cases = cases();
    assert!(cases.len() >= 50, "the corpus has {} cases", cases.len());
    let mut seen = BTreeMap::new();
    for case in &cases {
        let name = case["name"].as_str().expect("every case has a name");
        assert!(
            seen.insert(name, ()).is_none(),
            "two cases are named {name}"
        );
        assert!(case["expected"].is_object(), "{name}: no expected result");
    }
    let (known, mut unexplained) = known_differences(&cases);
    let only = std::env::var("ASL_CASE").ok();
    let (mut passed, mut known_count) = (0, 0);
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default();
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let got = run(case);
        if only.is_some() {
            println!("{name}: {got:?}");
        }
        match (difference(&case["expected"], &got), known.get(name)) {
            (None, None) => passed += 1,
            (None, Some(_)) => unexplained.push(format!(
                "{name}: listed as a known difference, but {ENGINE} now matches: remove the entry"
            )),
            (Some(_), Some(_)) => known_count += 1,
            (Some(diff), None) => unexplained.push(format!("{name}: {diff}")),
        }
    }
    for line in &unexplained {
        println!("DIFFERS  {line}");
    }
    // Written to stderr directly (not with eprintln!) so that the test harness, which captures
    // the print macros of passing tests, shows the summary on every run.
    let summary = format!(
        "asl conformance ({ENGINE}): {passed} passed, {known_count} known differences, {} unexplained\n",
        unexplained.len()
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), summary.as_bytes());
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences from Step Functions:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
