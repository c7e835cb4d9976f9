//! The Task state: its input, its call, its result, its timeout.

use std::sync::Arc;

use serde_json::Value;

use super::{Callback, Execution, Phase, Step, TokenWait};
use crate::error::{names, TaskError};
use crate::expr::{Path, Scope};
use crate::policy::MAX_SECONDS;
use crate::task_token;
use crate::workflow::{enabled, seconds, AslOnly, Compiled, Node, NodeKind};

impl Execution {
    /// A Task state: its effective input, then the call (a `.sync` job's submit, or the bound handler).
    pub(super) fn task(&mut self, wf: &Compiled, node: &Node, now: u64) -> Option<Step> {
        let NodeKind::Task {
            sync,
            callback,
            io,
            timeout_path,
            heartbeat_ms,
            heartbeat_path,
            asl,
            ..
        } = &node.kind
        else {
            return None;
        };
        enabled(asl);
        let index = self.state;
        let mut context = self.context(wf, node, now);
        // The count of events so far keeps the token apart from those of earlier visits to
        // this state; the random part makes it hard to guess.
        let issued = callback.then(|| (self.next_event_id, self.rng.next_u64()));
        if let (Some((seq, secret)), Value::Object(fields)) = (issued, &mut context) {
            let token = task_token::token(self.cold.id, seq, secret);
            fields.insert("Task".into(), serde_json::json!({ "Token": token }));
        }
        let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
        let input = io
            .select_input(&self.data, scope)
            .and_then(|input| io.parameters(input, scope, &mut self.rng));
        let input = match input {
            Ok(input) => input,
            Err(error) => return self.fail_now(wf, node, error, now),
        };
        let jsonata = io.jsonata();
        self.cold.task_timeout_ms = match (timeout_path, jsonata.and_then(|j| j.timeout.as_ref())) {
            (_, Some(query)) => {
                match seconds(query, "TimeoutSeconds", 1, &self.data, scope, &mut self.rng) {
                    Ok(s) => Some(s * 1000),
                    Err(error) => return self.fail_now(wf, node, error, now),
                }
            }
            (None, None) => None,
            (Some(path), None) => match seconds_from(path, &input, scope, "TimeoutSecondsPath") {
                Ok(ms) => Some(ms),
                Err(error) => return self.fail_now(wf, node, error, now),
            },
        };
        // Checked for every task, as Step Functions does, though only a callback's is used.
        let heartbeat_query = match jsonata.and_then(|j| j.heartbeat.as_ref()) {
            None => None,
            Some(query) => {
                match seconds(
                    query,
                    "HeartbeatSeconds",
                    1,
                    &self.data,
                    scope,
                    &mut self.rng,
                ) {
                    Ok(s) => Some(s * 1000),
                    Err(error) => return self.fail_now(wf, node, error, now),
                }
            }
        };
        if *sync {
            return Some(self.submit(Some(wf.base + index), input, now));
        }
        self.entered_ms = now;
        let Some((seq, secret)) = issued else {
            return Some(self.invoke(wf, node, input, None, AslOnly::witness()?));
        };
        let heartbeat_ms = match (heartbeat_path, heartbeat_query) {
            (_, Some(ms)) => Some(ms),
            (None, None) => *heartbeat_ms,
            (Some(path), None) => match seconds_from(path, &input, scope, "HeartbeatSecondsPath") {
                Ok(ms) => Some(ms),
                Err(error) => return self.fail_now(wf, node, error, now),
            },
        };
        let call = Callback {
            seq,
            secret,
            input,
            heartbeat_ms,
            asl: AslOnly::witness()?,
        };
        let step = self.invoke_callback(wf, &call);
        self.phase = Phase::Callback {
            call: Box::new(call),
        };
        Some(step)
    }

    /// The call of a Task state's handler, given up at the task's or the execution's deadline;
    /// a callback task's then waits for its token.
    pub(super) fn invoke(
        &self,
        wf: &Compiled,
        node: &Node,
        input: Arc<Value>,
        callback: Option<TokenWait>,
        asl: AslOnly,
    ) -> Step {
        let deadline = self
            .task_timeout(node)
            .map(|t| self.entered_ms.saturating_add(t));
        let machine = self.deadline(wf);
        Step::Invoke {
            state: wf.base + self.state,
            input,
            deadline_ms: match (deadline, machine) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            callback,
            asl,
        }
    }

    /// A callback task's call, again after a checkpoint: the same token.
    pub(super) fn invoke_callback(&self, wf: &Compiled, call: &Callback) -> Step {
        let node = &wf.nodes[self.state as usize];
        let wait = TokenWait {
            state: node.name.clone(),
            token: task_token::token(self.cold.id, call.seq, call.secret),
            heartbeat_ms: call.heartbeat_ms,
        };
        self.invoke(wf, node, call.input.clone(), Some(wait), call.asl)
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
        let scope = Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
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
            NodeKind::Task { timeout_ms, .. } => timeout_ms.or(self.cold.task_timeout_ms),
            _ => None,
        }
    }
}

/// A Task's `TimeoutSecondsPath` or `HeartbeatSecondsPath` (`field`) read from its effective
/// input: whole seconds, at least 1, as ms.
fn seconds_from(
    path: &Path,
    input: &Value,
    scope: Scope<'_>,
    field: &str,
) -> Result<u64, TaskError> {
    path.select_in(input, scope)?
        .and_then(|seconds| seconds.as_u64())
        .filter(|seconds| (1..=MAX_SECONDS).contains(seconds))
        .map(|seconds| seconds * 1000)
        .ok_or_else(|| {
            TaskError::new(
                names::RUNTIME,
                format!(
                    "{field} {:?} does not select a whole number of seconds from 1 to {MAX_SECONDS}",
                    path.as_str()
                ),
            )
        })
}
