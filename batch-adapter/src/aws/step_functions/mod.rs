//! AWS Step Functions: deploy a workflow as a state machine, start executions, and watch them
//! as pollflow [`Event`](pollflow::Event)s.

mod error;
mod events;
mod history;
mod scopes;

use aws_sdk_sfn::Client;
use pollflow::asl::{to_asl, ExportOptions};
use pollflow::Workflow;
use serde_json::Value;

pub use error::SfnError;
pub use events::ExecutionEvents;

/// A Step Functions client for pollflow workflows.
///
/// ```no_run
/// use futures::StreamExt;
/// use pollflow_batch::aws::{load_config, StepFunctions};
/// use serde_json::json;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let sfn = StepFunctions::new(&load_config(None).await);
/// let definition = r#"{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}"#;
/// let machine = sfn.deploy("hello", definition, "arn:aws:iam::123456789012:role/hello").await?;
/// let mut events = sfn.start(&machine.arn, &json!({"who": "world"})).await?;
/// // The same events a local `Run` yields; dropping the stream early stops the execution.
/// while let Some(event) = events.next().await {
///     println!("{}", serde_json::to_string(&event)?);
/// }
/// println!("{:?}", events.finished());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct StepFunctions {
    client: Client,
}

/// A state machine created or updated by [`StepFunctions::deploy`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deployed {
    /// Its ARN.
    pub arn: String,
    /// It did not exist before.
    pub created: bool,
}

impl StepFunctions {
    /// A client with AWS configuration `config` (see [`load_config`](super::load_config)).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self::from_client(Client::new(config))
    }

    /// A client over a ready Step Functions SDK client.
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }

    /// Creates the state machine `name` with `definition` (ASL JSON) and the IAM role
    /// Step Functions runs it as, or updates it (definition and role) if it exists.
    ///
    /// # Errors
    /// The service refused it (an invalid definition or name, a role it cannot use) or did
    /// not answer.
    pub async fn deploy(
        &self,
        name: &str,
        definition: &str,
        role_arn: &str,
    ) -> Result<Deployed, SfnError> {
        if let Some(arn) = self.find(name).await? {
            self.client
                .update_state_machine()
                .state_machine_arn(&arn)
                .definition(definition)
                .role_arn(role_arn)
                .send()
                .await
                .map_err(|e| SfnError::from_sdk(&format!("updating {name}"), &e))?;
            return Ok(Deployed {
                arn,
                created: false,
            });
        }
        let created = self
            .client
            .create_state_machine()
            .name(name)
            .definition(definition)
            .role_arn(role_arn)
            .send()
            .await
            .map_err(|e| SfnError::from_sdk(&format!("creating {name}"), &e))?;
        Ok(Deployed {
            arn: created.state_machine_arn().to_owned(),
            created: true,
        })
    }

    /// [`deploy`](Self::deploy) for a workflow, exported with `options` (see [`to_asl`];
    /// [`batch_sync_export`](crate::batch_sync_export) for a workflow polled by `BatchPoller`).
    /// A workflow loaded from ASL is exported back from its graph; to deploy a file exactly as
    /// written, pass its text to [`deploy`](Self::deploy).
    ///
    /// # Errors
    /// The workflow does not export (its problems, as `Pollflow.ExportFailed`), or as
    /// [`deploy`](Self::deploy).
    pub async fn deploy_workflow(
        &self,
        name: &str,
        workflow: &Workflow,
        options: &ExportOptions,
        role_arn: &str,
    ) -> Result<Deployed, SfnError> {
        let definition = to_asl(workflow.graph(), options)
            .map_err(|e| SfnError::new("Pollflow.ExportFailed", e.to_string(), false))?;
        self.deploy(name, &definition.to_string(), role_arn).await
    }

    /// Step Functions' own check of `definition`: its diagnostics (`ERROR`s make a definition
    /// that cannot be deployed; `WARNING`s can), as `"SEVERITY CODE at LOCATION: message"`.
    ///
    /// # Errors
    /// The service did not answer, or does not offer the check (moto does not).
    pub async fn validate(&self, definition: &str) -> Result<Vec<String>, SfnError> {
        let answer = self
            .client
            .validate_state_machine_definition()
            .definition(definition)
            .send()
            .await
            .map_err(|e| SfnError::from_sdk("validating a definition", &e))?;
        Ok(answer
            .diagnostics()
            .iter()
            .map(|d| {
                format!(
                    "{} {} at {}: {}",
                    d.severity().as_str(),
                    d.code(),
                    d.location().unwrap_or("-"),
                    d.message()
                )
            })
            .collect())
    }

    /// The ARN of the state machine `name_or_arn` (an ARN is taken as is).
    ///
    /// # Errors
    /// No state machine has that name (`StateMachineDoesNotExist`), or the service did not
    /// answer.
    pub async fn state_machine_arn(&self, name_or_arn: &str) -> Result<String, SfnError> {
        if name_or_arn.starts_with("arn:") {
            return Ok(name_or_arn.to_owned());
        }
        self.find(name_or_arn).await?.ok_or_else(|| {
            SfnError::new(
                "StateMachineDoesNotExist",
                format!("no state machine is named {name_or_arn:?}"),
                false,
            )
        })
    }

    /// Starts an execution of the state machine `name_or_arn` with `input`, named with 128
    /// random bits, and returns its events ([`ExecutionEvents`]: dropping them before the
    /// execution ends stops it).
    ///
    /// # Errors
    /// No such state machine, or the service refused the execution or did not answer.
    pub async fn start(
        &self,
        name_or_arn: &str,
        input: &Value,
    ) -> Result<ExecutionEvents, SfnError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id)
            .map_err(|e| SfnError::new("Pollflow.Random", e.to_string(), true))?;
        let name: String = id.iter().map(|b| format!("{b:02x}")).collect();
        self.start_named(name_or_arn, &name, input).await
    }

    /// [`start`](Self::start) with the execution's name: while an execution of a standard
    /// workflow runs, starting it again with the same name and input returns it instead of
    /// running it twice (with other input, or once it has ended, that name is an
    /// `ExecutionAlreadyExists` error).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn start_named(
        &self,
        name_or_arn: &str,
        execution_name: &str,
        input: &Value,
    ) -> Result<ExecutionEvents, SfnError> {
        let arn = self.state_machine_arn(name_or_arn).await?;
        let started = self
            .client
            .start_execution()
            .state_machine_arn(&arn)
            .name(execution_name)
            .input(input.to_string())
            .send()
            .await
            .map_err(|e| SfnError::from_sdk(&format!("starting {arn}"), &e))?;
        Ok(ExecutionEvents::new(
            self.client.clone(),
            started.execution_arn().to_owned(),
            true,
        ))
    }

    /// The events of the execution `execution_arn`, from its start (see [`ExecutionEvents`]):
    /// they watch it, and dropping them leaves it running.
    pub fn events(&self, execution_arn: &str) -> ExecutionEvents {
        ExecutionEvents::new(self.client.clone(), execution_arn.to_owned(), false)
    }

    /// Stops the execution `execution_arn` (Step Functions records it `ABORTED`).
    ///
    /// # Errors
    /// No such execution, or the service did not answer.
    pub async fn stop(&self, execution_arn: &str, cause: &str) -> Result<(), SfnError> {
        events::stop(&self.client, execution_arn, cause).await
    }

    /// The status Step Functions gives the execution (`RUNNING`, `SUCCEEDED`, `FAILED`,
    /// `TIMED_OUT`, `ABORTED`...).
    ///
    /// # Errors
    /// No such execution, or the service did not answer.
    pub async fn status(&self, execution_arn: &str) -> Result<String, SfnError> {
        let described = self
            .client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(|e| SfnError::from_sdk(&format!("describing {execution_arn}"), &e))?;
        Ok(described.status().as_str().to_owned())
    }

    /// The ARN of the state machine named `name`, if there is one.
    async fn find(&self, name: &str) -> Result<Option<String>, SfnError> {
        let mut pages = self.client.list_state_machines().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| SfnError::from_sdk("listing state machines", &e))?;
            if let Some(machine) = page.state_machines().iter().find(|m| m.name() == name) {
                return Ok(Some(machine.state_machine_arn().to_owned()));
            }
        }
        Ok(None)
    }
}
