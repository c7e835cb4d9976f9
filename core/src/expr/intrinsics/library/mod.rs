//! The function library: what each `States.*` function does with its evaluated arguments,
//! one file per area. Each function takes arguments of the kinds [`Func::param`] allows (the
//! caller checked them) and fails with a reason that [`failure`] names the function in.

mod args;
mod arrays;
mod format;
mod hash;
mod json;
mod math;
mod text;

pub(super) use format::count_placeholders;

use serde_json::Value;

use super::{failure, Call, Func};
use crate::error::TaskError;
use crate::limits::Limits;
use crate::policy::Rng;

impl Call {
    /// The function itself, on arguments of the kinds [`Func::param`] allows.
    pub(super) fn run(
        &self,
        args: Vec<Value>,
        rng: &mut Rng,
        limits: &Limits,
    ) -> Result<Value, TaskError> {
        let func = self.func;
        let reason = match func {
            Func::Format => return format::format_call(self, args, limits),
            Func::StringToJson => json::string_to_json(&args),
            Func::JsonToString => json::json_to_string(&args),
            Func::JsonMerge => json::json_merge(args),
            Func::Array => Ok(Value::Array(args)),
            Func::ArrayPartition => arrays::partition(&args),
            Func::ArrayContains => arrays::contains(&args),
            Func::ArrayRange => arrays::range(&args),
            Func::ArrayGetItem => arrays::get_item(&args),
            Func::ArrayLength => Ok(Value::from(args::array(&args, 0).len())),
            Func::ArrayUnique => arrays::unique(&args),
            Func::StringSplit => text::split(&args),
            Func::Base64Encode => text::base64_encode(&args),
            Func::Base64Decode => text::base64_decode(&args),
            Func::Hash => hash::hash(&args),
            Func::MathRandom => math::random(&args, rng),
            Func::MathAdd => math::add(&args),
            Func::Uuid => Ok(math::uuid(rng)),
        };
        reason.map_err(|reason| failure(func, reason))
    }
}

/// The `States.*` function Step Functions also offers to JSONata states under another name
/// (`$partition`, `$range`, `$hash`, `$parse`, `$uuid`), on JSON arguments the JSONata
/// signature checked; `None` for any other name.
#[cfg(feature = "jsonata")]
pub(crate) fn for_jsonata(
    name: &str,
    args: &[Value],
    rng: &mut Rng,
) -> Option<Result<Value, String>> {
    Some(match name {
        "partition" => arrays::partition(args),
        "range" => arrays::range(args),
        "hash" => hash::hash(args),
        "parse" => json::string_to_json(args),
        "uuid" => Ok(math::uuid(rng)),
        _ => return None,
    })
}
