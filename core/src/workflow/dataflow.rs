//! Applying a state's ASL data-flow fields to the data passing through it.

use std::sync::Arc;

use serde_json::Value;

use super::DataFlow;
use crate::error::{names, TaskError};
use crate::expr::{assign, missing_in, place, Assigned, Path, Scope, States};
use crate::policy::Rng;

impl DataFlow {
    /// `InputPath`: the part of the state's input it works on.
    pub(crate) fn select_input(
        &self,
        data: &Arc<Value>,
        scope: Scope<'_>,
    ) -> Result<Arc<Value>, TaskError> {
        select(self.input_path.as_ref(), data, scope, "InputPath")
    }

    /// `Parameters` (or a JSONata `Arguments`): the effective input, built from the selected
    /// input.
    pub(crate) fn parameters(
        &self,
        input: Arc<Value>,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Arc<Value>, TaskError> {
        if let Some(jsonata) = self.jsonata() {
            return jsonata.arguments(input, scope, rng);
        }
        match &self.parameters {
            None => Ok(input),
            Some(template) => {
                let input = template.render_in(&input, scope, rng)?;
                scope
                    .limits
                    .check(&input, "the state's input after Parameters")?;
                Ok(Arc::new(input))
            }
        }
    }

    /// `OutputPath` (or a JSONata `Output`) over the state's (selected) input, for states
    /// without a result: the state's output.
    pub(crate) fn select_output(
        &self,
        input: &Arc<Value>,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Arc<Value>, TaskError> {
        if let Some(jsonata) = self.jsonata() {
            return jsonata.output(States::input(input), || input.clone(), scope, rng);
        }
        let output = select(self.output_path.as_ref(), input, scope, "OutputPath")?;
        if !Arc::ptr_eq(&output, input) {
            scope.limits.check(&output, "the state's output")?;
        }
        Ok(output)
    }

    /// `Assign`, `$` being `value` (the state's result, or its input for a state without
    /// one).
    pub(crate) fn assign(
        &self,
        value: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Assigned, TaskError> {
        match self.jsonata() {
            Some(jsonata) => jsonata.assign(States::input(value), scope, rng),
            None => assign(self.assign.as_ref(), value, scope, rng),
        }
    }

    /// `ResultSelector`, then `Assign` from that result, `ResultPath` into the state's raw
    /// input, then `OutputPath` (or a JSONata state's `Assign` and `Output`): the state's
    /// output and what it assigns.
    pub(crate) fn combine(
        &self,
        raw_input: &Arc<Value>,
        result: Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<(Arc<Value>, Assigned), TaskError> {
        if let Some(jsonata) = self.jsonata() {
            return jsonata.finish(raw_input, result, scope, rng);
        }
        let result = match &self.result_selector {
            None => result,
            Some(template) => template.render_in(&result, scope, rng)?,
        };
        let assigned = self.assign(&result, scope, rng)?;
        let combined = match &self.result_path {
            None => raw_input.clone(),
            Some(path) => place(raw_input, path, result)?,
        };
        let output = select(self.output_path.as_ref(), &combined, scope, "OutputPath")?;
        if !Arc::ptr_eq(&output, raw_input) {
            scope.limits.check(&output, "the state's output")?;
        }
        Ok((output, assigned))
    }
}

/// A path's selection; `None` (ASL `null`) selects `{}`, `$` shares the data as is.
fn select(
    path: Option<&Path>,
    data: &Arc<Value>,
    scope: Scope<'_>,
    field: &str,
) -> Result<Arc<Value>, TaskError> {
    match path {
        None => Ok(Arc::new(Value::Object(serde_json::Map::new()))),
        Some(path) if path.as_str() == "$" => Ok(data.clone()),
        Some(path) => path.select_in(data, scope)?.map(Arc::new).ok_or_else(|| {
            TaskError::new(
                names::RUNTIME,
                format!(
                    "{field} {:?} matches nothing in {}",
                    path.as_str(),
                    missing_in(path, data, scope)
                ),
            )
        }),
    }
}
