//! An execution as its checkpoint saves it: one flat record of its hot fields and its
//! [`Cold`] ones, in the order they have always been written. Only the layout in memory is
//! split; the format is not.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::retry_catch::Retries;
use super::{hex_id, Cold, Execution, Phase};
use crate::expr::Variables;
use crate::policy::Rng;
use crate::poller::JobStatus;

/// What an execution writes (borrowed: a checkpoint is taken without cloning the execution).
#[derive(Serialize)]
struct Written<'a> {
    state: u32,
    phase: &'a Phase,
    input: &'a Arc<Value>,
    data: &'a Arc<Value>,
    number: u64,
    /// 16 hex digits: a JSON number that large would lose digits in JavaScript.
    #[serde(with = "hex_id")]
    id: u64,
    #[serde(skip_serializing_if = "is_zero")]
    submits: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    submitting: bool,
    started_ms: u64,
    entered_ms: u64,
    #[serde(skip_serializing_if = "no_retries")]
    retries: &'a Retries,
    handle: &'a Option<Arc<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_state: Option<u32>,
    last: &'a Option<Arc<JobStatus>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pushed_last: bool,
    attempt: u32,
    check_errors: u32,
    /// Not saved when there is none (`u64::MAX`, a JSON number JavaScript would round up past
    /// what a `u64` holds, and `None` are the same: no end), since format 2.
    #[serde(skip_serializing_if = "unbounded")]
    deadline_ms: Option<u64>,
    rng: &'a Rng,
    next_event_id: u64,
    #[serde(skip_serializing_if = "no_variables")]
    variables: &'a Variables,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A deadline that never comes: none, or the end of time (`u64::MAX`).
fn unbounded(deadline_ms: &Option<u64>) -> bool {
    deadline_ms.is_none_or(|ms| ms == u64::MAX)
}

fn no_retries(retries: &&Retries) -> bool {
    retries.is_empty()
}

fn no_variables(variables: &&Variables) -> bool {
    variables.is_empty()
}

/// What an execution reads back; what checkpoints leave out (a call in flight, the limits, a
/// branch's outer record) is given back by [`Execution::reattach`].
#[derive(Deserialize)]
struct Read {
    state: u32,
    phase: Phase,
    input: Arc<Value>,
    data: Arc<Value>,
    number: u64,
    #[serde(default, with = "hex_id")]
    id: u64,
    #[serde(default)]
    submits: u32,
    #[serde(default)]
    submitting: bool,
    started_ms: u64,
    entered_ms: u64,
    #[serde(default)]
    retries: Retries,
    handle: Option<Arc<Value>>,
    #[serde(default)]
    task_timeout_ms: Option<u64>,
    #[serde(default)]
    job_state: Option<u32>,
    last: Option<Arc<JobStatus>>,
    #[serde(default)]
    pushed_last: bool,
    attempt: u32,
    check_errors: u32,
    #[serde(default)]
    deadline_ms: Option<u64>,
    rng: Rng,
    next_event_id: u64,
    #[serde(default)]
    variables: Variables,
}

impl Serialize for Execution {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let cold = &*self.cold;
        Written {
            state: self.state,
            phase: &self.phase,
            input: &cold.input,
            data: &self.data,
            number: cold.number,
            id: cold.id,
            submits: self.submits,
            submitting: self.submitting,
            started_ms: cold.started_ms,
            entered_ms: self.entered_ms,
            retries: &cold.retries,
            handle: &self.handle,
            task_timeout_ms: cold.task_timeout_ms,
            job_state: self.job_state,
            last: &cold.last,
            pushed_last: self.pushed_last,
            attempt: self.attempt,
            check_errors: self.check_errors,
            deadline_ms: cold.deadline_ms,
            rng: &self.rng,
            next_event_id: self.next_event_id,
            variables: &cold.variables,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Execution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let read = Read::deserialize(deserializer)?;
        Ok(Self {
            state: read.state,
            attempt: read.attempt,
            check_errors: read.check_errors,
            submits: read.submits,
            phase: read.phase,
            data: read.data,
            handle: read.handle,
            rng: read.rng,
            entered_ms: read.entered_ms,
            next_event_id: read.next_event_id,
            job_state: read.job_state,
            submitting: read.submitting,
            pushed_last: read.pushed_last,
            awaiting: false,
            input_checked: false,
            cold: Box::new(Cold {
                input: read.input,
                number: read.number,
                id: read.id,
                started_ms: read.started_ms,
                last: read.last,
                retries: read.retries,
                task_timeout_ms: read.task_timeout_ms,
                deadline_ms: read.deadline_ms,
                outer: None,
                variables: read.variables,
                limits: Arc::default(),
            }),
        })
    }
}
