//! The fields of JSONata states (`"QueryLanguage": "JSONata"`): JSON in which a string
//! written `{% … %}` is a JSONata expression over `$states` and the workflow's variables.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::intrinsics::for_jsonata;
use super::variables::{Scope, States};
use crate::error::{names, TaskError};
use crate::jsonata::{Environment, Error, Expression, HostFunction};
use crate::limits::Limits;
use crate::policy::Rng;

/// A JSONata state's field (`Arguments`, `Output`, `Assign`, `Condition`, `Items`,
/// `TimeoutSeconds`…): any JSON value, in which every string that starts with `{%` and ends
/// with `%}` is a JSONata expression, evaluated with `$states` (`input`, `context`, and
/// `result` or `errorOutput` where the field has them), the workflow's variables and Step
/// Functions' functions (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`).
/// Other strings, and object keys, are taken as written.
///
/// Parsing checks every expression at once. Serializes as the JSON as written.
///
/// ```
/// use pollflow::expr::Query;
/// use serde_json::json;
///
/// let output = Query::parse(json!({"total": "{% $sum($states.input.items.price) %}", "kind": "order"})).unwrap();
/// assert_eq!(output.as_value()["kind"], "order");
/// assert!(Query::parse(json!("{% $states.input. %}")).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Query {
    raw: Value,
    node: Node,
}

#[derive(Clone, Debug)]
enum Node {
    Static(Value),
    /// An expression, and where it is in the field (`/result/0`, or empty for the whole).
    Expression(Arc<Expression>, Box<str>),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
}

impl PartialEq for Query {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Query {
    /// Parses a field's value. The error lists every expression that does not parse, as
    /// (where, reason); *where* is a JSONPath into the value, starting at `$`.
    pub fn parse(value: Value) -> Result<Query, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let node = compile(&value, &mut Place::default(), 0, &mut problems);
        if problems.is_empty() {
            Ok(Query { raw: value, node })
        } else {
            Err(problems)
        }
    }

    /// The value as written.
    pub fn as_value(&self) -> &Value {
        &self.raw
    }

    /// Whether `text` is an expression: written `{% … %}`.
    pub fn is_expression(text: &str) -> bool {
        expression_text(text).is_some()
    }

    /// The text of each expression in it.
    pub(crate) fn expressions(&self) -> Vec<&str> {
        let mut texts = Vec::new();
        let mut stack = vec![&self.node];
        while let Some(node) = stack.pop() {
            match node {
                Node::Static(_) => {}
                Node::Expression(expression, _) => texts.push(expression.text()),
                Node::Object(fields) => stack.extend(fields.iter().map(|(_, node)| node)),
                Node::Array(items) => stack.extend(items),
            }
        }
        texts
    }

    /// The value with its expressions evaluated. An expression that fails, or whose result
    /// is undefined, fails the whole with `States.QueryEvaluationError`, its cause naming the
    /// expression and where it is in `field`, as Step Functions' does.
    pub(crate) fn evaluate(
        &self,
        field: &str,
        states: States<'_>,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Value, TaskError> {
        let value = match &self.node {
            Node::Static(value) => return Ok(value.clone()),
            node => {
                let env = environment(&self.expressions(), states, scope, rng);
                render(node, &env).map_err(|(expression, at, problem)| {
                    TaskError::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The JSONata expression '{}' specified for the field '{field}{at}' {problem}",
                            expression.text().trim()
                        ),
                    )
                })?
            }
        };
        scope
            .limits
            .check(&value, &format!("the value of {field}"))?;
        Ok(value)
    }
}

impl Serialize for Query {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Query::parse(value).map_err(|problems| {
            let (at, reason) = &problems[0];
            serde::de::Error::custom(format!("invalid JSONata at {at}: {reason}"))
        })
    }
}

/// The expression a string holds, if it is written `{% … %}`.
fn expression_text(text: &str) -> Option<&str> {
    text.strip_prefix("{%")?
        .strip_suffix("%}")
        .filter(|_| text.len() >= 4)
}

/// Where a value is in a field: as a JSONPath for problems (`$['a'][0]`), and as Step
/// Functions names it in causes (`/a/0`).
struct Place {
    path: String,
    slashes: String,
}

impl Default for Place {
    fn default() -> Self {
        Place {
            path: "$".into(),
            slashes: String::new(),
        }
    }
}

impl Place {
    /// Runs `f` one step further in, at `key` (quoted in the path) or index `i`.
    fn step<T>(&mut self, key: Result<&str, usize>, f: impl FnOnce(&mut Self) -> T) -> T {
        let (path, slashes) = (self.path.len(), self.slashes.len());
        match key {
            Ok(key) => {
                self.path.push_str(&format!("[{}]", Value::from(key)));
                self.slashes.push_str(&format!("/{key}"));
            }
            Err(i) => {
                self.path.push_str(&format!("[{i}]"));
                self.slashes.push_str(&format!("/{i}"));
            }
        }
        let result = f(self);
        self.path.truncate(path);
        self.slashes.truncate(slashes);
        result
    }
}

fn compile(
    value: &Value,
    location: &mut Place,
    depth: usize,
    problems: &mut Vec<(String, String)>,
) -> Node {
    if depth >= Limits::MAX_DEPTH && matches!(value, Value::Object(_) | Value::Array(_)) {
        problems.push((
            location.path.clone(),
            format!("nests deeper than {} levels", Limits::MAX_DEPTH),
        ));
        return Node::Static(Value::Null);
    }
    let node = match value {
        Value::String(text) => match expression_text(text) {
            Some(source) => match Expression::parse(source) {
                Ok(expression) => {
                    Node::Expression(Arc::new(expression), location.slashes.as_str().into())
                }
                Err(error) => {
                    problems.push((
                        location.path.clone(),
                        format!("{text:?} does not parse: {error}"),
                    ));
                    Node::Static(Value::Null)
                }
            },
            None => Node::Static(value.clone()),
        },
        Value::Object(map) => Node::Object(
            map.iter()
                .map(|(key, child)| {
                    let node =
                        location.step(Ok(key), |inner| compile(child, inner, depth + 1, problems));
                    (key.clone(), node)
                })
                .collect(),
        ),
        Value::Array(items) => Node::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    location.step(Err(i), |inner| compile(item, inner, depth + 1, problems))
                })
                .collect(),
        ),
        _ => Node::Static(value.clone()),
    };
    match node {
        Node::Object(_) | Node::Array(_) if is_static(&node) => Node::Static(value.clone()),
        node => node,
    }
}

fn is_static(node: &Node) -> bool {
    match node {
        Node::Static(_) => true,
        Node::Expression(..) => false,
        Node::Object(fields) => fields.iter().all(|(_, node)| is_static(node)),
        Node::Array(items) => items.iter().all(is_static),
    }
}

/// Why a node failed: the expression, where it is, and what went wrong.
type Failed<'a> = (&'a Expression, &'a str, String);

/// A node evaluated.
fn render<'a>(node: &'a Node, env: &Environment) -> Result<Value, Failed<'a>> {
    Ok(match node {
        Node::Static(value) => value.clone(),
        Node::Expression(expression, at) => match expression.evaluate(None, env) {
            Ok(Some(value)) => value,
            Ok(None) => return Err((expression, at, "returned nothing (undefined).".into())),
            Err(error) => {
                return Err((
                    expression,
                    at,
                    format!("threw an error during evaluation. {error}"),
                ))
            }
        },
        Node::Object(fields) => {
            let mut map = Map::with_capacity(fields.len());
            for (key, node) in fields {
                map.insert(key.clone(), render(node, env)?);
            }
            Value::Object(map)
        }
        Node::Array(items) => Value::Array(
            items
                .iter()
                .map(|node| render(node, env))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The name `text` begins with (letters, digits, `_`).
fn word(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// `$states`, the variables, the clock and Step Functions' functions, for expressions whose
/// texts are `texts`. Only what they name is copied in: the variables they read (`$eval` is
/// refused, so no name is computed) and the parts of `$states` they mention, so that an
/// evaluation costs what it reads, not what the execution holds.
fn environment(texts: &[&str], states: States<'_>, scope: Scope<'_>, rng: &mut Rng) -> Environment {
    let seed = rng.next_u64();
    let mut env = Environment::new(i64::try_from(scope.now_ms).unwrap_or(i64::MAX)).seed(seed);
    let mut names = std::collections::BTreeSet::new();
    let mut parts = std::collections::BTreeSet::new();
    for text in texts {
        for (at, _) in text.match_indices('$') {
            let rest = &text[at + 1..];
            let name = word(rest);
            if name != "states" {
                names.insert(name);
                continue;
            }
            // `$states.input` and the like copy that part; `$states` alone, all of them.
            let part = rest[name.len()..].strip_prefix('.').map_or("", word);
            match part {
                "input" | "result" | "errorOutput" | "context" => {
                    parts.insert(part);
                }
                _ => parts.extend(["input", "result", "errorOutput", "context"]),
            }
        }
    }
    for name in names {
        if let Some(value) = scope.variable(name) {
            env = env.variable(name, value.clone());
        }
    }
    if !parts.is_empty() {
        let mut fields = Map::new();
        for (part, value) in [
            ("input", Some(states.input)),
            ("result", states.result),
            ("errorOutput", states.error_output),
            ("context", Some(scope.context)),
        ] {
            if let (true, Some(value)) = (parts.contains(part), value) {
                fields.insert(part.into(), value.clone());
            }
        }
        env = env.variable("states", Value::Object(fields));
    }
    for function in step_functions_functions(Rc::new(RefCell::new(Rng::seeded(seed)))) {
        env = env.function(function);
    }
    env
}

/// `$partition`, `$range`, `$hash`, `$parse`, `$uuid` (the `States.*` functions under
/// JSONata names), `$random` with an optional seed, and `$eval` refused, as in Step Functions.
fn step_functions_functions(rng: Rc<RefCell<Rng>>) -> Vec<HostFunction> {
    let library = |name: &'static str, signature: &str, arity: usize| {
        let rng = rng.clone();
        HostFunction::new(name, signature, arity, move |args| {
            let args: Vec<Value> = args
                .iter()
                .map(|a| a.clone().unwrap_or(Value::Null))
                .collect();
            match for_jsonata(name, &args, &mut rng.borrow_mut()) {
                // A one-number range is that number, as a JSONata sequence of one is.
                Some(Ok(Value::Array(mut one))) if name == "range" && one.len() == 1 => {
                    Ok(one.pop())
                }
                Some(Ok(value)) => Ok(Some(value)),
                Some(Err(reason)) => Err(Error::custom(
                    names::QUERY_EVALUATION_ERROR,
                    format!("${name}: {reason}"),
                )),
                None => Ok(None),
            }
        })
    };
    let random = {
        let rng = rng.clone();
        HostFunction::new("random", "<n?:n>", 1, move |args| {
            let draw = match args.first().and_then(|seed| seed.as_ref()?.as_f64()) {
                Some(seed) => Rng::seeded(seed as i64 as u64).next_u64(),
                None => rng.borrow_mut().next_u64(),
            };
            Ok(Some(Value::from((draw >> 11) as f64 / (1u64 << 53) as f64)))
        })
    };
    let eval = HostFunction::new("eval", "<xx?:x>", 2, |_| {
        Err(Error::custom(
            names::QUERY_EVALUATION_ERROR,
            "$eval is not available in Step Functions; $parse reads JSON text",
        ))
    });
    [
        library("partition", "<an:a>", 2),
        library("range", "<nnn:a>", 3),
        library("hash", "<ss:s>", 2),
        library("parse", "<s:x>", 1),
        library("uuid", "<:s>", 0),
        random,
        eval,
    ]
    .into_iter()
    .map(|function| function.expect("the signatures above parse"))
    .collect()
}
