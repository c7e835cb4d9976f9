//! Applying a state's ASL data-flow fields to the data passing through it.

use std::sync::Arc;

use serde_json::Value;

use super::{Path, ReferencePath};
use crate::error::{names, TaskError};
use crate::policy::Rng;
use crate::workflow::DataFlow;

impl DataFlow {
    /// `InputPath`: the part of the state's input it works on.
    pub(crate) fn select_input(
        &self,
        data: &Arc<Value>,
        context: &Value,
    ) -> Result<Arc<Value>, TaskError> {
        select(self.input_path.as_ref(), data, context, "InputPath")
    }

    /// `Parameters`: the effective input, built from the selected input.
    pub(crate) fn parameters(
        &self,
        input: Arc<Value>,
        context: &Value,
        rng: &mut Rng,
    ) -> Result<Arc<Value>, TaskError> {
        match &self.parameters {
            None => Ok(input),
            Some(template) => template.render(&input, context, rng).map(Arc::new),
        }
    }

    /// `OutputPath` over the state's (selected) input, for states without a result.
    pub(crate) fn select_output(
        &self,
        input: &Arc<Value>,
        context: &Value,
    ) -> Result<Arc<Value>, TaskError> {
        select(self.output_path.as_ref(), input, context, "OutputPath")
    }

    /// `ResultSelector`, then `ResultPath` into the state's raw input, then `OutputPath`.
    pub(crate) fn combine(
        &self,
        raw_input: &Arc<Value>,
        result: Value,
        context: &Value,
        rng: &mut Rng,
    ) -> Result<Arc<Value>, TaskError> {
        let result = match &self.result_selector {
            None => result,
            Some(template) => template.render(&result, context, rng)?,
        };
        let combined = match &self.result_path {
            None => raw_input.clone(),
            Some(path) => place(raw_input, path, result)?,
        };
        self.select_output(&combined, context)
    }
}

/// `value` placed at `path` in `data` (ASL `ResultPath`): `$` replaces the whole.
pub(crate) fn place(
    data: &Arc<Value>,
    path: &ReferencePath,
    value: Value,
) -> Result<Arc<Value>, TaskError> {
    if path.as_str() == "$" {
        return Ok(Arc::new(value));
    }
    let mut target = Value::clone(data);
    path.set(&mut target, value)
        .map_err(|reason| TaskError::new(names::RESULT_PATH_MATCH_FAILURE, reason))?;
    Ok(Arc::new(target))
}

/// A path's selection; `None` (ASL `null`) selects `{}`, `$` shares the data as is.
fn select(
    path: Option<&Path>,
    data: &Arc<Value>,
    context: &Value,
    field: &str,
) -> Result<Arc<Value>, TaskError> {
    match path {
        None => Ok(Arc::new(Value::Object(serde_json::Map::new()))),
        Some(path) if path.as_str() == "$" => Ok(data.clone()),
        Some(path) => path.select(data, context).map(Arc::new).ok_or_else(|| {
            TaskError::new(
                names::RUNTIME,
                format!(
                    "{field} {:?} matches nothing in the state's input",
                    path.as_str()
                ),
            )
        }),
    }
}
