//! Without the `jsonata` feature there are no JSONata states: [`Query`] has no values (a
//! definition with JSONata fields is refused when it loads), and the code that evaluates one
//! compiles away.

use serde_json::Value;

use super::variables::{Scope, States};
use crate::error::TaskError;
use crate::policy::Rng;

/// A JSONata state's field; JSONata needs the `jsonata` feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Query(Never);

/// No value: a [`Query`] cannot be made without the `jsonata` feature.
#[derive(Clone, Debug, PartialEq)]
enum Never {}

/// Why a JSONata field is refused.
const NEEDS_JSONATA: &str = "JSONata states need pollflow's `jsonata` feature";

impl Query {
    /// Refuses every value: JSONata needs the `jsonata` feature.
    pub fn parse(_value: Value) -> Result<Query, Vec<(String, String)>> {
        Err(vec![("$".into(), NEEDS_JSONATA.into())])
    }

    /// Whether `text` is an expression: written `{% … %}`.
    pub fn is_expression(text: &str) -> bool {
        text.len() >= 4 && text.starts_with("{%") && text.ends_with("%}")
    }

    /// The value as written.
    pub fn as_value(&self) -> &Value {
        match self.0 {}
    }

    /// The text of each expression in it (the loader's, which needs `asl`).
    #[cfg_attr(not(feature = "asl"), allow(dead_code))]
    pub(crate) fn expressions(&self) -> Vec<&str> {
        match self.0 {}
    }

    pub(crate) fn evaluate(
        &self,
        _field: &str,
        _states: States<'_>,
        _scope: Scope<'_>,
        _rng: &mut Rng,
    ) -> Result<Value, TaskError> {
        match self.0 {}
    }
}

impl serde::Serialize for Query {
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {}
    }
}

impl<'de> serde::Deserialize<'de> for Query {
    fn deserialize<D: serde::Deserializer<'de>>(_deserializer: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(NEEDS_JSONATA))
    }
}
