//! Amazon States Language: load Step Functions definitions into the engine's graph, and the
//! data-flow pieces (paths, payload templates, intrinsic functions) its states use.

/// Serializes a parsed type (with a `text` field and a `parse(&str) -> Result<Self, String>`)
/// as the text it was parsed from; deserializing parses, and so validates, the text. `$what`
/// names it in the error.
macro_rules! serde_as_text {
    ($type:ty, $what:literal) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.text)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text =
                    <std::borrow::Cow<str> as serde::Deserialize>::deserialize(deserializer)?;
                <$type>::parse(&text).map_err(|reason| {
                    serde::de::Error::custom(format!(
                        concat!("invalid ", $what, " {:?}: {}"),
                        text, reason
                    ))
                })
            }
        }
    };
}

mod compare;
mod dataflow;
mod delay;
mod export;
mod glob;
mod intrinsics;
mod load;
mod path;
mod path_or_call;
mod template;
mod timestamp;
mod variables;

pub(crate) use compare::compare;
pub(crate) use dataflow::{assign, place, Assigned};
pub use export::{to_asl, ExportOptions};
pub use load::from_asl;
pub(crate) use path::{describe, missing_from, missing_in};
pub use path::{Path, ReferencePath};
pub use path_or_call::PathOrCall;
pub use template::Template;
pub(crate) use timestamp::format_rfc3339;
pub(crate) use variables::{check_name, Scope, Variables};
