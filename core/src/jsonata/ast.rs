//! The syntax tree the evaluator walks: paths flattened into steps, predicates attached to
//! the steps they filter, parent (`%`) references resolved to the steps that bind them.

use std::sync::Arc;

use super::regex::Regex;
use super::signature::Signature;
use super::value::Name;

/// A node: what it computes, where it is, and what is attached to it.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) pos: usize,
    /// Keep singleton arrays in this node's result (`[]`).
    pub(crate) keep_array: bool,
    /// Filters applied to this node's result (outside of a path).
    pub(crate) predicate: Vec<Stage>,
    /// Filters and `#` bindings applied to each result of this step (inside a path).
    pub(crate) stages: Vec<Stage>,
    /// A grouping `{...}` applied to the result.
    pub(crate) group: Option<Box<Group>>,
    /// `@$x`: the step binds its result to `$x` and keeps the context.
    pub(crate) focus: Option<Name>,
    /// `#$i`: the step binds each result's position to `$i`.
    pub(crate) index: Option<Name>,
    /// The step is evaluated as a tuple stream.
    pub(crate) tuple: bool,
    /// The label under which this step's context is bound for a `%` after it.
    pub(crate) ancestor: Option<usize>,
    /// An array constructor at the start or end of a path (not flattened).
    pub(crate) consarray: bool,
    /// Parent slots still to be resolved (parsing only).
    pub(crate) seeking: Vec<usize>,
}

/// A filter or an index binding on a step.
#[derive(Debug)]
pub(crate) enum Stage {
    Filter(Node),
    Index(Name),
}

/// A grouping object constructor: key and value expressions.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) pairs: Vec<(Node, Node)>,
    pub(crate) pos: usize,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Path {
        steps: Vec<Node>,
        keep_singleton: bool,
    },
    Binary(&'static str, Box<Node>, Box<Node>),
    Negate(Box<Node>),
    Array(Vec<Node>),
    Object(Group),
    Name(Name),
    Str(Arc<str>),
    Num(f64),
    Bool(bool),
    Null,
    Wildcard,
    Descendant,
    /// `%`: the label of the ancestor it refers to.
    Parent(usize),
    Condition(Box<Node>, Box<Node>, Option<Box<Node>>),
    Block(Vec<Node>),
    Bind(Name, Box<Node>),
    Regex(Arc<Regex>),
    Variable(Name),
    Call(Box<Node>, Vec<Node>),
    /// A partial application: `None` for each `?`.
    Partial(Box<Node>, Vec<Option<Node>>),
    Lambda(Arc<LambdaDef>),
    Apply(Box<Node>, Box<Node>),
    Transform(Arc<TransformDef>),
    /// An order-by step: (descending, key) terms.
    Sort(Vec<(bool, Node)>),
}

/// A lambda's parameters, signature and body. A thunk is the tail call a lambda's body ends
/// with, evaluated by the caller's trampoline.
#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub(crate) params: Vec<Name>,
    pub(crate) signature: Option<Signature>,
    pub(crate) body: Node,
    pub(crate) thunk: bool,
}

/// `| pattern | update, delete |`.
#[derive(Debug)]
pub(crate) struct TransformDef {
    pub(crate) pattern: Node,
    pub(crate) update: Node,
    pub(crate) delete: Option<Node>,
    pub(crate) pos: usize,
}

impl Node {
    pub(crate) fn new(kind: Kind, pos: usize) -> Self {
        Node {
            kind,
            pos,
            keep_array: false,
            predicate: Vec::new(),
            stages: Vec::new(),
            group: None,
            focus: None,
            index: None,
            tuple: false,
            ancestor: None,
            consarray: false,
            seeking: Vec::new(),
        }
    }

    pub(crate) fn is_path(&self) -> bool {
        matches!(self.kind, Kind::Path { .. })
    }

    /// The name a call reports in errors: the variable or first path step.
    pub(crate) fn procedure_name(&self) -> String {
        match &self.kind {
            Kind::Variable(n) | Kind::Name(n) => n.to_string(),
            Kind::Path { steps, .. } => steps.first().map(Node::procedure_name).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// Calls `f` on every node of this tree (lambda and transform bodies excluded).
    pub(crate) fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        f(self);
        for stage in self.predicate.iter_mut().chain(self.stages.iter_mut()) {
            if let Stage::Filter(n) = stage {
                n.walk_mut(f);
            }
        }
        if let Some(g) = &mut self.group {
            for (k, v) in &mut g.pairs {
                k.walk_mut(f);
                v.walk_mut(f);
            }
        }
        match &mut self.kind {
            Kind::Path { steps, .. } | Kind::Array(steps) | Kind::Block(steps) => {
                steps.iter_mut().for_each(|n| n.walk_mut(f))
            }
            Kind::Binary(_, a, b) | Kind::Apply(a, b) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            Kind::Negate(a) | Kind::Bind(_, a) => a.walk_mut(f),
            Kind::Object(g) => {
                for (k, v) in &mut g.pairs {
                    k.walk_mut(f);
                    v.walk_mut(f);
                }
            }
            Kind::Condition(a, b, c) => {
                a.walk_mut(f);
                b.walk_mut(f);
                if let Some(c) = c {
                    c.walk_mut(f);
                }
            }
            Kind::Call(p, args) => {
                p.walk_mut(f);
                args.iter_mut().for_each(|n| n.walk_mut(f));
            }
            Kind::Partial(p, args) => {
                p.walk_mut(f);
                args.iter_mut().flatten().for_each(|n| n.walk_mut(f));
            }
            Kind::Sort(terms) => terms.iter_mut().for_each(|(_, n)| n.walk_mut(f)),
            _ => {}
        }
    }
}
