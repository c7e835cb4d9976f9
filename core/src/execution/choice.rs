//! The Choice state.

use super::{Execution, Phase, Step};
use crate::error::{names, TaskError};
use crate::event::EventKind;
use crate::expr::{Assigned, Scope};
use crate::workflow::{enabled, Compiled, Node, NodeKind};

impl Execution {
    /// A Choice state: the first rule that holds names the next state.
    pub(super) fn choose(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Choice { rules, default, io } = &node.kind else {
            return None;
        };
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
        // Without data flow the input is the state's data, borrowed: cloning its `Arc` would
        // write its count, which runs of one shared input on other threads share.
        let selected;
        let input = match io {
            None => &self.data,
            Some(io) => {
                enabled(&io.asl);
                selected = match io.flow.select_input(&self.data, scope) {
                    Ok(input) => input,
                    Err(error) => return self.runtime_failure(error),
                };
                &selected
            }
        };
        let mut chosen = None;
        let mut rule_assign: Option<&crate::workflow::Assign> = None;
        for (test, next, assign) in rules {
            match test.holds(self.cold.last.as_deref(), input, scope, &mut self.rng) {
                Ok(true) => {
                    chosen = Some(*next);
                    rule_assign = assign.as_ref();
                    break;
                }
                Ok(false) => {}
                Err(error) => return self.runtime_failure(error),
            }
        }
        let Some(next) = chosen.or(*default) else {
            return self.runtime_failure(TaskError::new(
                names::NO_CHOICE_MATCHED,
                format!("no rule of Choice state {:?} matched", &*node.name),
            ));
        };
        // The output: `None` keeps the data as it is. In a JSONata Choice state the rule
        // taken has its own `Output` and `Assign` (absent: the input, and nothing), and the
        // state's apply only when no rule matched.
        let rule_replaces = rule_assign.is_some_and(crate::workflow::Assign::is_jsonata)
            || (chosen.is_some() && io.as_ref().is_some_and(|io| io.flow.jsonata().is_some()));
        let done = match io {
            None => Ok((None, None)),
            Some(_) if rule_replaces => Ok((None, None)),
            Some(io) => {
                enabled(&io.asl);
                io.flow.assign(input, scope, &mut self.rng).and_then(|own| {
                    Ok((
                        Some(io.flow.select_output(input, scope, &mut self.rng)?),
                        own,
                    ))
                })
            }
        };
        let done = done.and_then(|(output, own)| {
            let (rule, output) = match rule_assign {
                Some(assign) => (
                    assign.render(input, scope, &mut self.rng)?,
                    match assign.output(input, scope, &mut self.rng) {
                        Some(rule_output) => Some(rule_output?),
                        None => output,
                    },
                ),
                None => (None, output),
            };
            Ok((output, merge(own, rule)))
        });
        let (output, assigned) = match done {
            Ok(done) => done,
            Err(error) => return self.runtime_failure(error),
        };
        if let Some(output) = output {
            self.data = output;
        }
        self.assign(assigned);
        self.phase = Phase::Exit { next: Some(next) };
        Some(Step::Emit(EventKind::ChoiceTaken {
            state: node.name.clone(),
            next: self.name(wf, next),
        }))
    }
}

/// A Choice state's own `Assign` with its rule's, the rule's winning.
fn merge(own: Assigned, rule: Assigned) -> Assigned {
    match (own, rule) {
        (Some(mut own), Some(rule)) => {
            own.extend(rule);
            Some(own)
        }
        (own, rule) => own.or(rule),
    }
}
