//! From the raw tree to the evaluator's tree: paths flattened into steps, predicates moved
//! onto the steps they filter, `%` resolved to the step whose context it names, tail calls
//! marked, regular expressions compiled.

use std::sync::Arc;

use super::ast::{Group, Kind, LambdaDef, Node, Stage, TransformDef};
use super::error::Error;
use super::parser::{Raw, RawKind};
use super::regex::Regex;
use super::value::Name;

/// A `%` reference being resolved: its label and how many steps up it still looks.
struct Slot {
    label: usize,
    level: i64,
}

/// Turns a raw tree into the evaluator's tree.
pub(crate) fn process(raw: Raw) -> Result<Node, Error> {
    let mut p = Processor { slots: Vec::new() };
    let mut node = p.node(raw)?;
    if matches!(node.kind, Kind::Parent(_)) || !node.seeking.is_empty() {
        return Err(Error::new("S0217").at(node.pos).token("parent"));
    }
    p.label(&mut node);
    Ok(node)
}

struct Processor {
    slots: Vec<Slot>,
}

fn name(s: &str) -> Name {
    Name::from(s)
}

impl Processor {
    /// Replaces slot numbers with their final labels in a finished tree.
    fn label(&self, node: &mut Node) {
        node.walk_mut(&mut |n| {
            if let Some(a) = n.ancestor {
                n.ancestor = Some(self.slots[a].label);
            }
            if let Kind::Parent(s) = n.kind {
                n.kind = Kind::Parent(self.slots[s].label);
            }
        });
    }

    fn seek_parent(&mut self, node: &mut Node, slot: usize) -> Result<(), Error> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.slots[slot].level -= 1;
                if self.slots[slot].level == 0 {
                    if let Some(existing) = node.ancestor {
                        self.slots[slot].label = self.slots[existing].label;
                    }
                    node.ancestor = Some(slot);
                    node.tuple = true;
                }
            }
            Kind::Parent(_) => self.slots[slot].level += 1,
            Kind::Block(items) => {
                if let Some(last) = items.last_mut() {
                    node.tuple = true;
                    self.seek_parent(last, slot)?;
                }
            }
            Kind::Path { steps, .. } => {
                node.tuple = true;
                let mut index = steps.len() as i64 - 1;
                self.seek_parent(&mut steps[index as usize], slot)?;
                index -= 1;
                while self.slots[slot].level > 0 && index >= 0 {
                    self.seek_parent(&mut steps[index as usize], slot)?;
                    index -= 1;
                }
            }
            _ => return Err(Error::new("S0217").at(node.pos).token("parent")),
        }
        Ok(())
    }

    /// Passes the unresolved `%` references of `value` up to `result`.
    fn push_ancestry(result: &mut Node, value: &Node) {
        result.seeking.extend(value.seeking.iter().copied());
        if let Kind::Parent(slot) = value.kind {
            result.seeking.push(slot);
        }
    }

    fn resolve_ancestry(&mut self, path: &mut Node) -> Result<(), Error> {
        let Kind::Path { steps, .. } = &mut path.kind else {
            return Ok(());
        };
        let last = steps.len() - 1;
        let mut slots = steps[last].seeking.clone();
        if let Kind::Parent(slot) = steps[last].kind {
            slots.push(slot);
        }
        let mut unresolved = Vec::new();
        for slot in slots {
            let mut index = steps.len() as i64 - 2;
            while self.slots[slot].level > 0 {
                if index < 0 {
                    unresolved.push(slot);
                    break;
                }
                let mut step = index as usize;
                index -= 1;
                while index >= 0
                    && steps[step].focus.is_some()
                    && steps[index as usize].focus.is_some()
                {
                    step = index as usize;
                    index -= 1;
                }
                self.seek_parent(&mut steps[step], slot)?;
            }
        }
        path.seeking.extend(unresolved);
        Ok(())
    }

    fn node(&mut self, raw: Raw) -> Result<Node, Error> {
        let pos = raw.pos;
        let keep_array = raw.keep_array;
        let mut result = match raw.kind {
            RawKind::Binary(".", lhs, rhs) => self.path(*lhs, *rhs)?,
            RawKind::Binary("[", lhs, rhs) => {
                let mut result = self.node(*lhs)?;
                let in_path = result.is_path();
                let predicate = self.node(*rhs)?;
                let step = match &mut result.kind {
                    Kind::Path { steps, .. } => steps.last_mut().expect("a path has steps"),
                    _ => &mut result,
                };
                if step.group.is_some() {
                    return Err(Error::new("S0209").at(pos));
                }
                if !predicate.seeking.is_empty() {
                    for slot in predicate.seeking.clone() {
                        if self.slots[slot].level == 1 {
                            self.seek_parent(step, slot)?;
                        } else {
                            self.slots[slot].level -= 1;
                        }
                    }
                    Self::push_ancestry(step, &predicate);
                }
                if in_path {
                    step.stages.push(Stage::Filter(predicate));
                } else {
                    step.predicate.push(Stage::Filter(predicate));
                }
                result
            }
            RawKind::Group(lhs, pairs) => {
                let mut result = self.node(*lhs)?;
                if result.group.is_some() {
                    return Err(Error::new("S0210").at(pos));
                }
                let pairs = self.pairs(pairs, None)?;
                result.group = Some(Box::new(Group { pairs, pos }));
                result
            }
            RawKind::Sort(lhs, terms) => {
                let result = self.node(*lhs)?;
                let mut result = if result.is_path() {
                    result
                } else {
                    path_of(vec![result])
                };
                let mut sort = Node::new(Kind::Sort(Vec::new()), pos);
                let mut processed = Vec::new();
                for (descending, term) in terms {
                    let term = self.node(term)?;
                    Self::push_ancestry(&mut sort, &term);
                    processed.push((descending, term));
                }
                sort.kind = Kind::Sort(processed);
                if let Kind::Path { steps, .. } = &mut result.kind {
                    steps.push(sort);
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            RawKind::Binary(":=", lhs, rhs) => {
                let RawKind::Var(var) = lhs.kind else {
                    return Err(Error::new("S0212").at(pos));
                };
                let rhs = self.node(*rhs)?;
                let mut result = Node::new(Kind::Null, pos);
                Self::push_ancestry(&mut result, &rhs);
                result.kind = Kind::Bind(name(&var), Box::new(rhs));
                result
            }
            RawKind::Binary(op @ ("@" | "#"), lhs, rhs) => {
                let RawKind::Var(var) = rhs.kind else {
                    return Err(Error::new("S0214").at(pos).token(op));
                };
                let mut result = self.node(*lhs)?;
                if op == "#" && !result.is_path() {
                    let mut step = result;
                    step.stages = std::mem::take(&mut step.predicate);
                    result = path_of(vec![step]);
                }
                let step = match &mut result.kind {
                    Kind::Path { steps, .. } => steps.last_mut().expect("a path has steps"),
                    _ => &mut result,
                };
                if op == "@" {
                    if !step.stages.is_empty() || !step.predicate.is_empty() {
                        return Err(Error::new("S0215").at(pos));
                    }
                    if matches!(step.kind, Kind::Sort(_)) {
                        return Err(Error::new("S0216").at(pos));
                    }
                    if keep_array {
                        step.keep_array = true;
                    }
                    step.focus = Some(name(&var));
                } else if step.stages.is_empty() {
                    step.index = Some(name(&var));
                } else {
                    step.stages.push(Stage::Index(name(&var)));
                }
                step.tuple = true;
                result
            }
            RawKind::Binary("~>", lhs, rhs) => {
                let lhs = self.node(*lhs)?;
                let rhs = self.node(*rhs)?;
                let keep = lhs.keep_array || rhs.keep_array;
                let mut result = Node::new(Kind::Apply(Box::new(lhs), Box::new(rhs)), pos);
                result.keep_array = keep;
                result
            }
            RawKind::Binary(op, lhs, rhs) => {
                let lhs = self.node(*lhs)?;
                let rhs = self.node(*rhs)?;
                let mut result = Node::new(Kind::Null, pos);
                Self::push_ancestry(&mut result, &lhs);
                Self::push_ancestry(&mut result, &rhs);
                result.kind = Kind::Binary(op, Box::new(lhs), Box::new(rhs));
                result
            }
            RawKind::Array(items) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut nodes = Vec::with_capacity(items.len());
                for item in items {
                    let item = self.node(item)?;
                    Self::push_ancestry(&mut result, &item);
                    nodes.push(item);
                }
                result.kind = Kind::Array(nodes);
                result
            }
            RawKind::Object(pairs) => {
                let mut result = Node::new(Kind::Null, pos);
                let pairs = self.pairs(pairs, Some(&mut result))?;
                result.kind = Kind::Object(Group { pairs, pos });
                result
            }
            RawKind::Negate(expr) => {
                let expr = self.node(*expr)?;
                if let Kind::Num(n) = expr.kind {
                    let mut folded = expr;
                    folded.kind = Kind::Num(-n);
                    folded
                } else {
                    let mut result = Node::new(Kind::Null, pos);
                    Self::push_ancestry(&mut result, &expr);
                    result.kind = Kind::Negate(Box::new(expr));
                    result
                }
            }
            RawKind::Call(procedure, args, partial) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut nodes = Vec::with_capacity(args.len());
                for arg in args {
                    if matches!(arg.kind, RawKind::Operator("?")) {
                        nodes.push(None);
                        continue;
                    }
                    let arg = self.node(arg)?;
                    Self::push_ancestry(&mut result, &arg);
                    nodes.push(Some(arg));
                }
                let procedure = Box::new(self.node(*procedure)?);
                result.kind = if partial {
                    Kind::Partial(procedure, nodes)
                } else {
                    Kind::Call(procedure, nodes.into_iter().flatten().collect())
                };
                result
            }
            RawKind::Lambda(params, signature, body) => {
                let mut body = self.node(*body)?;
                self.label(&mut body);
                let body = tail_call(body);
                let params = params.iter().map(|p| name(p)).collect();
                Node::new(
                    Kind::Lambda(Arc::new(LambdaDef {
                        params,
                        signature,
                        body,
                        thunk: false,
                    })),
                    pos,
                )
            }
            RawKind::Condition(cond, then, otherwise) => {
                let mut result = Node::new(Kind::Null, pos);
                let cond = self.node(*cond)?;
                Self::push_ancestry(&mut result, &cond);
                let then = self.node(*then)?;
                Self::push_ancestry(&mut result, &then);
                let otherwise = match otherwise {
                    Some(o) => {
                        let o = self.node(*o)?;
                        Self::push_ancestry(&mut result, &o);
                        Some(Box::new(o))
                    }
                    None => None,
                };
                result.kind = Kind::Condition(Box::new(cond), Box::new(then), otherwise);
                result
            }
            RawKind::Transform(pattern, update, delete) => {
                let mut pattern = self.node(*pattern)?;
                let mut update = self.node(*update)?;
                let mut delete = delete.map(|d| self.node(*d)).transpose()?;
                self.label(&mut pattern);
                self.label(&mut update);
                if let Some(d) = &mut delete {
                    self.label(d);
                }
                Node::new(
                    Kind::Transform(Arc::new(TransformDef {
                        pattern,
                        update,
                        delete,
                        pos,
                    })),
                    pos,
                )
            }
            RawKind::Block(items) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut nodes = Vec::with_capacity(items.len());
                for item in items {
                    let part = self.node(item)?;
                    Self::push_ancestry(&mut result, &part);
                    let cons = part.consarray
                        || matches!(&part.kind, Kind::Path { steps, .. } if steps[0].consarray);
                    if cons {
                        result.consarray = true;
                    }
                    nodes.push(part);
                }
                result.kind = Kind::Block(nodes);
                result
            }
            RawKind::Name(n) => self.name_path(Node::new(Kind::Name(name(&n)), pos), keep_array),
            RawKind::Operator(op @ ("and" | "or" | "in")) => {
                self.name_path(Node::new(Kind::Name(name(op)), pos), keep_array)
            }
            RawKind::Operator(op) => return Err(Error::new("S0201").at(pos).token(op)),
            RawKind::Parent => {
                let slot = self.slots.len();
                self.slots.push(Slot {
                    label: slot,
                    level: 1,
                });
                Node::new(Kind::Parent(slot), pos)
            }
            RawKind::Str(s) => Node::new(Kind::Str(Arc::from(s)), pos),
            RawKind::Num(n) => Node::new(Kind::Num(n), pos),
            RawKind::Bool(b) => Node::new(Kind::Bool(b), pos),
            RawKind::Null => Node::new(Kind::Null, pos),
            RawKind::Wildcard => Node::new(Kind::Wildcard, pos),
            RawKind::Descendant => Node::new(Kind::Descendant, pos),
            RawKind::Var(v) => Node::new(Kind::Variable(name(&v)), pos),
            RawKind::Regex(pattern, flags) => {
                let regex = Regex::new(&pattern, &flags).map_err(|reason| {
                    Error::new("S0303")
                        .at(pos)
                        .value(super::error::quote(&reason))
                })?;
                Node::new(Kind::Regex(Arc::new(regex)), pos)
            }
            RawKind::End => return Err(Error::new("S0207").at(pos)),
        };
        if keep_array {
            result.keep_array = true;
        }
        Ok(result)
    }

    fn name_path(&mut self, mut step: Node, keep_array: bool) -> Node {
        step.keep_array = keep_array;
        let mut path = path_of(vec![step]);
        if keep_array {
            if let Kind::Path { keep_singleton, .. } = &mut path.kind {
                *keep_singleton = true;
            }
        }
        path
    }

    fn pairs(
        &mut self,
        pairs: Vec<(Raw, Raw)>,
        mut into: Option<&mut Node>,
    ) -> Result<Vec<(Node, Node)>, Error> {
        let mut out = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let k = self.node(k)?;
            let v = self.node(v)?;
            if let Some(result) = into.as_deref_mut() {
                Self::push_ancestry(result, &k);
                Self::push_ancestry(result, &v);
            }
            out.push((k, v));
        }
        Ok(out)
    }

    fn path(&mut self, lhs: Raw, rhs: Raw) -> Result<Node, Error> {
        let lstep = self.node(lhs)?;
        let parent = match lstep.kind {
            Kind::Parent(slot) => Some(slot),
            _ => None,
        };
        let mut result = if lstep.is_path() {
            lstep
        } else {
            path_of(vec![lstep])
        };
        if let Some(slot) = parent {
            result.seeking = vec![slot];
        }
        let mut rest = self.node(rhs)?;
        let Kind::Path {
            steps,
            keep_singleton,
        } = &mut result.kind
        else {
            unreachable!()
        };
        match rest.kind {
            Kind::Path { steps: more, .. } => steps.extend(more),
            _ => {
                if !rest.predicate.is_empty() {
                    rest.stages = std::mem::take(&mut rest.predicate);
                }
                steps.push(rest);
            }
        }
        for step in steps.iter_mut() {
            match &step.kind {
                Kind::Num(n) => {
                    return Err(Error::new("S0213")
                        .at(step.pos)
                        .value(super::number::to_js_string(*n)))
                }
                Kind::Bool(b) => return Err(Error::new("S0213").at(step.pos).value(b.to_string())),
                Kind::Null => return Err(Error::new("S0213").at(step.pos).value("null")),
                Kind::Str(s) => step.kind = Kind::Name(name(s)),
                _ => {}
            }
        }
        if steps.iter().any(|s| s.keep_array) {
            *keep_singleton = true;
        }
        if let Some(first) = steps.first_mut() {
            if matches!(first.kind, Kind::Array(_)) {
                first.consarray = true;
            }
        }
        if let Some(last) = steps.last_mut() {
            if matches!(last.kind, Kind::Array(_)) {
                last.consarray = true;
            }
        }
        self.resolve_ancestry(&mut result)?;
        Ok(result)
    }
}

fn path_of(steps: Vec<Node>) -> Node {
    let pos = steps.first().map_or(0, |s| s.pos);
    Node::new(
        Kind::Path {
            steps,
            keep_singleton: false,
        },
        pos,
    )
}

/// Marks the tail calls of a lambda body: a call in tail position becomes a thunk that the
/// caller's trampoline evaluates, so tail recursion does not grow the stack.
fn tail_call(node: Node) -> Node {
    match node.kind {
        Kind::Call(..) if node.predicate.is_empty() => {
            let pos = node.pos;
            let def = LambdaDef {
                params: Vec::new(),
                signature: None,
                body: node,
                thunk: true,
            };
            Node::new(Kind::Lambda(Arc::new(def)), pos)
        }
        Kind::Condition(cond, then, otherwise) => {
            let kind = Kind::Condition(
                cond,
                Box::new(tail_call(*then)),
                otherwise.map(|o| Box::new(tail_call(*o))),
            );
            Node { kind, ..node }
        }
        Kind::Block(mut items) => {
            if let Some(last) = items.pop() {
                items.push(tail_call(last));
            }
            Node {
                kind: Kind::Block(items),
                ..node
            }
        }
        _ => node,
    }
}
