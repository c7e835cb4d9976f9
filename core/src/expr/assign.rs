//! Variables a state assigns (`Assign`) and results placed into data (`ResultPath`).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{ReferencePath, Scope, Template};
use crate::error::{names, TaskError};
use crate::limits::{Exceeded, Limits};
use crate::policy::Rng;

/// Variables a state assigns (its `Assign`, rendered), applied once it is done.
pub(crate) type Assigned = Option<Map<String, Value>>;

/// An `Assign` template rendered with `$` being `value`; `None` without one. The values it
/// sets are checked together against the payload limit, and against what the variables may
/// hold in all.
pub(crate) fn assign(
    template: Option<&Template>,
    value: &Value,
    scope: Scope<'_>,
    rng: &mut Rng,
) -> Result<Assigned, TaskError> {
    let Some(template) = template else {
        return Ok(None);
    };
    let values = template.render_in(value, scope, rng)?;
    scope
        .limits
        .check(&values, "the values the state's Assign sets")?;
    match values {
        Value::Object(values) => {
            if let Some(variables) = scope.variables {
                variables.check_assign(&values, scope.limits)?;
            }
            Ok(Some(values))
        }
        // The loader only accepts an object.
        _ => Ok(None),
    }
}

/// `value` placed at `path` in `data` (ASL `ResultPath`): `$` replaces the whole. Fails
/// before building anything when the placed value would nest past [`Limits::MAX_DEPTH`].
pub(crate) fn place(
    data: &Arc<Value>,
    path: &ReferencePath,
    value: Value,
) -> Result<Arc<Value>, TaskError> {
    if path.as_str() == "$" {
        return Ok(Arc::new(value));
    }
    let steps = path.len();
    let room = Limits::MAX_DEPTH.saturating_sub(steps);
    if let Err(Exceeded::Depth) = crate::limits::measure(&value, u64::MAX, room) {
        return Err(Exceeded::Depth.error(&format!(
            "the result placed at ResultPath {:?} ({steps} levels down)",
            path.as_str()
        )));
    }
    let mut target = Value::clone(data);
    path.set(&mut target, value)
        .map_err(|reason| TaskError::new(names::RESULT_PATH_MATCH_FAILURE, reason))?;
    Ok(Arc::new(target))
}
