//! Amazon States Language: load Step Functions definitions into the engine's graph, and the
//! data-flow pieces (paths, payload templates, intrinsic functions) its states use.

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

pub(crate) use compare::compare;
pub(crate) use dataflow::place;
pub(crate) use delay::DelayError;
pub use export::{to_asl, ExportOptions};
pub use load::from_asl;
pub(crate) use path::describe;
pub use path::{Path, ReferencePath};
pub use path_or_call::PathOrCall;
pub use template::Template;
pub(crate) use timestamp::format_rfc3339;
