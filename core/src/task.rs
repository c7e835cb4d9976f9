//! Task handlers: what Task states call, bound by resource ARN or by state name.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::error::TaskError;
use crate::platform::{async_trait_outside_wasm, SendOutsideWasm, SyncOutsideWasm};
use crate::poller::Poller;
use crate::shards::Replicas;
use crate::task_token::CALLBACK_SUFFIX;
use crate::workflow::{Problem, State, StateMachine, Workflow};

async_trait_outside_wasm! {
/// Handles the calls of a Task state: a Lambda-style function, a service integration
/// (`arn:aws:states:::sns:publish`), a command.
///
/// Implemented like [`Poller`]: `#[async_trait]` on native targets (`Send`
/// futures, a `Send + Sync` handler), `#[async_trait(?Send)]` on `wasm32`.
///
/// ```
/// use pollflow::{async_trait, TaskError};
/// use pollflow::task::TaskHandler;
/// use serde_json::{json, Value};
///
/// struct Greet;
///
/// #[async_trait]
/// impl TaskHandler for Greet {
///     async fn call(&self, input: Value) -> Result<Value, TaskError> {
///         Ok(json!(format!("Hello, {}!", input["name"].as_str().unwrap_or("world"))))
///     }
/// }
/// ```
pub trait TaskHandler: SendOutsideWasm + SyncOutsideWasm {
    /// Called with the state's effective input; the result flows on through `ResultSelector`,
    /// `ResultPath` and `OutputPath`. An error can be retried and caught by its name.
    async fn call(&self, input: Value) -> Result<Value, TaskError>;
}
}

async_trait_outside_wasm! {
impl<H: TaskHandler + ?Sized> TaskHandler for Arc<H> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        (**self).call(input).await
    }
}
}

/// A [`TaskHandler`] from an async closure.
///
/// ```
/// use pollflow::task_fn;
/// use serde_json::json;
///
/// let add = task_fn(|input| async move {
///     Ok(json!(input["a"].as_i64().unwrap_or(0) + input["b"].as_i64().unwrap_or(0)))
/// });
/// # let _ = add;
/// ```
pub fn task_fn<F, Fut>(call: F) -> FnTask<F>
where
    F: Fn(Value) -> Fut + SendOutsideWasm + SyncOutsideWasm,
    Fut: Future<Output = Result<Value, TaskError>> + SendOutsideWasm,
{
    FnTask(call)
}

/// A task handler of a closure; see [`task_fn`].
#[derive(Clone, Debug)]
pub struct FnTask<F>(F);

async_trait_outside_wasm! {
impl<F, Fut> TaskHandler for FnTask<F>
where
    F: Fn(Value) -> Fut + SendOutsideWasm + SyncOutsideWasm,
    Fut: Future<Output = Result<Value, TaskError>> + SendOutsideWasm,
{
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        (self.0)(input).await
    }
}
}

/// What a Task state is bound to.
#[derive(Clone)]
pub(crate) enum Binding {
    /// Request-response: one call.
    Call(Replicas<dyn TaskHandler>),
    /// A `.sync` resource: submit, then poll until the job ends.
    Job(Replicas<dyn Poller>),
}

/// The handlers of a workflow's Task states, keyed by resource ARN or by state name (a
/// state's name wins over its resource).
///
/// ```
/// use pollflow::{poller_fn, task_fn, JobStatus};
/// use pollflow::task::Tasks;
/// use serde_json::json;
///
/// let tasks = Tasks::new()
///     .handler("arn:aws:lambda:us-east-1:123456789012:function:Greet", task_fn(|input| async move {
///         Ok(json!(format!("Hello, {}!", input["name"].as_str().unwrap_or("world"))))
///     }))
///     .job("arn:aws:states:::batch:submitJob.sync", poller_fn(
///         |_request| async { Ok(json!("job-1")) },
///         |_job| async { Ok(JobStatus::succeeded(json!({"Status": "SUCCEEDED"}))) },
///     ));
/// assert_eq!(tasks.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Tasks {
    bindings: HashMap<String, Binding>,
}

impl Tasks {
    /// No handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds a request-response handler to a resource ARN or a state name.
    pub fn handler(mut self, key: impl Into<String>, handler: impl TaskHandler + 'static) -> Self {
        self.bindings
            .insert(key.into(), Binding::Call(Replicas::new(Arc::new(handler))));
        self
    }

    /// Binds a job poller to a `.sync` resource ARN (or a state name): the state submits the
    /// job with its effective input, polls it until it ends, and takes the job's output as
    /// its result (a failed job is `States.TaskFailed`).
    pub fn job(mut self, key: impl Into<String>, poller: impl Poller + 'static) -> Self {
        self.bindings
            .insert(key.into(), Binding::Job(Replicas::new(Arc::new(poller))));
        self
    }

    /// Adds every binding of `other`, replacing those with the same key.
    pub fn merge(mut self, other: Tasks) -> Self {
        self.bindings.extend(other.bindings);
        self
    }

    /// How many bindings there are.
    pub fn len(&self) -> usize {
        self.bindings.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// The binding of a Task state.
    pub(crate) fn resolve(&self, state: &str, resource: &str) -> Option<&Binding> {
        self.bindings
            .get(state)
            .or_else(|| self.bindings.get(resource))
    }

    /// The Task states of `workflow` that no binding serves, or that a binding of the wrong
    /// kind serves (a `.sync` resource needs [`Tasks::job`], others [`Tasks::handler`]).
    /// Task states inside Parallel branches and Map processors count too.
    pub fn unbound(&self, workflow: &Workflow) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.unbound_in(workflow.graph(), "$", &mut problems);
        problems
    }

    fn unbound_in(&self, graph: &StateMachine, path: &str, problems: &mut Vec<Problem>) {
        for (i, def) in graph.states.iter().enumerate() {
            let at = format!("{path}.states[{i}]");
            let resource = match &def.state {
                State::Task { resource, .. } => resource,
                State::Parallel { branches, .. } => {
                    for (j, branch) in branches.iter().enumerate() {
                        self.unbound_in(branch, &format!("{at}.branches[{j}]"), problems);
                    }
                    continue;
                }
                State::Map { processor, .. } => {
                    self.unbound_in(processor, &format!("{at}.processor"), problems);
                    continue;
                }
                _ => continue,
            };
            let sync = resource.ends_with(".sync");
            let message = match self.resolve(&def.name, resource) {
                // A callback task may have no handler: its token goes out in its event.
                None if resource.ends_with(CALLBACK_SUFFIX) => continue,
                None => format!("no handler is bound to resource {resource:?} or to this state"),
                Some(Binding::Call(_)) if sync => {
                    format!("{resource:?} is a .sync resource: bind a job poller to it")
                }
                Some(Binding::Job(_)) if !sync => format!(
                    "{resource:?} is not a .sync resource: bind a task handler to it, not a job poller"
                ),
                Some(_) => continue,
            };
            problems.push(Problem {
                state: Some(def.name.clone()),
                path: format!("{at}.resource"),
                message,
            });
        }
    }
}
