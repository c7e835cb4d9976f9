//! Step Functions Local's MockConfigFile: test cases that replace Task states' results.
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "JobPoller": {"TestCases": {"HappyPath": {"Get Job Status": "RunningTwiceThenDone"}}}
//!   },
//!   "MockedResponses": {
//!     "RunningTwiceThenDone": {
//!       "0-1": {"Return": "RUNNING"},
//!       "2": {"Return": "SUCCEEDED"}
//!     }
//!   }
//! }
//! ```
//!
//! An execution started on `STATE_MACHINE_ARN#HappyPath` runs test case `HappyPath` of the
//! state machine with that name: each state it names takes, at its n-th invocation (from 0,
//! counted per execution), the response whose key (`"n"` or a range `"m-k"`) holds n:
//! `Return` is the Task's result, `Throw` (`Error`, `Cause`) its failure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use pollflow::TaskError;
use serde::Deserialize;
use serde_json::Value;

/// A MockConfigFile, checked.
#[derive(Debug, Default)]
pub(crate) struct MockConfig {
    /// State machine name → test case name → state name → mocked responses.
    machines: HashMap<String, HashMap<String, HashMap<String, Arc<Responses>>>>,
}

/// One mocked response's invocations, in order of their first.
#[derive(Debug)]
pub(crate) struct Responses {
    name: String,
    ranges: Vec<(u64, u64, Mocked)>,
}

/// What one invocation returns.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Mocked {
    Return(Value),
    Throw(TaskError),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct File {
    #[serde(default)]
    state_machines: HashMap<String, MachineCases>,
    #[serde(default)]
    mocked_responses: HashMap<String, HashMap<String, Response>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct MachineCases {
    test_cases: HashMap<String, HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Response {
    #[serde(rename = "Return")]
    returns: Option<Value>,
    throw: Option<Throw>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Throw {
    error: String,
    #[serde(default)]
    cause: String,
}

impl MockConfig {
    /// Reads a MockConfigFile's text; the error names what is wrong and where.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut responses = HashMap::new();
        for (name, invocations) in file.mocked_responses {
            let ranges = ranges(&name, invocations)?;
            responses.insert(name.clone(), Arc::new(Responses { name, ranges }));
        }
        let mut machines = HashMap::new();
        for (machine, cases) in file.state_machines {
            let mut checked = HashMap::new();
            for (case, states) in cases.test_cases {
                let mut bound = HashMap::new();
                for (state, response) in states {
                    let found = responses.get(&response).ok_or_else(|| {
                        format!(
                            "StateMachines.{machine}.TestCases.{case}.{state}: no MockedResponses entry named {response:?}"
                        )
                    })?;
                    bound.insert(state, found.clone());
                }
                checked.insert(case, bound);
            }
            machines.insert(machine, checked);
        }
        Ok(Self { machines })
    }

    /// The states test case `case` of state machine `machine` mocks.
    pub(crate) fn test_case(
        &self,
        machine: &str,
        case: &str,
    ) -> Result<&HashMap<String, Arc<Responses>>, String> {
        let cases = self
            .machines
            .get(machine)
            .ok_or_else(|| format!("the mock config has no state machine named {machine:?}"))?;
        cases.get(case).ok_or_else(|| {
            format!("the mock config has no test case {case:?} for state machine {machine:?}")
        })
    }
}

/// A mocked response's `"n"` and `"m-k"` keys, sorted, checked for gaps and overlaps.
fn ranges(
    name: &str,
    invocations: HashMap<String, Response>,
) -> Result<Vec<(u64, u64, Mocked)>, String> {
    let mut ranges = Vec::new();
    for (key, response) in invocations {
        let at = format!("MockedResponses.{name}.{key}");
        let number = |text: &str| {
            text.trim().parse::<u64>().map_err(|_| {
                format!("{at}: expected an invocation number or a range such as \"0-2\"")
            })
        };
        let (first, last) = match key.split_once('-') {
            Some((first, last)) => (number(first)?, number(last)?),
            None => (number(&key)?, number(&key)?),
        };
        if last < first {
            return Err(format!("{at}: the range ends before it begins"));
        }
        let mocked = match (response.returns, response.throw) {
            (Some(value), None) => Mocked::Return(value),
            (None, Some(Throw { error, cause })) => Mocked::Throw(TaskError::new(error, cause)),
            _ => return Err(format!("{at}: expected exactly one of Return and Throw")),
        };
        ranges.push((first, last, mocked));
    }
    ranges.sort_by_key(|(first, _, _)| *first);
    let mut next = 0;
    for (first, last, _) in &ranges {
        if *first != next {
            return Err(format!(
                "MockedResponses.{name}: invocation {next} has no response (keys must cover 0, 1, 2... without gaps or overlaps)"
            ));
        }
        next = last
            .checked_add(1)
            .ok_or_else(|| format!("MockedResponses.{name}: invocation {last} is too large"))?;
    }
    Ok(ranges)
}

impl Responses {
    /// The response of invocation `n` (from 0); past the last, an error that fails the task.
    fn nth(&self, n: u64) -> Mocked {
        self.ranges
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&n))
            .map(|(_, _, mocked)| mocked.clone())
            .unwrap_or_else(|| {
                Mocked::Throw(TaskError::new(
                    "States.Runtime",
                    format!(
                        "mocked response {:?} has no response for invocation {n}",
                        self.name
                    ),
                ))
            })
    }
}

/// One execution's mocked state: each invocation takes the next response.
#[derive(Clone)]
pub(crate) struct MockedState {
    responses: Arc<Responses>,
    invocations: Arc<Mutex<u64>>,
}

impl MockedState {
    pub(crate) fn new(responses: Arc<Responses>) -> Self {
        Self {
            responses,
            invocations: Arc::default(),
        }
    }

    /// The next invocation's response.
    pub(crate) fn next(&self) -> Mocked {
        let mut count = self
            .invocations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = *count;
        *count += 1;
        self.responses.nth(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(responses: Value) -> Result<MockConfig, String> {
        MockConfig::parse(
            &json!({
                "StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
                "MockedResponses": {"R": responses}
            })
            .to_string(),
        )
    }

    #[test]
    fn invocations_take_their_numbered_or_ranged_response_in_turn() {
        let config = config(json!({
            "0-1": {"Return": "RUNNING"},
            "2": {"Throw": {"Error": "Oops", "Cause": "why"}},
            "3": {"Return": {"done": true}}
        }))
        .unwrap();
        let state = MockedState::new(config.test_case("M", "T").unwrap()["S"].clone());
        let taken: Vec<Mocked> = (0..5).map(|_| state.next()).collect();
        assert_eq!(taken[0], Mocked::Return(json!("RUNNING")));
        assert_eq!(taken[1], Mocked::Return(json!("RUNNING")));
        assert_eq!(taken[2], Mocked::Throw(TaskError::new("Oops", "why")));
        assert_eq!(taken[3], Mocked::Return(json!({"done": true})));
        let Mocked::Throw(past) = &taken[4] else {
            panic!("{:?}", taken[4])
        };
        assert!(
            past.cause.contains("no response for invocation 4"),
            "{past:?}"
        );
    }

    #[test]
    fn bad_files_are_refused_with_where() {
        let gap = config(json!({"0": {"Return": 1}, "2": {"Return": 2}})).unwrap_err();
        assert!(gap.contains("invocation 1 has no response"), "{gap}");
        let both = config(json!({"0": {"Return": 1, "Throw": {"Error": "E"}}})).unwrap_err();
        assert!(
            both.contains("MockedResponses.R.0: expected exactly one"),
            "{both}"
        );
        let huge = config(json!({"0-18446744073709551615": {"Return": 1}})).unwrap_err();
        assert!(huge.contains("too large"), "{huge}");
        let key = config(json!({"first": {"Return": 1}})).unwrap_err();
        assert!(key.contains("MockedResponses.R.first"), "{key}");
        let missing = MockConfig::parse(
            &json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}}}).to_string(),
        )
        .unwrap_err();
        assert!(
            missing.contains("no MockedResponses entry named \"Nope\""),
            "{missing}"
        );
        let config = config(json!({"0": {"Return": 1}})).unwrap();
        assert!(config
            .test_case("M", "X")
            .unwrap_err()
            .contains("no test case \"X\""));
        assert!(config
            .test_case("N", "T")
            .unwrap_err()
            .contains("no state machine named \"N\""));
    }
}
