//! Executions: `StartExecution`, `StartSyncExecution`, `DescribeExecution`, `ListExecutions`,
//! `StopExecution` and `GetExecutionHistory`. Each execution runs in an engine of its own
//! (its test case's mocks are its own), driven by a tokio task that records its events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::StreamExt;
use pollflow::{AbortHandle, Engine, Event, EventKind, Outcome, Run, TokioClock};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::history::History;
use super::machines::{check_name, with_next, Machine};
use super::mock::{Mocked, MockedState};
use super::protocol::{timestamp, validation, ApiError, Request};
use super::{now_ms, page, Service, ACCOUNT, REGION};

/// One execution, running or ended.
pub(crate) struct ExecutionRecord {
    pub(crate) arn: String,
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

impl ExecutionRecord {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    fn status(progress: &Progress) -> &'static str {
        match &progress.end {
            None => "RUNNING",
            Some((Outcome::Succeeded { .. }, _)) => "SUCCEEDED",
            Some((Outcome::Failed { .. }, _)) => "FAILED",
            Some((Outcome::TimedOut { .. }, _)) => "TIMED_OUT",
            Some((Outcome::Aborted { .. }, _)) => "ABORTED",
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
            match outcome {
                Outcome::Succeeded { output } => {
                    body["output"] = json!(output.to_string());
                    body["outputDetails"] = json!({"included": true});
                }
                Outcome::Failed { error } | Outcome::TimedOut { error } => {
                    body["error"] = json!(error.error);
                    body["cause"] = json!(error.cause);
                }
                Outcome::Aborted { .. } => {
                    if let Some((error, cause)) = &progress.stopped {
                        body["error"] = json!(error);
                        body["cause"] = json!(cause);
                    }
                }
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
        let record = self.start(request)?;
        Ok(json!({"executionArn": record.arn, "startDate": timestamp(record.started_ms)}))
    }

    pub(crate) async fn start_sync_execution(&self, request: &Request) -> Result<Value, ApiError> {
        let arn = request.required("stateMachineArn")?;
        let machine = self.machine(arn.split('#').next().unwrap_or(arn))?;
        if !machine.express {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let record = self.start(request)?;
        let mut ended = record.ended.clone();
        let _ = ended.wait_for(|ended| *ended).await;
        let mut body = record.describe();
        body["billingDetails"] =
            json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100});
        Ok(body)
    }

    /// Starts an execution of `stateMachineArn` (`ARN#TestCase` for a mock test case).
    fn start(&self, request: &Request) -> Result<Arc<ExecutionRecord>, ApiError> {
        let target = request.required("stateMachineArn")?;
        let (arn, case) = match target.split_once('#') {
            Some((arn, case)) => (arn, Some(case)),
            None => (target, None),
        };
        let machine = self.machine(arn)?;
        let input_text = request.text("input")?.unwrap_or("{}");
        let input: Value = serde_json::from_str(input_text).map_err(|e| {
            ApiError::new(
                "InvalidExecutionInput",
                format!("Invalid execution input: {e}"),
            )
        })?;
        let name = request.text("name")?.map(str::to_owned);
        if let Some(name) = &name {
            check_name(name)?;
            if let Some(existing) = self.execution_named(&machine.name, name) {
                // Step Functions answers a repeated start of a running execution with it.
                if existing.input == input_text && existing.progress().end.is_none() {
                    return Ok(existing);
                }
                return Err(ApiError::new(
                    "ExecutionAlreadyExists",
                    format!("Execution Already Exists: '{}'", existing.arn),
                ));
            }
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
        let mut run = engine.start(input);
        let name = name.unwrap_or_else(|| run.id());
        let (ended_tx, ended) = watch::channel(false);
        let record = Arc::new(ExecutionRecord {
            arn: execution_arn(&machine.name, &name),
            name,
            machine,
            input: input_text.to_owned(),
            started_ms: now_ms(),
            progress: Mutex::default(),
            abort: run.abort_handle(),
            ended,
        });
        self.executions().push(record.clone());
        tokio::spawn(drive(
            self.clone(),
            engine,
            run,
            tasks.callbacks,
            record.clone(),
            ended_tx,
        ));
        Ok(record)
    }

    pub(crate) fn describe_execution(&self, request: &Request) -> Result<Value, ApiError> {
        let record = self.execution(request.required("executionArn")?)?;
        Ok(record.describe())
    }

    pub(crate) fn list_executions(&self, request: &Request) -> Result<Value, ApiError> {
        let machine = self.machine(request.required("stateMachineArn")?)?;
        let filter = request.text("statusFilter")?;
        let executions: Vec<Value> = self
            .executions()
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
                Some(entry)
            })
            .collect();
        let (executions, next) = page(executions, request, 100)?;
        Ok(with_next(json!({"executions": executions}), next))
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
        let mut events = {
            let progress = record.progress();
            History::new(
                record.machine.workflow.graph(),
                &record.machine.role_arn,
                progress.stopped.clone(),
            )
            .write(&progress.events)
        };
        if !with_data {
            strip_data(&mut events);
        }
        if reverse {
            events.reverse();
        }
        let (events, next) = page(events, request, 100)?;
        Ok(with_next(json!({"events": events}), next))
    }

    /// The execution `arn` names.
    fn execution(&self, arn: &str) -> Result<Arc<ExecutionRecord>, ApiError> {
        let well_formed = arn
            .strip_prefix(&format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:"))
            .is_some_and(|rest| rest.split(':').count() == 2);
        if !well_formed {
            return Err(ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'")));
        }
        self.executions()
            .iter()
            .find(|record| record.arn == arn)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    "ExecutionDoesNotExist",
                    format!("Execution Does Not Exist: '{arn}'"),
                )
            })
    }

    fn execution_named(&self, machine: &str, name: &str) -> Option<Arc<ExecutionRecord>> {
        let arn = execution_arn(machine, name);
        self.executions().iter().find(|r| r.arn == arn).cloned()
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

/// Runs an execution to its end, recording its events; answers its mocked
/// `.waitForTaskToken` states as their tokens are issued.
async fn drive(
    service: Service,
    engine: Engine,
    mut run: Run,
    callbacks: HashMap<String, MockedState>,
    record: Arc<ExecutionRecord>,
    ended: watch::Sender<bool>,
) {
    while let Some(event) = run.next().await {
        if let EventKind::TaskTokenIssued { state, token } = &event.kind {
            service.tokens().insert(token.clone(), engine.clone());
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
        let mut progress = record.progress();
        progress.events.push(event);
        if let Some(outcome) = end {
            progress.end = Some((outcome, now_ms()));
            drop(progress);
            let _ = ended.send(true);
            return;
        }
    }
}
