//! What serves an execution's Task states: the embedded local Batch (or AWS), `--task`
//! commands, and the mocked responses of its test case, in that order of precedence (last
//! wins).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use pollflow::task::{TaskHandler, Tasks};
use pollflow::{task_fn, CheckError, JobStatus, Limits, Poller, TaskError, Workflow};
use pollflow_batch::integrations::service_tasks;
use pollflow_batch::samples::job_poller_functions;
use pollflow_batch::LocalNotifier;
use serde_json::Value;

use super::mock::{Mocked, MockedState, Responses};
use crate::bind::{bind_commands, split, task_states};
use crate::real_work::RealWork;

/// How every execution's Task states are served.
pub(crate) struct TaskSetup {
    work: RealWork,
    /// The local Batch's (or, with `--aws`, AWS's) Batch and SNS bindings, made once.
    base: Tasks,
    /// `--task STATE=COMMAND`.
    bindings: Vec<String>,
    /// The server's URL, given to `--task` commands as `$POLLFLOW_ENDPOINT`.
    endpoint: String,
}

/// An execution's bindings, and its mocked `.waitForTaskToken` states (answered when their
/// token is issued).
pub(crate) struct ExecutionTasks {
    pub(crate) tasks: Tasks,
    pub(crate) callbacks: HashMap<String, MockedState>,
}

impl TaskSetup {
    /// Batch and SNS on `work`'s local Batch, or on AWS with `aws`'s configuration.
    pub(crate) fn new(
        work: RealWork,
        aws: Option<&aws_config::SdkConfig>,
        bindings: Vec<String>,
        endpoint: String,
    ) -> Self {
        let base = match aws {
            Some(config) => job_poller_functions(pollflow_batch::aws::AwsBatch::new(config))
                .merge(pollflow_batch::aws::service_tasks(config)),
            None => job_poller_functions(work.batch())
                .merge(service_tasks(work.batch(), LocalNotifier::new())),
        };
        Self {
            work,
            base,
            bindings,
            endpoint,
        }
    }

    /// The bindings of an execution of `workflow`, with test case `mocked` (state → responses).
    pub(crate) fn tasks(
        &self,
        workflow: &Workflow,
        mocked: Option<&HashMap<String, Arc<Responses>>>,
    ) -> Result<ExecutionTasks, String> {
        let states = task_states(workflow.graph());
        // The bindings that name a Task state of this machine (as `pollflow run` reads them);
        // other machines' are not an error.
        let bindings: Vec<String> = self
            .bindings
            .iter()
            .filter(|binding| split(binding, &states).is_ok())
            .cloned()
            .collect();
        let max_output_bytes = usize::try_from(Limits::STEP_FUNCTIONS.max_payload_bytes);
        let mut tasks = bind_commands(
            self.base.clone(),
            workflow.graph(),
            &bindings,
            max_output_bytes.unwrap_or(usize::MAX),
            &self.work,
            Some(&self.endpoint),
        )?;
        let mut callbacks = HashMap::new();
        for (state, responses) in mocked.into_iter().flatten() {
            let Some((_, resource)) = states.iter().find(|(name, _)| name == state) else {
                return Err(format!(
                    "the test case mocks {state:?}, which is not a Task state of this state machine"
                ));
            };
            let mock = MockedState::new(responses.clone());
            if resource.ends_with(".sync") {
                tasks = tasks.job(state.clone(), MockJob(mock));
            } else if resource.ends_with(".waitForTaskToken") {
                // The token is answered by the mock, not by a --task command.
                tasks = tasks.handler(state.clone(), task_fn(|_| async { Ok(Value::Null) }));
                callbacks.insert(state.clone(), mock);
            } else {
                let payload_only = resource.starts_with("arn:aws:lambda:");
                tasks = tasks.handler(state.clone(), MockTask { mock, payload_only });
            }
        }
        Ok(ExecutionTasks { tasks, callbacks })
    }
}

/// A request-response Task state answered by its mocked responses.
struct MockTask {
    mock: MockedState,
    /// A Lambda function called by its ARN: a `Return` in Lambda's Invoke shape
    /// (`{"StatusCode": 200, "Payload": X}`) gives the state `X`, as Step Functions Local does.
    payload_only: bool,
}

#[async_trait]
impl TaskHandler for MockTask {
    async fn call(&self, _input: Value) -> Result<Value, TaskError> {
        match self.mock.next() {
            Mocked::Return(Value::Object(mut invoked))
                if self.payload_only && invoked.contains_key("Payload") =>
            {
                Ok(invoked.remove("Payload").unwrap_or_default())
            }
            Mocked::Return(value) => Ok(value),
            Mocked::Throw(error) => Err(error),
        }
    }
}

/// A `.sync` Task state answered by its mocked responses: the job ends at its first check
/// with the response as its output (`Throw` fails the submit).
struct MockJob(MockedState);

#[async_trait]
impl Poller for MockJob {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        match self.0.next() {
            Mocked::Return(value) => Ok(value),
            Mocked::Throw(error) => Err(error),
        }
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        Ok(JobStatus::succeeded(handle.clone()))
    }
}
