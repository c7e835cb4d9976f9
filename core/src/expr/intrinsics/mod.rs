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

use serde_json::{Number, Value};

use super::json::describe;
use super::path::{missing_from, Path};
use super::variables::Scope;
use crate::error::{names, TaskError};
use crate::limits::{drop_deep, measure, Exceeded, Limits};
use crate::policy::Rng;

/// How deeply calls may nest, as in Step Functions.
const MAX_NESTING: usize = 10;
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

mod check;
mod eval;
mod library;
mod parser;

use check::kinds;
use library::count_placeholders;
#[cfg(feature = "jsonata")]
pub(super) use library::for_jsonata;
use parser::Parser;
#[cfg(test)]
mod tests;
