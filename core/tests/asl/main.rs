//! Amazon States Language definitions run on the same interpreter as builder workflows.

#[path = "../support/mod.rs"]
mod support;

mod data_flow;
mod definitions;
mod drawings;
#[cfg(feature = "jsonata")]
mod jsonata;
mod parallel_map;
mod seeds;
#[cfg(feature = "push")]
mod task_tokens;
mod timeouts;
mod variables;

use std::sync::{Arc, Mutex};

use pollflow::task::Tasks;
use pollflow::{task_fn, Engine, EventKind, JobStatus, Outcome, TaskError, VirtualClock, Workflow};
use serde_json::{json, Value};
use support::*;

const JOB_POLLER: &str = include_str!("../../../examples/state-machines/job-poller.asl.json");
const MANAGE_BATCH_JOB: &str =
    include_str!("../../../examples/state-machines/manage-batch-job.asl.json");
const SUBMIT: &str = "arn:aws:lambda:REGION:ACCOUNT_ID:function:SubmitJob";
const CHECK: &str = "arn:aws:lambda:REGION:ACCOUNT_ID:function:CheckJob";

fn run(engine: &Engine, clock: &VirtualClock, input: Value) -> (Vec<pollflow::Event>, Outcome) {
    let events = run_to_end(engine, clock, input);
    let outcome = Outcome::from_terminal(&events.last().expect("events").kind).expect("terminal");
    (events, outcome)
}

fn machine(definition: Value) -> Workflow {
    Workflow::from_asl(&definition.to_string(), "test").unwrap_or_else(|e| panic!("{e}"))
}

fn outcome_of(definition: Value, tasks: Tasks, input: Value) -> Outcome {
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    run(&engine, &clock, input).1
}

/// A Task state bound to `resource`, ending its (sub-)machine.
fn task_state(resource: &str) -> Value {
    json!({"Type": "Task", "Resource": resource, "End": true})
}

/// A Parallel state's branch of one state.
fn branch(state: &str, body: Value) -> Value {
    json!({"StartAt": state, "States": {state: body}})
}
