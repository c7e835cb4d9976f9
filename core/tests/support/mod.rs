//! A scripted poller and small helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, Event, EventKind, JobStatus, Poller, TaskError, VirtualClock,
    WaitPolicy, Workflow,
};
use serde_json::{json, Value};

/// A job whose checks return a script of results, then repeat the last one.
#[derive(Default)]
pub struct ScriptedJob {
    script: Mutex<VecDeque<Result<JobStatus, CheckError>>>,
    last: Mutex<Option<Result<JobStatus, CheckError>>>,
    pub submits: SyncCell<u32>,
    pub checks: SyncCell<u32>,
    pub cancels: Mutex<Vec<(Value, String)>>,
}

impl ScriptedJob {
    pub fn new(script: impl IntoIterator<Item = Result<JobStatus, CheckError>>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.into_iter().collect()),
            ..Self::default()
        })
    }

    /// Pending `n` times, then succeeded with `{"done": true}`.
    pub fn succeeding_after(n: usize) -> Arc<Self> {
        let mut script: Vec<_> = (0..n).map(|_| Ok(JobStatus::pending("RUNNING"))).collect();
        script.push(Ok(JobStatus::succeeded(json!({"done": true}))));
        Self::new(script)
    }

    /// Always pending.
    pub fn never_done() -> Arc<Self> {
        Self::new([Ok(JobStatus::pending("RUNNING"))])
    }
}

#[async_trait]
impl Poller for ScriptedJob {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        self.submits.set(self.submits.get() + 1);
        Ok(json!({ "jobId": format!("job-{}", self.submits.get()), "name": input["jobName"] }))
    }

    async fn check(&self, _handle: &Value) -> Result<JobStatus, CheckError> {
        self.checks.set(self.checks.get() + 1);
        let next = self.script.lock().unwrap().pop_front();
        match next {
            Some(result) => {
                *self.last.lock().unwrap() = Some(result.clone());
                result
            }
            None => self
                .last
                .lock()
                .unwrap()
                .clone()
                .expect("script is not empty"),
        }
    }

    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        self.cancels
            .lock()
            .unwrap()
            .push((handle.clone(), reason.to_owned()));
        Ok(())
    }
}

/// The seed's Job Poller with a given wait policy and default branch routes.
pub fn job_poller(policy: WaitPolicy) -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", policy)
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("valid workflow")
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// Runs one execution to its end on a virtual clock and returns its events.
pub fn run_to_end(engine: &Engine, clock: &VirtualClock, input: Value) -> Vec<Event> {
    use futures::StreamExt;
    clock.block_on(engine.start(input).collect())
}

/// `(delay_ms, timestamp_ms)` of every WaitStarted event.
pub fn waits(events: &[Event]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::WaitStarted { delay_ms, .. } => Some((delay_ms, e.timestamp_ms)),
            _ => None,
        })
        .collect()
}

/// Timestamps of every StatusChecked event.
pub fn check_times(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::StatusChecked { .. }))
        .map(|e| e.timestamp_ms)
        .collect()
}

/// The `type` tag of every event, in order.
pub fn types(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// A `Cell` that threads can share: what an engine's handlers hold is `Send + Sync`.
#[derive(Debug, Default)]
pub struct SyncCell<T>(Mutex<T>);

impl<T: Copy> SyncCell<T> {
    pub fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    pub fn get(&self) -> T {
        *self.0.lock().unwrap()
    }

    pub fn set(&self, value: T) {
        *self.0.lock().unwrap() = value;
    }
}
