//! `pollflow serve`: the Step Functions API on 127.0.0.1 (the JSON protocol, awsJson1_0), so
//! that programs written against any AWS SDK, the AWS CLI or boto3 run their state machines
//! locally. Executions run in pollflow's engine: Batch on the embedded local Batch (or AWS),
//! `--task` commands, and the mocked responses of a MockConfigFile's test cases.
//! docs/serve.md lists the operations.

mod executions;
mod history;
mod machines;
mod mock;
mod page;
mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use pollflow::{Engine, TokioClock, Workflow};
use pollflow_batch::samples::sample_config;
use pollflow_batch::LocalBatch;
use serde_json::Value;

use crate::args::ServeArgs;
use crate::interrupts::Interrupts;
use crate::real_work::RealWork;
use crate::sfn_protocol::{
    answer, is_task_operation, parse, send_task, validation, ApiError, Request,
};
use crate::stdout;
use executions::Executions;
use machines::Machine;
use mock::MockConfig;
use tasks::TaskSetup;

/// The region and account of every ARN (Step Functions Local's).
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// The service: its state machines, executions and task tokens. Cloning shares it.
#[derive(Clone)]
pub(crate) struct Service(Arc<Shared>);

pub(crate) struct Shared {
    machines: Mutex<BTreeMap<String, Arc<Machine>>>,
    executions: Mutex<Executions>,
    /// Which execution's engine issued each task token.
    tokens: Mutex<HashMap<String, Engine>>,
    mocks: Option<MockConfig>,
    setup: TaskSetup,
    /// Answers the tokens no execution issued (`TaskDoesNotExist`, `InvalidToken`).
    nobody: Engine,
}

impl std::ops::Deref for Service {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn machines(&self) -> MutexGuard<'_, BTreeMap<String, Arc<Machine>>> {
        locked(&self.machines)
    }

    fn executions(&self) -> MutexGuard<'_, Executions> {
        locked(&self.executions)
    }

    fn tokens(&self) -> MutexGuard<'_, HashMap<String, Engine>> {
        locked(&self.tokens)
    }

    fn mocks(&self) -> Result<&MockConfig, ApiError> {
        self.mocks.as_ref().ok_or_else(|| {
            validation("a test case (ARN#TestCase) needs pollflow serve --mock-config FILE".into())
        })
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub(crate) fn serve(args: ServeArgs) -> ExitCode {
    let mocks = match &args.mock_config {
        None => None,
        Some(file) => match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| MockConfig::parse(&text))
        {
            Ok(mocks) => Some(mocks),
            Err(e) => {
                eprintln!("pollflow: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        },
    };
    if args.endpoint.endpoint_url.is_some() && !args.aws {
        eprintln!("pollflow: --endpoint-url goes with --aws");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("pollflow: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.port)).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("pollflow: cannot listen on 127.0.0.1:{}: {e}", args.port);
                return ExitCode::from(2);
            }
        };
        let url = match listener.local_addr() {
            Ok(address) => format!("http://{address}"),
            Err(e) => {
                eprintln!("pollflow: {e}");
                return ExitCode::from(2);
            }
        };
        let aws = match args.aws {
            true => {
                Some(pollflow_batch::aws::load_config(args.endpoint.endpoint_url.as_deref()).await)
            }
            false => None,
        };
        let nobody = Workflow::from_asl(NOBODY, "nobody").map(|w| {
            Engine::with_tasks(w, pollflow::task::Tasks::new(), TokioClock::new()).build()
        });
        let nobody = match nobody {
            Ok(nobody) => nobody,
            Err(e) => {
                eprintln!("pollflow: {e}");
                return ExitCode::from(2);
            }
        };
        let service = Service(Arc::new(Shared {
            machines: Mutex::default(),
            executions: Mutex::default(),
            tokens: Mutex::default(),
            mocks,
            setup: TaskSetup::new(
                RealWork::new(LocalBatch::from_config(sample_config())),
                aws.as_ref(),
                args.tasks,
                url.clone(),
            ),
            nobody,
        }));
        let app = Router::new()
            .route("/", post(handle))
            .with_state(service.clone());
        if stdout::print(&format!("pollflow serve: listening on {url}\n")).is_err() {
            return stdout::closed();
        }
        let (stopping, stop) = tokio::sync::oneshot::channel();
        tokio::spawn(stop_on_signals(service, stopping));
        let stopped = async move {
            let _ = stop.await;
        };
        match axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pollflow: {e}");
                ExitCode::from(2)
            }
        }
    })
}

/// A definition for the engine that answers tokens no execution issued.
const NOBODY: &str = r#"{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#;

/// At the first SIGINT or SIGTERM: stops every execution (so that `StartSyncExecution`
/// requests answer) and the server, once the requests in flight are answered. At a second
/// one: exits at once.
async fn stop_on_signals(service: Service, stopping: tokio::sync::oneshot::Sender<()>) {
    let mut interrupts = Interrupts::receive();
    interrupts.next().await;
    service.abort_all();
    let _ = stopping.send(());
    interrupts.next().await;
    std::process::exit(0);
}

/// One request.
async fn handle(State(service): State<Service>, headers: HeaderMap, body: Bytes) -> Response {
    let answered = match parse(&headers, &body) {
        Ok((operation, request)) => service.dispatch(&operation, &request).await,
        Err(e) => Err(e),
    };
    match answered {
        Ok(body) => answer(&body),
        Err(e) => e.into_response(),
    }
}

impl Service {
    async fn dispatch(&self, operation: &str, request: &Request) -> Result<Value, ApiError> {
        match operation {
            "CreateStateMachine" => self.create_state_machine(request),
            "UpdateStateMachine" => self.update_state_machine(request),
            "DescribeStateMachine" => self.describe_state_machine(request),
            "ListStateMachines" => self.list_state_machines(request),
            "DeleteStateMachine" => self.delete_state_machine(request),
            "ValidateStateMachineDefinition" => self.validate_state_machine_definition(request),
            "StartExecution" => self.start_execution(request),
            "StartSyncExecution" => self.start_sync_execution(request).await,
            "DescribeExecution" => self.describe_execution(request),
            "ListExecutions" => self.list_executions(request),
            "StopExecution" => self.stop_execution(request),
            "GetExecutionHistory" => self.get_execution_history(request),
            _ if is_task_operation(operation) => self.send_task(operation, request),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("pollflow serve does not implement {operation} (docs/serve.md lists what it does)"),
            )),
        }
    }

    /// A task-token operation, sent to the engine of the execution that issued the token.
    fn send_task(&self, operation: &str, request: &Request) -> Result<Value, ApiError> {
        let token = request.required("taskToken")?;
        let engine = self.tokens().get(token).cloned();
        send_task(engine.as_ref().unwrap_or(&self.nobody), operation, request)
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
