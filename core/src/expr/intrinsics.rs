//! Amazon States Language intrinsic functions (`States.Format(…)` and the rest): parsed once
//! when a definition loads, evaluated each time a payload template renders.
//!
//! Arguments are string literals in single quotes (`\'`, `\{`, `\}` and `\\` are the only
//! escapes), JSON numbers, `true`, `false`, `null`, paths (`$`, `$.x`, `$$.Execution.Id`) and
//! nested calls, at most 10 deep. Arity, the types of literal arguments and everything else
//! that can be known without the input are checked by [`Intrinsic::parse`]; the rest fails at
//! run time with `States.IntrinsicFailure`, or `States.Runtime` when a path argument matches
//! nothing (as Step Functions names them).
//!
//! Behaviours taken from Step Functions rather than the ASL spec: `States.Format` writes arrays
//! and objects Java-style (`[1, a]`, `{k=v}`); a template that comes from a path has no escapes
//! (only a literal's `\{` is not a placeholder). Non-integers given to `MathAdd`, `MathRandom`,
//! `ArrayRange` and `ArrayPartition` are rounded like Java's `Math.round`; `MathRandom`'s end is
//! exclusive; `StringSplit` splits on each character of its second argument and drops empty
//! parts; `ArrayGetItem` out of range is an error.

use std::collections::HashSet;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Number, Value};
use sha2::Digest as _;

use super::path::{describe, integral, json_eq, missing_from, Path};
use super::variables::Scope;
use crate::error::{names, TaskError};
use crate::limits::{drop_deep, measure, Exceeded, Limits};
use crate::policy::Rng;

/// How deeply calls may nest, as in Step Functions.
const MAX_NESTING: usize = 10;
/// The longest string `States.Base64Encode`, `Base64Decode` and `Hash` take, in characters.
const MAX_ENCODE_CHARS: usize = 10_000;
/// The most items `States.ArrayRange` makes.
const MAX_RANGE_ITEMS: i128 = 1_000;
/// The hash algorithms `States.Hash` knows.
const HASH_ALGORITHMS: [&str; 5] = ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

/// A parsed intrinsic function call, such as `States.Format('Hello, {}!', $.name)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Intrinsic {
    call: Call,
}

#[derive(Clone, Debug, PartialEq)]
struct Call {
    func: Func,
    args: Vec<Arg>,
}

#[derive(Clone, Debug, PartialEq)]
enum Arg {
    /// A string literal: its value, and its text between the quotes with escapes kept (for
    /// `States.Format`, where `\{` is not a placeholder).
    Str {
        value: String,
        raw: String,
    },
    Number(Number),
    Bool(bool),
    Null,
    Path(Path),
    Call(Box<Call>),
}

/// The JSON kinds, for argument checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn of(value: &Value) -> Kind {
        match value {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

macro_rules! funcs {
    ($($variant:ident => $name:literal),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Func { $($variant),* }

        impl Func {
            fn from_name(name: &str) -> Option<Func> {
                match name {
                    $($name => Some(Func::$variant),)*
                    _ => None,
                }
            }

            fn name(self) -> &'static str {
                match self {
                    $(Func::$variant => $name,)*
                }
            }
        }
    };
}

funcs! {
    Format => "States.Format",
    StringToJson => "States.StringToJson",
    JsonToString => "States.JsonToString",
    Array => "States.Array",
    ArrayPartition => "States.ArrayPartition",
    ArrayContains => "States.ArrayContains",
    ArrayRange => "States.ArrayRange",
    ArrayGetItem => "States.ArrayGetItem",
    ArrayLength => "States.ArrayLength",
    ArrayUnique => "States.ArrayUnique",
    Base64Encode => "States.Base64Encode",
    Base64Decode => "States.Base64Decode",
    Hash => "States.Hash",
    JsonMerge => "States.JsonMerge",
    MathRandom => "States.MathRandom",
    MathAdd => "States.MathAdd",
    StringSplit => "States.StringSplit",
    Uuid => "States.UUID",
}

const ANY: &[Kind] = &[];
const STRING: &[Kind] = &[Kind::String];
const NUMBER: &[Kind] = &[Kind::Number];
const ARRAY: &[Kind] = &[Kind::Array];
const OBJECT: &[Kind] = &[Kind::Object];
const BOOL: &[Kind] = &[Kind::Bool];

impl Func {
    /// The fewest and most arguments (`None`: no limit).
    fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::Format => (1, None),
            Func::Array => (0, None),
            Func::Uuid => (0, Some(0)),
            Func::StringToJson
            | Func::JsonToString
            | Func::ArrayLength
            | Func::ArrayUnique
            | Func::Base64Encode
            | Func::Base64Decode => (1, Some(1)),
            Func::ArrayPartition
            | Func::ArrayContains
            | Func::ArrayGetItem
            | Func::Hash
            | Func::MathAdd
            | Func::StringSplit => (2, Some(2)),
            Func::MathRandom => (2, Some(3)),
            Func::ArrayRange | Func::JsonMerge => (3, Some(3)),
        }
    }

    /// The kinds argument `i` (0-based) may have; empty: any.
    fn param(self, i: usize) -> &'static [Kind] {
        match (self, i) {
            (Func::Format, 0) => STRING,
            (Func::Format | Func::JsonToString | Func::Array, _) => ANY,
            (Func::ArrayPartition | Func::ArrayContains | Func::ArrayGetItem, 0) => ARRAY,
            (Func::ArrayPartition | Func::ArrayGetItem, _) => NUMBER,
            (Func::ArrayContains, _) => ANY,
            (Func::ArrayLength | Func::ArrayUnique, _) => ARRAY,
            (Func::ArrayRange | Func::MathRandom | Func::MathAdd, _) => NUMBER,
            (
                Func::StringToJson
                | Func::Base64Encode
                | Func::Base64Decode
                | Func::Hash
                | Func::StringSplit,
                _,
            ) => STRING,
            (Func::JsonMerge, 0 | 1) => OBJECT,
            (Func::JsonMerge, _) => BOOL,
            (Func::Uuid, _) => ANY,
        }
    }

    /// The kind of value the function returns, when that is always the same.
    fn returns(self) -> Option<Kind> {
        match self {
            Func::StringToJson | Func::ArrayGetItem => None,
            Func::ArrayContains => Some(Kind::Bool),
            Func::ArrayLength | Func::MathRandom | Func::MathAdd => Some(Kind::Number),
            Func::JsonMerge => Some(Kind::Object),
            Func::Array
            | Func::ArrayPartition
            | Func::ArrayRange
            | Func::ArrayUnique
            | Func::StringSplit => Some(Kind::Array),
            Func::Format
            | Func::JsonToString
            | Func::Base64Encode
            | Func::Base64Decode
            | Func::Hash
            | Func::Uuid => Some(Kind::String),
        }
    }
}

impl Arg {
    /// The argument's kind when it is known before evaluation.
    fn static_kind(&self) -> Option<Kind> {
        match self {
            Arg::Str { .. } => Some(Kind::String),
            Arg::Number(_) => Some(Kind::Number),
            Arg::Bool(_) => Some(Kind::Bool),
            Arg::Null => Some(Kind::Null),
            Arg::Path(_) => None,
            Arg::Call(call) => call.func.returns(),
        }
    }

    /// Whether the argument's value does not depend on the input (it may still be random).
    fn is_constant(&self) -> bool {
        match self {
            Arg::Path(_) => false,
            Arg::Call(call) => call.args.iter().all(Arg::is_constant),
            _ => true,
        }
    }
}

impl Intrinsic {
    /// Parses an intrinsic function call, checking what can be checked without an input:
    /// the function exists, the number of arguments, the types of literal arguments, the
    /// `{}` count of a literal `States.Format` template, and calls whose arguments are all
    /// literals (`States.Base64Decode('%%')` fails here, not at run time).
    pub(crate) fn parse(text: &str) -> Result<Intrinsic, String> {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
        };
        p.skip_ws();
        let call = p.call(1)?;
        p.skip_ws();
        if let Some(c) = p.peek() {
            return Err(format!(
                "unexpected '{c}' at character {} after the end of the call",
                p.at()
            ));
        }
        Ok(Intrinsic { call })
    }

    /// Evaluates the call against a state's `input` and the `context` object. `rng` feeds
    /// `States.UUID` and unseeded `States.MathRandom`.
    pub(crate) fn eval(
        &self,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Value, TaskError> {
        self.call.eval(input, scope, rng)
    }
}

/// `States.DataLimitExceeded` for `what` ("the result of States.Format").
fn limit_error(exceeded: Exceeded, limits: &Limits, what: &str) -> TaskError {
    match exceeded {
        Exceeded::Bytes(_) => Exceeded::Bytes(limits.max_payload_bytes).error(what),
        depth => depth.error(what),
    }
}

fn failure(func: Func, reason: impl std::fmt::Display) -> TaskError {
    TaskError::new(
        names::INTRINSIC_FAILURE,
        format!("{}: {reason}", func.name()),
    )
}

impl Call {
    /// The static checks of [`Intrinsic::parse`].
    fn check(&self) -> Result<(), String> {
        let name = self.func.name();
        let n = self.args.len();
        match self.func.arity() {
            (min, Some(max)) if min == max && n != min => {
                return Err(format!("{name} takes {} but was given {n}", count(min)))
            }
            (min, _) if n < min => {
                return Err(format!(
                    "{name} takes at least {} but was given {n}",
                    count(min)
                ))
            }
            (_, Some(max)) if n > max => {
                return Err(format!(
                    "{name} takes at most {} but was given {n}",
                    count(max)
                ))
            }
            _ => {}
        }
        for (i, arg) in self.args.iter().enumerate() {
            let allowed = self.func.param(i);
            if let Some(kind) = arg.static_kind() {
                if !allowed.is_empty() && !allowed.contains(&kind) {
                    return Err(format!(
                        "{name}'s argument {} must be {}, not {}",
                        i + 1,
                        kinds(allowed),
                        kind.name()
                    ));
                }
            }
        }
        if let (Func::Format, Some(Arg::Str { raw, .. })) = (self.func, self.args.first()) {
            let placeholders = count_placeholders(raw, true);
            if placeholders != n - 1 {
                return Err(format!(
                    "{name}'s template has {placeholders} '{{}}' but {} value{} follow{} it",
                    n - 1,
                    if n == 2 { "" } else { "s" },
                    if n == 2 { "s" } else { "" },
                ));
            }
        }
        match (self.func, self.args.get(1), self.args.get(2)) {
            (Func::Hash, Some(Arg::Str { value, .. }), _)
                if !HASH_ALGORITHMS.contains(&value.as_str()) =>
            {
                return Err(format!(
                    "{name}: unsupported algorithm '{value}'; use one of {}",
                    HASH_ALGORITHMS.join(", ")
                ))
            }
            (Func::JsonMerge, _, Some(Arg::Bool(true))) => {
                return Err(format!(
                    "{name}: deep merging is not supported; the third argument must be false"
                ))
            }
            _ => {}
        }
        if self.args.iter().all(Arg::is_constant) {
            // Nothing depends on the input: errors now are errors every time.
            let mut rng = Rng::seeded(0);
            self.eval(&Value::Null, Scope::of_context(&Value::Null), &mut rng)
                .map_err(|e| e.cause)?;
        }
        Ok(())
    }

    /// The call's value. Its arguments together, and its result, stay within the payload
    /// limit and [`Limits::MAX_DEPTH`] (`States.DataLimitExceeded` past them), so that no
    /// call, however nested or repeated, builds more than that.
    fn eval(&self, input: &Value, scope: Scope<'_>, rng: &mut Rng) -> Result<Value, TaskError> {
        let limits = scope.limits;
        let mut left = limits.max_payload_bytes;
        let mut values = Vec::with_capacity(self.args.len());
        for (i, arg) in self.args.iter().enumerate() {
            let value = match arg {
                Arg::Str { value, .. } => Value::String(value.clone()),
                Arg::Number(n) => Value::Number(n.clone()),
                Arg::Bool(b) => Value::Bool(*b),
                Arg::Null => Value::Null,
                Arg::Call(call) => call.eval(input, scope, rng)?,
                Arg::Path(path) => path.select_in(input, scope)?.ok_or_else(|| {
                    TaskError::new(
                        names::RUNTIME,
                        format!(
                            "The JSONPath '{}' given to {} could not be found in {}",
                            path.as_str(),
                            self.func.name(),
                            missing_from(path, input, scope)
                        ),
                    )
                })?,
            };
            match measure(&value, left, Limits::MAX_DEPTH) {
                Ok(size) => left -= size.bytes,
                Err(exceeded) => {
                    drop_deep(value);
                    let what = format!("the arguments of {}", self.func.name());
                    return Err(limit_error(exceeded, limits, &what));
                }
            }
            let allowed = self.func.param(i);
            if !allowed.is_empty() && !allowed.contains(&Kind::of(&value)) {
                return Err(failure(
                    self.func,
                    format!(
                        "argument {} must be {}, but it is {}",
                        i + 1,
                        kinds(allowed),
                        describe(&value)
                    ),
                ));
            }
            values.push(value);
        }
        let result = self.run(values, rng, limits)?;
        if let Err(exceeded) = measure(&result, limits.max_payload_bytes, Limits::MAX_DEPTH) {
            drop_deep(result);
            let what = format!("the result of {}", self.func.name());
            return Err(limit_error(exceeded, limits, &what));
        }
        Ok(result)
    }

    /// The function itself, on arguments of the kinds [`Func::param`] allows.
    fn run(
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

/// "no arguments", "1 argument", "3 arguments".
fn count(n: usize) -> String {
    match n {
        0 => "no arguments".to_owned(),
        1 => "1 argument".to_owned(),
        n => format!("{n} arguments"),
    }
}

/// "a string", "a string or a number", ….
fn kinds(allowed: &[Kind]) -> String {
    allowed
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(" or ")
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
fn count_placeholders(template: &str, escapes: bool) -> usize {
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

/// A cursor over the text of a call.
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// 1-based position of the next character, for messages.
    fn at(&self) -> usize {
        self.pos + 1
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(c) => format!("'{c}'"),
            None => "the end".to_owned(),
        }
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `States.Name(args…)`, `depth` calls deep.
    fn call(&mut self, depth: usize) -> Result<Call, String> {
        if depth > MAX_NESTING {
            return Err(format!(
                "intrinsic functions nest at most {MAX_NESTING} deep (character {})",
                self.at()
            ));
        }
        let at = self.at();
        let name = self.word();
        if name.is_empty() {
            return Err(format!(
                "expected an intrinsic function such as States.Format(…) at character {at}, found {}",
                self.found()
            ));
        }
        let func = Func::from_name(&name).ok_or_else(|| {
            if name.starts_with("States.") {
                format!("unknown intrinsic function '{name}' at character {at}")
            } else {
                format!("'{name}' at character {at} is not an intrinsic function (they are named States.…)")
            }
        })?;
        self.skip_ws();
        if !self.eat('(') {
            return Err(format!(
                "expected '(' after {name} at character {}, found {}",
                self.at(),
                self.found()
            ));
        }
        let mut args = Vec::new();
        self.skip_ws();
        if !self.eat(')') {
            loop {
                self.skip_ws();
                args.push(self.arg(depth)?);
                self.skip_ws();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(format!(
                        "expected ',' or ')' in the arguments of {name} at character {}, found {}",
                        self.at(),
                        self.found()
                    ));
                }
            }
        }
        let call = Call { func, args };
        call.check()
            .map_err(|reason| format!("{reason} (at character {at})"))?;
        Ok(call)
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, String> {
        let at = self.at();
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                serde_json::from_str::<Number>(&text)
                    .map(Arg::Number)
                    .map_err(|_| format!("invalid number '{text}' at character {at}"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                let word = self.word();
                match word.as_str() {
                    "true" => Ok(Arg::Bool(true)),
                    "false" => Ok(Arg::Bool(false)),
                    "null" => Ok(Arg::Null),
                    _ => {
                        self.pos = start;
                        self.call(depth + 1).map(|call| Arg::Call(Box::new(call)))
                    }
                }
            }
            Some(c) => Err(format!(
                "unexpected '{c}' at character {at}: an argument is a 'string', a number, true, false, null, a path or a call"
            )),
            None => Err(format!("the call is cut short at character {at}")),
        }
    }

    /// A single-quoted string literal.
    fn string(&mut self) -> Result<Arg, String> {
        let open = self.at();
        self.pos += 1;
        let (mut value, mut raw) = (String::new(), String::new());
        loop {
            let Some(c) = self.peek() else {
                return Err(format!("unterminated string starting at character {open}"));
            };
            self.pos += 1;
            match c {
                '\'' => return Ok(Arg::Str { value, raw }),
                '\\' => match self.peek() {
                    Some(e @ ('\'' | '{' | '}' | '\\')) => {
                        self.pos += 1;
                        value.push(e);
                        raw.push('\\');
                        raw.push(e);
                    }
                    Some(e) => {
                        return Err(format!(
                            "invalid escape '\\{e}' at character {}: only \\', \\{{, \\}} and \\\\ are allowed",
                            self.pos
                        ))
                    }
                    None => return Err(format!("unterminated string starting at character {open}")),
                },
                c => {
                    value.push(c);
                    raw.push(c);
                }
            }
        }
    }

    /// A path argument: up to the next top-level `,`, `)` or whitespace.
    fn path(&mut self) -> Result<Arg, String> {
        let (start, at) = (self.pos, self.at());
        // The closers of the brackets (and filter parentheses) open at this point.
        let mut open: Vec<char> = Vec::new();
        let mut quote = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == '\\' {
                    self.pos += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match c {
                    '\'' | '"' if !open.is_empty() => quote = Some(c),
                    '[' => open.push(']'),
                    '(' if !open.is_empty() => open.push(')'),
                    ']' | ')' if open.last() == Some(&c) => {
                        open.pop();
                    }
                    ',' | ')' if open.is_empty() => break,
                    c if c.is_whitespace() && open.is_empty() => break,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        let end = self.pos.min(self.chars.len());
        let text: String = self.chars[start..end].iter().collect();
        Path::parse(&text)
            .map(Arg::Path)
            .map_err(|reason| format!("invalid path '{text}' at character {at}: {reason}"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn eval_with(text: &str, input: &Value) -> Result<Value, TaskError> {
        let context = json!({"Execution": {"Id": "arn:aws:states:exec", "Name": "run-1"}, "State": {"Name": "S"}});
        Intrinsic::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .eval(input, Scope::of_context(&context), &mut Rng::seeded(42))
    }

    fn eval(text: &str, input: Value) -> Value {
        eval_with(text, &input).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn aws_documentation_examples() {
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "States.Format('Hello, my name is {}.', $.name)",
                json!({"name": "Arnav", "template": "Hello, my name is {}."}),
                json!("Hello, my name is Arnav."),
            ),
            (
                "States.Format($.template, $.name)",
                json!({"name": "Arnav", "template": "Hello, my name is {}."}),
                json!("Hello, my name is Arnav."),
            ),
            (
                "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
                json!({"name": "Foo", "zebra": "stripe"}),
                json!("Your name is Foo, we are in the year 2020"),
            ),
            (
                "States.StringToJson($.escapedJsonString)",
                json!({"escapedJsonString": "{\"foo\": \"bar\"}"}),
                json!({"foo": "bar"}),
            ),
            (
                "States.StringToJson($.someString)",
                json!({"someString": "{\"number\": 20}", "zebra": "stripe"}),
                json!({"number": 20}),
            ),
            (
                "States.JsonToString($.unescapedJson)",
                json!({"unescapedJson": {"foo": "bar"}}),
                json!("{\"foo\":\"bar\"}"),
            ),
            (
                "States.JsonToString($.someJson)",
                json!({"someJson": {"name": "Foo", "year": 2020}, "zebra": "stripe"}),
                json!("{\"name\":\"Foo\",\"year\":2020}"),
            ),
            ("States.Array($.Id)", json!({"Id": 123456}), json!([123456])),
            (
                "States.Array('Foo', 2020, $.someJson, null)",
                json!({"someJson": {"random": "abcdefg"}, "zebra": "stripe"}),
                json!(["Foo", 2020, {"random": "abcdefg"}, null]),
            ),
            (
                "States.ArrayPartition($.inputArray,4)",
                json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
                json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
            ),
            (
                "States.ArrayContains($.inputArray, $.lookingFor)",
                json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5}),
                json!(true),
            ),
            ("States.ArrayRange(1, 9, 2)", json!({}), json!([1, 3, 5, 7, 9])),
            (
                "States.ArrayGetItem($.inputArray, $.index)",
                json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5}),
                json!(6),
            ),
            (
                "States.ArrayLength($.inputArray)",
                json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
                json!(9),
            ),
            (
                "States.ArrayUnique($.inputArray)",
                json!({"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}),
                json!([1, 2, 3, 4]),
            ),
            (
                "States.Base64Encode($.input)",
                json!({"input": "Data to encode"}),
                json!("RGF0YSB0byBlbmNvZGU="),
            ),
            (
                "States.Base64Decode($.base64)",
                json!({"base64": "RGF0YSB0byBlbmNvZGU="}),
                json!("Data to encode"),
            ),
            (
                // The docs print this digest with one '4' missing; this is SHA-1("input data").
                "States.Hash($.Data, $.Algorithm)",
                json!({"Data": "input data", "Algorithm": "SHA-1"}),
                json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
            ),
            (
                "States.JsonMerge($.json1, $.json2, false)",
                json!({"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}),
                json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
            ),
            (
                "States.MathAdd($.value1, $.step)",
                json!({"value1": 111, "step": -1}),
                json!(110),
            ),
            (
                "States.StringSplit($.inputString, $.splitter)",
                json!({"inputString": "1,2,3,4,5", "splitter": ","}),
                json!(["1", "2", "3", "4", "5"]),
            ),
            (
                "States.StringSplit($.inputString, $.splitter)",
                json!({"inputString": "This.is+a,test=string", "splitter": ".+,="}),
                json!(["This", "is", "a", "test", "string"]),
            ),
            (
                // The docs' nesting example, less its third '{}' (it passes only two values).
                "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))",
                json!({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123:image-recipe/my-recipe.v2/1.0.0"}}),
                json!("1.0"),
            ),
        ];
        for (text, input, expected) in cases {
            assert_eq!(eval(text, input), expected, "{text}");
        }
    }

    #[test]
    fn format_details() {
        let input = json!({"s": "x", "n": 1.5, "i": -3, "b": true, "z": null, "a": [1, "two", [3]], "o": {"k": "v", "n": 1}, "t": "a {} b \\{}"});
        let cases: &[(&str, &str)] = &[
            ("States.Format('no placeholders')", "no placeholders"),
            ("States.Format('')", ""),
            (
                "States.Format('{}{}{}{}{}', $.s, $.n, $.i, $.b, $.z)",
                "x1.5-3truenull",
            ),
            (
                "States.Format('{}|{}', $.a, $.o)",
                "[1, two, [3]]|{k=v, n=1}",
            ),
            ("States.Format('it\\'s {}', 'me')", "it's me"),
            ("States.Format('\\{\\} {} \\\\', 7)", "{} 7 \\"),
            ("States.Format('{ } {{}} }{', 1)", "{ } {1} }{"),
            ("States.Format($.t, 'X', 'Y')", "a X b \\Y"),
            ("States.Format('{}', 'a,b)c')", "a,b)c"),
            ("States.Format('{}', States.Format('<{}>', 'in'))", "<in>"),
            (
                "States.Format('{} {}', 12345678901234567890, -0.25e1)",
                "12345678901234567890 -2.5",
            ),
            ("States.Format('{}', $$.Execution.Name)", "run-1"),
            ("States.Format('ünï {} ✓', 'ç')", "ünï ç ✓"),
            ("  States.Format ( '{}' ,  $.s )  ", "x"),
        ];
        for (text, expected) in cases {
            assert_eq!(eval(text, input.clone()), json!(expected), "{text}");
        }
        let err = eval_with("States.Format($.t, 'X')", &input).unwrap_err();
        assert_eq!(err.error, names::INTRINSIC_FAILURE);
        assert!(
            err.cause.contains("2 '{}' but was given 1 value"),
            "{}",
            err.cause
        );
    }

    #[test]
    fn array_functions() {
        let input = json!({
            "a": [1, 2, 3, 4, 5],
            "mixed": [1, 1.0, "1", [1], [1.0], {"k": 1}, {"k": 1.0}, null, null, true, false, true],
            "e": []
        });
        let cases: &[(&str, Value)] = &[
            ("States.Array()", json!([])),
            ("States.Array(States.Array(1), 'two', true, false, null, -1.5)", json!([[1], "two", true, false, null, -1.5])),
            ("States.Array($, $$.State.Name)", json!([input.clone(), "S"])),
            ("States.ArrayPartition($.a, 2)", json!([[1, 2], [3, 4], [5]])),
            ("States.ArrayPartition($.a, 5)", json!([[1, 2, 3, 4, 5]])),
            ("States.ArrayPartition($.a, 10)", json!([[1, 2, 3, 4, 5]])),
            ("States.ArrayPartition($.a, 1.5)", json!([[1, 2], [3, 4], [5]])),
            ("States.ArrayPartition($.e, 3)", json!([])),
            ("States.ArrayPartition($.a, 9223372036854775807)", json!([[1, 2, 3, 4, 5]])),
            ("States.ArrayContains($.a, 3)", json!(true)),
            ("States.ArrayContains($.a, 3.0)", json!(true)),
            ("States.ArrayContains($.a, '3')", json!(false)),
            ("States.ArrayContains($.mixed, States.Array(1))", json!(true)),
            ("States.ArrayContains($.mixed, States.JsonMerge(States.StringToJson('{\"k\":1}'), States.StringToJson('{}'), false))", json!(true)),
            ("States.ArrayContains($.e, null)", json!(false)),
            ("States.ArrayRange(0, 0, 1)", json!([0])),
            ("States.ArrayRange(1, 9, 3)", json!([1, 4, 7])),
            ("States.ArrayRange(9, 1, -2)", json!([9, 7, 5, 3, 1])),
            ("States.ArrayRange(1, 9, -2)", json!([])),
            ("States.ArrayRange(9, 1, 2)", json!([])),
            ("States.ArrayRange(-3, 3, 3)", json!([-3, 0, 3])),
            ("States.ArrayRange(1.4, 3.5, 0.5)", json!([1, 2, 3, 4])),
            ("States.ArrayRange(1, 1000, 1)", Value::Array((1..=1000).map(Value::from).collect())),
            ("States.ArrayRange(9223372036854775806, 9223372036854775807, 1)", json!([9223372036854775806_i64, 9223372036854775807_i64])),
            ("States.ArrayGetItem($.a, 0)", json!(1)),
            ("States.ArrayGetItem($.a, 4)", json!(5)),
            ("States.ArrayGetItem($.a, 2.0)", json!(3)),
            ("States.ArrayGetItem($.mixed, 5)", json!({"k": 1})),
            ("States.ArrayLength($.e)", json!(0)),
            ("States.ArrayLength($.mixed)", json!(12)),
            ("States.ArrayUnique($.e)", json!([])),
            ("States.ArrayUnique($.mixed)", json!([1, "1", [1], {"k": 1}, null, true, false])),
            ("States.ArrayUnique(States.Array('a', 'b', 'a', 'ab', 'b'))", json!(["a", "b", "ab"])),
            (
                "States.ArrayUnique(States.StringToJson('[{\"a\": 1, \"b\": [2]}, {\"b\": [2.0], \"a\": 1}, {\"a\": 1}]'))",
                json!([{"a": 1, "b": [2]}, {"a": 1}]),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&eval(text, input.clone()), expected, "{text}");
        }
    }

    #[test]
    fn encoding_hashing_json_math_and_strings() {
        let input = json!({"empty": "", "uni": "ünïcødé ✓", "o1": {"a": 1, "b": {"x": 1}}, "o2": {"b": {"y": 2}, "c": [3]}});
        let cases: &[(&str, Value)] = &[
            ("States.Base64Encode('')", json!("")),
            ("States.Base64Encode('f')", json!("Zg==")),
            ("States.Base64Encode('fo')", json!("Zm8=")),
            ("States.Base64Encode('foo')", json!("Zm9v")),
            ("States.Base64Encode($.uni)", json!("w7xuw69jw7hkw6kg4pyT")),
            ("States.Base64Decode('Zm9vYmFy')", json!("foobar")),
            ("States.Base64Decode('Zg')", json!("f")),
            ("States.Base64Decode('Zm9v\nYmFy')", json!("foobar")),
            ("States.Base64Decode('w7xuw69jw7hkw6kg4pyT')", json!("ünïcødé ✓")),
            ("States.Base64Decode(States.Base64Encode($.uni))", json!("ünïcødé ✓")),
            ("States.Hash($.empty, 'MD5')", json!("d41d8cd98f00b204e9800998ecf8427e")),
            ("States.Hash('abc', 'MD5')", json!("900150983cd24fb0d6963f7d28e17f72")),
            ("States.Hash('abc', 'SHA-1')", json!("a9993e364706816aba3e25717850c26c9cd0d89d")),
            ("States.Hash('abc', 'SHA-256')", json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")),
            ("States.Hash('abc', 'SHA-384')", json!("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")),
            ("States.Hash('abc', 'SHA-512')", json!("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")),
            ("States.JsonMerge($.o1, $.o2, false)", json!({"a": 1, "b": {"y": 2}, "c": [3]})),
            ("States.JsonMerge($.o2, $.o1, false)", json!({"a": 1, "b": {"x": 1}, "c": [3]})),
            ("States.StringToJson('[1, \"a\", {\"b\": null}]')", json!([1, "a", {"b": null}])),
            ("States.StringToJson(' 12 ')", json!(12)),
            ("States.JsonToString(States.StringToJson('{\"b\": [1, 2.5], \"a\": \"\\\\\"q\\\\\"\"}'))", json!(r#"{"b":[1,2.5],"a":"\"q\""}"#)),
            ("States.JsonToString('plain')", json!("\"plain\"")),
            ("States.JsonToString($.empty)", json!("\"\"")),
            ("States.MathAdd(1, 2)", json!(3)),
            ("States.MathAdd(-9, 3)", json!(-6)),
            // Step Functions rounds like Java's Math.round (AWS-validated LocalStack cases).
            ("States.MathAdd(1.49, 1.50)", json!(3)),
            ("States.MathAdd(1.50, 1.51)", json!(4)),
            ("States.MathAdd(-1.49, -1.50)", json!(-2)),
            ("States.MathAdd(2.5, 0)", json!(3)),
            ("States.MathAdd(-2.5, 0)", json!(-2)),
            ("States.MathAdd(-0.5, 0.5)", json!(1)),
            ("States.MathAdd(2147483647, 2147483647)", json!(4294967294_i64)),
            ("States.MathAdd(-2147483648, -2147483648)", json!(-4294967296_i64)),
            ("States.MathAdd(States.ArrayLength(States.Array(1, 2)), 1)", json!(3)),
            ("States.StringSplit(',,,,', ',')", json!([])),
            ("States.StringSplit(', , ,', ',')", json!([" ", " "])),
            ("States.StringSplit(' ', ',')", json!([" "])),
            ("States.StringSplit('', ',')", json!([])),
            ("States.StringSplit('abc', '')", json!(["abc"])),
            ("States.StringSplit('a✓b✓✓c', '✓')", json!(["a", "b", "c"])),
            ("States.StringSplit('split on T and \nnew line', 'T\n')", json!(["split on ", " and ", "new line"])),
        ];
        for (text, expected) in cases {
            assert_eq!(&eval(text, input.clone()), expected, "{text}");
        }
    }

    #[test]
    fn random_and_uuid_use_the_rng() {
        let parse = |text: &str| Intrinsic::parse(text).unwrap();
        let (input, context) = (json!({"start": 1, "end": 999}), Value::Null);

        let random = parse("States.MathRandom($.start, $.end)");
        let mut rng = Rng::seeded(7);
        let draws: Vec<i64> = (0..2_000)
            .map(|_| {
                random
                    .eval(&input, Scope::of_context(&context), &mut rng)
                    .unwrap()
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert!(
            draws.iter().all(|d| (1..999).contains(d)),
            "end is exclusive"
        );
        assert!(draws.iter().any(|d| *d != draws[0]));
        let again: Vec<i64> = {
            let mut rng = Rng::seeded(7);
            (0..2_000)
                .map(|_| {
                    random
                        .eval(&input, Scope::of_context(&context), &mut rng)
                        .unwrap()
                        .as_i64()
                        .unwrap()
                })
                .collect()
        };
        assert_eq!(draws, again, "the same Rng gives the same numbers");

        let narrow = parse("States.MathRandom(5, 6)");
        assert_eq!(
            narrow
                .eval(&input, Scope::of_context(&context), &mut rng)
                .unwrap(),
            json!(5)
        );
        let rounded = parse("States.MathRandom(1.5, 2.5)");
        assert_eq!(
            rounded
                .eval(&input, Scope::of_context(&context), &mut rng)
                .unwrap(),
            json!(2)
        );
        let wide = parse("States.MathRandom(-9223372036854775808, 9223372036854775807)");
        assert!(wide
            .eval(&input, Scope::of_context(&context), &mut rng)
            .unwrap()
            .is_i64());

        // A seed gives the same number whatever the Rng, and leaves the Rng alone.
        let seeded = parse("States.MathRandom(0, 1000, 3)");
        let mut a = Rng::seeded(1);
        let mut b = Rng::seeded(2);
        let x = seeded
            .eval(&input, Scope::of_context(&context), &mut a)
            .unwrap();
        assert_eq!(
            x,
            seeded
                .eval(&input, Scope::of_context(&context), &mut b)
                .unwrap()
        );
        assert_eq!(a, Rng::seeded(1));
        let seeds: HashSet<String> = (0..20)
            .map(|s| {
                parse(&format!("States.MathRandom(0, 1000000, {s})"))
                    .eval(&input, Scope::of_context(&context), &mut a)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert!(seeds.len() > 15, "different seeds give different numbers");

        let uuid = parse("States.UUID()");
        let mut rng = Rng::seeded(9);
        let mut seen = HashSet::new();
        for _ in 0..1_000 {
            let Value::String(id) = uuid
                .eval(&input, Scope::of_context(&context), &mut rng)
                .unwrap()
            else {
                panic!("a UUID is a string")
            };
            let b = id.as_bytes();
            assert_eq!(id.len(), 36, "{id}");
            assert_eq!([b[8], b[13], b[18], b[23]], [b'-'; 4], "{id}");
            assert_eq!(b[14], b'4', "version 4: {id}");
            assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "variant: {id}");
            assert!(id
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
            assert!(seen.insert(id));
        }
        let mut same = Rng::seeded(9);
        let first = uuid
            .eval(&input, Scope::of_context(&context), &mut same)
            .unwrap();
        assert_eq!(
            first,
            uuid.eval(&input, Scope::of_context(&context), &mut Rng::seeded(9))
                .unwrap()
        );
    }

    #[test]
    fn runtime_failures_name_the_error() {
        let input = json!({
            "s": "text", "n": 5, "a": [1, 2], "o": {"k": 1}, "bad": "{nope",
            "big": "x".repeat(10_001), "ok": "x".repeat(10_000), "b64": "!!!", "latin1": "/w==",
            "algo": "SHA-3", "deep": true
        });
        let cases: &[(&str, &str, &str)] = &[
            (
                "States.Format('{}', $.missing)",
                names::RUNTIME,
                "The JSONPath '$.missing' given to States.Format could not be found in the input",
            ),
            (
                "States.Array($$.Nope)",
                names::RUNTIME,
                "could not be found in the context object",
            ),
            (
                "States.Format($.n)",
                names::INTRINSIC_FAILURE,
                "States.Format: argument 1 must be a string, but it is a number",
            ),
            (
                "States.StringToJson($.bad)",
                names::INTRINSIC_FAILURE,
                "not valid JSON",
            ),
            (
                "States.StringToJson($.n)",
                names::INTRINSIC_FAILURE,
                "must be a string",
            ),
            (
                "States.ArrayPartition($.a, $.s)",
                names::INTRINSIC_FAILURE,
                "argument 2 must be a number, but it is a string",
            ),
            (
                "States.ArrayPartition($.a, States.MathAdd($.n, -5))",
                names::INTRINSIC_FAILURE,
                "chunk size must be a positive integer",
            ),
            (
                "States.ArrayPartition($.o, 1)",
                names::INTRINSIC_FAILURE,
                "argument 1 must be an array, but it is an object",
            ),
            (
                "States.ArrayRange(0, $.n, 0)",
                names::INTRINSIC_FAILURE,
                "step must not be 0",
            ),
            (
                "States.ArrayRange(0, States.MathAdd($.n, 995), 1)",
                names::INTRINSIC_FAILURE,
                "the range has 1001 items",
            ),
            (
                "States.ArrayGetItem($.a, 2)",
                names::INTRINSIC_FAILURE,
                "index 2 is out of bounds for an array of 2 items",
            ),
            (
                "States.ArrayGetItem($.a, -1)",
                names::INTRINSIC_FAILURE,
                "index -1 is out of bounds",
            ),
            (
                "States.ArrayGetItem($.a, 0.5)",
                names::INTRINSIC_FAILURE,
                "index must be an integer",
            ),
            (
                "States.ArrayLength($.s)",
                names::INTRINSIC_FAILURE,
                "must be an array, but it is a string",
            ),
            (
                "States.Base64Encode($.big)",
                names::INTRINSIC_FAILURE,
                "10001 characters; the limit is 10000",
            ),
            (
                "States.Base64Decode($.big)",
                names::INTRINSIC_FAILURE,
                "the limit is 10000",
            ),
            (
                "States.Base64Decode($.b64)",
                names::INTRINSIC_FAILURE,
                "not valid Base64",
            ),
            (
                "States.Base64Decode($.latin1)",
                names::INTRINSIC_FAILURE,
                "not UTF-8",
            ),
            (
                "States.Hash($.big, 'MD5')",
                names::INTRINSIC_FAILURE,
                "the limit is 10000",
            ),
            (
                "States.Hash($.s, $.algo)",
                names::INTRINSIC_FAILURE,
                "unsupported algorithm 'SHA-3'",
            ),
            (
                "States.Hash($.n, 'MD5')",
                names::INTRINSIC_FAILURE,
                "must be a string",
            ),
            (
                "States.JsonMerge($.o, $.o, $.deep)",
                names::INTRINSIC_FAILURE,
                "deep merging is not supported",
            ),
            (
                "States.JsonMerge($.o, $.a, false)",
                names::INTRINSIC_FAILURE,
                "argument 2 must be an object, but it is an array",
            ),
            (
                "States.MathRandom($.n, 5)",
                names::INTRINSIC_FAILURE,
                "the end (5) must be greater than the start (5)",
            ),
            (
                "States.MathRandom($.n, 4)",
                names::INTRINSIC_FAILURE,
                "must be greater than the start",
            ),
            (
                "States.MathAdd($.n, 2147483648)",
                names::INTRINSIC_FAILURE,
                "argument 2 must be an integer from -2147483648 to 2147483647",
            ),
            (
                "States.MathAdd($.n, 1e300)",
                names::INTRINSIC_FAILURE,
                "argument 2 must be an integer",
            ),
            (
                "States.StringSplit($.s, $.n)",
                names::INTRINSIC_FAILURE,
                "argument 2 must be a string",
            ),
            (
                "States.ArrayGetItem(States.StringToJson($.bad), 0)",
                names::INTRINSIC_FAILURE,
                "States.StringToJson: the string is not valid JSON",
            ),
        ];
        for (text, error, needle) in cases {
            let err = eval_with(text, &input).unwrap_err();
            assert_eq!(err.error, *error, "{text}: {err}");
            assert!(
                err.cause.contains(needle),
                "{text}: {:?} lacks {needle:?}",
                err.cause
            );
        }
        assert_eq!(
            eval("States.Base64Encode($.ok)", input.clone())
                .as_str()
                .map(str::len),
            Some(13_336)
        );
        assert!(eval_with("States.Hash($.ok, 'SHA-512')", &input).is_ok());
    }

    #[test]
    fn parse_errors_catch_what_is_known_statically() {
        let cases: &[(&str, &str)] = &[
            ("", "expected an intrinsic function"),
            ("$.x", "expected an intrinsic function"),
            ("Format('x')", "is not an intrinsic function"),
            ("States.Nope()", "unknown intrinsic function 'States.Nope'"),
            ("states.Format('x')", "is not an intrinsic function"),
            ("States.Format", "expected '(' after States.Format"),
            ("States.Format(", "cut short"),
            ("States.Format('x'", "expected ',' or ')'"),
            ("States.Format('x',)", "unexpected ')'"),
            ("States.Format(,'x')", "unexpected ','"),
            ("States.Format('x') extra", "after the end of the call"),
            ("States.Format('x'))", "after the end of the call"),
            ("States.Format('unterminated)", "unterminated string"),
            ("States.Format('bad \\n escape')", "invalid escape '\\n'"),
            ("States.Format('trailing \\", "unterminated string"),
            (
                "States.Format()",
                "States.Format takes at least 1 argument but was given 0",
            ),
            (
                "States.UUID(1)",
                "States.UUID takes no arguments but was given 1",
            ),
            (
                "States.ArrayLength()",
                "States.ArrayLength takes 1 argument but was given 0",
            ),
            (
                "States.ArrayRange(1, 2)",
                "takes 3 arguments but was given 2",
            ),
            (
                "States.MathRandom(1, 2, 3, 4)",
                "takes at most 3 arguments but was given 4",
            ),
            (
                "States.MathRandom(1)",
                "takes at least 2 arguments but was given 1",
            ),
            (
                "States.Format(1)",
                "States.Format's argument 1 must be a string, not a number",
            ),
            (
                "States.ArrayLength('abc')",
                "must be an array, not a string",
            ),
            (
                "States.ArrayLength(States.Format('x'))",
                "must be an array, not a string",
            ),
            ("States.MathAdd(true, 1)", "must be a number, not a boolean"),
            (
                "States.MathAdd(States.UUID(), 1)",
                "must be a number, not a string",
            ),
            (
                "States.JsonMerge($.a, $.b, 'no')",
                "argument 3 must be a boolean, not a string",
            ),
            (
                "States.Hash($.a, null)",
                "argument 2 must be a string, not null",
            ),
            (
                "States.Format('{} and {}', $.a)",
                "template has 2 '{}' but 1 value follows it",
            ),
            (
                "States.Format('{}', 1, 2)",
                "template has 1 '{}' but 2 values follow it",
            ),
            (
                "States.Format('\\{}', 1)",
                "template has 0 '{}' but 1 value follows it",
            ),
            ("States.Hash($.a, 'SHA-3')", "unsupported algorithm 'SHA-3'"),
            (
                "States.JsonMerge($.a, $.b, true)",
                "deep merging is not supported",
            ),
            ("States.ArrayRange(1, 2, 0)", "step must not be 0"),
            ("States.ArrayRange(1, 1001, 1)", "1001 items"),
            (
                "States.ArrayPartition(States.Array(1), 0)",
                "chunk size must be a positive integer",
            ),
            ("States.ArrayGetItem(States.Array(1), 1)", "out of bounds"),
            ("States.Base64Decode('%%')", "not valid Base64"),
            ("States.StringToJson('{')", "not valid JSON"),
            ("States.MathRandom(3, 3)", "must be greater than the start"),
            ("States.MathAdd(1, 9999999999)", "must be an integer from"),
            ("States.Array(01)", "invalid number '01'"),
            ("States.Array(1e999)", "invalid number"),
            ("States.Array(-)", "invalid number '-'"),
            (
                "States.Array(nul)",
                "'nul' at character 14 is not an intrinsic function",
            ),
            ("States.Array($.a b)", "expected ',' or ')'"),
            ("States.Array($.)", "invalid path '$.' at character 14"),
            ("States.Array($[0)", "invalid path"),
            ("States.Array(\"double\")", "unexpected '\"'"),
            ("States.Array(@.x)", "unexpected '@'"),
        ];
        for (text, needle) in cases {
            let err = Intrinsic::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err:?} lacks {needle:?}");
        }
        // Errors inside nested calls are reported too.
        let err = Intrinsic::parse("States.Array(States.Format(1))").unwrap_err();
        assert!(err.contains("States.Format's argument 1"), "{err}");
    }

    #[test]
    fn paths_as_arguments() {
        let input = json!({"a b": {"c": 1}, "list": [{"v": 1}, {"v": 2}, {"v": 3}], "it's": "q", "x,y": 2, "p(q)": 3});
        let cases: &[(&str, Value)] = &[
            ("States.Array($)", json!([input.clone()])),
            ("States.Array($['a b'].c)", json!([1])),
            ("States.Array($.['a b'].c)", json!([1])),
            ("States.Array($.list[*].v)", json!([[1, 2, 3]])),
            (
                "States.Array($.list[1:].v, $.list[-1].v)",
                json!([[2, 3], 3]),
            ),
            ("States.Array($.list[?(@.v > 1)].v)", json!([[2, 3]])),
            (
                "States.Array($.list[?(@.v == 1 || (@.v == 3))].v)",
                json!([[1, 3]]),
            ),
            ("States.Array($['it\\'s'])", json!(["q"])),
            ("States.Array($['x,y'], $[\"p(q)\"])", json!([2, 3])),
            ("States.Array($..v)", json!([[1, 2, 3]])),
            (
                "States.Array($$.Execution.Id,$.list[0].v)",
                json!(["arn:aws:states:exec", 1]),
            ),
            ("States.ArrayLength($.list)", json!(3)),
        ];
        for (text, expected) in cases {
            assert_eq!(&eval(text, input.clone()), expected, "{text}");
        }
    }

    #[test]
    fn nesting_is_limited_to_ten() {
        let nest =
            |depth: usize| format!("{}1{}", "States.Array(".repeat(depth), ")".repeat(depth));
        let mut expected = json!(1);
        for _ in 0..10 {
            expected = json!([expected]);
        }
        assert_eq!(eval(&nest(10), Value::Null), expected);
        assert!(Intrinsic::parse(&nest(11))
            .unwrap_err()
            .contains("nest at most 10"));
        assert!(Intrinsic::parse(&nest(100_000))
            .unwrap_err()
            .contains("nest at most 10"));
    }

    /// Random text from characters that matter to the parsers, `len` characters at most.
    fn random_text(rng: &mut Rng, len: u64) -> String {
        const PIECES: &[&str] = &[
            "States.",
            "Format",
            "Array",
            "ArrayRange",
            "MathRandom",
            "UUID",
            "Hash",
            "JsonMerge",
            "StringToJson",
            "(",
            ")",
            ",",
            " ",
            "'",
            "\\",
            "{",
            "}",
            "{}",
            "$",
            "$$",
            ".",
            "..",
            "[",
            "]",
            "*",
            "?",
            "@",
            "==",
            "<",
            "!",
            "&&",
            "||",
            ":",
            "-",
            "0",
            "1",
            "9",
            "1.5",
            "e9",
            "true",
            "null",
            "a",
            "é",
            "✓",
            "\"",
            "\u{0}",
            "SHA-1",
            "'x'",
        ];
        let n = rng.between(0, len);
        (0..n)
            .map(|_| PIECES[rng.between(0, PIECES.len() as u64 - 1) as usize])
            .collect()
    }

    #[test]
    fn random_text_never_panics() {
        let mut rng = Rng::seeded(2024);
        let input = json!({"a": [1, "x", {"b": null}], "s": "text", "n": 2});
        for _ in 0..20_000 {
            let text = random_text(&mut rng, 24);
            if let Ok(call) = Intrinsic::parse(&text) {
                let _ = call.eval(&input, Scope::of_context(&input), &mut rng);
            }
            let prefixed = format!("States.Array({text})");
            if let Ok(call) = Intrinsic::parse(&prefixed) {
                let _ = call.eval(&input, Scope::of_context(&input), &mut rng);
            }
            let path = format!("${text}");
            if let Ok(path) = Path::parse(&path) {
                let _ = path.select(&input, &input);
            }
            if let Ok(path) = super::super::path::ReferencePath::parse(&format!("${text}")) {
                let mut target = input.clone();
                let _ = path.set(&mut target, json!(1));
                let _ = path.get(&input);
            }
        }
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let inputs = [
            "States.",
            "States.(",
            "(",
            ")",
            "'",
            "\\",
            "States.Format('{",
            "States.Format('}')",
            "States.Array($[",
            "States.Array($['",
            "States.Array($[?(",
            "States.Array($[?(@.a == ')')])",
            "States.Array(-1-1)",
            "States.Array(1..2)",
            "States.Array(.5)",
            "States.Array(+1)",
            "States.Array(ｔrue)",
            "States.Array(✓)",
            "States.Array('\u{0}')",
            "States.Array(States.Array(",
            "States.Array(18446744073709551616)",
            "States.ArrayRange(-9223372036854775808, 9223372036854775807, 9223372036854775807)",
            "States.ArrayRange(9223372036854775807, -9223372036854775808, -1)",
            "States.MathRandom(-1e300, 1e300)",
            "States.ArrayPartition(States.Array(), -0.4)",
        ];
        for text in inputs {
            if let Ok(call) = Intrinsic::parse(text) {
                let _ = call.eval(
                    &json!({"a": 1}),
                    Scope::of_context(&Value::Null),
                    &mut Rng::seeded(1),
                );
            }
        }
        assert_eq!(eval("States.Array('\u{0}')", Value::Null), json!(["\u{0}"]));
        assert_eq!(
            eval("States.Array(18446744073709551615)", Value::Null),
            json!([u64::MAX])
        );
        assert_eq!(
            eval(
                "States.ArrayRange(-9223372036854775808, 9223372036854775807, 9223372036854775807)",
                Value::Null
            ),
            json!([i64::MIN, -1, i64::MAX - 1])
        );
    }
}
