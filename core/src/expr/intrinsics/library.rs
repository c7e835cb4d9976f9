//! The function library: what each `States.*` function does with its evaluated arguments.

use super::*;

impl Call {
    /// The function itself, on arguments of the kinds [`Func::param`] allows.
    pub(super) fn run(
        &self,
        mut args: Vec<Value>,
        rng: &mut Rng,
        limits: &Limits,
    ) -> Result<Value, TaskError> {
        let func = self.func;
        let fail = |reason: String| failure(func, reason);
        match func {
            Func::Format => {
                let values = args.split_off(1.min(args.len()));
                let (template, escapes) = match (self.args.first(), args.first()) {
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
            Func::StringToJson => {
                let text = string(&args, 0);
                serde_json::from_str(text)
                    .map_err(|e| fail(format!("the string is not valid JSON ({e})")))
            }
            Func::JsonToString => {
                let value = args.first().unwrap_or(&Value::Null);
                serde_json::to_string(value)
                    .map(Value::String)
                    .map_err(|e| fail(e.to_string()))
            }
            Func::Array => Ok(Value::Array(args)),
            Func::ArrayPartition => {
                let size = rounded(&args, 1)
                    .filter(|size| *size > 0)
                    .ok_or_else(|| fail("the chunk size must be a positive integer".to_owned()))?;
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                let chunks = array(&args, 0)
                    .chunks(size)
                    .map(|chunk| Value::Array(chunk.to_vec()))
                    .collect();
                Ok(Value::Array(chunks))
            }
            Func::ArrayContains => {
                let needle = args.get(1).unwrap_or(&Value::Null);
                Ok(Value::Bool(
                    array(&args, 0).iter().any(|item| json_eq(item, needle)),
                ))
            }
            Func::ArrayRange => {
                let bound = |i: usize, what: &str| {
                    rounded(&args, i).ok_or_else(|| fail(format!("the {what} must be an integer")))
                };
                let (start, end, step) = (bound(0, "start")?, bound(1, "end")?, bound(2, "step")?);
                if step == 0 {
                    return Err(fail("the step must not be 0".to_owned()));
                }
                let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
                let len = if (end - start).signum() * step.signum() < 0 {
                    0
                } else {
                    (end - start) / step + 1
                };
                if len > MAX_RANGE_ITEMS {
                    return Err(fail(format!(
                        "the range has {len} items; at most {MAX_RANGE_ITEMS} are allowed"
                    )));
                }
                let items = (0..len)
                    .filter_map(|i| i64::try_from(start + i * step).ok())
                    .map(Value::from)
                    .collect();
                Ok(Value::Array(items))
            }
            Func::ArrayGetItem => {
                let items = array(&args, 0);
                let index = match args.get(1) {
                    Some(Value::Number(n)) => integral(n),
                    _ => None,
                }
                .ok_or_else(|| fail("the index must be an integer".to_owned()))?;
                usize::try_from(index)
                    .ok()
                    .and_then(|i| items.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        fail(format!(
                            "the index {index} is out of bounds for an array of {} items",
                            items.len()
                        ))
                    })
            }
            Func::ArrayLength => Ok(Value::from(array(&args, 0).len())),
            Func::ArrayUnique => {
                let mut seen = HashSet::new();
                let unique = array(&args, 0)
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
            Func::Base64Encode => {
                let text = limited(string(&args, 0), "encode").map_err(fail)?;
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
                ))
            }
            Func::Base64Decode => {
                let text = limited(string(&args, 0), "decode").map_err(fail)?;
                // MIME Base64: line breaks and other whitespace are ignored, padding optional.
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let engine = base64::engine::GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    base64::engine::GeneralPurposeConfig::new()
                        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
                        .with_decode_allow_trailing_bits(true),
                );
                let bytes = engine
                    .decode(compact)
                    .map_err(|e| fail(format!("the string is not valid Base64 ({e})")))?;
                String::from_utf8(bytes)
                    .map(Value::String)
                    .map_err(|_| fail("the decoded data is not UTF-8 text".to_owned()))
            }
            Func::Hash => {
                let data = limited(string(&args, 0), "hash").map_err(fail)?.as_bytes();
                let digest = match string(&args, 1) {
                    "MD5" => md5::Md5::digest(data).to_vec(),
                    "SHA-1" => sha1::Sha1::digest(data).to_vec(),
                    "SHA-256" => sha2::Sha256::digest(data).to_vec(),
                    "SHA-384" => sha2::Sha384::digest(data).to_vec(),
                    "SHA-512" => sha2::Sha512::digest(data).to_vec(),
                    other => {
                        return Err(fail(format!(
                            "unsupported algorithm '{other}'; use one of {}",
                            HASH_ALGORITHMS.join(", ")
                        )))
                    }
                };
                Ok(Value::String(hex(&digest)))
            }
            Func::JsonMerge => {
                if args.get(2) == Some(&Value::Bool(true)) {
                    return Err(fail(
                        "deep merging is not supported; the third argument must be false"
                            .to_owned(),
                    ));
                }
                let mut args = args.into_iter();
                let (Some(Value::Object(mut merged)), Some(Value::Object(second))) =
                    (args.next(), args.next())
                else {
                    return Err(fail("both values to merge must be objects".to_owned()));
                };
                merged.extend(second);
                Ok(Value::Object(merged))
            }
            Func::MathRandom => {
                let bound = |i: usize, what: &str| {
                    rounded(&args, i).ok_or_else(|| fail(format!("the {what} must be an integer")))
                };
                let (start, end) = (bound(0, "start")?, bound(1, "end")?);
                if end <= start {
                    return Err(fail(format!(
                        "the end ({end}) must be greater than the start ({start}); the end is exclusive"
                    )));
                }
                let span =
                    u64::try_from(i128::from(end) - i128::from(start) - 1).unwrap_or(u64::MAX);
                let offset = match args.get(2) {
                    Some(_) => {
                        let seed = bound(2, "seed")?;
                        Rng::seeded(seed as u64).between(0, span)
                    }
                    None => rng.between(0, span),
                };
                let value = i128::from(start) + i128::from(offset);
                Ok(Value::from(i64::try_from(value).unwrap_or(start)))
            }
            Func::MathAdd => {
                let mut sum: i64 = 0;
                for i in 0..2 {
                    let n = rounded(&args, i)
                        .filter(|n| i32::try_from(*n).is_ok())
                        .ok_or_else(|| {
                            fail(format!(
                                "argument {} must be an integer from {} to {}",
                                i + 1,
                                i32::MIN,
                                i32::MAX
                            ))
                        })?;
                    sum += n;
                }
                Ok(Value::from(sum))
            }
            Func::StringSplit => {
                let (text, delimiters) = (string(&args, 0), string(&args, 1));
                let parts = text
                    .split(|c| delimiters.contains(c))
                    .filter(|part| !part.is_empty())
                    .map(|part| Value::String(part.to_owned()))
                    .collect();
                Ok(Value::Array(parts))
            }
            Func::Uuid => {
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
                bytes[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
                bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
                bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
                let h = hex(&bytes);
                Ok(Value::String(format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                )))
            }
        }
    }
}

/// Argument `i`'s string (the caller checked the kind).
fn string(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or_default()
}

/// Argument `i`'s array (the caller checked the kind).
fn array(args: &[Value], i: usize) -> &[Value] {
    args.get(i)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Argument `i` rounded to an integer the way Step Functions (Java's `Math.round`) does:
/// halves round up, so 2.5 → 3 and -2.5 → -2. `None` for non-numbers and numbers beyond `i64`.
fn rounded(args: &[Value], i: usize) -> Option<i64> {
    let Some(Value::Number(n)) = args.get(i) else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let x = n.as_f64()?;
    let floor = x.floor();
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    // Within ±2^63 the cast is exact.
    const TWO_POW_63: f64 = (1u64 << 63) as f64;
    (r.is_finite() && (-TWO_POW_63..TWO_POW_63).contains(&r)).then_some(r as i64)
}

/// `text` if it has at most [`MAX_ENCODE_CHARS`] characters.
fn limited<'a>(text: &'a str, verb: &str) -> Result<&'a str, String> {
    let chars = text.chars().count();
    if chars > MAX_ENCODE_CHARS {
        Err(format!(
            "cannot {verb} a string of {chars} characters; the limit is {MAX_ENCODE_CHARS}"
        ))
    } else {
        Ok(text)
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The `{}` placeholders in a `States.Format` template (with `escapes`, `\{` is no brace).
pub(super) fn count_placeholders(template: &str, escapes: bool) -> usize {
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

/// `States.Format`: `template` with each `{}` replaced by the next value; it stops as soon
/// as the text passes `max_bytes`.
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
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
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
