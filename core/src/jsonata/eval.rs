//! The evaluator: expressions against a context value, paths as sequences or tuple streams,
//! predicates, grouping, sorting and the operators. Function calls are in `apply`.

use std::rc::Rc;

use indexmap::IndexMap;

use super::ast::{Group, Kind, Node, Stage};
use super::convert::{self, append, compare_strings, numeric, truthy};
use super::error::Error;
use super::frame::{Env, Frame, Frames};
use super::number::to_js_string;
use super::serialize::json_text;
use super::value::{tuple_context, Flags, Func, Key, Lambda, Object, Tuple, Value};
use super::{EvalLimits, HostFunction};

/// The state of one evaluation: limits and what was used of them, the clock reading and
/// random numbers, the host's functions.
pub(crate) struct Ctx<'a> {
    pub(crate) limits: &'a EvalLimits,
    steps: u64,
    depth: usize,
    pub(crate) now_ms: f64,
    pub(crate) rng: crate::policy::Rng,
    pub(crate) host: &'a [Rc<HostFunction>],
    pub(crate) frames: Frames,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        limits: &'a EvalLimits,
        now_ms: f64,
        seed: u64,
        host: &'a [Rc<HostFunction>],
    ) -> Self {
        Ctx {
            limits,
            steps: 0,
            depth: 0,
            now_ms,
            rng: crate::policy::Rng::seeded(seed),
            host,
            frames: Frames::default(),
        }
    }

    /// Counts one step of work; fails past the step limit.
    pub(crate) fn tick(&mut self) -> Result<(), Error> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(Error::new("D1012").value(self.limits.max_steps.to_string()));
        }
        Ok(())
    }

    /// Counts the work of making `units` items (a string counts one per 16 bytes), so the
    /// step limit also bounds what an evaluation allocates.
    pub(crate) fn charge(&mut self, units: usize) -> Result<(), Error> {
        self.steps = self.steps.saturating_add(units as u64);
        if self.steps > self.limits.max_steps {
            return Err(Error::new("D1012").value(self.limits.max_steps.to_string()));
        }
        Ok(())
    }

    /// [`charge`](Self::charge) for a value just made.
    pub(crate) fn charge_value(&mut self, v: &Value) -> Result<(), Error> {
        self.charge(match v {
            Value::String(s) => s.len() / 16,
            Value::Array(items, _) => items.len(),
            Value::Object(o) => o.len(),
            _ => 0,
        })
    }

    /// Steps left, for work counted in bulk (comparisons, conversions).
    pub(crate) fn budget(&self) -> u64 {
        self.limits.max_steps.saturating_sub(self.steps)
    }

    pub(crate) fn spend(&mut self, left: u64) {
        self.steps = self.limits.max_steps.saturating_sub(left);
    }

    pub(crate) fn deep_equal(&mut self, a: &Value, b: &Value) -> Result<bool, Error> {
        let mut budget = self.budget();
        let r = convert::deep_equal(a, b, &mut budget, 0);
        self.spend(budget);
        r
    }

    /// Fails when a sequence grows past the limit.
    pub(crate) fn check_len(&self, len: usize) -> Result<(), Error> {
        if len > self.limits.max_sequence {
            return Err(Error::new("D2015").value(self.limits.max_sequence.to_string()));
        }
        Ok(())
    }

    /// Fails when a string grows past the limit.
    pub(crate) fn check_str(&self, s: &str) -> Result<(), Error> {
        if s.len() > self.limits.max_string {
            return Err(Error::new("D2016").value(self.limits.max_string.to_string()));
        }
        Ok(())
    }

    /// `$append` under the sequence limit.
    pub(crate) fn append(&mut self, a: Value, b: Value) -> Result<Value, Error> {
        let joined = append(a, b, self.limits.max_sequence)?;
        self.charge_value(&joined)?;
        Ok(joined)
    }

    /// Binds in `env`, remembering frames that hold structured values (they may close a
    /// cycle through a lambda, broken when the evaluation ends).
    pub(crate) fn bind(&mut self, env: &Env, key: Key, value: Value) {
        if matches!(
            value,
            Value::Function(_) | Value::Array(..) | Value::Object(_)
        ) {
            self.frames.track(env);
        }
        env.bind(key, value);
    }

    /// A frame binding a tuple's names, inside `env`.
    pub(crate) fn tuple_frame(&mut self, env: &Env, tuple: &Tuple) -> Env {
        let frame = Frame::child(env);
        for (k, v) in tuple.iter() {
            self.bind(&frame, k.clone(), v.clone());
        }
        frame
    }

    /// Looks a variable up: frames, then the host's functions, then the standard library.
    pub(crate) fn lookup(&self, env: &Env, name: &str) -> Value {
        if let Some(v) = env.lookup(name) {
            return v;
        }
        if let Some(h) = self.host.iter().find(|h| h.name() == name) {
            return Value::Function(Rc::new(Func::Host(h.clone())));
        }
        match super::functions::builtin(name) {
            Some(b) => Value::Function(Rc::new(Func::Builtin(b))),
            None => Value::Undefined,
        }
    }

    pub(crate) fn evaluate(
        &mut self,
        node: &Node,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return Err(Error::new("D1011")
                .at(node.pos)
                .value(self.limits.max_depth.to_string()));
        }
        let result = self
            .tick()
            .and_then(|()| self.evaluate_inner(node, input, env));
        self.depth -= 1;
        match result {
            // Values nested past the limit are refused where they are made: their drop and
            // their conversion recurse.
            Ok(v) if v.depth() > self.limits.max_depth => Err(Error::new("D1011")
                .at(node.pos)
                .value(self.limits.max_depth.to_string())),
            other => other,
        }
    }

    fn evaluate_inner(&mut self, node: &Node, input: &Value, env: &Env) -> Result<Value, Error> {
        let mut result = self.dispatch(node, input, env)?;
        if !node.predicate.is_empty() || (!node.is_path() && node.group.is_some()) {
            result = self.attached(node, result, env)?;
        }
        if let Value::Array(items, mut flags) = result {
            if flags.sequence {
                if node.keep_array {
                    flags.keep_singleton = true;
                }
                return Ok(match items.len() {
                    0 => Value::Undefined,
                    1 if !flags.keep_singleton => items[0].clone(),
                    _ => Value::Array(items, flags),
                });
            }
            return Ok(Value::Array(items, flags));
        }
        Ok(result)
    }

    /// The predicates and grouping attached to a node outside of a path.
    fn attached(&mut self, node: &Node, mut result: Value, env: &Env) -> Result<Value, Error> {
        for stage in &node.predicate {
            if let Stage::Filter(expr) = stage {
                result = self.filter(expr, result, env)?;
            }
        }
        if !node.is_path() {
            if let Some(group) = &node.group {
                result = self.group(group, result, env)?;
            }
        }
        Ok(result)
    }

    /// Each kind of node, each in its own function so this frame stays small (evaluation
    /// recurses through it).
    fn dispatch(&mut self, node: &Node, input: &Value, env: &Env) -> Result<Value, Error> {
        match &node.kind {
            Kind::Path {
                steps,
                keep_singleton,
            } => self.path(node, steps, *keep_singleton, input, env),
            Kind::Binary(op, lhs, rhs) => self.binary(node, op, lhs, rhs, input, env),
            Kind::Negate(expr) => self.negate(node, expr, input, env),
            Kind::Array(items) => self.array(node, items, input, env),
            Kind::Object(group) => self.group(group, input.clone(), env),
            Kind::Name(name) => {
                let v = lookup_field(input, name)?;
                self.charge(v.items().map_or(0, <[Value]>::len))?;
                Ok(v)
            }
            Kind::Str(s) => Ok(Value::string(s)),
            Kind::Num(n) => Ok(Value::Number(*n)),
            Kind::Bool(b) => Ok(Value::Bool(*b)),
            Kind::Null => Ok(Value::Null),
            Kind::Wildcard => self.wildcard(input),
            Kind::Descendant => self.descendants(input),
            Kind::Parent(label) => Ok(env.lookup_label(*label).unwrap_or_default()),
            Kind::Condition(cond, then, otherwise) => {
                self.condition(cond, then, otherwise.as_deref(), input, env)
            }
            Kind::Block(items) => self.block(items, input, env),
            Kind::Bind(name, value) => self.bind_expr(name, value, input, env),
            Kind::Regex(re) => Ok(Value::Function(Rc::new(Func::Matcher(re.clone())))),
            Kind::Variable(name) => Ok(self.variable(name, input, env)),
            Kind::Call(procedure, args) => self.call(node, procedure, args, input, env, None),
            Kind::Partial(procedure, args) => self.partial(node, procedure, args, input, env),
            Kind::Lambda(def) => Ok(Value::Function(Rc::new(Func::Lambda(Lambda {
                def: def.clone(),
                input: input.clone(),
                env: env.clone(),
            })))),
            Kind::Apply(lhs, rhs) => self.apply_operator(node, lhs, rhs, input, env),
            Kind::Transform(def) => Ok(Value::Function(Rc::new(Func::Transform(
                def.clone(),
                env.clone(),
            )))),
            Kind::Sort(_) => self.sort(node, input, env),
        }
    }

    fn negate(
        &mut self,
        node: &Node,
        expr: &Node,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        match self.evaluate(expr, input, env)? {
            Value::Undefined => Ok(Value::Undefined),
            v => match numeric(&v)? {
                Some(n) => Ok(Value::Number(-n)),
                None => Err(Error::new("D1002")
                    .at(node.pos)
                    .token("-")
                    .value(json_text(&v))),
            },
        }
    }

    fn array(
        &mut self,
        node: &Node,
        items: &[Node],
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let mut out: Vec<Value> = Vec::new();
        for item in items {
            let value = self.evaluate(item, input, env)?;
            if value.is_undefined() {
                continue;
            }
            if matches!(item.kind, Kind::Array(_)) {
                out.push(value);
            } else {
                match value {
                    Value::Array(more, _) => out.extend(more.iter().cloned()),
                    Value::Tuples(t) => out.extend(t.iter().map(|t| tuple_context(t))),
                    v => out.push(v),
                }
            }
            self.check_len(out.len())?;
        }
        let flags = Flags {
            cons: node.consarray,
            ..Flags::default()
        };
        self.charge(out.len())?;
        Ok(Value::array_with(out, flags))
    }

    fn condition(
        &mut self,
        cond: &Node,
        then: &Node,
        otherwise: Option<&Node>,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let c = self.evaluate(cond, input, env)?;
        if truthy(&c)? {
            self.evaluate(then, input, env)
        } else if let Some(o) = otherwise {
            self.evaluate(o, input, env)
        } else {
            Ok(Value::Undefined)
        }
    }

    fn block(&mut self, items: &[Node], input: &Value, env: &Env) -> Result<Value, Error> {
        let frame = Frame::child(env);
        let mut result = Value::Undefined;
        for item in items {
            result = self.evaluate(item, input, &frame)?;
        }
        Ok(result)
    }

    fn bind_expr(
        &mut self,
        name: &super::value::Name,
        value: &Node,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let v = self.evaluate(value, input, env)?;
        self.bind(env, Key::Var(name.clone()), v.clone());
        Ok(v)
    }

    fn variable(&self, name: &str, input: &Value, env: &Env) -> Value {
        if !name.is_empty() {
            return self.lookup(env, name);
        }
        match input {
            Value::Array(items, f) if f.outer_wrapper && !items.is_empty() => items[0].clone(),
            other => other.clone(),
        }
    }

    fn path(
        &mut self,
        node: &Node,
        steps: &[Node],
        keep_singleton: bool,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let mut input_seq = match input {
            Value::Array(..) if !matches!(steps[0].kind, Kind::Variable(_)) => input.clone(),
            other => Value::sequence(vec![other.clone()]),
        };
        let mut result_seq = Value::Undefined;
        let mut is_tuple = false;
        let mut bindings: Option<Vec<Tuple>> = None;
        let last = steps.len() - 1;
        for (i, step) in steps.iter().enumerate() {
            if step.tuple {
                is_tuple = true;
            }
            if i == 0 && step.consarray {
                result_seq = self.evaluate(step, &input_seq, env)?;
            } else if is_tuple {
                bindings = Some(self.tuple_step(step, &input_seq, bindings, env)?);
            } else {
                result_seq = self.step(step, &input_seq, env, i == last)?;
            }
            if !is_tuple {
                let empty = match &result_seq {
                    Value::Undefined => true,
                    Value::Array(items, _) => items.is_empty(),
                    _ => false,
                };
                if empty {
                    break;
                }
            }
            if step.focus.is_none() {
                input_seq = result_seq.clone();
            }
        }
        let mut tuples = None;
        if is_tuple {
            let stream = Rc::new(bindings.unwrap_or_default());
            result_seq = if node.tuple {
                Value::Tuples(stream.clone())
            } else {
                Value::sequence(stream.iter().map(|t| tuple_context(t)).collect())
            };
            tuples = Some(Value::Tuples(stream));
        }
        if keep_singleton {
            result_seq = match result_seq {
                Value::Array(items, flags) if flags.cons && !flags.sequence => Value::array_with(
                    vec![Value::Array(items, flags)],
                    Flags {
                        keep_singleton: true,
                        ..Flags::SEQUENCE
                    },
                ),
                Value::Array(items, flags) => Value::Array(
                    items,
                    Flags {
                        keep_singleton: true,
                        ..flags
                    },
                ),
                other => other,
            };
        }
        if let Some(group) = &node.group {
            result_seq = self.group(group, tuples.unwrap_or(result_seq), env)?;
        }
        Ok(result_seq)
    }

    fn step(&mut self, step: &Node, input: &Value, env: &Env, last: bool) -> Result<Value, Error> {
        if matches!(step.kind, Kind::Sort(_)) {
            let sorted = self.sort(step, input, env)?;
            return self.stages(&step.stages, sorted, env);
        }
        let mut results = Vec::new();
        // Only an array is iterated: after a first step that built a single value (an array
        // constructor with a predicate), the reference's later steps see nothing — but a
        // string, which JavaScript indexes, is iterated by its characters (`["ab"][0].($)` is
        // `["a", "b"]`; here by code point, as `$split` does).
        let items = match input {
            Value::Array(items, _) => items.to_vec(),
            Value::String(s) => s
                .chars()
                .map(|c| Value::String(Rc::from(c.encode_utf8(&mut [0; 4]) as &str)))
                .collect(),
            _ => Vec::new(),
        };
        for item in items {
            let mut res = self.evaluate(step, &item, env)?;
            for stage in &step.stages {
                if let Stage::Filter(expr) = stage {
                    res = self.filter(expr, res, env)?;
                }
            }
            if !res.is_undefined() {
                results.push(res);
            }
        }
        if last && results.len() == 1 {
            if let Value::Array(_, f) = &results[0] {
                if !f.sequence {
                    return Ok(results.pop().unwrap_or_default());
                }
            }
        }
        let mut flat = Vec::new();
        for res in results {
            match res {
                Value::Array(items, f) if !f.cons => flat.extend(items.iter().cloned()),
                Value::Tuples(t) => flat.extend(t.iter().map(|t| tuple_context(t))),
                other => flat.push(other),
            }
            self.check_len(flat.len())?;
        }
        self.charge(flat.len())?;
        Ok(Value::sequence(flat))
    }

    fn stages(&mut self, stages: &[Stage], input: Value, env: &Env) -> Result<Value, Error> {
        let mut result = input;
        for stage in stages {
            match stage {
                Stage::Filter(expr) => result = self.filter(expr, result, env)?,
                Stage::Index(name) => {
                    if let Value::Tuples(tuples) = &result {
                        let indexed = tuples
                            .iter()
                            .enumerate()
                            .map(|(i, t)| {
                                with_binding(t, Key::Var(name.clone()), Value::Number(i as f64))
                            })
                            .collect();
                        result = Value::Tuples(Rc::new(indexed));
                    }
                }
            }
        }
        Ok(result)
    }

    fn tuple_step(
        &mut self,
        step: &Node,
        input: &Value,
        bindings: Option<Vec<Tuple>>,
        env: &Env,
    ) -> Result<Vec<Tuple>, Error> {
        if matches!(step.kind, Kind::Sort(_)) {
            let result = match bindings {
                Some(b) => self.sort(step, &Value::Tuples(Rc::new(b)), env)?,
                None => {
                    let sorted = self.sort(step, input, env)?;
                    let tuples = sorted
                        .to_list()
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut t = vec![(Key::Context, v)];
                            if let Some(index) = &step.index {
                                t.push((Key::Var(index.clone()), Value::Number(i as f64)));
                            }
                            Rc::new(t)
                        })
                        .collect();
                    Value::Tuples(Rc::new(tuples))
                }
            };
            let result = self.stages(&step.stages, result, env)?;
            return Ok(tuples_of(result));
        }
        let bindings = bindings.unwrap_or_else(|| {
            input
                .to_list()
                .into_iter()
                .map(|v| Rc::new(vec![(Key::Context, v)]))
                .collect()
        });
        let mut result = Vec::new();
        for tuple in &bindings {
            let frame = self.tuple_frame(env, tuple);
            let context = tuple_context(tuple);
            let res = self.evaluate(step, &context, &frame)?;
            if res.is_undefined() {
                continue;
            }
            if let Value::Tuples(more) = &res {
                for t in more.iter() {
                    let mut merged = (**tuple).clone();
                    for (k, v) in t.iter() {
                        set(&mut merged, k.clone(), v.clone());
                    }
                    result.push(Rc::new(merged));
                }
            } else {
                let items = match &res {
                    Value::Array(items, _) => items.to_vec(),
                    other => vec![other.clone()],
                };
                for (bb, item) in items.into_iter().enumerate() {
                    let mut t = (**tuple).clone();
                    match &step.focus {
                        Some(focus) => set(&mut t, Key::Var(focus.clone()), item),
                        None => set(&mut t, Key::Context, item),
                    }
                    if let Some(index) = &step.index {
                        set(&mut t, Key::Var(index.clone()), Value::Number(bb as f64));
                    }
                    if let Some(label) = step.ancestor {
                        set(&mut t, Key::Label(label), context.clone());
                    }
                    result.push(Rc::new(t));
                }
            }
            self.check_len(result.len())?;
        }
        if step.stages.is_empty() {
            return Ok(result);
        }
        let staged = self.stages(&step.stages, Value::Tuples(Rc::new(result)), env)?;
        Ok(tuples_of(staged))
    }

    pub(crate) fn filter(
        &mut self,
        predicate: &Node,
        input: Value,
        env: &Env,
    ) -> Result<Value, Error> {
        if let Value::Tuples(tuples) = &input {
            let mut out = Vec::new();
            let len = tuples.len();
            for (index, tuple) in tuples.iter().enumerate() {
                let times = if let Kind::Num(n) = predicate.kind {
                    usize::from(position(n, len) == Some(index))
                } else {
                    let frame = self.tuple_frame(env, tuple);
                    let res = self.evaluate(predicate, &tuple_context(tuple), &frame)?;
                    self.selects(&res, index, len)?
                };
                for _ in 0..times {
                    out.push(tuple.clone());
                }
            }
            return Ok(Value::Tuples(Rc::new(out)));
        }
        let list = match &input {
            Value::Array(items, _) => items.clone(),
            other => Rc::new(vec![other.clone()]),
        };
        let len = list.len();
        if let Kind::Num(n) = predicate.kind {
            return Ok(match position(n, len).and_then(|i| list.get(i)) {
                Some(Value::Undefined) | None => Value::sequence(Vec::new()),
                Some(item @ Value::Array(..)) => item.clone(),
                Some(item) => Value::sequence(vec![item.clone()]),
            });
        }
        let mut out = Vec::new();
        for (index, item) in list.iter().enumerate() {
            let res = self.evaluate(predicate, item, env)?;
            for _ in 0..self.selects(&res, index, len)? {
                out.push(item.clone());
            }
        }
        Ok(Value::sequence(out))
    }

    /// How many times a predicate's value selects the item at `index`: numbers select by
    /// position (an array of them once per matching number, as the reference does),
    /// anything else once by truth.
    fn selects(&mut self, res: &Value, index: usize, len: usize) -> Result<usize, Error> {
        if let Some(n) = numeric(res)? {
            return Ok(usize::from(position(n, len) == Some(index)));
        }
        if let Value::Array(items, _) = res {
            let mut all_numbers = true;
            for item in items.iter() {
                if numeric(item)?.is_none() {
                    all_numbers = false;
                }
            }
            if all_numbers {
                let hits = items
                    .iter()
                    .filter(
                        |item| matches!(item, Value::Number(n) if position(*n, len) == Some(index)),
                    )
                    .count();
                return Ok(hits);
            }
        }
        Ok(usize::from(truthy(res)?))
    }

    fn binary(
        &mut self,
        node: &Node,
        op: &'static str,
        lhs: &Node,
        rhs: &Node,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let l = self.evaluate(lhs, input, env)?;
        if op == "and" || op == "or" {
            let lb = truthy(&l).map_err(|e| e.at(node.pos).token(op))?;
            if (op == "and") != lb {
                return Ok(Value::Bool(lb));
            }
            let r = self.evaluate(rhs, input, env)?;
            return Ok(Value::Bool(
                truthy(&r).map_err(|e| e.at(node.pos).token(op))?,
            ));
        }
        let r = self.evaluate(rhs, input, env)?;
        self.operate(op, l, r)
            .map_err(|e| e.or_at(node.pos).or_token(op))
    }

    fn operate(&mut self, op: &'static str, l: Value, r: Value) -> Result<Value, Error> {
        match op {
            "+" | "-" | "*" | "/" | "%" => {
                let a = numeric(&l)?;
                if a.is_none() && !l.is_undefined() {
                    return Err(Error::new("T2001").value(json_text(&l)));
                }
                let b = numeric(&r)?;
                if b.is_none() && !r.is_undefined() {
                    return Err(Error::new("T2002").value(json_text(&r)));
                }
                let (Some(a), Some(b)) = (a, b) else {
                    return Ok(Value::Undefined);
                };
                Ok(Value::Number(match op {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" => a / b,
                    _ => a % b,
                }))
            }
            "=" | "!=" => {
                if l.is_undefined() || r.is_undefined() {
                    return Ok(Value::Bool(false));
                }
                let eq = self.deep_equal(&l, &r)?;
                Ok(Value::Bool(if op == "=" { eq } else { !eq }))
            }
            "<" | "<=" | ">" | ">=" => {
                let comparable =
                    |v: &Value| matches!(v, Value::Undefined | Value::String(_) | Value::Number(_));
                if !comparable(&l) || !comparable(&r) {
                    let bad = if matches!(l, Value::String(_) | Value::Number(_)) {
                        &r
                    } else {
                        &l
                    };
                    return Err(Error::new("T2010").value(json_text(bad)));
                }
                let ord = match (&l, &r) {
                    (Value::Undefined, _) | (_, Value::Undefined) => return Ok(Value::Undefined),
                    (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
                    (Value::String(a), Value::String(b)) => Some(compare_strings(a, b)),
                    _ => {
                        return Err(Error::new("T2009")
                            .value(json_text(&l))
                            .value2(json_text(&r)))
                    }
                };
                use std::cmp::Ordering::*;
                Ok(Value::Bool(match (op, ord) {
                    (_, None) => false,
                    ("<", Some(o)) => o == Less,
                    ("<=", Some(o)) => o != Greater,
                    (">", Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                }))
            }
            "&" => {
                let mut s = String::new();
                if !l.is_undefined() {
                    s.push_str(&self.stringify(&l)?);
                }
                if !r.is_undefined() {
                    s.push_str(&self.stringify(&r)?);
                }
                self.check_str(&s)?;
                self.charge(s.len() / 16)?;
                Ok(Value::from_string(s))
            }
            ".." => {
                let int =
                    |v: &Value| matches!(v, Value::Number(n) if n.fract() == 0.0 && n.is_finite());
                if !l.is_undefined() && !int(&l) {
                    return Err(Error::new("T2003").value(json_text(&l)));
                }
                if !r.is_undefined() && !int(&r) {
                    return Err(Error::new("T2004").value(json_text(&r)));
                }
                let (Value::Number(a), Value::Number(b)) = (&l, &r) else {
                    return Ok(Value::Undefined);
                };
                if a > b {
                    return Ok(Value::Undefined);
                }
                let size = b - a + 1.0;
                if size > 1e7 {
                    return Err(Error::new("D2014").value(to_js_string(size)));
                }
                self.check_len(size as usize)?;
                self.charge(size as usize)?;
                let items = (0..size as usize)
                    .map(|i| Value::Number(a + i as f64))
                    .collect();
                Ok(Value::sequence(items))
            }
            "in" => {
                if l.is_undefined() || r.is_undefined() {
                    return Ok(Value::Bool(false));
                }
                let found = match &r {
                    Value::Array(items, _) => items.iter().any(|v| convert::strict_equal(v, &l)),
                    other => convert::strict_equal(other, &l),
                };
                Ok(Value::Bool(found))
            }
            _ => Err(Error::new("S0201").token(op)),
        }
    }

    /// `$string()` of a value (strings as they are).
    pub(crate) fn stringify(&mut self, v: &Value) -> Result<String, Error> {
        self.stringify_pretty(v, false)
    }

    pub(crate) fn stringify_pretty(&mut self, v: &Value, pretty: bool) -> Result<String, Error> {
        match v {
            Value::String(s) => Ok(s.to_string()),
            Value::Function(_) => Ok(String::new()),
            Value::Number(n) if !n.is_finite() => Err(Error::new("D3001").value(to_js_string(*n))),
            other => {
                let bounds = super::serialize::Bounds {
                    max_len: self.limits.max_string,
                    max_depth: self.limits.max_depth,
                };
                let s = super::serialize::stringify(other, pretty, &bounds)?;
                for _ in 0..s.len() / 64 {
                    self.tick()?;
                }
                Ok(s)
            }
        }
    }

    /// `*`: the values of an object (an array's items, as JavaScript sees an array as an
    /// object), arrays among them flattened. Flattening makes the result a plain array, as
    /// the reference's `$append` does.
    fn wildcard(&mut self, input: &Value) -> Result<Value, Error> {
        let input = match input {
            Value::Array(items, f) if f.outer_wrapper && !items.is_empty() => &items[0],
            other => other,
        };
        let values: Vec<Value> = match input {
            Value::Object(map) => map.iter().map(|(_, v)| v.clone()).collect(),
            Value::Array(items, _) => items.to_vec(),
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        let mut sequence = true;
        for v in values {
            if v.items().is_some() {
                convert::flatten(&v, &mut out, 0)?;
                sequence = false;
            } else {
                out.push(v);
            }
            self.check_len(out.len())?;
        }
        self.charge(out.len())?;
        Ok(if sequence {
            Value::sequence(out)
        } else {
            Value::array(out)
        })
    }

    fn descendants(&mut self, input: &Value) -> Result<Value, Error> {
        if input.is_undefined() {
            return Ok(Value::Undefined);
        }
        let mut out = Vec::new();
        let mut stack = vec![input.clone()];
        while let Some(v) = stack.pop() {
            self.tick()?;
            match &v {
                Value::Array(items, _) => stack.extend(items.iter().rev().cloned()),
                Value::Object(map) => {
                    out.push(v.clone());
                    stack.extend(
                        map.iter()
                            .map(|(_, v)| v.clone())
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev(),
                    );
                }
                _ => out.push(v.clone()),
            }
            self.check_len(out.len())?;
        }
        Ok(if out.len() == 1 {
            out.pop().unwrap_or_default()
        } else {
            Value::sequence(out)
        })
    }

    /// Object construction and grouping: each item's keys, then each group's value.
    pub(crate) fn group(&mut self, group: &Group, input: Value, env: &Env) -> Result<Value, Error> {
        enum Data {
            Items(Value),
            Tuples(Vec<Tuple>),
        }
        let (items, tuples): (Vec<Value>, Option<Vec<Tuple>>) = match input {
            Value::Tuples(t) => (Vec::new(), Some(t.to_vec())),
            Value::Array(items, _) => (items.to_vec(), None),
            other => (vec![other], None),
        };
        let mut groups: IndexMap<Rc<str>, (Data, usize)> = IndexMap::new();
        let count = tuples.as_ref().map_or(items.len().max(1), Vec::len);
        for i in 0..count {
            let (context, frame, tuple) = match &tuples {
                Some(t) => (
                    tuple_context(&t[i]),
                    self.tuple_frame(env, &t[i]),
                    Some(t[i].clone()),
                ),
                None => (items.get(i).cloned().unwrap_or_default(), env.clone(), None),
            };
            for (pi, (key_expr, _)) in group.pairs.iter().enumerate() {
                let key = self.evaluate(key_expr, &context, &frame)?;
                let key = match key {
                    Value::Undefined => continue,
                    Value::String(s) => s,
                    other => {
                        return Err(Error::new("T1003").at(group.pos).value(json_text(&other)))
                    }
                };
                if &*key == "_jsonata_lambda" || &*key == "_jsonata_function" {
                    return Err(Error::new("D1013")
                        .at(group.pos)
                        .value(super::error::quote(&key)));
                }
                match groups.get_mut(&key) {
                    Some((data, index)) => {
                        if *index != pi {
                            return Err(Error::new("D1009")
                                .at(group.pos)
                                .value(super::error::quote(&key)));
                        }
                        match (data, &tuple) {
                            (Data::Tuples(ts), Some(t)) => ts.push(t.clone()),
                            (Data::Items(v), _) => {
                                *v = self.append(std::mem::take(v), context.clone())?
                            }
                            _ => {}
                        }
                    }
                    None => {
                        let data = match &tuple {
                            Some(t) => Data::Tuples(vec![t.clone()]),
                            None => Data::Items(context.clone()),
                        };
                        groups.insert(key, (data, pi));
                    }
                }
            }
        }
        let mut result = Object::new();
        for (key, (data, pi)) in groups {
            let value = match data {
                Data::Items(context) => self.evaluate(&group.pairs[pi].1, &context, env)?,
                Data::Tuples(ts) => {
                    let merged = self.reduce_tuples(&ts)?;
                    let context = tuple_context(&merged);
                    let rest: Vec<(Key, Value)> = merged
                        .iter()
                        .filter(|(k, _)| *k != Key::Context)
                        .cloned()
                        .collect();
                    let frame = self.tuple_frame(env, &Rc::new(rest));
                    self.evaluate(&group.pairs[pi].1, &context, &frame)?
                }
            };
            if !value.is_undefined() {
                result.insert(key, value);
            }
        }
        Ok(Value::object(result))
    }

    /// Merges a group's tuples: each name bound to the sequence of its values.
    fn reduce_tuples(&mut self, tuples: &[Tuple]) -> Result<Tuple, Error> {
        if tuples.len() == 1 {
            return Ok(tuples[0].clone());
        }
        let mut merged: Vec<(Key, Value)> = (*tuples[0]).clone();
        for t in &tuples[1..] {
            for (k, v) in t.iter() {
                let current = merged
                    .iter()
                    .find(|(mk, _)| mk == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let joined = self.append(current, v.clone())?;
                set(&mut merged, k.clone(), joined);
            }
        }
        Ok(Rc::new(merged))
    }

    /// An order-by step over a sequence or a tuple stream.
    fn sort(&mut self, step: &Node, input: &Value, env: &Env) -> Result<Value, Error> {
        let Kind::Sort(terms) = &step.kind else {
            return Ok(input.clone());
        };
        let entries: Vec<(Value, Option<Tuple>)> = match input {
            Value::Tuples(t) => t
                .iter()
                .map(|t| (tuple_context(t), Some(t.clone())))
                .collect(),
            other => other.to_list().into_iter().map(|v| (v, None)).collect(),
        };
        if entries.len() <= 1 {
            return Ok(input.clone());
        }
        // The keys of each entry, evaluated once.
        let mut keys = Vec::with_capacity(entries.len());
        for (context, tuple) in &entries {
            let frame = match tuple {
                Some(t) => self.tuple_frame(env, t),
                None => env.clone(),
            };
            let mut k = Vec::with_capacity(terms.len());
            for (_, term) in terms {
                k.push(self.evaluate(term, context, &frame)?);
            }
            keys.push(k);
        }
        let order = merge_sort(entries.len(), &mut |a, b| {
            self.tick()?;
            compare_keys(&keys[a], &keys[b], terms, step.pos)
        })?;
        Ok(match input {
            Value::Tuples(_) => Value::Tuples(Rc::new(
                order
                    .into_iter()
                    .filter_map(|i| entries[i].1.clone())
                    .collect(),
            )),
            _ => Value::array(order.into_iter().map(|i| entries[i].0.clone()).collect()),
        })
    }
}

/// Whether `a` sorts after `b` under the terms (the reference's comparator: swap when true).
fn compare_keys(
    a: &[Value],
    b: &[Value],
    terms: &[(bool, Node)],
    pos: usize,
) -> Result<bool, Error> {
    for (i, (descending, _)) in terms.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let comp = match (x, y) {
            (Value::Undefined, Value::Undefined) => continue,
            (Value::Undefined, _) => return Ok(true),
            (_, Value::Undefined) => return Ok(false),
            _ => {
                let ok = |v: &Value| matches!(v, Value::String(_) | Value::Number(_));
                if !ok(x) || !ok(y) {
                    let bad = if ok(x) { y } else { x };
                    return Err(Error::new("T2008").at(pos).value(json_text(bad)));
                }
                let ord = match (x, y) {
                    (Value::Number(p), Value::Number(q)) => {
                        p.partial_cmp(q).unwrap_or(std::cmp::Ordering::Equal)
                    }
                    (Value::String(p), Value::String(q)) => compare_strings(p, q),
                    _ => {
                        return Err(Error::new("T2007")
                            .at(pos)
                            .value(json_text(x))
                            .value2(json_text(y)))
                    }
                };
                match ord {
                    std::cmp::Ordering::Equal => continue,
                    std::cmp::Ordering::Less => -1,
                    std::cmp::Ordering::Greater => 1,
                }
            }
        };
        let comp = if *descending { -comp } else { comp };
        return Ok(comp == 1);
    }
    Ok(false)
}

/// A stable merge sort of `0..n` with a "should swap" test, as the reference's `$sort`:
/// the right item goes first when `after(left, right)` holds.
pub(crate) fn merge_sort(
    n: usize,
    after: &mut dyn FnMut(usize, usize) -> Result<bool, Error>,
) -> Result<Vec<usize>, Error> {
    let mut runs: Vec<usize> = (0..n).collect();
    let mut width = 1;
    let mut buf = Vec::with_capacity(n);
    // Bottom-up merging of the halves the reference's top-down recursion would make.
    fn sort_range(
        v: &mut Vec<usize>,
        lo: usize,
        hi: usize,
        buf: &mut Vec<usize>,
        after: &mut dyn FnMut(usize, usize) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        if hi - lo <= 1 {
            return Ok(());
        }
        let mid = lo + (hi - lo) / 2;
        sort_range(v, lo, mid, buf, after)?;
        sort_range(v, mid, hi, buf, after)?;
        buf.clear();
        let (mut i, mut j) = (lo, mid);
        while i < mid && j < hi {
            if after(v[i], v[j])? {
                buf.push(v[j]);
                j += 1;
            } else {
                buf.push(v[i]);
                i += 1;
            }
        }
        buf.extend_from_slice(&v[i..mid]);
        buf.extend_from_slice(&v[j..hi]);
        v[lo..hi].copy_from_slice(buf);
        Ok(())
    }
    let _ = &mut width;
    sort_range(&mut runs, 0, n, &mut buf, after)?;
    Ok(runs)
}

/// A field of an object, or of each object in an array (flattened); undefined otherwise.
pub(crate) fn lookup_field(input: &Value, name: &str) -> Result<Value, Error> {
    lookup_at(input, name, 0)
}

fn lookup_at(input: &Value, name: &str, depth: usize) -> Result<Value, Error> {
    if depth > convert::VALUE_DEPTH {
        return Err(Error::new("D1011").value(convert::VALUE_DEPTH.to_string()));
    }
    Ok(match input {
        Value::Array(items, _) => {
            let mut out = Vec::new();
            for item in items.iter() {
                match lookup_at(item, name, depth + 1)? {
                    Value::Undefined => {}
                    Value::Array(more, _) => out.extend(more.iter().cloned()),
                    v => out.push(v),
                }
            }
            Value::sequence(out)
        }
        Value::Object(map) => map.get(name).cloned().unwrap_or_default(),
        _ => Value::Undefined,
    })
}

/// The item a numeric predicate selects: rounded down, negative counting from the end.
fn position(n: f64, len: usize) -> Option<usize> {
    let mut i = n.floor();
    if i < 0.0 {
        i += len as f64;
    }
    (i >= 0.0 && i < len as f64).then_some(i as usize)
}

fn set(tuple: &mut Vec<(Key, Value)>, key: Key, value: Value) {
    match tuple.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => tuple.push((key, value)),
    }
}

fn with_binding(tuple: &Tuple, key: Key, value: Value) -> Tuple {
    let mut t = (**tuple).clone();
    set(&mut t, key, value);
    Rc::new(t)
}

fn tuples_of(v: Value) -> Vec<Tuple> {
    match v {
        Value::Tuples(t) => t.to_vec(),
        other => other
            .to_list()
            .into_iter()
            .map(|v| Rc::new(vec![(Key::Context, v)]))
            .collect(),
    }
}
