//! Values during evaluation: JSON values plus `undefined`, functions and tuple streams, with
//! the flags the reference implementation keeps on its arrays (sequence, singleton, …).

use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use super::ast::{LambdaDef, TransformDef};
use super::frame::Env;
use super::functions::Builtin;
use super::regex::Regex;
use super::signature::Signature;
use super::HostFunction;

/// A name bound in a frame or a tuple (`@`, `$x`, an ancestor's label).
pub(crate) type Name = Arc<str>;

/// Flags of an array, as the reference implementation sets them on its JavaScript arrays.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Flags {
    /// A result sequence (flattened, unwrapped when it holds one value).
    pub(crate) sequence: bool,
    /// Keep as an array even with one value (`[]` in the path).
    pub(crate) keep_singleton: bool,
    /// Built by an array constructor: not flattened by the path step that made it.
    pub(crate) cons: bool,
    /// The whole input was an array: the wrapper that makes it one context value.
    pub(crate) outer_wrapper: bool,
    /// How deeply the array nests (1 + its deepest item's depth), kept so that evaluation
    /// can refuse values nested past the limit (their drop and conversion recurse).
    pub(crate) depth: u16,
}

impl Flags {
    pub(crate) const SEQUENCE: Flags = Flags {
        sequence: true,
        keep_singleton: false,
        cons: false,
        outer_wrapper: false,
        depth: 0,
    };
}

/// What a frame or a tuple binds: the context `@`, a variable, or the label of an ancestor
/// that a `%` refers to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    Context,
    Var(Name),
    Label(usize),
}

/// One binding of a tuple stream: the context `@` and the variables bound along a path.
pub(crate) type Tuple = Rc<Vec<(Key, Value)>>;

/// The context `@` of a tuple.
pub(crate) fn tuple_context(tuple: &[(Key, Value)]) -> Value {
    tuple
        .iter()
        .find(|(k, _)| *k == Key::Context)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// A value during evaluation.
#[derive(Clone, Default)]
pub(crate) enum Value {
    /// JavaScript's `undefined`: nothing matched.
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(Rc<str>),
    Array(Rc<Vec<Value>>, Flags),
    Object(Rc<Object>),
    Function(Rc<Func>),
    /// A stream of tuples (paths that bind `@`, `#` or `%`).
    Tuples(Rc<Vec<Tuple>>),
}

/// A callable value.
pub(crate) enum Func {
    /// `function($x){ ... }`, closed over its input and environment.
    Lambda(Lambda),
    /// A function of the standard library.
    Builtin(&'static Builtin),
    /// A function of the host (Step Functions' own, for example).
    Host(Rc<HostFunction>),
    /// A partial application: the function and its arguments, `None` for each `?`.
    Partial(Value, Vec<Option<Value>>),
    /// A regular expression literal, which matches as a function of a string.
    Matcher(Arc<Regex>),
    /// A transform `| pattern | update, delete |`.
    Transform(Arc<TransformDef>, Env),
    /// `$f ~> $g`: a function that applies `$f` then `$g`.
    Chain(Value, Value),
}

/// A lambda closed over its definition's context.
pub(crate) struct Lambda {
    pub(crate) def: Arc<LambdaDef>,
    pub(crate) input: Value,
    pub(crate) env: Env,
}

impl Func {
    /// The number of arguments the function declares (what `$map` and friends pass it).
    pub(crate) fn arity(&self) -> usize {
        match self {
            Func::Lambda(l) => l.def.params.len(),
            Func::Builtin(b) => b.arity,
            Func::Host(h) => h.arity(),
            Func::Partial(_, args) => args.iter().filter(|a| a.is_none()).count(),
            Func::Matcher(_) => 2,
            Func::Transform(..) | Func::Chain(..) => 1,
        }
    }

    pub(crate) fn signature(&self) -> Option<&Signature> {
        match self {
            Func::Lambda(l) => l.def.signature.as_ref(),
            Func::Builtin(b) => Some(b.signature()),
            Func::Host(h) => Some(h.signature()),
            Func::Transform(..) => Some(super::functions::transform_signature()),
            _ => None,
        }
    }
}

impl Value {
    pub(crate) fn string(s: &str) -> Value {
        Value::String(Rc::from(s))
    }

    pub(crate) fn from_string(s: String) -> Value {
        Value::String(Rc::from(s))
    }

    /// A sequence of these values.
    pub(crate) fn sequence(items: Vec<Value>) -> Value {
        Value::array_with(items, Flags::SEQUENCE)
    }

    /// A plain array of these values.
    pub(crate) fn array(items: Vec<Value>) -> Value {
        Value::array_with(items, Flags::default())
    }

    /// An array with these flags (its depth computed).
    pub(crate) fn array_with(items: Vec<Value>, flags: Flags) -> Value {
        let deepest = items.iter().map(Value::depth).max().unwrap_or(0);
        let depth = u16::try_from(deepest + 1).unwrap_or(u16::MAX);
        Value::Array(Rc::new(items), Flags { depth, ..flags })
    }

    /// How deeply the value nests: 0 for a scalar, 1 + the deepest member for an array or
    /// object.
    pub(crate) fn depth(&self) -> usize {
        match self {
            Value::Array(_, f) => usize::from(f.depth),
            Value::Object(o) => usize::from(o.depth),
            _ => 0,
        }
    }

    pub(crate) fn object(map: Object) -> Value {
        Value::Object(Rc::new(map))
    }

    pub(crate) fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    pub(crate) fn is_function(&self) -> bool {
        matches!(self, Value::Function(_))
    }

    pub(crate) fn is_sequence(&self) -> bool {
        matches!(self, Value::Array(_, f) if f.sequence)
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items of an array, or `None`.
    pub(crate) fn items(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a, _) => Some(a),
            _ => None,
        }
    }

    /// The items as a list: an array's items, a single value as one item, `undefined` as
    /// none.
    pub(crate) fn to_list(&self) -> Vec<Value> {
        match self {
            Value::Array(a, _) => a.to_vec(),
            Value::Undefined => Vec::new(),
            other => vec![other.clone()],
        }
    }

    /// The type letter of function signatures: `s n b l o a f`, `m` for undefined.
    pub(crate) fn symbol(&self) -> u8 {
        match self {
            Value::Undefined => b'm',
            Value::Null => b'l',
            Value::Bool(_) => b'b',
            Value::Number(_) => b'n',
            Value::String(_) => b's',
            Value::Array(..) | Value::Tuples(_) => b'a',
            Value::Object(_) => b'o',
            Value::Function(_) => b'f',
        }
    }

    /// `$type()`: `"null"`, `"number"`, …
    pub(crate) fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            Value::Undefined => return None,
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(..) | Value::Tuples(_) => "array",
            Value::Object(_) => "object",
            Value::Function(_) => "function",
        })
    }
}

/// An object, with JavaScript's key order: keys that are array indexes ("0", "1", … up to
/// 2^32 − 2) first, in numeric order, then the others in insertion order.
#[derive(Clone)]
pub(crate) struct Object {
    map: IndexMap<Rc<str>, Value>,
    /// How many leading keys are array indexes.
    indexes: usize,
    /// 1 + the deepest value's depth (not lowered by removals).
    depth: u16,
}

impl Default for Object {
    fn default() -> Self {
        Object {
            map: IndexMap::new(),
            indexes: 0,
            depth: 1,
        }
    }
}

/// The key as an array index, when JavaScript treats it as one.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u64::from(u32::MAX)).then_some(n as u32)
}

impl Object {
    pub(crate) fn new() -> Self {
        Object::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Rc<str>, &Value)> {
        self.map.iter()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &Rc<str>> {
        self.map.keys()
    }

    /// Sets `key`: an existing key keeps its place, a new one goes where JavaScript puts it.
    pub(crate) fn insert(&mut self, key: Rc<str>, value: Value) {
        let depth = u16::try_from(value.depth() + 1).unwrap_or(u16::MAX);
        self.depth = self.depth.max(depth);
        if let Some(slot) = self.map.get_mut(&key) {
            *slot = value;
            return;
        }
        match array_index(&key) {
            Some(n) => {
                let at = self
                    .map
                    .keys()
                    .take(self.indexes)
                    .collect::<Vec<_>>()
                    .partition_point(|k| array_index(k).is_some_and(|m| m < n));
                self.map.shift_insert(at, key, value);
                self.indexes += 1;
            }
            None => {
                self.map.insert(key, value);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        if self.map.shift_remove(key).is_some() && array_index(key).is_some() {
            self.indexes -= 1;
        }
    }
}
