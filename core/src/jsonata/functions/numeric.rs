//! Numeric and aggregation functions: `$number $floor $ceil $round $abs $sqrt $power
//! $random $formatBase $sum $max $min $average`.

use super::arg;
use crate::jsonata::error::Error;
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::number::{to_js_string, to_radix};
use crate::jsonata::serialize::json_text;
use crate::jsonata::value::Value;

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn numbers(v: &Value) -> Option<Vec<f64>> {
    match v {
        Value::Undefined => None,
        other => Some(other.to_list().iter().filter_map(Value::as_f64).collect()),
    }
}

fn unary(args: &[Value], f: impl Fn(f64) -> f64) -> Result<Value, Error> {
    Ok(num(arg(args, 0)).map_or(Value::Undefined, |n| Value::Number(f(n))))
}

pub(super) fn sum(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(numbers(arg(args, 0)).map_or(Value::Undefined, |ns| Value::Number(ns.iter().sum())))
}

pub(super) fn max(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(match numbers(arg(args, 0)) {
        Some(ns) if !ns.is_empty() => {
            Value::Number(ns.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        }
        _ => Value::Undefined,
    })
}

pub(super) fn min(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(match numbers(arg(args, 0)) {
        Some(ns) if !ns.is_empty() => {
            Value::Number(ns.iter().copied().fold(f64::INFINITY, f64::min))
        }
        _ => Value::Undefined,
    })
}

pub(super) fn average(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(match numbers(arg(args, 0)) {
        Some(ns) if !ns.is_empty() => Value::Number(ns.iter().sum::<f64>() / ns.len() as f64),
        _ => Value::Undefined,
    })
}

/// Parses `text` as JavaScript's `Number()` parses a hexadecimal, octal or binary literal.
fn radix_literal(text: &str) -> Option<f64> {
    let (radix, digits) = match text.get(..2)? {
        "0x" | "0X" => (16, &text[2..]),
        "0o" | "0O" => (8, &text[2..]),
        "0b" | "0B" => (2, &text[2..]),
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in digits.chars() {
        v = v * f64::from(radix) + f64::from(c.to_digit(radix)?);
    }
    Some(v)
}

fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

pub(super) fn number(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let v = arg(args, 0);
    Ok(match v {
        Value::Undefined => Value::Undefined,
        Value::Number(n) => Value::Number(*n),
        Value::Bool(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            if is_decimal(s) {
                match crate::jsonata::number::parse(s) {
                    Some(n) if n.is_finite() => return Ok(Value::Number(n)),
                    _ => {}
                }
            }
            match radix_literal(s) {
                Some(n) => Value::Number(n),
                None => return Err(Error::new("D3030").index(1).value(json_text(v))),
            }
        }
        _ => return Err(Error::new("D3030").index(1).value(json_text(v))),
    })
}

pub(super) fn floor(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    unary(args, f64::floor)
}

pub(super) fn ceil(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    unary(args, f64::ceil)
}

pub(super) fn abs(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    unary(args, f64::abs)
}

/// JavaScript's `Math.round`: halves up, towards positive infinity.
fn js_round(x: f64) -> f64 {
    let f = x.floor();
    if x - f >= 0.5 {
        f + 1.0
    } else {
        f
    }
}

/// Moves the decimal point of `v` by `places`, on its decimal digits (as the reference does
/// through its text), so no binary rounding creeps in.
fn shift(v: f64, places: i32) -> f64 {
    let text = to_js_string(v);
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m.to_owned(), e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    crate::jsonata::number::parse(&format!("{}e{}", mantissa, exp + places)).unwrap_or(f64::NAN)
}

/// `$round()`: half to even, at `precision` decimal places.
pub(crate) fn round_half_even(v: f64, precision: i32) -> f64 {
    let x = if precision != 0 {
        shift(v, precision)
    } else {
        v
    };
    let mut r = js_round(x);
    if (r - x).abs() == 0.5 && (r % 2.0).abs() == 1.0 {
        r -= 1.0;
    }
    if precision != 0 {
        r = shift(r, -precision);
    }
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

pub(super) fn round(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let Some(v) = num(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let precision = num(arg(args, 1)).unwrap_or(0.0);
    if precision.fract() != 0.0 {
        // The reference shifts the point through the text `…e<precision>`, NaN unless whole.
        return Ok(Value::Number(f64::NAN));
    }
    let precision = precision.clamp(-400.0, 400.0) as i32;
    Ok(Value::Number(round_half_even(v, precision)))
}

pub(super) fn sqrt(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let Some(v) = num(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    if v < 0.0 {
        return Err(Error::new("D3060").index(1).value(to_js_string(v)));
    }
    Ok(Value::Number(v.sqrt()))
}

pub(super) fn power(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let Some(base) = num(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let exp = num(arg(args, 1)).unwrap_or(f64::NAN);
    let r = js_pow(base, exp);
    if !r.is_finite() {
        return Err(Error::new("D3061")
            .index(1)
            .value(to_js_string(base))
            .value2(to_js_string(exp)));
    }
    Ok(Value::Number(r))
}

/// `Math.pow`, whose special cases differ from C's `pow` for NaN exponents and ±1 bases.
fn js_pow(base: f64, exp: f64) -> f64 {
    if exp.is_nan() || (base.abs() == 1.0 && exp.is_infinite()) {
        return f64::NAN;
    }
    base.powf(exp)
}

pub(super) fn random(ctx: &mut Ctx<'_>, _: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(Value::Number(
        (ctx.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64,
    ))
}

pub(super) fn format_base(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(v) = num(arg(args, 0)) else {
        return Ok(Value::Undefined);
    };
    let v = round_half_even(v, 0);
    let radix = num(arg(args, 1)).map_or(10.0, |r| round_half_even(r, 0));
    if !(2.0..=36.0).contains(&radix) {
        return Err(Error::new("D3100").value(to_js_string(radix)));
    }
    Ok(Value::from_string(to_radix(v, radix as u32)))
}
