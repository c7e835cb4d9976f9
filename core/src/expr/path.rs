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
        Root::Input => format!("the input '{input}'"),
        Root::Context => format!("the context object '{}'", scope.context),
        Root::Variable(name) => match scope.variable(name) {
            Some(value) => format!("the variable ${name} '{value}'"),
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

/// JSON equality where numbers compare by value (`1 == 1.0`), as in Step Functions.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (integral(x), integral(y)) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// A number's exact integer value, if it has one that an `i128` holds.
pub(crate) fn integral(n: &serde_json::Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // Within ±2^63 the cast is exact; larger floats compare as floats.
    const TWO_POW_63: f64 = (1u64 << 63) as f64;
    (f.fract() == 0.0 && f.abs() < TWO_POW_63).then_some(f as i128)
}

/// A Reference Path (ASL `ResultPath`, Choice `Variable`): a definite path made only of
/// `.name`, `['name']` and non-negative `[n]` steps, that names one place in the input.
///
/// Serializes as its text, and deserializing parses (and so validates) it.
#[derive(Clone, Debug)]
pub struct ReferencePath {
    text: String,
    steps: Vec<RefStep>,
}

#[derive(Clone, Debug)]
enum RefStep {
    Name(String),
    Index(usize),
}

impl ReferencePath {
    /// `$`: the whole value.
    pub(crate) fn root() -> Self {
        Self {
            text: "$".to_owned(),
            steps: Vec::new(),
        }
    }

    /// Parses a Reference Path. The error names what is wrong and where.
    ///
    /// ```
    /// use pollflow::expr::ReferencePath;
    /// assert!(ReferencePath::parse("$.result.items[0]").is_ok());
    /// assert!(ReferencePath::parse("$.items[*]").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<ReferencePath, String> {
        if text.starts_with("$$") {
            return Err("a reference path cannot refer to the context object ($$)".to_owned());
        }
        let path = Path::parse(text)?;
        if let Some(name) = path.variable() {
            return Err(format!(
                "a reference path names a place in the state's data, not a variable (${name})"
            ));
        }
        let mut steps = Vec::with_capacity(path.segments.len());
        for segment in path.segments {
            let selector = match segment {
                Segment::Child(selector) => selector,
                Segment::Descendant(_) => {
                    return Err(
                        "a reference path cannot use '..' (it must name a single value)".to_owned(),
                    )
                }
            };
            steps.push(match selector {
                Selector::Name(name) => RefStep::Name(name),
                Selector::Index(index) => match usize::try_from(index) {
                    Ok(index) => RefStep::Index(index),
                    Err(_) => {
                        return Err(format!(
                            "a reference path cannot use a negative index ([{index}])"
                        ))
                    }
                },
                Selector::Wildcard => {
                    return Err("a reference path cannot use the wildcard '*'".to_owned())
                }
                Selector::Names(_) | Selector::Indices(_) => {
                    return Err("a reference path cannot use a union ('[a,b]')".to_owned())
                }
                Selector::Slice { .. } => {
                    return Err("a reference path cannot use a slice ('[a:b]')".to_owned())
                }
                Selector::Filter(_) => {
                    return Err("a reference path cannot use a filter ('[?(…)]')".to_owned())
                }
            });
        }
        Ok(ReferencePath {
            text: text.to_owned(),
            steps,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many steps the path takes (`$`: 0, `$.a[0]`: 2).
    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }

    /// The value the path names in `value`, if there is one.
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.steps
            .iter()
            .try_fold(value, |node, step| match (step, node) {
                (RefStep::Name(name), Value::Object(map)) => map.get(name),
                (RefStep::Index(index), Value::Array(items)) => items.get(*index),
                _ => None,
            })
    }

    /// Puts `value` where the path names in `target`, as ASL `ResultPath` does: `$` replaces
    /// the whole target; a missing field is added, with empty objects created for missing
    /// fields on the way.
    ///
    /// Fails, naming the reason (Step Functions' `States.ResultPathMatchFailure`), when the
    /// path goes through something that is not an object (a string, `null`, …) or through an
    /// array index that is out of range; `target` is then left as it was.
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), String> {
        let Some((last, parents)) = self.steps.split_last() else {
            *target = value;
            return Ok(());
        };
        // Check first, so that a failure leaves `target` untouched.
        let mut node = Some(&*target);
        for (i, step) in self.steps.iter().enumerate() {
            let Some(current) = node else {
                // From here on the path is created as objects, which an index cannot name.
                if let RefStep::Index(index) = step {
                    return Err(format!(
                        "the ResultPath {:?} cannot be applied: {} does not exist, so it has no index {index}",
                        self.text,
                        self.prefix(i)
                    ));
                }
                continue;
            };
            node = match (step, current) {
                (RefStep::Name(name), Value::Object(map)) => map.get(name),
                (RefStep::Index(index), Value::Array(items)) => {
                    if *index >= items.len() {
                        return Err(format!(
                            "the ResultPath {:?} cannot be applied: {} has {} items, so it has no index {index}",
                            self.text,
                            self.prefix(i),
                            items.len()
                        ));
                    }
                    items.get(*index)
                }
                (step, other) => {
                    let wanted = match step {
                        RefStep::Name(_) => "an object",
                        RefStep::Index(_) => "an array",
                    };
                    return Err(format!(
                        "the ResultPath {:?} cannot be applied: {} is {}, not {wanted}",
                        self.text,
                        self.prefix(i),
                        describe(other)
                    ));
                }
            };
        }

        let mut node = target;
        for step in parents {
            node = match (step, node) {
                (RefStep::Name(name), Value::Object(map)) => map
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
                (RefStep::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                    Some(item) => item,
                    None => {
                        return Err(format!("the ResultPath {:?} cannot be applied", self.text))
                    }
                },
                _ => return Err(format!("the ResultPath {:?} cannot be applied", self.text)),
            };
        }
        match (last, node) {
            (RefStep::Name(name), Value::Object(map)) => {
                map.insert(name.clone(), value);
                Ok(())
            }
            (RefStep::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(item) => {
                    *item = value;
                    Ok(())
                }
                None => Err(format!("the ResultPath {:?} cannot be applied", self.text)),
            },
            _ => Err(format!("the ResultPath {:?} cannot be applied", self.text)),
        }
    }

    /// The path's first `len` steps as text, such as `$.a['b c'][0]`.
    fn prefix(&self, len: usize) -> String {
        let mut out = String::from("$");
        for step in self.steps.iter().take(len) {
            match step {
                RefStep::Name(name) if is_shorthand_name(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                RefStep::Name(name) => {
                    out.push_str("['");
                    for c in name.chars() {
                        if c == '\'' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push_str("']");
                }
                RefStep::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }
}

/// Reference paths are equal when their texts are.
impl PartialEq for ReferencePath {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for ReferencePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

serde_as_text!(ReferencePath, "reference path");

/// A JSON value's kind with an article, for messages: "a string", "null", ….
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_shorthand_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char)
}

/// Characters a dot-notation field name may contain; others need `['…']`.
fn is_name_char(c: char) -> bool {
    !(c.is_whitespace()
        || matches!(
            c,
            '.' | '['
                | ']'
                | '('
                | ')'
                | '\''
                | '"'
                | ','
                | '*'
                | '?'
                | '\\'
                | '='
                | '!'
                | '<'
                | '>'
                | '&'
                | '|'
        ))
}

/// A cursor over a path's characters.
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn new(text: &str) -> Self {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        let matches = self
            .chars
            .get(self.pos..self.pos + n)
            .is_some_and(|window| window.iter().copied().eq(s.chars()));
        if matches {
            self.pos += n;
        }
        matches
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

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(match self.peek() {
                Some(found) => {
                    format!("expected '{c}' at character {}, found '{found}'", self.at())
                }
                None => format!(
                    "expected '{c}' at character {}, found the end of the path",
                    self.at()
                ),
            })
        }
    }

    fn segments(&mut self) -> Result<Vec<Segment>, String> {
        let mut segments = Vec::new();
        while let Some(c) = self.peek() {
            let segment = match c {
                '.' => {
                    self.pos += 1;
                    if self.eat('.') {
                        match self.peek() {
                            Some('[') => Segment::Descendant(self.bracket(0)?),
                            Some('*') => {
                                self.pos += 1;
                                Segment::Descendant(Selector::Wildcard)
                            }
                            _ => Segment::Descendant(Selector::Name(self.dot_name()?)),
                        }
                    } else {
                        match self.peek() {
                            Some('*') => {
                                self.pos += 1;
                                Segment::Child(Selector::Wildcard)
                            }
                            // `$.a.['b c']`, as the AWS docs write it.
                            Some('[') => Segment::Child(self.bracket(0)?),
                            _ => Segment::Child(Selector::Name(self.dot_name()?)),
                        }
                    }
                }
                '[' => Segment::Child(self.bracket(0)?),
                c => {
                    return Err(format!(
                        "unexpected '{c}' at character {}; expected '.' or '['",
                        self.at()
                    ))
                }
            };
            segments.push(segment);
        }
        Ok(segments)
    }

    /// A field name after `.`.
    fn dot_name(&mut self) -> Result<String, String> {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(match self.peek() {
                None => format!("expected a field name at character {}, found the end of the path", self.at()),
                Some(c) => format!(
                    "expected a field name at character {}, found '{c}' (write names with such characters as ['name'])",
                    self.at()
                ),
            });
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// `[…]`: names, indexes, wildcard, slice or filter.
    /// `depth`: how deeply filters already nest around this bracket.
    fn bracket(&mut self, depth: usize) -> Result<Selector, String> {
        let open = self.at();
        self.expect('[')?;
        self.skip_ws();
        let selector = match self.peek() {
            Some('*') => {
                self.pos += 1;
                Selector::Wildcard
            }
            Some('\'' | '"') => {
                let mut names = vec![self.quoted()?];
                loop {
                    self.skip_ws();
                    if !self.eat(',') {
                        break;
                    }
                    self.skip_ws();
                    names.push(self.quoted()?);
                }
                if names.len() == 1 {
                    Selector::Name(names.remove(0))
                } else {
                    Selector::Names(names)
                }
            }
            Some('?') => {
                self.pos += 1;
                Selector::Filter(Box::new(self.filter_or(depth)?))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == ':' => self.indexes()?,
            Some(c) => {
                return Err(format!(
                    "unexpected '{c}' at character {} inside '[' (expected a quoted name, an index, '*', a slice or '?(…)')",
                    self.at()
                ))
            }
            None => return Err(format!("unclosed '[' at character {open}")),
        };
        self.skip_ws();
        if self.peek().is_none() {
            return Err(format!("unclosed '[' at character {open}"));
        }
        self.expect(']')?;
        Ok(selector)
    }

    /// `[0]`, `[-1]`, `[0,2]`, `[1:3]`, `[::2]`, ….
    fn indexes(&mut self) -> Result<Selector, String> {
        let first = if self.peek() == Some(':') {
            None
        } else {
            Some(self.integer()?)
        };
        self.skip_ws();
        if self.eat(':') {
            self.skip_ws();
            let end = self.optional_integer()?;
            self.skip_ws();
            let step = if self.eat(':') {
                self.skip_ws();
                self.optional_integer()?.unwrap_or(1)
            } else {
                1
            };
            if step <= 0 {
                return Err(format!("a slice's step must be positive, not {step}"));
            }
            return Ok(Selector::Slice {
                start: first,
                end,
                step,
            });
        }
        let mut indices = vec![first.unwrap_or(0)];
        loop {
            self.skip_ws();
            if !self.eat(',') {
                break;
            }
            self.skip_ws();
            indices.push(self.integer()?);
        }
        Ok(if indices.len() == 1 {
            Selector::Index(indices[0])
        } else {
            Selector::Indices(indices)
        })
    }

    fn optional_integer(&mut self) -> Result<Option<i64>, String> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c == '-' => self.integer().map(Some),
            _ => Ok(None),
        }
    }

    fn integer(&mut self) -> Result<i64, String> {
        let start = self.pos;
        self.eat('-');
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if text.is_empty() || text == "-" {
            return Err(format!("expected an integer at character {}", start + 1));
        }
        text.parse().map_err(|_| {
            format!(
                "the index {text} at character {} is out of range",
                start + 1
            )
        })
    }

    /// A `'…'` or `"…"` string; a backslash makes the next character literal.
    fn quoted(&mut self) -> Result<String, String> {
        let open = self.at();
        let Some(quote) = self.bump() else {
            return Err(format!("expected a quoted name at character {open}"));
        };
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(format!("unterminated string starting at character {open}")),
                Some('\\') => match self.bump() {
                    Some(c) => out.push(c),
                    None => {
                        return Err(format!("unterminated string starting at character {open}"))
                    }
                },
                Some(c) if c == quote => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    fn filter_or(&mut self, depth: usize) -> Result<Filter, String> {
        let mut terms = vec![self.filter_and(depth)?];
        loop {
            self.skip_ws();
            if !self.eat_str("||") {
                return Ok(if terms.len() == 1 {
                    terms.remove(0)
                } else {
                    Filter::Or(terms)
                });
            }
            terms.push(self.filter_and(depth)?);
        }
    }

    fn filter_and(&mut self, depth: usize) -> Result<Filter, String> {
        let mut terms = vec![self.filter_unary(depth)?];
        loop {
            self.skip_ws();
            if !self.eat_str("&&") {
                return Ok(if terms.len() == 1 {
                    terms.remove(0)
                } else {
                    Filter::And(terms)
                });
            }
            terms.push(self.filter_unary(depth)?);
        }
    }

    fn filter_unary(&mut self, depth: usize) -> Result<Filter, String> {
        if depth >= MAX_FILTER_DEPTH {
            return Err(format!(
                "the filter nests deeper than {MAX_FILTER_DEPTH} levels at character {}",
                self.at()
            ));
        }
        self.skip_ws();
        if self.peek() == Some('!') && self.peek_at(1) != Some('=') {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.filter_unary(depth + 1)?)));
        }
        if self.eat('(') {
            let inner = self.filter_or(depth + 1)?;
            self.skip_ws();
            self.expect(')')?;
            return Ok(inner);
        }
        let at = self.at();
        let left = self.operand(depth)?;
        self.skip_ws();
        let op = if self.eat_str("==") {
            Some(CompareOp::Eq)
        } else if self.eat_str("!=") {
            Some(CompareOp::Ne)
        } else if self.eat_str("<=") {
            Some(CompareOp::Le)
        } else if self.eat_str(">=") {
            Some(CompareOp::Ge)
        } else if self.eat_str("=~") {
            return Err(format!(
                "regular expressions ('=~') are not supported in filters (character {})",
                self.at() - 2
            ));
        } else if self.eat('<') {
            Some(CompareOp::Lt)
        } else if self.eat('>') {
            Some(CompareOp::Gt)
        } else {
            None
        };
        match op {
            Some(op) => {
                self.skip_ws();
                let right = self.operand(depth)?;
                Ok(Filter::Compare(left, op, right))
            }
            None => match left {
                Operand::Literal(Value::Bool(b)) => Ok(Filter::Constant(b)),
                Operand::Literal(_) => Err(format!(
                    "the filter term at character {at} needs a comparison such as '@.x == 1'"
                )),
                path => Ok(Filter::Exists(path)),
            },
        }
    }

    fn operand(&mut self, depth: usize) -> Result<Operand, String> {
        self.skip_ws();
        let at = self.at();
        match self.peek() {
            Some('@') => {
                self.pos += 1;
                Ok(Operand::Current(self.steps(depth)?))
            }
            Some('$') => {
                self.pos += 1;
                if self.peek() == Some('$') {
                    return Err(format!(
                        "filters cannot refer to the context object ($$) (character {at})"
                    ));
                }
                Ok(Operand::Root(self.steps(depth)?))
            }
            Some('\'' | '"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                serde_json::from_str::<serde_json::Number>(&text)
                    .map(|n| Operand::Literal(Value::Number(n)))
                    .map_err(|_| format!("invalid number '{text}' at character {at}"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "true" => Ok(Operand::Literal(Value::Bool(true))),
                    "false" => Ok(Operand::Literal(Value::Bool(false))),
                    "null" => Ok(Operand::Literal(Value::Null)),
                    _ => Err(format!(
                        "unexpected '{word}' in the filter at character {at}"
                    )),
                }
            }
            Some(c) => Err(format!("unexpected '{c}' in the filter at character {at}")),
            None => Err(format!("the filter is cut short at character {at}")),
        }
    }

    /// The `.name`, `['name']` and `[n]` steps of a path inside a filter.
    fn steps(&mut self, depth: usize) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    if self.peek() == Some('[') {
                        steps.push(self.filter_bracket(depth)?);
                    } else {
                        steps.push(Step::Name(self.dot_name()?));
                    }
                }
                Some('[') => steps.push(self.filter_bracket(depth)?),
                _ => return Ok(steps),
            }
        }
    }

    fn filter_bracket(&mut self, depth: usize) -> Result<Step, String> {
        match self.bracket(depth + 1)? {
            Selector::Name(name) => Ok(Step::Name(name)),
            Selector::Index(index) => Ok(Step::Index(index)),
            _ => Err(format!(
                "paths inside filters may only use names and single indexes (before character {})",
                self.at()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::expr::Variables;

    fn store() -> Value {
        json!({
            "store": {
                "book": [
                    {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
                    {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
                    {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
                    {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
                ],
                "bicycle": {"color": "red", "price": 19.95}
            },
            "a b": {"c.d": 1, "it's": 2},
            "nums": [0, 10, 20, 30, 40, 50],
            "empty": [],
            "nil": null,
            "ünï": "code",
            "@timestamp": "t",
            "dash-key": 3
        })
    }

    fn select(path: &str) -> Option<Value> {
        let context = json!({"Execution": {"Id": "arn:exec", "Input": {"x": 1}}, "Map": {"Item": {"Index": 2}}});
        Path::parse(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .select(&store(), &context)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn variable_paths_select_from_the_variables_in_scope() {
        let mut outer = Variables::default();
        outer.assign(
            json!({"order": {"id": 7, "lines": [1, 2, 3]}, "n": 1})
                .as_object()
                .unwrap()
                .clone(),
        );
        let mut inner = Variables::inside(std::sync::Arc::new(outer));
        inner.assign(json!({"n": 2}).as_object().unwrap().clone());
        let scope = Scope::new(&Value::Null, &inner, crate::limits::default_limits());
        let select = |text: &str| {
            Path::parse(text)
                .unwrap()
                .select_in(&json!({"n": 0}), scope)
                .unwrap()
        };
        assert_eq!(select("$n"), Some(json!(2)), "the closest assignment wins");
        assert_eq!(
            select("$order.id"),
            Some(json!(7)),
            "outer variables are read"
        );
        assert_eq!(select("$order.lines[-1]"), Some(json!(3)));
        assert_eq!(select("$order.lines[*]"), Some(json!([1, 2, 3])));
        assert_eq!(select("$.n"), Some(json!(0)), "$. is still the input");
        assert_eq!(select("$missing"), None);
        assert_eq!(
            Path::parse("$n").unwrap().select(&json!({}), &Value::Null),
            Ok(None)
        );
        assert_eq!(Path::parse("$_x1").unwrap().variable(), Some("_x1"));
    }

    #[test]
    fn definite_paths_select_one_value() {
        let cases: &[(&str, Value)] = &[
            ("$", store()),
            ("$.store.bicycle.color", json!("red")),
            ("$['store']['bicycle']['color']", json!("red")),
            ("$[\"store\"].bicycle[\"price\"]", json!(19.95)),
            ("$.store.book[0].title", json!("Sayings of the Century")),
            ("$.store.book[-1].title", json!("The Lord of the Rings")),
            ("$.store.book[-4].author", json!("Nigel Rees")),
            ("$['a b']['c.d']", json!(1)),
            ("$['a b']['it\\'s']", json!(2)),
            ("$.nums[5]", json!(50)),
            ("$.nil", Value::Null),
            ("$.ünï", json!("code")),
            ("$.@timestamp", json!("t")),
            ("$.dash-key", json!(3)),
            ("$.store.['bicycle'].color", json!("red")),
            ("$[ 'nums' ][ 1 ]", json!(10)),
            (
                "$$",
                json!({"Execution": {"Id": "arn:exec", "Input": {"x": 1}}, "Map": {"Item": {"Index": 2}}}),
            ),
            ("$$.Execution.Id", json!("arn:exec")),
            ("$$.Execution.Input.x", json!(1)),
            ("$$.Map.Item.Index", json!(2)),
        ];
        for (path, expected) in cases {
            assert_eq!(select(path).as_ref(), Some(expected), "{path}");
        }
    }

    #[test]
    fn definite_paths_that_match_nothing_select_none() {
        for path in [
            "$.missing",
            "$.store.missing.deeper",
            "$.store.bicycle.color.length",
            "$.nums[6]",
            "$.nums[-7]",
            "$.nums[9223372036854775807]",
            "$.nums[-9223372036854775808]",
            "$.nums.x",
            "$.store[0]",
            "$.nil.x",
            "$.empty[0]",
            "$$.Execution.Missing",
        ] {
            assert_eq!(select(path), None, "{path}");
        }
    }

    #[test]
    fn indefinite_paths_select_arrays_of_matches() {
        let cases: &[(&str, Value)] = &[
            (
                "$.store.book[*].author",
                json!([
                    "Nigel Rees",
                    "Evelyn Waugh",
                    "Herman Melville",
                    "J. R. R. Tolkien"
                ]),
            ),
            ("$.store.book.*.price", json!([8.95, 12.99, 8.99, 22.99])),
            ("$..isbn", json!(["0-553-21311-3", "0-395-19395-8"])),
            // Objects keep their fields in document order (serde_json's `preserve_order`).
            ("$.store..price", json!([8.95, 12.99, 8.99, 22.99, 19.95])),
            ("$.store.*.color", json!(["red"])),
            ("$.nums[1:3]", json!([10, 20])),
            ("$.nums[:2]", json!([0, 10])),
            ("$.nums[-2:]", json!([40, 50])),
            ("$.nums[4:]", json!([40, 50])),
            ("$.nums[::2]", json!([0, 20, 40])),
            ("$.nums[1:5:3]", json!([10, 40])),
            ("$.nums[3:1]", json!([])),
            ("$.nums[-100:100]", json!([0, 10, 20, 30, 40, 50])),
            ("$.nums[0,2,-1]", json!([0, 20, 50])),
            ("$.nums[0, 99]", json!([0])),
            ("$['nil','dash-key','missing']", json!([null, 3])),
            ("$.missing[*]", json!([])),
            ("$.empty[*]", json!([])),
            ("$..nothing", json!([])),
            (
                "$.store.book[?(@.price < 10)].title",
                json!(["Sayings of the Century", "Moby Dick"]),
            ),
            (
                "$.store.book[?(@.isbn)].title",
                json!(["Moby Dick", "The Lord of the Rings"]),
            ),
            ("$.store.book[?(!@.isbn)].price", json!([8.95, 12.99])),
            (
                "$.store.book[?(@.category == 'reference')].author",
                json!(["Nigel Rees"]),
            ),
            (
                "$.store.book[?(@.category != \"fiction\")].author",
                json!(["Nigel Rees"]),
            ),
            (
                "$.store.book[?(@.price >= 12.99 && @.price <= 20)].title",
                json!(["Sword of Honour"]),
            ),
            (
                "$.store.book[?(@.price > 20 || @.author == 'Nigel Rees')].price",
                json!([8.95, 22.99]),
            ),
            (
                "$.store.book[?((@.price > 20) || !(@.price > 9))].price",
                json!([8.95, 8.99, 22.99]),
            ),
            (
                "$.store.book[?(@.price < $.store.bicycle.price)].price",
                json!([8.95, 12.99, 8.99]),
            ),
            (
                "$.store.book[?(@['price'] == 8.99)].title",
                json!(["Moby Dick"]),
            ),
            ("$.nums[?(@ >= 30)]", json!([30, 40, 50])),
            ("$.nums[?(@ == 10.0)]", json!([10])),
            ("$.store.bicycle[?(@ == 'red')]", json!(["red"])),
            ("$.nums[?(true)]", json!([0, 10, 20, 30, 40, 50])),
            ("$.nums[?(false)]", json!([])),
            ("$..book[?(@.author =='Nigel Rees')].price", json!([8.95])),
            // Descendants in document order: `store` comes before `nums`.
            (
                "$..[0]",
                json!([{"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95}, 0]),
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(select(path).as_ref(), Some(expected), "{path}");
        }
    }

    #[test]
    fn recursive_descent_walks_deep_values_without_recursion() {
        let mut deep = json!("bottom");
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        let mut visits = Visits {
            left: u64::MAX,
            path: &Path::root(),
        };
        let mut count = 0;
        descendants(&deep, &mut visits, |_, _| {
            count += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(count, 100_001);
        crate::limits::drop_deep(deep);

        let mut nested = json!({"x": 1});
        for _ in 0..100 {
            nested = json!({"x": nested});
        }
        let Ok(Some(Value::Array(hits))) =
            Path::parse("$..x").unwrap().select(&nested, &Value::Null)
        else {
            panic!("an indefinite path selects an array")
        };
        assert_eq!(hits.len(), 101);
        assert_eq!(hits.last(), Some(&json!(1)));
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            ("", "must start with '$'"),
            ("store", "must start with '$'"),
            (" $", "must start with '$'"),
            ("$.", "expected a field name"),
            ("$..", "expected a field name"),
            ("$.a.", "expected a field name"),
            ("$a b", "unexpected ' '"),
            ("$a-b", "unexpected '-'"),
            ("$.a b", "unexpected ' '"),
            ("$.a ", "unexpected ' '"),
            ("$.a(", "unexpected '('"),
            ("$.a*", "unexpected '*'"),
            ("$.*a", "unexpected 'a'"),
            ("$[", "unclosed '['"),
            ("$[0", "unclosed '['"),
            ("$['a'", "unclosed '['"),
            ("$['a", "unterminated string"),
            ("$[a]", "unexpected 'a'"),
            ("$[]", "unexpected ']'"),
            ("$[0,]", "expected an integer"),
            ("$[1.5]", "expected ']'"),
            ("$[99999999999999999999]", "out of range"),
            ("$[0:5:0]", "step must be positive"),
            ("$[::-1]", "step must be positive"),
            ("$[?(@.a =~ /x/)]", "not supported"),
            ("$[?(@.a ==)]", "filter"),
            ("$[?(1)]", "needs a comparison"),
            ("$[?(@.a == 1]", "expected ')'"),
            ("$[?(@.a[*] == 1)]", "only use names and single indexes"),
            ("$[?($$.x == 1)]", "context object"),
            ("$.a]", "unexpected ']'"),
            ("$$$", "unexpected '$'"),
        ];
        for (path, needle) in cases {
            let err = Path::parse(path).unwrap_err();
            assert!(err.contains(needle), "{path:?}: {err:?} lacks {needle:?}");
        }
        let variable = ReferencePath::parse("$total.x").unwrap_err();
        assert!(variable.contains("not a variable ($total)"), "{variable}");
        let deep = format!("$[?({}@.a{})]", "(".repeat(100), ")".repeat(100));
        assert!(Path::parse(&deep).unwrap_err().contains("nests deeper"));
        let nots = format!("$[?({}@.a)]", "!".repeat(100));
        assert!(Path::parse(&nots).unwrap_err().contains("nests deeper"));
        let brackets = "$[?(@[?(".repeat(100_000);
        assert!(Path::parse(&brackets).unwrap_err().contains("nests deeper"));
    }

    #[test]
    fn accessors_display_and_serde() {
        let path = Path::parse("$$.Execution.Id").unwrap();
        assert_eq!(path.as_str(), "$$.Execution.Id");
        assert!(path.is_context());
        assert!(!Path::parse("$.a").unwrap().is_context());
        assert_eq!(path.to_string(), "$$.Execution.Id");
        assert_eq!(
            serde_json::to_value(&path).unwrap(),
            json!("$$.Execution.Id")
        );
        let back: Path = serde_json::from_value(json!("$$.Execution.Id")).unwrap();
        assert_eq!(back, path);
        let err = serde_json::from_value::<Path>(json!("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope") && err.contains("'$'"), "{err}");
        assert!(serde_json::from_value::<Path>(json!(7)).is_err());

        let reference = ReferencePath::parse("$.a['b c'][0]").unwrap();
        assert_eq!(reference.as_str(), "$.a['b c'][0]");
        assert_eq!(
            serde_json::to_value(&reference).unwrap(),
            json!("$.a['b c'][0]")
        );
        let back: ReferencePath = serde_json::from_value(json!("$.a['b c'][0]")).unwrap();
        assert_eq!(back, reference);
        assert!(serde_json::from_value::<ReferencePath>(json!("$.a[*]")).is_err());
    }

    #[test]
    fn reference_paths_are_single_valued() {
        for ok in [
            "$",
            "$.a",
            "$.a.b",
            "$['a b'].c",
            "$.a[0]",
            "$.a[0][1].b",
            "$.ünï",
        ] {
            assert!(ReferencePath::parse(ok).is_ok(), "{ok}");
        }
        let cases: &[(&str, &str)] = &[
            ("$$.Execution", "context object"),
            ("$..a", "'..'"),
            ("$.a[*]", "wildcard"),
            ("$.*", "wildcard"),
            ("$.a[-1]", "negative index"),
            ("$.a[0,1]", "union"),
            ("$['a','b']", "union"),
            ("$.a[0:1]", "slice"),
            ("$.a[?(@.b)]", "filter"),
            ("a", "must start with '$'"),
            ("$.", "expected a field name"),
        ];
        for (path, needle) in cases {
            let err = ReferencePath::parse(path).unwrap_err();
            assert!(err.contains(needle), "{path:?}: {err:?} lacks {needle:?}");
        }
    }

    #[test]
    fn reference_path_get() {
        let value = json!({"a": {"b c": [10, {"d": true}]}, "n": null});
        let cases: &[(&str, Option<Value>)] = &[
            ("$", Some(value.clone())),
            ("$.a['b c'][0]", Some(json!(10))),
            ("$.a['b c'][1].d", Some(json!(true))),
            ("$.n", Some(Value::Null)),
            ("$.a['b c'][2]", None),
            ("$.a.x", None),
            ("$.n.x", None),
            ("$.a[0]", None),
        ];
        for (path, expected) in cases {
            let path = ReferencePath::parse(path).unwrap();
            assert_eq!(path.get(&value), expected.as_ref(), "{}", path.as_str());
        }
    }

    #[test]
    fn reference_path_set_follows_result_path_rules() {
        let input = json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null});
        let cases: &[(&str, Value)] = &[
            ("$", json!("R")),
            (
                "$.r",
                json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null, "r": "R"}),
            ),
            (
                "$.a.b",
                json!({"a": {"b": "R"}, "s": "text", "list": [1, {"x": 0}], "n": null}),
            ),
            (
                "$.a.new.deeper",
                json!({"a": {"b": 1, "new": {"deeper": "R"}}, "s": "text", "list": [1, {"x": 0}], "n": null}),
            ),
            (
                "$.x.y.z",
                json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null, "x": {"y": {"z": "R"}}}),
            ),
            (
                "$.list[0]",
                json!({"a": {"b": 1}, "s": "text", "list": ["R", {"x": 0}], "n": null}),
            ),
            (
                "$.list[1].x",
                json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": "R"}], "n": null}),
            ),
            (
                "$.list[1].y",
                json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0, "y": "R"}], "n": null}),
            ),
            (
                "$.n",
                json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": "R"}),
            ),
            (
                "$['s p a c e']",
                json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null, "s p a c e": "R"}),
            ),
        ];
        for (path, expected) in cases {
            let mut target = input.clone();
            ReferencePath::parse(path)
                .unwrap()
                .set(&mut target, json!("R"))
                .unwrap();
            assert_eq!(&target, expected, "{path}");
        }

        let failures: &[(&str, &str)] = &[
            ("$.s.x", "$.s is a string, not an object"),
            ("$.s.x.y", "$.s is a string, not an object"),
            ("$.n.x", "$.n is null, not an object"),
            ("$.a.b.c", "$.a.b is a number, not an object"),
            ("$.list.x", "$.list is an array, not an object"),
            ("$.list[2]", "$.list has 2 items, so it has no index 2"),
            ("$.list[5].x", "$.list has 2 items, so it has no index 5"),
            ("$.a[0]", "$.a is an object, not an array"),
            (
                "$.missing[0]",
                "$.missing does not exist, so it has no index 0",
            ),
            ("$.new.deeper[0]", "$.new.deeper does not exist"),
            ("$.list[1].x[0]", "$.list[1].x is a number, not an array"),
        ];
        for (path, needle) in failures {
            let mut target = input.clone();
            let err = ReferencePath::parse(path)
                .unwrap()
                .set(&mut target, json!("R"))
                .unwrap_err();
            assert!(err.contains(needle), "{path}: {err:?} lacks {needle:?}");
            assert_eq!(target, input, "{path} changed the target on failure");
        }

        let mut scalar = json!("just a string");
        assert!(ReferencePath::parse("$.x")
            .unwrap()
            .set(&mut scalar, json!(1))
            .is_err());
        assert_eq!(scalar, json!("just a string"));
        let mut nested_name = json!({});
        ReferencePath::parse("$['a b']['it\\'s']")
            .unwrap()
            .set(&mut nested_name, json!(1))
            .unwrap();
        assert_eq!(nested_name, json!({"a b": {"it's": 1}}));
        let mut quoted = json!({"a b": {"it's": "s"}});
        let err = ReferencePath::parse("$['a b']['it\\'s'].x")
            .unwrap()
            .set(&mut quoted, json!(1))
            .unwrap_err();
        assert!(err.contains("$['a b']['it\\'s'] is a string"), "{err}");
    }

    #[test]
    fn json_eq_compares_numbers_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
        assert!(!json_eq(&json!(1), &json!("1")));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"b": 1})));
        assert!(json_eq(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!json_eq(&json!(u64::MAX), &json!(i64::MAX)));
        assert!(json_eq(&json!(0.5), &json!(0.5)));
        assert!(!json_eq(&json!(0.5), &json!(1)));
    }
}
