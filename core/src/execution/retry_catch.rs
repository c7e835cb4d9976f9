//! What a failed state does: an ASL retrier retries it, a catcher routes on, or the execution
//! fails.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{AfterSleep, Execution, Phase, Step};
use crate::error::TaskError;
use crate::event::{EventKind, Outcome};
use crate::expr::{Scope, States};
use crate::policy::to_millis;
use crate::workflow::{enabled, CatchTo, Compiled, Node};

/// Retries spent per retrier of the current Task state (by the retrier's index). Most states
/// never retry: a pointer, not the three words of a `Vec`, in every execution. Saved as the
/// list of counts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(super) struct Retries(
    #[allow(clippy::box_collection, reason = "one word while empty, as most are")]
    Option<Box<Vec<u32>>>,
);

impl Retries {
    /// Retries spent by retrier `i`.
    fn spent(&self, i: usize) -> u32 {
        self.0
            .as_ref()
            .and_then(|counts| counts.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Sets retrier `i`'s count (of `retriers`).
    fn set(&mut self, i: usize, retriers: usize, count: u32) {
        let counts = self.0.get_or_insert_default();
        counts.resize(retriers.max(counts.len()), 0);
        counts[i] = count;
    }

    /// Retries spent by all retriers (`$$.State.RetryCount`).
    pub(super) fn total(&self) -> u32 {
        self.0.iter().flat_map(|counts| counts.iter()).sum()
    }

    /// A new state: no retries spent.
    pub(super) fn clear(&mut self) {
        self.0 = None;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|counts| counts.is_empty())
    }
}

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
            let count = self.cold.retries.spent(i).saturating_add(1);
            if let Some(policy) = retry[i]
                .policy
                .as_ref()
                .filter(|p| p.max_attempts.is_none_or(|m| count <= m))
            {
                self.cold.retries.set(i, retry.len(), count);
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
                        let scope =
                            Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
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
                            let scope =
                                Scope::new(&context, &self.cold.variables, &self.cold.limits, now);
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
                    self.cold.limits.check(&data, "the state's output")?;
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
