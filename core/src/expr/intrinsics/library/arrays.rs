//! `States.ArrayPartition`, `ArrayContains`, `ArrayRange`, `ArrayGetItem` and `ArrayUnique`
//! (`States.Array` and `ArrayLength` are one line each, in the dispatch).

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::args::{array, rounded};
use crate::expr::json::{integral, json_eq};

/// The most items `States.ArrayRange` makes.
const MAX_RANGE_ITEMS: i128 = 1_000;

/// `States.ArrayPartition(array, size)`: chunks of `size` items, the last one shorter.
pub(super) fn partition(args: &[Value]) -> Result<Value, String> {
    let size = rounded(args, 1)
        .filter(|size| *size > 0)
        .ok_or_else(|| "the chunk size must be a positive integer".to_owned())?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let chunks = array(args, 0)
        .chunks(size)
        .map(|chunk| Value::Array(chunk.to_vec()))
        .collect();
    Ok(Value::Array(chunks))
}

/// `States.ArrayContains(array, value)`, numbers compared by value.
pub(super) fn contains(args: &[Value]) -> Result<Value, String> {
    let needle = args.get(1).unwrap_or(&Value::Null);
    Ok(Value::Bool(
        array(args, 0).iter().any(|item| json_eq(item, needle)),
    ))
}

/// `States.ArrayRange(start, end, step)`: both ends included, at most [`MAX_RANGE_ITEMS`].
pub(super) fn range(args: &[Value]) -> Result<Value, String> {
    let bound = |i: usize, what: &str| {
        rounded(args, i).ok_or_else(|| format!("the {what} must be an integer"))
    };
    let (start, end, step) = (bound(0, "start")?, bound(1, "end")?, bound(2, "step")?);
    if step == 0 {
        return Err("the step must not be 0".to_owned());
    }
    let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
    let len = if (end - start).signum() * step.signum() < 0 {
        0
    } else {
        (end - start) / step + 1
    };
    if len > MAX_RANGE_ITEMS {
        return Err(format!(
            "the range has {len} items; at most {MAX_RANGE_ITEMS} are allowed"
        ));
    }
    let items = (0..len)
        .filter_map(|i| i64::try_from(start + i * step).ok())
        .map(Value::from)
        .collect();
    Ok(Value::Array(items))
}

/// `States.ArrayGetItem(array, index)`; out of bounds is an error.
pub(super) fn get_item(args: &[Value]) -> Result<Value, String> {
    let items = array(args, 0);
    let index = match args.get(1) {
        Some(Value::Number(n)) => integral(n),
        _ => None,
    }
    .ok_or_else(|| "the index must be an integer".to_owned())?;
    usize::try_from(index)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| {
            format!(
                "the index {index} is out of bounds for an array of {} items",
                items.len()
            )
        })
}

/// `States.ArrayUnique(array)`: the first of each group of equal items, in order.
pub(super) fn unique(args: &[Value]) -> Result<Value, String> {
    let mut seen = HashSet::new();
    let unique = array(args, 0)
        .iter()
        .filter(|item| {
            let mut key = String::new();
            canonical(item, &mut key);
            seen.insert(key)
        })
        .cloned()
        .collect();
    Ok(Value::Array(unique))
}

/// A key that is equal for values [`json_eq`] calls equal (numbers by value).
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push('n'),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Number(n) => match integral(n) {
            Some(i) => {
                let _ = write!(out, "i{i};");
            }
            None => {
                let _ = write!(out, "f{};", n.as_f64().unwrap_or(f64::NAN));
            }
        },
        Value::String(s) => {
            let _ = write!(out, "s{}:{s}", s.len());
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Key order does not make objects different.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (key, item) in entries {
                let _ = write!(out, "{}:{key}", key.len());
                canonical(item, out);
            }
            out.push('}');
        }
    }
}
