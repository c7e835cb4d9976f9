//! What a failed state does: an ASL retrier retries it, a catcher routes on, or the execution
//! fails.

use std::sync::Arc;

use super::{AfterSleep, Execution, Phase, Step};
use crate::error::TaskError;
use crate::event::{EventKind, Outcome};
use crate::expr::{Scope, States};
use crate::policy::to_millis;
use crate::workflow::{enabled, CatchTo, Compiled, Node};

impl Execution {
    /// A state's call failed for good: an ASL retrier retries it (returning the pause), a
    /// catcher routes on, or else the execution fails.
    pub(super) fn task_failed(
        &mut self,
        wf: &Compiled,
        node: &Node,
        error: &TaskError,
        now: u64,
    ) -> Option<u64> {
        let retry = node.retriers();
        let retrier = retry
            .iter()
            .position(|r| r.errors.iter().any(|name| error.matches(name)));
        if let Some(i) = retrier {
            self.retries.resize(retry.len(), 0);
            let count = self.retries[i].saturating_add(1);
            if let Some(policy) = retry[i]
                .policy
                .as_ref()
                .filter(|p| p.max_attempts.is_none_or(|m| count <= m))
            {
                self.retries[i] = count;
                let delay = to_millis(policy.backoff_delay(count, &mut self.rng))
                    .min(self.time_left(wf, now));
                self.phase = Phase::Sleeping {
                    until_ms: now.saturating_add(delay),
                    then: AfterSleep::Retry,
                };
                return Some(delay);
            }
        }
        match node.catcher_for(error) {
            Some(catch) => {
                let caught = serde_json::json!({"Error": error.error, "Cause": error.cause});
                let done = match &catch.result_path {
                    CatchTo::Jsonata(fields, asl) => {
                        enabled(asl);
                        let context = self.context(wf, node, now);
                        let scope = Scope::new(&context, &self.variables, &self.limits, now);
                        let states = States {
                            input: &self.data,
                            result: None,
                            error_output: Some(&caught),
                        };
                        fields
                            .assign(states, scope, &mut self.rng)
                            .and_then(|assigned| {
                                let output = fields.output(
                                    states,
                                    || Arc::new(caught.clone()),
                                    scope,
                                    &mut self.rng,
                                )?;
                                Ok((assigned, Some(output)))
                            })
                    }
                    _ => match &catch.assign {
                        None => Ok((None, None)),
                        Some(assign) => {
                            let context = self.context(wf, node, now);
                            let scope = Scope::new(&context, &self.variables, &self.limits, now);
                            assign
                                .render(&caught, scope, &mut self.rng)
                                .map(|assigned| (assigned, None))
                        }
                    },
                };
                let (assigned, output) = match done {
                    Ok(done) => done,
                    Err(error) => {
                        self.stop(Outcome::Failed { error });
                        return None;
                    }
                };
                self.assign(assigned);
                let data = match (&catch.result_path, output) {
                    (_, Some(output)) => Ok(output),
                    (CatchTo::Input, None) => Ok(Arc::new(caught)),
                    (CatchTo::Keep, None) => Ok(self.data.clone()),
                    (CatchTo::At(path, asl), None) => {
                        enabled(asl);
                        crate::expr::place(&self.data, path, caught)
                    }
                    (CatchTo::Jsonata(..), None) => Ok(Arc::new(caught)),
                };
                let data = data.and_then(|data| {
                    self.limits.check(&data, "the state's output")?;
                    Ok(data)
                });
                match data {
                    Ok(data) => {
                        self.data = data;
                        self.phase = Phase::Exit {
                            next: Some(catch.next),
                        };
                    }
                    Err(error) => self.stop(Outcome::Failed { error }),
                }
            }
            None => self.stop(Outcome::Failed {
                error: error.clone(),
            }),
        }
        None
    }

    /// A failure before any call was made (bad input data): retry, catch or fail.
    pub(super) fn fail_now(
        &mut self,
        wf: &Compiled,
        node: &Node,
        error: TaskError,
        now: u64,
    ) -> Option<Step> {
        let retry_in_ms = self.task_failed(wf, node, &error, now);
        Some(Step::Emit(EventKind::TaskFailed {
            state: node.name.clone(),
            error,
            retry_in_ms,
        }))
    }

    /// Data-flow errors end the execution (Step Functions' `States.Runtime` is not caught).
    pub(super) fn runtime_failure(&mut self, error: TaskError) -> Option<Step> {
        self.stop(Outcome::Failed { error });
        None
    }
}
