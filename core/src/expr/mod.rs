//! The Amazon States Language expression language, below the graph: JSONPath paths and
//! reference paths, payload templates, intrinsic functions, Choice comparisons, variables,
//! timestamps and globs; and the JSONata fields of JSONata states ([`Query`]). The graph's types hold these; the interpreter evaluates them.

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

mod assign;
mod compare;
mod glob;
mod intrinsics;
mod json;
mod path;
mod path_or_call;
#[cfg(feature = "jsonata")]
mod query;
#[cfg(not(feature = "jsonata"))]
#[path = "query_without_jsonata.rs"]
mod query;
mod template;
mod timestamp;
mod variables;

pub(crate) use assign::{assign, place, Assigned};
pub(crate) use compare::compare;
pub use compare::Comparison;
pub(crate) use json::describe;
pub(crate) use path::{missing_from, missing_in};
pub use path::{Path, ReferencePath};
pub use path_or_call::PathOrCall;
pub use query::Query;
pub use template::Template;
pub(crate) use timestamp::{format_rfc3339, parse_rfc3339};
pub(crate) use variables::{check_name, Scope, States, Variables};
