//! JSONPath as Amazon States Language uses it.
//!
//! - [`Path`]: `InputPath`, `OutputPath`, `ItemsPath`, `*Path` fields, `.$` template fields and
//!   intrinsic-function arguments. Supports `$`, `.name`, `['name']`, `[0]`, `[-1]`, `[*]`,
//!   `.*`, `..` (recursive descent), `[1:3]` slices, `[0,2]` / `['a','b']` unions and
//!   `[?(…)]` filters; `$$…` selects from the context object, `$name…` from the variable
//!   `name` (ASL `Assign`).
//! - [`ReferencePath`]: `ResultPath` and Choice `Variable`: only `.name`, `['name']` and `[n]`,
//!   so it names exactly one place that can also be written.

use std::fmt;

use serde_json::{Map, Value};

use super::json::json_eq;
use super::variables::Scope;
use crate::error::{names, TaskError};
use crate::limits::{measure, Exceeded, Limits};

/// How deeply filter expressions may nest parentheses and `!`.
const MAX_FILTER_DEPTH: usize = 32;

/// A JSONPath as ASL uses it: `$`, `$.a.b`, `$['a b']`, `$.a[0]`, `$.a[-1]`, `$.a[*].b`,
/// `$..b`, `$.a[1:3]`, `$.a[?(@.n > 1)]`, or a context path such as `$$.Execution.Id`.
///
/// A *definite* path (only names and single indexes) selects one value; an indefinite one
/// (wildcards, slices, unions, filters, `..`) selects an array of every match.
///
/// Serializes as its text, and deserializing parses (and so validates) it.
#[derive(Clone, Debug)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    definite: bool,
}

/// What a path selects from.
#[derive(Clone, Debug)]
enum Root {
    /// `$…`: the state's data.
    Input,
    /// `$$…`: the context object.
    Context,
    /// `$name…`: a variable.
    Variable(String),
}

#[derive(Clone, Debug)]
enum Segment {
    /// `.x`, `[…]`: applies to the current nodes.
    Child(Selector),
    /// `..x`, `..[…]`, `..*`: applies to the current nodes and all their descendants.
    Descendant(Selector),
}

#[derive(Clone, Debug)]
enum Selector {
    Name(String),
    Index(i64),
    Wildcard,
    Names(Vec<String>),
    Indices(Vec<i64>),
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: i64,
    },
    Filter(Box<Filter>),
}

/// A filter expression, `?(…)`. A chain of `||` (or `&&`) is one node, so that only
/// parentheses and `!` nest (at most [`MAX_FILTER_DEPTH`] deep).
#[derive(Clone, Debug)]
enum Filter {
    Or(Vec<Filter>),
    And(Vec<Filter>),
    Not(Box<Filter>),
    Compare(Operand, CompareOp, Operand),
    Exists(Operand),
    Constant(bool),
}

#[derive(Clone, Debug)]
enum Operand {
    /// `@…`: relative to the element being tested.
    Current(Vec<Step>),
    /// `$…`: relative to the document's root.
    Root(Vec<Step>),
    Literal(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One step of a single-valued path: a field name or an array index.
#[derive(Clone, Debug)]
enum Step {
    Name(String),
    Index(i64),
}

impl Path {
    /// `$`: the whole input (without running the parser, so builder-only programs stay small).
    pub(crate) fn root() -> Self {
        Self {
            text: "$".to_owned(),
            root: Root::Input,
            segments: Vec::new(),
            definite: true,
        }
    }

    /// Parses an ASL path. The error names what is wrong and where.
    ///
    /// ```
    /// use pollflow::expr::Path;
    /// assert!(Path::parse("$.orders[0].id").is_ok());
    /// assert_eq!(Path::parse("$order.id").unwrap().variable(), Some("order"));
    /// assert!(Path::parse("orders").unwrap_err().contains("'$'"));
    /// ```
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut p = Parser::new(text);
        if !p.eat('$') {
            return Err("a path must start with '$'".to_owned());
        }
        let root = if p.eat('$') {
            Root::Context
        } else if p.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            let mut name = String::new();
            while let Some(c) = p.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
                name.push(c);
                p.pos += 1;
            }
            Root::Variable(name)
        } else {
            Root::Input
        };
        let segments = p.segments()?;
        if segments.len() > Limits::MAX_DEPTH {
            return Err(format!(
                "a path has at most {} steps (values nest at most that deep), not {}",
                Limits::MAX_DEPTH,
                segments.len()
            ));
        }
        let definite = segments.iter().all(|segment| {
            matches!(
                segment,
                Segment::Child(Selector::Name(_) | Selector::Index(_))
            )
        });
        Ok(Path {
            text: text.to_owned(),
            root,
            segments,
            definite,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path selects from the context object (it starts with `$$`).
    pub fn is_context(&self) -> bool {
        matches!(self.root, Root::Context)
    }

    /// The variable the path selects from (`$name…`), if it does.
    pub fn variable(&self) -> Option<&str> {
        match &self.root {
            Root::Variable(name) => Some(name),
            _ => None,
        }
    }

    /// What the path selects from `input`, or from `context` for a `$$` path (a variable's
    /// path selects nothing here: variables exist only in a running state machine).
    ///
    /// A definite path yields the single value it names, or `None` when that does not exist;
    /// an indefinite path yields an array of every match (empty when nothing matches).
    /// Selecting stays within Step Functions' default [`Limits`]: a selection that would look
    /// at more than `max_path_visits` values, or whose matches together are larger than
    /// `max_payload_bytes`, fails with `States.DataLimitExceeded`.
    ///
    /// ```
    /// use pollflow::expr::Path;
    /// use serde_json::json;
    ///
    /// let input = json!({"orders": [{"id": 1}, {"id": 2}]});
    /// assert_eq!(Path::parse("$.orders[*].id")?.select(&input, &json!({}))?, Some(json!([1, 2])));
    /// assert_eq!(Path::parse("$.missing")?.select(&input, &json!({}))?, None);
    /// let nested = json!([[[[[[[[0]]]]]]]]);
    /// let union = format!("${}", "[0,0,0,0,0,0,0,0,0,0]".repeat(8)); // 10^8 matches
    /// let error = Path::parse(&union)?.select(&nested, &json!({})).unwrap_err();
    /// assert_eq!(error.error, "States.DataLimitExceeded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn select(&self, input: &Value, context: &Value) -> Result<Option<Value>, TaskError> {
        self.select_in(input, Scope::of_context(context))
    }

    /// What the path selects from `input`, the context object or a variable of `scope`;
    /// `None` also when the variable is not assigned.
    pub(crate) fn select_in(
        &self,
        input: &Value,
        scope: Scope<'_>,
    ) -> Result<Option<Value>, TaskError> {
        let root = match &self.root {
            Root::Input => input,
            Root::Context => scope.context,
            Root::Variable(name) => match scope.variable(name) {
                Some(value) => value,
                None => return Ok(None),
            },
        };
        let limits = scope.limits;
        let mut visits = Visits {
            left: limits.max_path_visits,
            path: self,
        };
        let mut nodes = vec![root];
        for segment in &self.segments {
            let mut next = Vec::new();
            match segment {
                Segment::Child(selector) => {
                    for node in &nodes {
                        selector.apply(node, root, &mut next, &mut visits)?;
                    }
                }
                Segment::Descendant(selector) => {
                    for node in &nodes {
                        descendants(node, &mut visits, |descendant, visits| {
                            selector.apply(descendant, root, &mut next, visits)
                        })?;
                    }
                }
            }
            nodes = next;
            if nodes.is_empty() {
                break;
            }
        }
        if self.definite {
            return Ok(nodes.first().map(|value| Value::clone(value)));
        }
        // The matches together, as the array they make, before anything is copied.
        let mut bytes = 2 + nodes.len().saturating_sub(1) as u64;
        for node in &nodes {
            let size = measure(
                node,
                limits.max_payload_bytes.saturating_sub(bytes),
                Limits::MAX_DEPTH - 1,
            )
            .map_err(|e| e.error(&format!("what the path {:?} selects", self.text)))?;
            bytes += size.bytes;
        }
        if bytes > limits.max_payload_bytes {
            return Err(Exceeded::Bytes(limits.max_payload_bytes)
                .error(&format!("what the path {:?} selects", self.text)));
        }
        Ok(Some(Value::Array(nodes.into_iter().cloned().collect())))
    }
}

/// What is left of an evaluation's [`Limits::max_path_visits`].
struct Visits<'a> {
    left: u64,
    path: &'a Path,
}

impl Visits<'_> {
    /// Spends `n` visits; fails once there are none left.
    fn spend(&mut self, n: usize) -> Result<(), TaskError> {
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(TaskError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "the path {:?} looks at more values than the limit allows (Limits::max_path_visits)",
                    self.path.text
                ),
            )),
        }
    }
}

/// Where `path` found nothing, for messages: "the input '…'", "the context object '…'", or
/// "the variables: $name is not assigned" (or the variable's value).
pub(crate) fn missing_from(path: &Path, input: &Value, scope: Scope<'_>) -> String {
    match &path.root {
        Root::Input => format!("the input '{}'", json_text(input)),
        Root::Context => format!("the context object '{}'", json_text(scope.context)),
        Root::Variable(name) => match scope.variable(name) {
            Some(value) => format!("the variable ${name} '{}'", json_text(value)),
            None => format!("the variables: ${name} is not assigned"),
        },
    }
}

/// Where `path` found nothing, for the messages of data-flow fields: a variable as
/// [`missing_from`] says, anything else "the state's input".
pub(crate) fn missing_in(path: &Path, input: &Value, scope: Scope<'_>) -> String {
    match path.root {
        Root::Variable(_) => missing_from(path, input, scope),
        _ => "the state's input".to_owned(),
    }
}

/// Paths are equal when their texts are: parsing is deterministic.
impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

serde_as_text!(Path, "path");

/// Calls `each` on the node and all its descendants, parents before children, in document
/// order, without recursion; each one spends a visit.
fn descendants<'a>(
    node: &'a Value,
    visits: &mut Visits<'_>,
    mut each: impl FnMut(&'a Value, &mut Visits<'_>) -> Result<(), TaskError>,
) -> Result<(), TaskError> {
    let mut stack = vec![node];
    while let Some(value) = stack.pop() {
        visits.spend(1)?;
        each(value, visits)?;
        match value {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    Ok(())
}

/// The position `index` (negative: from the end) names in an array of `len` items.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    if index >= 0 {
        usize::try_from(index).ok().filter(|i| *i < len)
    } else {
        let len = i64::try_from(len).ok()?;
        usize::try_from(len + index).ok()
    }
}

impl Selector {
    /// Adds what the selector picks from `node` to `out`, spending a visit per value it looks
    /// at.
    fn apply<'a>(
        &self,
        node: &'a Value,
        root: &'a Value,
        out: &mut Vec<&'a Value>,
        visits: &mut Visits<'_>,
    ) -> Result<(), TaskError> {
        let before = out.len();
        match (self, node) {
            (Selector::Name(name), Value::Object(map)) => out.extend(map.get(name)),
            (Selector::Names(names), Value::Object(map)) => {
                out.extend(names.iter().filter_map(|name| map.get(name)));
            }
            (Selector::Index(index), Value::Array(items)) => {
                out.extend(resolve_index(*index, items.len()).and_then(|i| items.get(i)));
            }
            (Selector::Indices(indices), Value::Array(items)) => out.extend(
                indices
                    .iter()
                    .filter_map(|index| resolve_index(*index, items.len()))
                    .filter_map(|i| items.get(i)),
            ),
            (Selector::Wildcard, Value::Array(items)) => out.extend(items),
            (Selector::Wildcard, Value::Object(map)) => out.extend(map.values()),
            (Selector::Slice { start, end, step }, Value::Array(items)) => {
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let clamp = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
                let mut i = start.map_or(0, clamp);
                let end = end.map_or(len, clamp);
                while i < end {
                    out.extend(usize::try_from(i).ok().and_then(|i| items.get(i)));
                    match i.checked_add(*step) {
                        Some(next) => i = next,
                        None => break,
                    }
                }
            }
            // Filters test the children of arrays and objects (RFC 9535).
            (Selector::Filter(filter), Value::Array(items)) => {
                visits.spend(items.len())?;
                out.extend(items.iter().filter(|item| filter.test(item, root)));
            }
            (Selector::Filter(filter), Value::Object(map)) => {
                visits.spend(map.len())?;
                out.extend(map.values().filter(|item| filter.test(item, root)));
            }
            _ => {}
        }
        visits.spend(out.len() - before)
    }
}

impl Filter {
    fn test(&self, current: &Value, root: &Value) -> bool {
        match self {
            Filter::Or(terms) => terms.iter().any(|term| term.test(current, root)),
            Filter::And(terms) => terms.iter().all(|term| term.test(current, root)),
            Filter::Not(a) => !a.test(current, root),
            Filter::Constant(b) => *b,
            Filter::Exists(operand) => operand.resolve(current, root).is_some(),
            Filter::Compare(left, op, right) => {
                match (left.resolve(current, root), right.resolve(current, root)) {
                    (Some(l), Some(r)) => compare(l, *op, r),
                    _ => false,
                }
            }
        }
    }
}

impl Operand {
    fn resolve<'a>(&'a self, current: &'a Value, root: &'a Value) -> Option<&'a Value> {
        let (mut node, steps) = match self {
            Operand::Literal(value) => return Some(value),
            Operand::Current(steps) => (current, steps),
            Operand::Root(steps) => (root, steps),
        };
        for step in steps {
            node = match (step, node) {
                (Step::Name(name), Value::Object(map)) => map.get(name)?,
                (Step::Index(index), Value::Array(items)) => {
                    items.get(resolve_index(*index, items.len())?)?
                }
                _ => return None,
            };
        }
        Some(node)
    }
}

fn compare(left: &Value, op: CompareOp, right: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Value::Number(l), Value::Number(r)) => l.as_f64().partial_cmp(&r.as_f64()),
        (Value::String(l), Value::String(r)) => Some(l.cmp(r)),
        _ => None,
    };
    match op {
        CompareOp::Eq => json_eq(left, right),
        CompareOp::Ne => !json_eq(left, right),
        CompareOp::Lt => ordering == Some(Ordering::Less),
        CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => ordering == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
    }
}

mod parser;
mod reference;
#[cfg(test)]
mod tests;

use crate::execution::json_text;
use parser::{is_shorthand_name, Parser};
pub use reference::ReferencePath;
