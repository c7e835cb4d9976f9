//! Shared by the JSONata differential tests: the reference implementation (npm `jsonata`,
//! run by tests/jsonata/reference.mjs in a Node child process) and the comparison rules.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use pollflow::jsonata::{Environment, EvalLimits, Expression};
use serde_json::Value;

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What evaluating a case gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// A result (`None`: undefined).
    Value(Option<Value>),
    /// An error, by code, with its message.
    Error(String, String),
}

impl Outcome {
    pub(crate) fn describe(&self) -> String {
        match self {
            Outcome::Value(None) => "undefined".into(),
            Outcome::Value(Some(v)) => {
                let s = v.to_string();
                if s.len() > 300 {
                    format!(
                        "{}…",
                        &s[..s
                            .char_indices()
                            .take_while(|(i, _)| *i < 300)
                            .last()
                            .map_or(0, |(i, _)| i)]
                    )
                } else {
                    s
                }
            }
            Outcome::Error(code, message) => format!("error {code} ({message})"),
        }
    }

    pub(crate) fn is_limit(&self) -> bool {
        matches!(self, Outcome::Error(c, _) if ["D1011", "D1012", "D2014", "D2015", "D2016", "CRASH"].contains(&c.as_str()))
    }
}

/// The reference implementation, in a child process.
pub(crate) struct Reference {
    child: Child,
    stdin: ChildStdin,
    /// Its answers, one line each, read by a thread so a case that hangs can time out.
    answers: Receiver<String>,
}

/// How long one case may take in the reference (its own timeout is only checked between
/// evaluation steps, so a single huge operation can outlast it).
const CASE_TIMEOUT: Duration = Duration::from_secs(20);

impl Reference {
    /// Starts `node tests/jsonata/reference.mjs`; its dependencies must be installed
    /// (`npm install` in tests/jsonata, as scripts/test.sh does).
    pub(crate) fn start() -> Reference {
        let dir = root().join("tests/jsonata");
        assert!(
            dir.join("node_modules/jsonata").exists(),
            "the reference JSONata is not installed: run `npm install` in {} (scripts/test.sh does)",
            dir.display()
        );
        let mut child = Command::new("node")
            // A runaway expression must not take the machine's memory.
            .arg("--max-old-space-size=512")
            .arg("reference.mjs")
            .current_dir(&dir)
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs (Node.js is needed for the differential tests)");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (send, answers) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Reference {
            child,
            stdin,
            answers,
        }
    }

    /// Evaluates one case: `{"expr", "input"?, "bindings"?}`. If the reference dies (out of
    /// memory on a runaway expression) or takes longer than `CASE_TIMEOUT`, it is restarted
    /// and the case reported as error `CRASH`.
    pub(crate) fn eval(&mut self, case: &Value) -> Outcome {
        let sent = writeln!(self.stdin, "{case}").and_then(|()| self.stdin.flush());
        let line = match sent
            .ok()
            .and_then(|()| self.answers.recv_timeout(CASE_TIMEOUT).ok())
        {
            Some(line) => line,
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                *self = Reference::start();
                return Outcome::Error("CRASH".into(), "the reference died or hung".into());
            }
        };
        let answer: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad answer {line:?}: {e}"));
        match answer.get("error") {
            Some(code) => Outcome::Error(
                code.as_str().unwrap_or("?").to_owned(),
                answer["message"].as_str().unwrap_or("").to_owned(),
            ),
            None => Outcome::Value(answer.get("value").cloned()),
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Evaluates a case with pollflow's evaluator (the clock at 2024-01-02T03:04:05.678Z).
pub(crate) fn pollflow(case: &Value, limits: &EvalLimits) -> Outcome {
    let expr = match Expression::parse(case["expr"].as_str().unwrap_or("")) {
        Ok(e) => e,
        Err(e) => return Outcome::Error(e.code().to_owned(), e.to_string()),
    };
    let mut env = Environment::new(1_704_164_645_678).limits(limits.clone());
    if let Some(bindings) = case.get("bindings").and_then(Value::as_object) {
        for (k, v) in bindings {
            env = env.variable(k.clone(), v.clone());
        }
    }
    match expr.evaluate(case.get("input"), &env) {
        Ok(v) => Outcome::Value(v),
        Err(e) => Outcome::Error(e.code().to_owned(), e.to_string()),
    }
}

/// Whether two JSON values are equal, numbers compared as doubles (to 1e-13 relative, for
/// the last bit of a library's `pow` or `sqrt`).
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-13 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Whether pollflow agrees with the reference: the same value, or an error of the same code.
pub(crate) fn agree(ours: &Outcome, reference: &Outcome) -> bool {
    match (ours, reference) {
        (Outcome::Value(None), Outcome::Value(None)) => true,
        (Outcome::Value(Some(a)), Outcome::Value(Some(b))) => same_json(a, b),
        (Outcome::Error(a, _), Outcome::Error(b, _)) => a == b,
        _ => false,
    }
}

/// A case as sent to the reference: its dataset (`"data": name`, from tests/jsonata/datasets)
/// resolved into `input`.
pub(crate) fn resolve(case: &Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("expr".into(), case["expr"].clone());
    if let Some(name) = case.get("data").and_then(Value::as_str) {
        let path = root()
            .join("tests/jsonata/datasets")
            .join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let data =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.insert("input".into(), data);
    } else if let Some(input) = case.get("input") {
        out.insert("input".into(), input.clone());
    }
    if let Some(bindings) = case.get("bindings") {
        out.insert("bindings".into(), bindings.clone());
    }
    Value::Object(out)
}
