//! Without the `asl` feature there are no JSONata states: [`Query`] has no values, and the
//! code that evaluates one compiles away.

use serde_json::Value;

use super::variables::{Scope, States};
use crate::error::TaskError;
use crate::policy::Rng;

/// A JSONata state's field; JSONata needs the `asl` feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Query(Never);

/// No value: a [`Query`] cannot be made without the `asl` feature.
#[derive(Clone, Debug, PartialEq)]
enum Never {}

impl Query {
    /// The value as written.
    pub fn as_value(&self) -> &Value {
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
        Err(serde::de::Error::custom(
            "JSONata fields need pollflow's `asl` feature",
        ))
    }
}
