//! The checker: validates a graph's states one field at a time and compiles their fields,
//! collecting every problem.

use std::collections::HashMap;

use super::*;

/// How deep Parallel and Map states may nest (loading, compiling and running recurse once per
/// level; graphs built in code or deserialized could otherwise overflow the stack).
pub(crate) const MAX_NESTING: u32 = 32;

pub(super) struct Checker<'a> {
    /// The workflow's own graph: sub-machines at every depth poll and cancel as it says.
    pub(super) top: &'a StateMachine,
    /// How many Parallel or Map states enclose this graph.
    pub(super) depth: u32,
    pub(super) index: HashMap<&'a str, u32>,
    pub(super) predicates: &'a HashMap<String, Predicate>,
    pub(super) problems: Vec<Problem>,
}

impl Checker<'_> {
    pub(super) fn problem(
        &mut self,
        state: Option<&str>,
        path: String,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            state: state.map(str::to_owned),
            path,
            message: message.into(),
        });
    }

    pub(super) fn target(&mut self, state: &str, path: String, name: &str) -> u32 {
        match self.index.get(name) {
            Some(i) => *i,
            None => {
                let message = if name.is_empty() {
                    "no next state (end a builder chain with `branch`)".to_owned()
                } else {
                    format!("no state named {name:?}")
                };
                self.problem(Some(state), path, message);
                0
            }
        }
    }

    pub(super) fn test(&mut self, state: &str, path: String, condition: &Condition) -> Test {
        match condition {
            Condition::Succeeded => Test::Succeeded,
            Condition::Failed => Test::Failed,
            Condition::Pending => Test::Pending,
            Condition::StatusIs(word) => Test::StatusIs(word.clone()),
            Condition::DetailEquals { pointer, value } => {
                if !(pointer.is_empty() || pointer.starts_with('/')) {
                    self.problem(
                        Some(state),
                        format!("{path}.pointer"),
                        format!("JSON pointer {pointer:?} must be empty or start with '/'"),
                    );
                }
                Test::DetailEquals(pointer.clone(), value.clone())
            }
            Condition::Predicate(name) => match self.predicates.get(name) {
                Some(f) => Test::Predicate(f.clone()),
                None => {
                    self.problem(
                        Some(state),
                        path,
                        format!("predicate {name:?} is not registered"),
                    );
                    Test::Pending
                }
            },
            Condition::Not(inner) => {
                Test::Not(Box::new(self.test(state, format!("{path}.not"), inner)))
            }
            Condition::And(all) => Test::And(self.tests(state, &format!("{path}.and"), all)),
            Condition::Or(any) => Test::Or(self.tests(state, &format!("{path}.or"), any)),
            Condition::Compare { variable, op, with } => match self.asl(state, path) {
                Some(asl) => Test::Compare(variable.clone(), *op, with.clone(), asl),
                None => Test::Pending,
            },
            Condition::Jsonata(query) => match self.asl(state, path) {
                Some(asl) => Test::Query(query.clone(), asl),
                None => Test::Pending,
            },
        }
    }

    pub(super) fn tests(&mut self, state: &str, path: &str, conditions: &[Condition]) -> Vec<Test> {
        conditions
            .iter()
            .enumerate()
            .map(|(i, c)| self.test(state, format!("{path}[{i}]"), c))
            .collect()
    }

    pub(super) fn catchers(&mut self, state: &str, path: &str, catchers: &[Catcher]) -> Vec<Catch> {
        let mut compiled = Vec::with_capacity(catchers.len());
        for (i, catcher) in catchers.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let names = &catcher.error_equals;
            if names.is_empty() {
                self.problem(
                    Some(state),
                    format!("{at}.error_equals"),
                    "must name at least one error",
                );
            }
            if names.iter().any(|n| n == crate::names::ALL)
                && (names.len() > 1 || i + 1 < catchers.len())
            {
                self.problem(
                    Some(state),
                    format!("{at}.error_equals"),
                    "States.ALL must appear alone, in the last catcher",
                );
            }
            let jsonata = catcher
                .jsonata()
                .and_then(|fields| Some((fields, self.asl(state, format!("{at}.jsonata"))?)));
            compiled.push(Catch {
                errors: names.clone(),
                next: self.target(state, format!("{at}.next"), &catcher.next),
                result_path: match (&catcher.result_path, jsonata) {
                    (_, Some((fields, asl))) => CatchTo::Jsonata(Box::new(fields.clone()), asl),
                    (None, _) => CatchTo::Keep,
                    (Some(path), _) if path.as_str() == "$" => CatchTo::Input,
                    (Some(path), _) => match self.asl(state, format!("{at}.result_path")) {
                        Some(asl) => CatchTo::At(path.clone(), asl),
                        None => CatchTo::Input,
                    },
                },
                assign: self.assign(state, format!("{at}.assign"), &catcher.assign),
            });
        }
        compiled
    }

    /// An `Assign` of a Choice rule or a catcher: its field names must be variable names.
    pub(super) fn assign(
        &mut self,
        state: &str,
        path: String,
        assign: &Option<Template>,
    ) -> Option<Assign> {
        let template = assign.as_ref()?;
        let asl: Option<Asl> = self.asl(state, path.clone());
        asl.map(|asl| {
            self.variable_names(state, &path, template);
            Assign::Template(template.clone(), asl)
        })
    }

    /// A Choice rule's `Assign`, or a JSONata rule's `Assign` and `Output`.
    pub(super) fn rule_assign(
        &mut self,
        state: &str,
        path: String,
        rule: &ChoiceRule,
    ) -> Option<Assign> {
        match rule.jsonata() {
            Some(fields) => {
                let asl: Option<Asl> = self.asl(state, path);
                asl.map(|asl| Assign::Jsonata(Box::new(fields.clone()), asl))
            }
            None => self.assign(state, path, &rule.assign),
        }
    }

    /// Reports an `Assign` that is not an object, and its field names that are not variable
    /// names.
    pub(super) fn variable_names(&mut self, state: &str, path: &str, template: &Template) {
        if !template.as_value().is_object() {
            self.problem(
                Some(state),
                path.to_owned(),
                "must be an object of variable names and their values",
            );
        }
        for name in template.field_names() {
            if let Err(reason) = crate::expr::check_name(name) {
                self.problem(Some(state), path.to_owned(), reason);
            }
        }
    }

    pub(super) fn retriers(
        &mut self,
        state: &str,
        path: &str,
        retriers: &[crate::policy::AslRetrier],
    ) -> Vec<Retry> {
        let mut compiled = Vec::with_capacity(retriers.len());
        for (i, retrier) in retriers.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let names = &retrier.error_equals;
            if names.is_empty() {
                self.problem(
                    Some(state),
                    format!("{at}.ErrorEquals"),
                    "must name at least one error",
                );
            }
            if names.iter().any(|n| n == crate::names::ALL)
                && (names.len() > 1 || i + 1 < retriers.len())
            {
                self.problem(
                    Some(state),
                    format!("{at}.ErrorEquals"),
                    "States.ALL must appear alone, in the last retrier",
                );
            }
            let policy = if retrier.max_attempts == 0 {
                None
            } else {
                match retrier.wait_policy() {
                    Ok(policy) => Some(policy),
                    Err(e) => {
                        self.problem(Some(state), at.clone(), e.to_string());
                        None
                    }
                }
            };
            compiled.push(Retry {
                errors: names.clone(),
                policy,
            });
        }
        compiled
    }

    /// The ASL marker, or a problem when ASL support is not compiled in.
    #[cfg(feature = "asl")]
    pub(super) fn asl(&mut self, _state: &str, _path: String) -> Option<compiled::Asl> {
        Some(())
    }

    #[cfg(not(feature = "asl"))]
    pub(super) fn asl(&mut self, state: &str, path: String) -> Option<compiled::Asl> {
        self.problem(
            Some(state),
            path,
            "Amazon States Language data flow needs pollflow's `asl` feature",
        );
        None
    }

    /// Data-flow fields, unless they are the defaults (which need no ASL support).
    pub(super) fn io(&mut self, state: &str, path: String, flow: &DataFlow) -> Option<Io> {
        if flow.is_default() {
            return None;
        }
        self.asl(state, path).map(|asl| Io {
            flow: flow.clone(),
            asl,
        })
    }

    pub(super) fn next(&mut self, state: &str, path: String, next: Option<&String>) -> Option<u32> {
        next.map(|n| self.target(state, path, n))
    }

    /// A Parallel branch or a Map processor, compiled like a graph of its own; it polls and
    /// cancels as the top graph does, and its time is the execution's.
    pub(super) fn sub(
        &mut self,
        state: &str,
        path: &str,
        graph: &StateMachine,
    ) -> Option<Compiled> {
        if self.depth >= MAX_NESTING {
            self.problem(Some(state), path.to_owned(), too_deep());
            return None;
        }
        match compile(graph, self.predicates, self.top, self.depth + 1) {
            Ok(mut sub) => {
                sub.cancel_on_stop = self.top.cancel_on_stop;
                sub.timeout_ms = None;
                sub.sync_poll = self.top.sync_poll.clone().unwrap_or_else(default_sync_poll);
                Some(sub)
            }
            Err(e) => {
                for mut problem in e.problems {
                    let inner = problem.path.strip_prefix('$').unwrap_or(&problem.path);
                    problem.path = format!("{path}{inner}");
                    self.problems.push(problem);
                }
                None
            }
        }
    }

    pub(super) fn policy(&mut self, state: &str, path: String, policy: &crate::WaitPolicy) {
        if let Err(e) = policy.validate() {
            self.problem(Some(state), path, e.to_string());
        }
    }
}

/// The problem of a Parallel or Map state nested more than [`MAX_NESTING`] deep.
pub(crate) fn too_deep() -> String {
    format!("Parallel and Map states nest at most {MAX_NESTING} deep")
}
