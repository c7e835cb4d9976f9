//! The ASL states that call nothing: Pass, and the ASL Wait state (`NodeKind::Delay`).

use serde_json::Value;

use super::{AfterSleep, Execution, Phase, Step};
use crate::event::EventKind;
use crate::expr::Scope;
use crate::workflow::{enabled, Compiled, Node, NodeKind};

impl Execution {
    /// A Pass state: its result (or input) through the data flow.
    pub(super) fn pass(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Pass {
            result,
            io,
            next,
            asl,
        } = &node.kind
        else {
            return None;
        };
        enabled(asl);
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
        let output = io.select_input(&self.data, scope).and_then(|input| {
            if io.jsonata().is_some() {
                // A JSONata Pass has no result: its `Output` and `Assign` read its input.
                let assigned = io.assign(&input, scope, &mut self.rng)?;
                return Ok((io.select_output(&input, scope, &mut self.rng)?, assigned));
            }
            let input = io.parameters(input, scope, &mut self.rng)?;
            let result = result.clone().unwrap_or_else(|| Value::clone(&input));
            io.combine(&self.data, result, scope, &mut self.rng)
        });
        match output {
            Ok((output, assigned)) => {
                self.data = output;
                self.assign(assigned);
                self.phase = Phase::Exit { next: *next };
                None
            }
            Err(error) => self.runtime_failure(error),
        }
    }

    /// An ASL Wait state: sleeps until the time its field (or path) gives.
    pub(super) fn delay(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Delay {
            until,
            io,
            next,
            asl,
        } = &node.kind
        else {
            return None;
        };
        enabled(asl);
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
        let planned = io.select_input(&self.data, scope).and_then(|input| {
            let until_ms = until.resolve(&input, scope, now, &mut self.rng)?;
            let assigned = io.assign(&input, scope, &mut self.rng)?;
            Ok((
                until_ms,
                io.select_output(&input, scope, &mut self.rng)?,
                assigned,
            ))
        });
        let (until_ms, output, assigned) = match planned {
            Ok(planned) => planned,
            Err(error) => return self.runtime_failure(error),
        };
        self.data = output;
        self.assign(assigned);
        let delay = until_ms.saturating_sub(now).min(self.time_left(wf, now));
        self.phase = Phase::Sleeping {
            until_ms: now.saturating_add(delay),
            then: AfterSleep::Exit(*next),
        };
        Some(Step::Emit(EventKind::WaitStarted {
            state: node.name.clone(),
            delay_ms: delay,
            attempt: 1,
        }))
    }
}
