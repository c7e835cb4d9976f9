//! Encoding functions: `$base64encode $base64decode` (of Latin-1 text, as the reference's
//! `btoa`/`atob`) and `$encodeUrl $encodeUrlComponent $decodeUrl $decodeUrlComponent`
//! (JavaScript's `encodeURI` family).

use base64::Engine as _;

use super::arg;
use crate::jsonata::error::{quote, Error};
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::value::Value;

pub(super) fn base64encode(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = arg(args, 0).as_str() else {
        return Ok(Value::Undefined);
    };
    let bytes: Vec<u8> = s.encode_utf16().map(|u| u as u8).collect();
    Ok(Value::from_string(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

pub(super) fn base64decode(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = arg(args, 0).as_str() else {
        return Ok(Value::Undefined);
    };
    // Lenient like Node's Buffer: other characters are skipped, decoding stops at `=`.
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = String::new();
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(char::from(((bits >> n) & 0xFF) as u8));
        }
    }
    Ok(Value::from_string(out))
}

fn encode(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn decode(s: &str, reserved: &str, name: &str) -> Result<String, Error> {
    let bad = || Error::new("D3140").token(name).value(quote(s));
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
        let first = u8::from_str_radix(hex, 16).map_err(|_| bad())?;
        if first < 0x80 {
            if reserved.contains(char::from(first)) {
                out.extend_from_slice(&b[i..i + 3]);
            } else {
                out.push(first);
            }
            i += 3;
            continue;
        }
        let len = match first {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return Err(bad()),
        };
        let mut seq = vec![first];
        for k in 1..len {
            let at = i + 3 * k;
            if b.get(at) != Some(&b'%') {
                return Err(bad());
            }
            let hex = s.get(at + 1..at + 3).ok_or_else(bad)?;
            seq.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
        }
        std::str::from_utf8(&seq).map_err(|_| bad())?;
        out.extend_from_slice(&seq);
        i += 3 * len;
    }
    String::from_utf8(out).map_err(|_| bad())
}

pub(super) fn encode_url_component(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    Ok(arg(args, 0)
        .as_str()
        .map_or(Value::Undefined, |s| Value::from_string(encode(s, ""))))
}

pub(super) fn encode_url(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    Ok(arg(args, 0).as_str().map_or(Value::Undefined, |s| {
        Value::from_string(encode(s, ";,/?:@&=+$#"))
    }))
}

pub(super) fn decode_url_component(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    match arg(args, 0).as_str() {
        Some(s) => decode(s, "", "decodeUrlComponent").map(Value::from_string),
        None => Ok(Value::Undefined),
    }
}

pub(super) fn decode_url(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    match arg(args, 0).as_str() {
        Some(s) => decode(s, ";/?:@&=+$,#", "decodeUrl").map(Value::from_string),
        None => Ok(Value::Undefined),
    }
}
