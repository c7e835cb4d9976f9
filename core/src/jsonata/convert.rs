//! Values to and from JSON, and the value operations the evaluator and the functions share:
//! truthiness, deep equality, `$append`'s concatenation, JavaScript's string order.

use std::cmp::Ordering;
use std::rc::Rc;

use serde_json::Value as Json;

use super::error::Error;
use super::value::{Object, Value};

/// Converts JSON input into a value; nesting deeper than `max_depth` is refused.
pub(crate) fn from_json(json: &Json, max_depth: usize) -> Result<Value, Error> {
    from_json_at(json, 0, max_depth)
}

fn from_json_at(json: &Json, depth: usize, max_depth: usize) -> Result<Value, Error> {
    if depth > max_depth {
        return Err(Error::new("D1011").value(max_depth.to_string()));
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::string(s),
        Json::Array(items) => Value::array(
            items
                .iter()
                .map(|v| from_json_at(v, depth + 1, max_depth))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => {
            let mut obj = Object::new();
            for (k, v) in map {
                obj.insert(Rc::from(k.as_str()), from_json_at(v, depth + 1, max_depth)?);
            }
            Value::object(obj)
        }
    })
}

/// A number as JSON: integers as integers, non-finite numbers as `null` (as `JSON.stringify`).
pub(crate) fn number_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

/// Converts a result to JSON as `JSON.stringify` would see it: `None` for `undefined` (and a
/// function), functions left out of objects and `null` in arrays. Each value counts against
/// `budget`; nesting deeper than `max_depth` is refused.
pub(crate) fn to_json(
    value: &Value,
    max_depth: usize,
    budget: &mut u64,
) -> Result<Option<Json>, Error> {
    to_json_at(value, 0, max_depth, budget)
}

fn to_json_at(
    value: &Value,
    depth: usize,
    max_depth: usize,
    budget: &mut u64,
) -> Result<Option<Json>, Error> {
    if depth > max_depth {
        return Err(Error::new("D1011").value(max_depth.to_string()));
    }
    if *budget == 0 {
        return Err(Error::new("D1012").value("the result's size".to_string()));
    }
    *budget -= 1;
    Ok(Some(match value {
        Value::Undefined | Value::Function(_) => return Ok(None),
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_json(*n),
        Value::String(s) => Json::String(s.to_string()),
        Value::Array(items, flags) => {
            if flags.outer_wrapper && items.len() == 1 {
                return to_json_at(&items[0], depth, max_depth, budget);
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.push(to_json_at(item, depth + 1, max_depth, budget)?.unwrap_or(Json::Null));
            }
            Json::Array(out)
        }
        Value::Tuples(tuples) => {
            let items = tuples
                .iter()
                .map(|t| super::value::tuple_context(t))
                .collect();
            return to_json_at(&Value::array(items), depth, max_depth, budget);
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter() {
                if let Some(j) = to_json_at(v, depth + 1, max_depth, budget)? {
                    out.insert(k.to_string(), j);
                }
            }
            Json::Object(out)
        }
    }))
}

/// How deep the value walkers that have no limits at hand (truth, keys, lookups) go.
pub(crate) const VALUE_DEPTH: usize = 200;

fn too_deep() -> Error {
    Error::new("D1011").value(VALUE_DEPTH.to_string())
}

/// `$boolean()`: `None` for undefined.
pub(crate) fn boolean(value: &Value) -> Result<Option<bool>, Error> {
    boolean_at(value, 0)
}

fn boolean_at(value: &Value, depth: usize) -> Result<Option<bool>, Error> {
    if depth > VALUE_DEPTH {
        return Err(too_deep());
    }
    Ok(Some(match value {
        Value::Undefined => return Ok(None),
        Value::Array(items, _) => match items.len() {
            0 => false,
            1 => boolean_at(&items[0], depth + 1)?.unwrap_or(false),
            _ => {
                let mut any = false;
                for item in items.iter() {
                    if boolean_at(item, depth + 1)?.unwrap_or(false) {
                        any = true;
                    }
                }
                any
            }
        },
        Value::Tuples(t) => !t.is_empty(),
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => {
            check_finite(*n)?;
            *n != 0.0 && !n.is_nan()
        }
        Value::Object(o) => !o.is_empty(),
        Value::Bool(b) => *b,
        Value::Null | Value::Function(_) => false,
    }))
}

/// A condition's truth: `$boolean()`, undefined being false.
pub(crate) fn truthy(value: &Value) -> Result<bool, Error> {
    Ok(boolean(value)?.unwrap_or(false))
}

/// JavaScript's own truthiness (what a `$sort` comparator's result is tested with).
pub(crate) fn js_truthy(value: &Value) -> bool {
    match value {
        Value::Undefined | Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A number usable in arithmetic: not NaN; infinite numbers are an error (D1001).
pub(crate) fn numeric(value: &Value) -> Result<Option<f64>, Error> {
    match value {
        Value::Number(n) if !n.is_nan() => {
            check_finite(*n)?;
            Ok(Some(*n))
        }
        _ => Ok(None),
    }
}

pub(crate) fn check_finite(n: f64) -> Result<(), Error> {
    if n.is_infinite() {
        return Err(Error::new("D1001").value(super::number::to_js_string(n)));
    }
    Ok(())
}

/// Deep equality (`=`): same type and, for arrays and objects, equal members.
pub(crate) fn deep_equal(
    a: &Value,
    b: &Value,
    budget: &mut u64,
    depth: usize,
) -> Result<bool, Error> {
    if depth > VALUE_DEPTH {
        return Err(too_deep());
    }
    if *budget == 0 {
        return Err(Error::new("D1012").value("comparison".to_string()));
    }
    *budget -= 1;
    Ok(match (a, b) {
        (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x, _), Value::Array(y, _)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !deep_equal(p, q, budget, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Object(x), Value::Object(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.iter() {
                match y.get(k) {
                    Some(w) => {
                        if !deep_equal(v, w, budget, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            true
        }
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        _ => false,
    })
}

/// JavaScript's `===`: identity for arrays, objects and functions.
pub(crate) fn strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x, _), Value::Array(y, _)) => Rc::ptr_eq(x, y),
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Strings in JavaScript's order (UTF-16 code units).
pub(crate) fn compare_strings(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `$append()` / `fn.append`: a plain array of both sides' items (a side that is not an
/// array counts as one item); either side undefined gives the other.
pub(crate) fn append(a: Value, b: Value, max: usize) -> Result<Value, Error> {
    if a.is_undefined() {
        return Ok(b);
    }
    if b.is_undefined() {
        return Ok(a);
    }
    let mut items = a.to_list();
    match &b {
        Value::Array(more, _) => items.extend(more.iter().cloned()),
        other => items.push(other.clone()),
    }
    if items.len() > max {
        return Err(Error::new("D2015").value(max.to_string()));
    }
    Ok(Value::array(items))
}

/// Flattens nested arrays into `out` (for `*` on arrays of arrays).
pub(crate) fn flatten(value: &Value, out: &mut Vec<Value>, depth: usize) -> Result<(), Error> {
    if depth > VALUE_DEPTH {
        return Err(too_deep());
    }
    match value {
        Value::Array(items, _) => {
            for item in items.iter() {
                flatten(item, out, depth + 1)?;
            }
        }
        other => out.push(other.clone()),
    }
    Ok(())
}

/// The UTF-16 length of a string (JavaScript's `length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}
