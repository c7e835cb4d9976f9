//! State machines: `CreateStateMachine`, `UpdateStateMachine`, `DescribeStateMachine`,
//! `ListStateMachines`, `DeleteStateMachine` and `ValidateStateMachineDefinition`.

use std::sync::Arc;

use pollflow::Workflow;
use serde_json::{json, Value};

use super::page::page;
use super::{now_ms, Service, ACCOUNT, REGION};
use crate::sfn_protocol::{timestamp, validation, ApiError, Request};

/// A state machine as created.
pub(crate) struct Machine {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) definition: String,
    pub(crate) role_arn: String,
    /// `EXPRESS` (else `STANDARD`).
    pub(crate) express: bool,
    pub(crate) created_ms: u64,
    pub(crate) workflow: Workflow,
}

impl Machine {
    fn kind(&self) -> &'static str {
        if self.express {
            "EXPRESS"
        } else {
            "STANDARD"
        }
    }
}

/// `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`.
pub(crate) fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

/// The name in a state machine ARN, refusing what is not one.
pub(crate) fn machine_name(arn: &str) -> Result<&str, ApiError> {
    arn.strip_prefix(&format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:"))
        .filter(|name| !name.is_empty() && !name.contains(':'))
        .ok_or_else(|| ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'")))
}

/// Step Functions' name rules (state machines and executions): 1 to 80 characters, none of
/// them white space, brackets, wildcards, `"#%\^|~`$&,;:/` or control characters.
pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    let bad =
        |c: char| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c);
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(bad) {
        return Err(ApiError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ));
    }
    Ok(())
}

/// Loads a definition, refusing it as Step Functions does (`InvalidDefinition`).
fn load(definition: &str, name: &str) -> Result<Workflow, ApiError> {
    Workflow::from_asl(definition, name).map_err(|e| {
        ApiError::new(
            "InvalidDefinition",
            format!("Invalid State Machine Definition: '{e}'"),
        )
    })
}

fn express(request: &Request) -> Result<bool, ApiError> {
    match request.text("type")? {
        None | Some("STANDARD") => Ok(false),
        Some("EXPRESS") => Ok(true),
        Some(other) => Err(validation(format!(
            "type must be STANDARD or EXPRESS, not {other:?}"
        ))),
    }
}

impl Service {
    pub(crate) fn create_state_machine(&self, request: &Request) -> Result<Value, ApiError> {
        let name = request.required("name")?;
        check_name(name)?;
        let definition = request.required("definition")?;
        let role_arn = request.required("roleArn")?;
        let express = express(request)?;
        let workflow = load(definition, name)?;
        let arn = machine_arn(name);
        let mut machines = self.machines();
        if let Some(existing) = machines.get(&arn) {
            // Step Functions answers a repeated create of the same definition and type with
            // the machine.
            if existing.definition == definition && existing.express == express {
                return Ok(
                    json!({"stateMachineArn": arn, "creationDate": timestamp(existing.created_ms)}),
                );
            }
            return Err(ApiError::new(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            ));
        }
        let created_ms = now_ms();
        machines.insert(
            arn.clone(),
            Arc::new(Machine {
                name: name.to_owned(),
                arn: arn.clone(),
                definition: definition.to_owned(),
                role_arn: role_arn.to_owned(),
                express,
                created_ms,
                workflow,
            }),
        );
        Ok(json!({"stateMachineArn": arn, "creationDate": timestamp(created_ms)}))
    }

    pub(crate) fn update_state_machine(&self, request: &Request) -> Result<Value, ApiError> {
        let arn = request.required("stateMachineArn")?;
        let name = machine_name(arn)?;
        let definition = request.text("definition")?;
        let role_arn = request.text("roleArn")?;
        if definition.is_none() && role_arn.is_none() {
            return Err(ApiError::new(
                "MissingRequiredParameter",
                "Either the definition or the roleArn must be specified",
            ));
        }
        let workflow = definition.map(|d| load(d, name)).transpose()?;
        let mut machines = self.machines();
        let machine = machines.get(arn).ok_or_else(|| does_not_exist(arn))?;
        let updated = Machine {
            name: machine.name.clone(),
            arn: machine.arn.clone(),
            definition: definition.unwrap_or(&machine.definition).to_owned(),
            role_arn: role_arn.unwrap_or(&machine.role_arn).to_owned(),
            express: machine.express,
            created_ms: machine.created_ms,
            workflow: workflow.unwrap_or_else(|| machine.workflow.clone()),
        };
        machines.insert(arn.to_owned(), Arc::new(updated));
        Ok(json!({"updateDate": timestamp(now_ms())}))
    }

    pub(crate) fn describe_state_machine(&self, request: &Request) -> Result<Value, ApiError> {
        let machine = self.machine(request.required("stateMachineArn")?)?;
        Ok(json!({
            "stateMachineArn": machine.arn,
            "name": machine.name,
            "status": "ACTIVE",
            "definition": machine.definition,
            "roleArn": machine.role_arn,
            "type": machine.kind(),
            "creationDate": timestamp(machine.created_ms),
        }))
    }

    pub(crate) fn list_state_machines(&self, request: &Request) -> Result<Value, ApiError> {
        let machines: Vec<(String, Value)> = self
            .machines()
            .values()
            .map(|m| {
                let entry = json!({
                    "stateMachineArn": m.arn,
                    "name": m.name,
                    "type": m.kind(),
                    "creationDate": timestamp(m.created_ms),
                });
                (m.arn.clone(), entry)
            })
            .collect();
        page(machines, request, "stateMachines")
    }

    pub(crate) fn delete_state_machine(&self, request: &Request) -> Result<Value, ApiError> {
        let arn = request.required("stateMachineArn")?;
        machine_name(arn)?;
        // Deleting one that does not exist succeeds, as on Step Functions.
        self.machines().remove(arn);
        Ok(json!({}))
    }

    pub(crate) fn validate_state_machine_definition(
        &self,
        request: &Request,
    ) -> Result<Value, ApiError> {
        let definition = request.required("definition")?;
        express(request)?;
        Ok(match Workflow::from_asl(definition, "definition") {
            Ok(_) => json!({"result": "OK", "diagnostics": []}),
            Err(e) => json!({
                "result": "FAIL",
                "diagnostics": [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": e.to_string()}],
            }),
        })
    }

    /// The state machine `arn` names.
    pub(crate) fn machine(&self, arn: &str) -> Result<Arc<Machine>, ApiError> {
        machine_name(arn)?;
        self.machines()
            .get(arn)
            .cloned()
            .ok_or_else(|| does_not_exist(arn))
    }
}

fn does_not_exist(arn: &str) -> ApiError {
    ApiError::new(
        "StateMachineDoesNotExist",
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}
