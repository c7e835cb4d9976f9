//! The states that end an execution: Succeed and Fail.

use serde_json::Value;

use super::{json_text, Execution, Phase, Step};
use crate::error::{names, TaskError};
use crate::event::Outcome;
use crate::expr::{PathOrCall, Query, Scope, States};
use crate::workflow::{enabled, query_error, Compiled, Node, NodeKind};

impl Execution {
    /// A Succeed state: the execution ends with the state's output.
    pub(super) fn succeed(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Succeed { io } = &node.kind else {
            return None;
        };
        let output = match io {
            None => Ok(self.data.clone()),
            Some(io) => {
                enabled(&io.asl);
                let context = self.context(wf, node, now);
                let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
                io.flow
                    .select_input(&self.data, scope)
                    .and_then(|input| io.flow.select_output(&input, scope, &mut self.rng))
            }
        };
        match output {
            Ok(output) => {
                self.phase = Phase::Ending {
                    end: Box::new(Outcome::Succeeded {
                        output: Value::clone(&output),
                    }),
                };
                None
            }
            Err(error) => self.runtime_failure(error),
        }
    }

    /// A Fail state: the execution fails with the state's (or its paths') error and cause.
    pub(super) fn fail(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Fail {
            error,
            cause,
            paths,
        } = &node.kind
        else {
            return None;
        };
        let (from_error_path, from_cause_path) = match paths {
            None => (None, None),
            Some(paths) => {
                enabled(&paths.asl);
                let context = self.context(wf, node, now);
                let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
                let data = &self.data;
                let rng = &mut self.rng;
                if let Some(fields) = &paths.jsonata {
                    let mut read = |query: &Option<Query>, field: &str| match query {
                        None => Ok(None),
                        Some(query) => {
                            let states = States::input(data);
                            match query.evaluate(field, states, scope, rng)? {
                                Value::String(text) => Ok(Some(text)),
                                other => Err(query_error(format!(
                                    "{field} must give a string, not {}",
                                    json_text(&other)
                                ))),
                            }
                        }
                    };
                    match (read(&fields.error, "Error"), read(&fields.cause, "Cause")) {
                        (Ok(error), Ok(cause)) => (error, cause),
                        (Err(e), _) | (_, Err(e)) => return self.runtime_failure(e),
                    }
                } else {
                    let mut read = |path: &Option<PathOrCall>| match path {
                        None => Ok(None),
                        Some(p) => match p.eval_in(data, scope, rng)? {
                            Some(Value::String(text)) => Ok(Some(text)),
                            _ => Err(TaskError::new(
                                names::RUNTIME,
                                format!(
                                    "{:?} does not give a string for the state's input",
                                    p.as_str()
                                ),
                            )),
                        },
                    };
                    match (read(&paths.error), read(&paths.cause)) {
                        (Ok(error), Ok(cause)) => (error, cause),
                        (Err(e), _) | (_, Err(e)) => return self.runtime_failure(e),
                    }
                }
            }
        };
        let error = from_error_path.unwrap_or_else(|| error.clone());
        let cause = from_cause_path
            .or_else(|| cause.clone())
            .unwrap_or_else(|| {
                self.cold
                    .last
                    .as_ref()
                    .map_or_else(String::new, |s| json_text(s.detail()))
            });
        self.phase = Phase::Ending {
            end: Box::new(Outcome::Failed {
                error: TaskError::new(error, cause),
            }),
        };
        None
    }
}
