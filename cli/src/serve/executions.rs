//! Executions: `StartExecution`, `StartSyncExecution`, `DescribeExecution`, `ListExecutions`,
//! `StopExecution` and `GetExecutionHistory`. Each execution runs in an engine of its own
//! (its test case's mocks are its own), driven by a tokio task that records its events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::StreamExt;
use pollflow::{AbortHandle, Engine, Event, EventKind, Outcome, Run, TaskError, TokioClock};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::history::History;
use super::machines::{check_name, Machine};
use super::mock::{Mocked, MockedState};
use super::page::page;
use super::{now_ms, Service, ACCOUNT, REGION};
use crate::sfn_protocol::{timestamp, validation, ApiError, Request};

/// Every execution started, by ARN and in the order they started.
#[derive(Default)]
pub(crate) struct Executions {
    started: Vec<Arc<ExecutionRecord>>,
    by_arn: HashMap<String, Arc<ExecutionRecord>>,
}

/// One execution, running or ended.
pub(crate) struct ExecutionRecord {
    arn: String,
    name: String,
    /// The state machine as it was when the execution started.
    machine: Arc<Machine>,
    input: String,
    started_ms: u64,
    progress: Mutex<Progress>,
    abort: AbortHandle,
    /// Becomes true when the execution has ended.
    ended: watch::Receiver<bool>,
}

#[derive(Default)]
struct Progress {
    events: Vec<Event>,
    /// How it ended, and when.
    end: Option<(Outcome, u64)>,
    /// `StopExecution`'s `error` and `cause`.
    stopped: Option<(String, String)>,
}

/// The statuses an execution can have.
const STATUSES: [&str; 5] = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

impl ExecutionRecord {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One of [`STATUSES`].
    fn status(progress: &Progress) -> &'static str {
        match &progress.end {
            None => STATUSES[0],
            Some((Outcome::Succeeded { .. }, _)) => STATUSES[1],
            Some((Outcome::Failed { .. }, _)) => STATUSES[2],
            Some((Outcome::TimedOut { .. }, _)) => STATUSES[3],
            Some((Outcome::Aborted { .. }, _)) => STATUSES[4],
        }
    }

    /// The fields `DescribeExecution` and `StartSyncExecution` share.
    fn describe(&self) -> Value {
        let progress = self.progress();
        let mut body = json!({
            "executionArn": self.arn,
            "stateMachineArn": self.machine.arn,
            "name": self.name,
            "status": Self::status(&progress),
            "startDate": timestamp(self.started_ms),
            "input": self.input,
            "inputDetails": {"included": true},
        });
        if let Some((outcome, stopped_ms)) = &progress.end {
            body["stopDate"] = timestamp(*stopped_ms);
            let error = match outcome {
                Outcome::Succeeded { output } => {
                    body["output"] = json!(output.to_string());
                    body["outputDetails"] = json!({"included": true});
                    None
                }
                Outcome::Failed { error } | Outcome::TimedOut { error } => {
                    Some((error.error.as_str(), error.cause.as_str()))
                }
                Outcome::Aborted { .. } => progress
                    .stopped
                    .as_ref()
                    .map(|(error, cause)| (error.as_str(), cause.as_str())),
            };
            if let Some((error, cause)) = error {
                body["error"] = json!(error);
                body["cause"] = json!(cause);
            }
        }
        body
    }
}

/// `arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME`.
fn execution_arn(machine: &str, name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}")
}

impl Service {
    pub(crate) fn start_execution(&self, request: &Request) -> Result<Value, ApiError> {
        let record = self.start(request, false)?;
        Ok(json!({"executionArn": record.arn, "startDate": timestamp(record.started_ms)}))
    }

    /// Answers when the execution ends: `SUCCEEDED`, `FAILED` (a stopped one too) or
    /// `TIMED_OUT`, the statuses a synchronous execution has.
    pub(crate) async fn start_sync_execution(&self, request: &Request) -> Result<Value, ApiError> {
        let record = self.start(request, true)?;
        let mut ended = record.ended.clone();
        let _ = ended.wait_for(|ended| *ended).await;
        let mut body = record.describe();
        if body["status"] == "ABORTED" {
            body["status"] = json!("FAILED");
        }
        body["billingDetails"] =
            json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100});
        Ok(body)
    }

    /// Starts an execution of `stateMachineArn` (`ARN#TestCase` for a mock test case);
    /// `express`: the machine must be an EXPRESS one.
    fn start(&self, request: &Request, express: bool) -> Result<Arc<ExecutionRecord>, ApiError> {
        let target = request.required("stateMachineArn")?;
        let (arn, case) = match target.split_once('#') {
            Some((arn, case)) => (arn, Some(case)),
            None => (target, None),
        };
        let machine = self.machine(arn)?;
        if express && !machine.express {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let input_text = request.text("input")?.unwrap_or("{}");
        let input: Value = serde_json::from_str(input_text).map_err(|e| {
            ApiError::new(
                "InvalidExecutionInput",
                format!("Invalid execution input: {e}"),
            )
        })?;
        let name = request.text("name")?;
        if let Some(name) = name {
            check_name(name)?;
        }
        let mocked = match case {
            Some(case) => Some(
                self.mocks()?
                    .test_case(&machine.name, case)
                    .map_err(validation)?,
            ),
            None => None,
        };
        let tasks = self
            .setup
            .tasks(&machine.workflow, mocked)
            .map_err(validation)?;
        let engine =
            Engine::with_tasks(machine.workflow.clone(), tasks.tasks, TokioClock::new()).build();
        // Not polled until it is spawned: dropping it below starts nothing.
        let mut run = engine.start(input);
        let name = name.map_or_else(|| run.id(), str::to_owned);
        let arn = execution_arn(&machine.name, &name);
        let mut executions = self.executions();
        if let Some(existing) = executions.by_arn.get(&arn) {
            // Step Functions answers a repeated start of a running execution with it.
            if existing.input == input_text && existing.progress().end.is_none() {
                return Ok(existing.clone());
            }
            return Err(ApiError::new(
                "ExecutionAlreadyExists",
                format!("Execution Already Exists: '{arn}'"),
            ));
        }
        let (ended_tx, ended) = watch::channel(false);
        let record = Arc::new(ExecutionRecord {
            arn: arn.clone(),
            name,
            machine,
            input: input_text.to_owned(),
            started_ms: now_ms(),
            progress: Mutex::default(),
            abort: run.abort_handle(),
            ended,
        });
        executions.started.push(record.clone());
        executions.by_arn.insert(arn, record.clone());
        drop(executions);
        let driver = Driver {
            service: self.clone(),
            record: record.clone(),
            ended: ended_tx,
        };
        tokio::spawn(driver.drive(engine, run, tasks.callbacks));
        Ok(record)
    }

    pub(crate) fn describe_execution(&self, request: &Request) -> Result<Value, ApiError> {
        let record = self.execution(request.required("executionArn")?)?;
        Ok(record.describe())
    }

    pub(crate) fn list_executions(&self, request: &Request) -> Result<Value, ApiError> {
        let machine = self.machine(request.required("stateMachineArn")?)?;
        let filter = request.text("statusFilter")?;
        if let Some(filter) = filter.filter(|f| !STATUSES.contains(f)) {
            return Err(validation(format!(
                "statusFilter must be one of {}, not {filter:?}",
                STATUSES.join(", ")
            )));
        }
        let started = self.executions().started.clone();
        let executions: Vec<(String, Value)> = started
            .iter()
            .rev()
            .filter(|record| record.machine.name == machine.name)
            .filter_map(|record| {
                let progress = record.progress();
                let status = ExecutionRecord::status(&progress);
                if filter.is_some_and(|wanted| wanted != status) {
                    return None;
                }
                let mut entry = json!({
                    "executionArn": record.arn,
                    "stateMachineArn": record.machine.arn,
                    "name": record.name,
                    "status": status,
                    "startDate": timestamp(record.started_ms),
                });
                if let Some((_, stopped_ms)) = &progress.end {
                    entry["stopDate"] = timestamp(*stopped_ms);
                }
                Some((record.arn.clone(), entry))
            })
            .collect();
        page(executions, request, "executions")
    }

    pub(crate) fn stop_execution(&self, request: &Request) -> Result<Value, ApiError> {
        let record = self.execution(request.required("executionArn")?)?;
        let error = request.text("error")?.unwrap_or_default().to_owned();
        let cause = request.text("cause")?.unwrap_or_default().to_owned();
        {
            let mut progress = record.progress();
            if progress.end.is_none() && progress.stopped.is_none() {
                progress.stopped = Some((error, cause));
            }
        }
        record.abort.abort();
        Ok(json!({"stopDate": timestamp(now_ms())}))
    }

    pub(crate) fn get_execution_history(&self, request: &Request) -> Result<Value, ApiError> {
        let record = self.execution(request.required("executionArn")?)?;
        let reverse = request.flag("reverseOrder")?;
        let with_data = request.flag_or("includeExecutionData", true)?;
        // Copied out (the payloads are shared) so that the execution goes on meanwhile.
        let (events, stopped) = {
            let progress = record.progress();
            (progress.events.clone(), progress.stopped.clone())
        };
        let mut events = History::new(
            record.machine.workflow.graph(),
            &record.machine.role_arn,
            stopped,
        )
        .write(&events);
        if !with_data {
            strip_data(&mut events);
        }
        if reverse {
            events.reverse();
        }
        let keyed = events
            .into_iter()
            .map(|event| (event["id"].to_string(), event))
            .collect();
        page(keyed, request, "events")
    }

    /// Stops every running execution (the server is shutting down).
    pub(crate) fn abort_all(&self) {
        for record in &self.executions().started {
            record.abort.abort();
        }
    }

    /// The execution `arn` names.
    fn execution(&self, arn: &str) -> Result<Arc<ExecutionRecord>, ApiError> {
        let well_formed = arn
            .strip_prefix(&format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:"))
            .is_some_and(|rest| rest.split(':').count() == 2);
        if !well_formed {
            return Err(ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'")));
        }
        self.executions().by_arn.get(arn).cloned().ok_or_else(|| {
            ApiError::new(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{arn}'"),
            )
        })
    }
}

/// Removes the executions' data from history events (`includeExecutionData: false`).
fn strip_data(events: &mut [Value]) {
    for event in events {
        if let Value::Object(fields) = event {
            for details in fields.values_mut() {
                if let Value::Object(details) = details {
                    details.remove("input");
                    details.remove("output");
                }
            }
        }
    }
}

/// What runs an execution: records its events, and its end (when dropped without one, as
/// when a task handler panics, the execution has failed).
struct Driver {
    service: Service,
    record: Arc<ExecutionRecord>,
    ended: watch::Sender<bool>,
}

impl Driver {
    /// Runs the execution to its end; answers its mocked `.waitForTaskToken` states as their
    /// tokens are issued.
    async fn drive(self, engine: Engine, mut run: Run, callbacks: HashMap<String, MockedState>) {
        while let Some(event) = run.next().await {
            if let EventKind::TaskTokenIssued { state, token } = &event.kind {
                self.service.tokens().insert(token.clone(), engine.clone());
                if let Some(mock) = callbacks.get(&**state) {
                    // The token was just issued: sending it cannot be refused.
                    let _ = match mock.next() {
                        Mocked::Return(output) => engine.send_task_success(token, output),
                        Mocked::Throw(error) => {
                            engine.send_task_failure(token, &error.error, &error.cause)
                        }
                    };
                }
            }
            let end = Outcome::from_terminal(&event.kind);
            let at = event.timestamp_ms;
            let mut progress = self.record.progress();
            progress.events.push(event);
            if let Some(outcome) = end {
                progress.end = Some((outcome, at));
                return;
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let mut progress = self.record.progress();
        if progress.end.is_none() {
            let error = TaskError::new(
                pollflow::names::RUNTIME,
                "the execution's driver stopped before it ended",
            );
            progress.end = Some((Outcome::Failed { error }, now_ms()));
        }
        drop(progress);
        let _ = self.ended.send(true);
    }
}
