//! Workflow variables (ASL `Assign`, read as `$name`) and the scope paths read them in.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

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

    /// Assigns every field of `values` (an ASL `Assign`, rendered).
    pub(crate) fn assign(&mut self, values: Map<String, Value>) {
        self.assigned().own.extend(values);
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
        Ok(Self(
            (!own.is_empty()).then(|| Box::new(Assigned { own, outer: None })),
        ))
    }
}

/// What a path reads besides the state's data: the context object (`$$…`) and the
/// variables (`$name…`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) context: &'a Value,
    pub(crate) variables: Option<&'a Variables>,
}

impl<'a> Scope<'a> {
    /// The context object and the variables a state reads.
    pub(crate) fn new(context: &'a Value, variables: &'a Variables) -> Self {
        Self {
            context,
            variables: Some(variables),
        }
    }

    /// The context object alone, with no variables.
    pub(crate) fn of_context(context: &'a Value) -> Self {
        Self {
            context,
            variables: None,
        }
    }

    /// The value of the variable `name`, if assigned.
    pub(crate) fn variable(&self, name: &str) -> Option<&'a Value> {
        self.variables?.get(name)
    }
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
