//! Workflow variables (ASL `Assign`, read as `$name`) and the scope paths read them in.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::TaskError;
use crate::limits::{default_limits, measure, Limits};

/// The variables an execution sees: those its states assigned, then those of the states
/// around it (a Parallel branch or a Map item reads the variables of its parent, which cannot
/// change while it runs, and its own assignments stay its own).
///
/// A checkpoint holds an execution's own variables; a branch's view of its parent's is given
/// back when the checkpoint is resumed. One pointer while there are none (most executions
/// never assign any, and every execution holds this).
#[derive(Clone, Debug, Default)]
pub(crate) struct Variables(Option<Box<Assigned>>);

#[derive(Clone, Debug, Default)]
struct Assigned {
    own: Map<String, Value>,
    outer: Option<Arc<Variables>>,
    /// The size of `own` (each name's length plus its value's JSON text), for
    /// [`Limits::max_variables_bytes`].
    bytes: u64,
}

impl Variables {
    /// No variables of its own, reading `outer`'s: a branch's or item's, at its start.
    pub(crate) fn inside(outer: Arc<Variables>) -> Self {
        let mut variables = Self::default();
        variables.set_outer(outer);
        variables
    }

    fn assigned(&mut self) -> &mut Assigned {
        self.0.get_or_insert_with(Box::default)
    }

    /// Reads `outer`'s variables after its own (a resumed branch's parent).
    pub(crate) fn set_outer(&mut self, outer: Arc<Variables>) {
        self.assigned().outer = Some(outer);
    }

    /// The value of `$name`: its own, or the closest outer one.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        let assigned = self.0.as_deref()?;
        assigned
            .own
            .get(name)
            .or_else(|| assigned.outer.as_deref()?.get(name))
    }

    /// Assigns every field of `values` (an ASL `Assign`, rendered and checked with
    /// [`Self::check_assign`]).
    pub(crate) fn assign(&mut self, values: Map<String, Value>) {
        let bytes = self.bytes_after(&values);
        let assigned = self.assigned();
        assigned.bytes = bytes;
        assigned.own.extend(values);
    }

    /// Fails when assigning `values` would pass `limits.max_variables_bytes`.
    pub(crate) fn check_assign(
        &self,
        values: &Map<String, Value>,
        limits: &Limits,
    ) -> Result<(), TaskError> {
        let total = self.bytes_after(values);
        if total > limits.max_variables_bytes {
            return Err(TaskError::new(
                crate::error::names::DATA_LIMIT_EXCEEDED,
                format!(
                    "the variables would hold {total} bytes, more than the limit of {} (Limits::max_variables_bytes)",
                    limits.max_variables_bytes
                ),
            ));
        }
        Ok(())
    }

    /// The size of the own variables once `values` are assigned.
    fn bytes_after(&self, values: &Map<String, Value>) -> u64 {
        let assigned = self.0.as_deref();
        let bytes = assigned.map_or(0, |a| a.bytes);
        values.iter().fold(bytes, |total, (name, value)| {
            let replaced = assigned
                .and_then(|a| a.own.get(name))
                .map_or(0, |old| size_of(name, old));
            total
                .saturating_sub(replaced)
                .saturating_add(size_of(name, value))
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|a| a.own.is_empty())
    }
}

impl Serialize for Variables {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(assigned) => assigned.own.serialize(serializer),
            None => Map::new().serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let own = Map::deserialize(deserializer)?;
        let bytes = own.iter().fold(0u64, |total, (name, value)| {
            total.saturating_add(size_of(name, value))
        });
        Ok(Self((!own.is_empty()).then(|| {
            Box::new(Assigned {
                own,
                outer: None,
                bytes,
            })
        })))
    }
}

/// What a path reads besides the state's data: the context object (`$$…`) and the
/// variables (`$name…`); and the limits its results keep to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) context: &'a Value,
    pub(crate) variables: Option<&'a Variables>,
    pub(crate) limits: &'a Limits,
    /// The clock's time (ms since the epoch), for JSONata's `$now()` and `$millis()`.
    #[cfg_attr(not(feature = "jsonata"), allow(dead_code))]
    pub(crate) now_ms: u64,
}

impl<'a> Scope<'a> {
    /// The context object and the variables a state reads at `now_ms`, under the engine's
    /// limits.
    pub(crate) fn new(
        context: &'a Value,
        variables: &'a Variables,
        limits: &'a Limits,
        now_ms: u64,
    ) -> Self {
        Self {
            context,
            variables: Some(variables),
            limits,
            now_ms,
        }
    }

    /// The context object alone, with no variables, under the default limits.
    pub(crate) fn of_context(context: &'a Value) -> Self {
        Self {
            context,
            variables: None,
            limits: default_limits(),
            now_ms: 0,
        }
    }

    /// The value of the variable `name`, if assigned.
    pub(crate) fn variable(&self, name: &str) -> Option<&'a Value> {
        self.variables?.get(name)
    }
}

/// What `$states` holds besides `context`: the state's input, and its result (after its
/// task, branches or items) or the error it caught (in a catcher).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "jsonata"), allow(dead_code))]
pub(crate) struct States<'a> {
    pub(crate) input: &'a Value,
    pub(crate) result: Option<&'a Value>,
    pub(crate) error_output: Option<&'a Value>,
}

impl<'a> States<'a> {
    /// `$states.input` alone.
    pub(crate) fn input(input: &'a Value) -> Self {
        Self {
            input,
            result: None,
            error_output: None,
        }
    }
}

/// What a variable counts towards [`Limits::max_variables_bytes`]: its name and value as JSON
/// text (values are checked against the payload limit before they are assigned).
fn size_of(name: &str, value: &Value) -> u64 {
    let value = measure(value, u64::MAX, usize::MAX).map_or(u64::MAX, |size| size.bytes);
    value.saturating_add(name.len() as u64)
}

/// Why `name` cannot be a variable's name, if it cannot: a name starts with a letter or `_`
/// and goes on with letters, digits and `_`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a variable name: it starts with a letter or '_' and has only letters, digits and '_'"
        ))
    }
}
