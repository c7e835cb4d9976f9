//! String functions: `$string $substring $substringBefore $substringAfter $lowercase
//! $uppercase $length $trim $pad $contains $split $join $match $replace`. Lengths and
//! positions count code points, as the reference's do (except the regular expression
//! functions' `index`, which counts UTF-16 units, as JavaScript's).

use std::rc::Rc;

use super::arg;
use crate::jsonata::apply::Match;
use crate::jsonata::error::Error;
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::serialize::json_text;
use crate::jsonata::value::{Object, Value};

fn text(v: &Value) -> Option<&Rc<str>> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A non-negative count argument (`limit`), `None` when absent; `code` when negative.
fn limit(v: &Value, code: &'static str, index: usize) -> Result<Option<usize>, Error> {
    match v {
        Value::Number(n) if *n < 0.0 => Err(Error::new(code).index(index).value(json_text(v))),
        Value::Number(n) => Ok(Some(n.min(u32::MAX as f64) as usize)),
        _ => Ok(None),
    }
}

pub(super) fn string(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let v = arg(args, 0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    let pretty = matches!(arg(args, 1), Value::Bool(true));
    let s = ctx.stringify_pretty(v, pretty)?;
    ctx.check_str(&s)?;
    Ok(Value::from_string(s))
}

/// JavaScript's `slice` on `len` items: negative positions count from the end.
fn slice_bounds(len: usize, start: f64, end: Option<f64>) -> (usize, usize) {
    let clamp = |p: f64| -> usize {
        let p = p.trunc();
        if p < 0.0 {
            (len as f64 + p).max(0.0) as usize
        } else {
            p.min(len as f64) as usize
        }
    };
    let s = clamp(start);
    let e = end.map_or(len, clamp);
    (s, e.max(s))
}

pub(super) fn substring(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as f64;
    let mut start = arg(args, 1).as_f64().unwrap_or(f64::NAN);
    if start.is_nan() {
        start = 0.0;
    }
    if len + start < 0.0 {
        start = 0.0;
    }
    let end = match arg(args, 2) {
        Value::Number(length) => {
            if *length <= 0.0 {
                return Ok(Value::string(""));
            }
            Some(if start >= 0.0 {
                start + length
            } else {
                len + start + length
            })
        }
        _ => None,
    };
    let (a, b) = slice_bounds(chars.len(), start, end);
    Ok(Value::from_string(chars[a..b].iter().collect()))
}

/// The text searched for: JavaScript's `indexOf(undefined)` looks for `"undefined"`.
fn needle(v: &Value) -> &str {
    v.as_str().unwrap_or("undefined")
}

pub(super) fn substring_before(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let chars = needle(arg(args, 1));
    Ok(match s.find(chars) {
        Some(p) => Value::string(&s[..p]),
        None => Value::String(s.clone()),
    })
}

pub(super) fn substring_after(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let chars = needle(arg(args, 1));
    Ok(match s.find(chars) {
        Some(p) => Value::string(&s[p + chars.len()..]),
        None => Value::String(s.clone()),
    })
}

pub(super) fn lowercase(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    Ok(text(arg(args, 0)).map_or(Value::Undefined, |s| {
        Value::from_string(crate::jsonata::case::to_lower(s))
    }))
}

pub(super) fn uppercase(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    Ok(text(arg(args, 0)).map_or(Value::Undefined, |s| {
        Value::from_string(crate::jsonata::case::to_upper(s))
    }))
}

pub(super) fn length(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(text(arg(args, 0)).map_or(
        Value::Undefined,
        |s| Value::Number(s.chars().count() as f64),
    ))
}

pub(super) fn trim(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    let out = out.strip_prefix(' ').unwrap_or(&out);
    let out = out.strip_suffix(' ').unwrap_or(out);
    Ok(Value::string(out))
}

pub(super) fn pad(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let width = arg(args, 1).as_f64().unwrap_or(0.0).trunc();
    let fill = match arg(args, 2).as_str() {
        Some(c) if !c.is_empty() => c,
        _ => " ",
    };
    let len = s.chars().count() as f64;
    let pad_len = width.abs() - len;
    if pad_len <= 0.0 || pad_len.is_nan() {
        return Ok(Value::String(s.clone()));
    }
    if pad_len > ctx.limits.max_string as f64 {
        return Err(Error::new("D2016").value(ctx.limits.max_string.to_string()));
    }
    let padding: String = fill.chars().cycle().take(pad_len as usize).collect();
    let out = if width > 0.0 {
        format!("{s}{padding}")
    } else {
        format!("{padding}{s}")
    };
    ctx.check_str(&out)?;
    Ok(Value::from_string(out))
}

pub(super) fn contains(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let (Some(s), token) = (text(arg(args, 0)), arg(args, 1)) else {
        return Ok(Value::Undefined);
    };
    Ok(match token {
        Value::Undefined => Value::Undefined,
        Value::String(t) => Value::Bool(s.contains(&**t)),
        matcher => Value::Bool(!ctx.matches(matcher, s, Some(1))?.is_empty()),
    })
}

pub(super) fn split(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let limit = limit(arg(args, 2), "D3020", 3)?;
    let mut out: Vec<Value> = Vec::new();
    match arg(args, 1) {
        Value::String(sep) => {
            let parts: Vec<&str> = if sep.is_empty() {
                s.char_indices()
                    .map(|(i, c)| &s[i..i + c.len_utf8()])
                    .collect()
            } else {
                s.split(&**sep).collect()
            };
            for p in parts.into_iter().take(limit.unwrap_or(usize::MAX)) {
                out.push(Value::string(p));
            }
        }
        matcher => {
            if limit != Some(0) {
                let found = ctx.matches(matcher, s, limit)?;
                let mut start = 0;
                for m in &found {
                    out.push(Value::string(
                        s.get(start..m.byte_start.max(start)).unwrap_or(""),
                    ));
                    start = m.byte_end;
                }
                if limit.is_none_or(|l| found.len() < l) {
                    out.push(Value::string(s.get(start..).unwrap_or("")));
                }
            }
        }
    }
    ctx.check_len(out.len())?;
    Ok(Value::array(out))
}

pub(super) fn join(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let strs = match arg(args, 0) {
        Value::Undefined => return Ok(Value::Undefined),
        v => v.to_list(),
    };
    let sep = arg(args, 1).as_str().unwrap_or("");
    let mut out = String::new();
    for (i, v) in strs.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(v.as_str().unwrap_or(""));
        ctx.check_str(&out)?;
    }
    Ok(Value::from_string(out))
}

fn match_value(m: &Match) -> Value {
    let mut o = Object::new();
    o.insert(Rc::from("match"), Value::string(&m.text));
    o.insert(Rc::from("index"), Value::Number(m.start as f64));
    o.insert(Rc::from("groups"), Value::array(m.groups.clone()));
    Value::object(o)
}

pub(super) fn match_(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let limit = limit(arg(args, 2), "D3040", 3)?;
    let found = ctx.matches(arg(args, 1), s, limit)?;
    Ok(Value::sequence(found.iter().map(match_value).collect()))
}

/// A replacement text with `$0`, `$1`… and `$$` filled in from the match.
fn substitute(replacement: &str, m: &Match) -> String {
    let mut out = String::new();
    let bytes = replacement.as_bytes();
    let mut pos = 0;
    while let Some(off) = replacement[pos..].find('$') {
        let index = pos + off;
        out.push_str(&replacement[pos..index]);
        pos = index + 1;
        match bytes.get(pos) {
            Some(b'$') => {
                out.push('$');
                pos += 1;
            }
            Some(b'0') => {
                out.push_str(&m.text);
                pos += 1;
            }
            _ => {
                let groups = m.groups.len();
                let max_digits = if groups == 0 {
                    1
                } else {
                    (groups as f64).log10().floor() as usize + 1
                };
                // Up to `n` ASCII digits at `pos` (counted in bytes: what follows may be any
                // character, and a slice must not cut one).
                let digits_at = |n: usize| -> Option<usize> {
                    let end = (pos + n).min(bytes.len());
                    let lead = bytes[pos..end]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    (lead > 0).then(|| {
                        crate::jsonata::number::parse_digits(&replacement[pos..pos + lead]) as usize
                    })
                };
                let mut index = digits_at(max_digits);
                if max_digits > 1 && index.is_some_and(|i| i > groups) {
                    index = digits_at(max_digits - 1);
                }
                match index {
                    Some(i) => {
                        if groups > 0 && i >= 1 {
                            if let Some(Value::String(g)) = m.groups.get(i - 1) {
                                out.push_str(g);
                            }
                        }
                        pos += i.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out.push_str(&replacement[pos..]);
    out
}

pub(super) fn replace(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let pattern = arg(args, 1);
    if pattern.as_str() == Some("") {
        return Err(Error::new("D3010").index(2).value("\"\""));
    }
    let limit = limit(arg(args, 3), "D3011", 4)?;
    let replacement = arg(args, 2);
    if limit == Some(0) {
        return Ok(Value::String(s.clone()));
    }
    let mut out = String::new();
    let mut position = 0;
    if let Value::String(p) = pattern {
        let with = ctx.stringify(replacement)?;
        let mut count = 0;
        while let Some(off) = s[position..].find(&**p) {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            out.push_str(&s[position..position + off]);
            out.push_str(&with);
            position += off + p.len();
            count += 1;
            ctx.check_str(&out)?;
        }
        out.push_str(&s[position..]);
        return Ok(Value::from_string(out));
    }
    let found = ctx.matches(pattern, s, limit)?;
    if found.is_empty() {
        return Ok(Value::String(s.clone()));
    }
    for m in &found {
        out.push_str(s.get(position..m.byte_start.max(position)).unwrap_or(""));
        match replacement {
            Value::String(r) => out.push_str(&substitute(r, m)),
            f => {
                let mut o = Object::new();
                o.insert(Rc::from("match"), Value::string(&m.text));
                o.insert(Rc::from("start"), Value::Number(m.start as f64));
                o.insert(Rc::from("end"), Value::Number(m.end as f64));
                o.insert(Rc::from("groups"), Value::array(m.groups.clone()));
                match ctx.apply(f, vec![Value::object(o)], &Value::Null, env)? {
                    Value::String(r) => out.push_str(&r),
                    other => return Err(Error::new("D3012").value(json_text(&other))),
                }
            }
        }
        ctx.check_str(&out)?;
        position = m.byte_end.max(position);
    }
    out.push_str(s.get(position..).unwrap_or(""));
    Ok(Value::from_string(out))
}
