//! Checkpoints: the whole state of a running execution, as data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::execution::Execution;

/// A snapshot of a run, taken with [`Run::checkpoint`](crate::Run::checkpoint) and continued
/// with [`Engine::resume`](crate::Engine::resume) — in this process or another, with the same
/// workflow. A resumed run keeps polling the same job; it does not submit again.
///
/// Serializes with serde (JSON, bincode, a database row), its format version first
/// ([`Checkpoint::FORMAT_VERSION`]): a checkpoint of a format this release does not read fails
/// to deserialize with an error naming both versions, before anything else is read. Older
/// formats read as they were written: version 1 (every checkpoint saved before they carried a
/// version) kept the generator state as a number, which version 2 writes as 16 hex digits (so
/// that JavaScript keeps every digit). A run that was
/// waiting sleeps only for what was left of its wait. One taken while a submit call was in
/// flight resumes by asking the poller for the job under that submission's key
/// ([`Poller::find_submitted`](crate::Poller::find_submitted)); it submits again, under the
/// same key, only if the poller finds none or cannot look.
#[derive(Clone, Debug, Deserialize)]
pub struct Checkpoint {
    #[serde(default)]
    pub(crate) version: FormatVersion,
    pub(crate) workflow: String,
    pub(crate) state: String,
    pub(crate) execution: Execution,
}

impl Serialize for Checkpoint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CheckpointOf {
            version: self.version,
            workflow: &self.workflow,
            state: &self.state,
            execution: &self.execution,
        }
        .serialize(serializer)
    }
}

/// A checkpoint's fields, borrowed: what [`Checkpoint`] serializes as, and what
/// [`Run::checkpoint_of`](crate::Run::checkpoint_of) serializes without cloning the execution
/// first (cloning compiles into the npm package's WebAssembly, which has a size budget).
#[derive(Serialize)]
pub struct CheckpointOf<'a> {
    pub(crate) version: FormatVersion,
    pub(crate) workflow: &'a str,
    pub(crate) state: &'a str,
    pub(crate) execution: &'a Execution,
}

impl Checkpoint {
    /// The format version this release writes, and the newest it reads.
    pub const FORMAT_VERSION: u32 = 2;

    /// The format version it was saved in (1 for one saved before checkpoints carried it).
    pub fn format_version(&self) -> u32 {
        self.version.0
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &str {
        &self.workflow
    }

    /// The state the execution was in.
    pub fn state(&self) -> &str {
        &self.state
    }
}

/// A checkpoint that does not fit the engine's workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumeError {
    /// The checkpoint is from another workflow.
    WorkflowMismatch {
        /// The engine's workflow.
        expected: String,
        /// The checkpoint's.
        found: String,
    },
    /// The checkpoint's state is not in this version of the workflow.
    UnknownState(String),
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WorkflowMismatch { expected, found } => write!(
                f,
                "checkpoint is from workflow {found:?}, but this engine runs {expected:?}"
            ),
            Self::UnknownState(state) => write!(
                f,
                "checkpoint is at state {state:?}, which this workflow does not have at that position"
            ),
        }
    }
}

impl std::error::Error for ResumeError {}

/// A checkpoint's format version, checked as it is read: the derived `Deserialize` reads fields
/// in the order they come, and a checkpoint is written with its version first, so a format
/// this release does not know fails here instead of deep inside the execution's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct FormatVersion(u32);

impl Default for FormatVersion {
    /// Checkpoints saved before the version field existed: version 1.
    fn default() -> Self {
        Self(1)
    }
}

impl FormatVersion {
    pub(crate) const CURRENT: Self = Self(Checkpoint::FORMAT_VERSION);
}

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = u32::deserialize(deserializer)?;
        if (1..=Checkpoint::FORMAT_VERSION).contains(&version) {
            Ok(Self(version))
        } else {
            Err(serde::de::Error::custom(format_args!(
                "checkpoint format version {version} is not one this release of pollflow reads \
                 (it reads versions 1 to {}); {}",
                Checkpoint::FORMAT_VERSION,
                if version > Checkpoint::FORMAT_VERSION {
                    "resume it with the release that saved it, or a later one"
                } else {
                    "version 0 was never written"
                }
            )))
        }
    }
}

/// Reads an internally tagged enum (`{"<tag>": "<variant>", fields...}`) as `Wire`, its
/// externally tagged twin (`{"<variant>": {fields...}}`, unit variants as `{}`), through a
/// [`Value`](serde_json::Value) instead of serde's `Content` buffer. What a derived
/// `#[serde(tag = ...)]` reads, with less code: `Content` and a second copy of every field
/// type's reader (one for `Content`, one for the format's deserializer) compile into the npm
/// package's WebAssembly, which carries a size budget. Like the derived reader, it needs a
/// self-describing format.
pub(crate) fn retagged<'de, D, Wire>(deserializer: D, tag: &'static str) -> Result<Wire, D::Error>
where
    D: serde::Deserializer<'de>,
    Wire: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    use serde_json::Value;
    let mut value = Value::deserialize(deserializer)?;
    let variant = match value.as_object_mut().map(|fields| fields.remove(tag)) {
        Some(Some(Value::String(variant))) => variant,
        Some(Some(other)) => {
            return Err(D::Error::custom(format_args!(
                "`{tag}` must be a string, got {other}"
            )))
        }
        Some(None) => return Err(D::Error::missing_field(tag)),
        None => {
            return Err(D::Error::custom(format_args!(
                "expected a map with `{tag}`"
            )))
        }
    };
    let mut outer = serde_json::Map::new();
    outer.insert(variant, value);
    serde_json::from_value(Value::Object(outer)).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_format_version_is_an_error_naming_both_versions() {
        let saved =
            r#"{"version": 7, "workflow": "W", "state": "S", "execution": {"no": "such format"}}"#;
        let error = serde_json::from_str::<Checkpoint>(saved)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "checkpoint format version 7 is not one this release of pollflow reads (it reads versions 1 to 2)"
            ),
            "{error}"
        );
        assert!(error.contains("the release that saved it"), "{error}");
        let zero = r#"{"version": 0, "workflow": "W", "state": "S", "execution": {}}"#;
        let error = serde_json::from_str::<Checkpoint>(zero)
            .unwrap_err()
            .to_string();
        assert!(error.contains("version 0 was never written"), "{error}");
        let word = r#"{"version": "one", "workflow": "W", "state": "S", "execution": {}}"#;
        assert!(serde_json::from_str::<Checkpoint>(word).is_err());
    }
}
