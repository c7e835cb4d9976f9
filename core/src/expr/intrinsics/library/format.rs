//! `States.Format`: a template with each `{}` replaced by the next value, written the way
//! Step Functions writes it.

use serde_json::Value;

use crate::error::TaskError;
use crate::expr::intrinsics::{failure, limit_error, Arg, Call};
use crate::limits::{Exceeded, Limits};

/// `States.Format(template, values…)`. A literal template keeps its escapes (`\{` is no
/// placeholder); one from a path has none. A result past the payload limit is
/// `States.DataLimitExceeded`.
pub(super) fn format_call(
    call: &Call,
    mut args: Vec<Value>,
    limits: &Limits,
) -> Result<Value, TaskError> {
    let fail = |reason: String| failure(call.func, reason);
    let values = args.split_off(1.min(args.len()));
    let (template, escapes) = match (call.args.first(), args.first()) {
        (Some(Arg::Str { raw, .. }), _) => (raw.as_str(), true),
        (_, Some(Value::String(s))) => (s.as_str(), false),
        _ => return Err(fail("the template must be a string".to_owned())),
    };
    format(template, escapes, &values, limits.max_payload_bytes)
        .map(Value::String)
        .map_err(|e| match e {
            Formatted::Wrong(reason) => fail(reason),
            Formatted::TooLong => limit_error(
                Exceeded::Bytes(limits.max_payload_bytes),
                limits,
                "the result of States.Format",
            ),
        })
}

/// The `{}` placeholders in a `States.Format` template (with `escapes`, `\{` is no brace).
pub(in crate::expr::intrinsics) fn count_placeholders(template: &str, escapes: bool) -> usize {
    let mut n = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if escapes && c == '\\' {
            chars.next();
        } else if c == '{' && chars.peek() == Some(&'}') {
            chars.next();
            n += 1;
        }
    }
    n
}

/// A `States.Format` that did not work.
enum Formatted {
    /// Its arguments are wrong.
    Wrong(String),
    /// Its result would be longer than the payload limit.
    TooLong,
}

/// `template` with each `{}` replaced by the next value; it stops as soon as the text passes
/// `max_bytes`.
fn format(
    template: &str,
    escapes: bool,
    values: &[Value],
    max_bytes: u64,
) -> Result<String, Formatted> {
    let placeholders = count_placeholders(template, escapes);
    if placeholders != values.len() {
        return Err(Formatted::Wrong(format!(
            "the template has {placeholders} '{{}}' but was given {} value{}",
            values.len(),
            if values.len() == 1 { "" } else { "s" }
        )));
    }
    let mut out = String::with_capacity(template.len());
    let mut values = values.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if escapes && c == '\\' {
            out.extend(chars.next());
        } else if c == '{' && chars.peek() == Some(&'}') {
            chars.next();
            if let Some(value) = values.next() {
                format_value(value, &mut out);
            }
        } else {
            out.push(c);
        }
        if out.len() as u64 > max_bytes {
            return Err(Formatted::TooLong);
        }
    }
    Ok(out)
}

/// How Step Functions writes a value into a `States.Format` string: strings bare, other
/// scalars as JSON, arrays as `[a, b]` and objects as `{k=v, k2=v2}` (Java's `toString`).
fn format_value(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                format_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                format_value(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&crate::execution::json_text(scalar)),
    }
}
