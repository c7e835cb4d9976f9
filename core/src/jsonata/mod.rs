//! JSONata, the query and transformation language Step Functions accepts in
//! `"QueryLanguage": "JSONata"` states: an evaluator written for pollflow, tested
//! differentially against the reference implementation (the npm package `jsonata` 2.x).
//!
//! Parse once ([`Expression::parse`], errors with their position), evaluate many times
//! against a JSON input with variables, extra functions and limits ([`Environment`]):
//!
//! ```
//! use pollflow::jsonata::{Environment, Expression};
//! use serde_json::json;
//!
//! let expr = Expression::parse("Account.Order.Product[Price > $min].{ 'name': Description }")?;
//! let input = json!({"Account": {"Order": {"Product": [
//!     {"Description": "cheap", "Price": 5},
//!     {"Description": "dear", "Price": 50}
//! ]}}});
//! let env = Environment::new(0).variable("min", json!(10));
//! assert_eq!(expr.evaluate(Some(&input), &env)?, Some(json!({"name": "dear"})));
//! # Ok::<(), pollflow::jsonata::Error>(())
//! ```
//!
//! Input is hostile: evaluation is bounded in nesting depth, steps of work, sequence length
//! and string length ([`EvalLimits`]), and never panics. Time comes from the caller (`now_ms`),
//! random numbers from a seed. Regular expressions run on `regex-lite`; docs/jsonata.md
//! lists where they differ from JavaScript's, and every other known difference.

mod apply;
mod ast;
mod case;
mod convert;
mod error;
mod eval;
mod frame;
mod functions;
mod lexer;
mod number;
mod parser;
mod process;
mod regex;
mod serialize;
mod signature;
mod value;

use std::fmt;
use std::rc::Rc;

use serde_json::Value as Json;

pub use error::Error;

use ast::Node;
use eval::Ctx;
use frame::Frame;
use signature::Signature;
use value::{Flags, Key, Value};

/// A parsed JSONata expression: parse once, evaluate many times. `Send + Sync`, so it can
/// live in a shared graph.
pub struct Expression {
    text: String,
    root: Node,
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression").field(&self.text).finish()
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Expression {
    /// Parses an expression. Syntax errors carry the reference's codes (`S0xxx`) and the
    /// character position.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let raw = parser::Parser::parse(text)?;
        let root = process::process(raw)?;
        Ok(Expression {
            text: text.to_owned(),
            root,
        })
    }

    /// The text the expression was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn root(&self) -> &Node {
        &self.root
    }

    /// Evaluates against `input` (`None`: no input, JSONata's `undefined`). The result is
    /// `None` when nothing matched; otherwise JSON as `JSON.stringify` would write the
    /// reference's result (functions left out, non-finite numbers as `null`).
    pub fn evaluate(&self, input: Option<&Json>, env: &Environment) -> Result<Option<Json>, Error> {
        let limits = &env.limits;
        let mut ctx = Ctx::new(limits, env.now_ms, env.seed, &env.functions);
        let input = match input {
            Some(j) => convert::from_json(j, limits.max_depth)?,
            None => Value::Undefined,
        };
        let frame = Frame::root();
        for (name, value) in &env.variables {
            let v = convert::from_json(value, limits.max_depth)?;
            ctx.bind(&frame, Key::Var(name.as_str().into()), v);
        }
        ctx.bind(&frame, Key::Var("$".into()), input.clone());
        let input = match input {
            Value::Array(items, flags) if !flags.sequence => Value::array_with(
                vec![Value::Array(items, flags)],
                Flags {
                    outer_wrapper: true,
                    ..Flags::SEQUENCE
                },
            ),
            other => other,
        };
        let result = ctx.evaluate(&self.root, &input, &frame)?;
        let mut budget = ctx.budget();
        convert::to_json(&result, limits.max_depth, &mut budget)
    }
}

/// Bounds on one evaluation. Past one, evaluation fails with the code named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalLimits {
    /// Nesting of evaluation (recursion of the expression, not counting tail calls) and of
    /// values: `D1011`.
    pub max_depth: usize,
    /// Units of work: each node evaluated, call, comparison or value converted, and each
    /// item (or 16 bytes of string) made, so it bounds the memory an evaluation takes too:
    /// `D1012`.
    pub max_steps: u64,
    /// Items in one array or sequence: `D2015`.
    pub max_sequence: usize,
    /// Bytes in one string: `D2016`.
    pub max_string: usize,
}

impl Default for EvalLimits {
    /// 200 levels, 2 million steps, a million items, 16 MiB strings.
    fn default() -> Self {
        EvalLimits {
            max_depth: 200,
            max_steps: 2_000_000,
            max_sequence: 1_000_000,
            max_string: 16 << 20,
        }
    }
}

/// A function the host adds to the language (Step Functions' `$partition`, `$uuid`, …):
/// JSON arguments in, JSON out. It shadows a standard function of the same name.
pub struct HostFunction {
    name: String,
    signature: Signature,
    arity: usize,
    #[allow(clippy::type_complexity)]
    call: Box<dyn Fn(&[Option<Json>]) -> Result<Option<Json>, Error>>,
}

impl fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl HostFunction {
    /// A function `$name` with a JSONata signature (`"<n-n?:s>"`: the arguments it takes,
    /// checked before `call` runs) declaring `arity` parameters. `call` gets one entry per
    /// argument (`None` for undefined) and returns `None` for undefined.
    pub fn new(
        name: impl Into<String>,
        signature: &str,
        arity: usize,
        call: impl Fn(&[Option<Json>]) -> Result<Option<Json>, Error> + 'static,
    ) -> Result<Self, Error> {
        Ok(HostFunction {
            name: name.into(),
            signature: Signature::parse(signature)?,
            arity,
            call: Box::new(call),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn signature(&self) -> &Signature {
        &self.signature
    }

    pub(crate) fn arity(&self) -> usize {
        self.arity
    }

    pub(crate) fn call(&self, args: &[Option<Json>]) -> Result<Option<Json>, Error> {
        (self.call)(args)
    }
}

/// What an evaluation sees besides its input: variables, the host's functions, the time
/// (`$now()`, `$millis()`), a seed for `$random()` and `$shuffle()`, and the limits.
#[derive(Debug)]
pub struct Environment {
    variables: Vec<(String, Json)>,
    functions: Vec<Rc<HostFunction>>,
    now_ms: f64,
    seed: u64,
    limits: EvalLimits,
}

impl Environment {
    /// An environment whose clock reads `now_ms` (milliseconds since the epoch), with the
    /// default limits.
    pub fn new(now_ms: i64) -> Self {
        Environment {
            variables: Vec::new(),
            functions: Vec::new(),
            now_ms: now_ms as f64,
            seed: 0,
            limits: EvalLimits::default(),
        }
    }

    /// Binds `$name` to a JSON value.
    #[must_use]
    pub fn variable(mut self, name: impl Into<String>, value: Json) -> Self {
        let name = name.into();
        self.variables.retain(|(n, _)| *n != name);
        self.variables.push((name, value));
        self
    }

    /// Adds a host function.
    #[must_use]
    pub fn function(mut self, function: HostFunction) -> Self {
        self.functions.retain(|f| f.name != function.name);
        self.functions.push(Rc::new(function));
        self
    }

    /// Seeds `$random()` and `$shuffle()`.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the limits.
    #[must_use]
    pub fn limits(mut self, limits: EvalLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// `$fromMillis`' formatting, for callers that format timestamps the way JSONata does.
pub fn format_timestamp(
    millis: i64,
    picture: Option<&str>,
    timezone: Option<&str>,
) -> Result<String, Error> {
    functions::format_millis(
        millis as f64,
        picture,
        timezone,
        EvalLimits::default().max_string,
    )
}
