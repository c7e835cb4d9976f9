//! The Task state: its input, its call, its result, its timeout.

use serde_json::Value;

use super::{Execution, Phase, Step};
use crate::error::{names, TaskError};
use crate::expr::{Path, Scope};
use crate::policy::MAX_SECONDS;
use crate::workflow::{enabled, Compiled, Node, NodeKind};

impl Execution {
    /// A Task state: its effective input, then the call (a `.sync` job's submit, or the bound handler).
    pub(super) fn task(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Task {
            sync,
            io,
            timeout_path,
            asl,
            ..
        } = &node.kind
        else {
            return None;
        };
        enabled(asl);
        let index = self.state;
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.variables, &self.limits);
        let input = io
            .select_input(&self.data, scope)
            .and_then(|input| io.parameters(input, scope, &mut self.rng));
        let input = match input {
            Ok(input) => input,
            Err(error) => return self.fail_now(wf, node, error, now),
        };
        self.task_timeout_ms = match timeout_path {
            None => None,
            Some(path) => match timeout_from(path, &input, scope) {
                Ok(ms) => Some(ms),
                Err(error) => return self.fail_now(wf, node, error, now),
            },
        };
        if *sync {
            return Some(self.submit(Some(wf.base + index), input, now));
        }
        self.entered_ms = now;
        let deadline = self.task_timeout(node).map(|t| now.saturating_add(t));
        let machine = self.deadline(wf);
        Some(Step::Invoke {
            state: wf.base + index,
            input,
            deadline_ms: match (deadline, machine) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        })
    }

    /// A Task state's result flows through `ResultSelector`, `ResultPath` and `OutputPath`.
    pub(super) fn task_succeeded(&mut self, wf: &Compiled, node: &Node, result: Value, now: u64) {
        let (NodeKind::Task { io, next, asl, .. }
        | NodeKind::Parallel { io, next, asl, .. }
        | NodeKind::Map { io, next, asl, .. }) = &node.kind
        else {
            return;
        };
        enabled(asl);
        let context = self.context(wf, node, now);
        let scope = Scope::new(&context, &self.variables, &self.limits);
        match io.combine(&self.data, result, scope, &mut self.rng) {
            Ok((output, assigned)) => {
                self.data = output;
                self.assign(assigned);
                self.phase = Phase::Exit { next: *next };
            }
            Err(error) => {
                self.task_failed(wf, node, &error, now);
            }
        }
    }

    /// A Task state's timeout (ms): its `TimeoutSeconds`, or what its `TimeoutSecondsPath` read.
    pub(super) fn task_timeout(&self, node: &Node) -> Option<u64> {
        match node.kind {
            NodeKind::Task { timeout_ms, .. } => timeout_ms.or(self.task_timeout_ms),
            _ => None,
        }
    }
}

/// A Task's `TimeoutSecondsPath` read from its effective input: whole seconds, at least 1, as ms.
fn timeout_from(path: &Path, input: &Value, scope: Scope<'_>) -> Result<u64, TaskError> {
    path.select_in(input, scope)?
        .and_then(|seconds| seconds.as_u64())
        .filter(|seconds| (1..=MAX_SECONDS).contains(seconds))
        .map(|seconds| seconds * 1000)
        .ok_or_else(|| {
            TaskError::new(
                names::RUNTIME,
                format!(
                    "TimeoutSecondsPath {:?} does not select a whole number of seconds from 1 to {MAX_SECONDS}",
                    path.as_str()
                ),
            )
        })
}
