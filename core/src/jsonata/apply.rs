//! Function application: calls and their arguments, lambdas (with the trampoline that runs
//! tail calls without growing the stack), partial application, `~>`, transforms, and the
//! matcher protocol regular expressions share with user-written matchers.

use std::rc::Rc;

use super::ast::{Kind, Node, TransformDef};
use super::convert::{self, from_json, to_json};
use super::error::Error;
use super::eval::Ctx;
use super::frame::{Env, Frame};
use super::regex::Regex;
use super::serialize::json_text;
use super::value::{Func, Key, Object, Value};

/// A transform's changes: the object matched (by address), its update, the keys deleted.
type Edits = Vec<(*const Object, Option<Rc<Object>>, Vec<Rc<str>>)>;

/// One match of a matcher: its text, where it starts and ends (UTF-16 offsets, as the
/// reference reports them; byte offsets are kept for slicing), its groups.
pub(crate) struct Match {
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) byte_start: usize,
    pub(crate) byte_end: usize,
    pub(crate) groups: Vec<Value>,
}

impl Ctx<'_> {
    /// A call `f(args)`; `context` is the left side of `~>`, inserted as the first argument.
    pub(crate) fn call(
        &mut self,
        node: &Node,
        procedure: &Node,
        args: &[Node],
        input: &Value,
        env: &Env,
        context: Option<Value>,
    ) -> Result<Value, Error> {
        let proc = self.evaluate(procedure, input, env)?;
        let name = procedure.procedure_name();
        if proc.is_undefined() {
            if let Kind::Path { steps, .. } = &procedure.kind {
                if let Kind::Name(n) = &steps[0].kind {
                    if !self.lookup(env, n).is_undefined() {
                        return Err(Error::new("T1005").at(node.pos).token(n.to_string()));
                    }
                }
            }
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        if let Some(c) = context {
            values.push(c);
        }
        for arg in args {
            values.push(self.evaluate(arg, input, env)?);
        }
        self.apply(&proc, values, input, env)
            .map_err(|e| e.or_at(node.pos).or_token(&name))
    }

    /// `[args](?, x)`: a function of the remaining arguments.
    pub(crate) fn partial(
        &mut self,
        node: &Node,
        procedure: &Node,
        args: &[Option<Node>],
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(match arg {
                Some(a) => Some(self.evaluate(a, input, env)?),
                None => None,
            });
        }
        let proc = self.evaluate(procedure, input, env)?;
        match proc {
            Value::Function(_) => Ok(Value::Function(Rc::new(Func::Partial(proc, values)))),
            Value::Undefined
                if procedure.is_path()
                    && !self.lookup(env, &procedure.procedure_name()).is_undefined() =>
            {
                Err(Error::new("T1007")
                    .at(node.pos)
                    .token(procedure.procedure_name()))
            }
            _ => Err(Error::new("T1008")
                .at(node.pos)
                .token(procedure.procedure_name())),
        }
    }

    /// `lhs ~> rhs`.
    pub(crate) fn apply_operator(
        &mut self,
        node: &Node,
        lhs: &Node,
        rhs: &Node,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let l = self.evaluate(lhs, input, env)?;
        if let Kind::Call(procedure, args) = &rhs.kind {
            return self.call(rhs, procedure, args, input, env, Some(l));
        }
        let f = self.evaluate(rhs, input, env)?;
        if !f.is_function() {
            return Err(Error::new("T2006").at(node.pos).value(json_text(&f)));
        }
        if l.is_function() {
            return Ok(Value::Function(Rc::new(Func::Chain(l, f))));
        }
        self.apply(&f, vec![l], &Value::Null, env)
    }

    /// Applies a function, running the tail calls its result asks for.
    pub(crate) fn apply(
        &mut self,
        proc: &Value,
        args: Vec<Value>,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        let mut result = self.apply_inner(proc, args, input, env)?;
        loop {
            let thunk = match &result {
                Value::Function(f) => match &**f {
                    Func::Lambda(l) if l.def.thunk => {
                        Some((l.def.clone(), l.input.clone(), l.env.clone()))
                    }
                    _ => None,
                },
                _ => None,
            };
            let Some((def, t_input, t_env)) = thunk else {
                return Ok(result);
            };
            let Kind::Call(procedure, arg_nodes) = &def.body.kind else {
                return Ok(result);
            };
            let next = self.evaluate(procedure, &t_input, &t_env)?;
            let mut args = Vec::with_capacity(arg_nodes.len());
            for a in arg_nodes {
                args.push(self.evaluate(a, &t_input, &t_env)?);
            }
            let name = procedure.procedure_name();
            result = self
                .apply_inner(&next, args, input, env)
                .map_err(|e| e.or_at(def.body.pos).or_token(&name))?;
        }
    }

    fn apply_inner(
        &mut self,
        proc: &Value,
        args: Vec<Value>,
        input: &Value,
        env: &Env,
    ) -> Result<Value, Error> {
        self.tick()?;
        let Value::Function(f) = proc else {
            return Err(Error::new("T1006"));
        };
        let args = match f.signature() {
            Some(sig) => sig.validate(&args, input)?,
            None => args,
        };
        match &**f {
            Func::Lambda(l) => {
                let frame = Frame::child(&l.env);
                for (i, p) in l.def.params.iter().enumerate() {
                    let v = args.get(i).cloned().unwrap_or_default();
                    self.bind(&frame, Key::Var(p.clone()), v);
                }
                self.evaluate(&l.def.body, &l.input, &frame)
            }
            Func::Builtin(b) => {
                let result = (b.imp)(self, &args, input, env)?;
                self.charge_value(&result)?;
                Ok(result)
            }
            Func::Host(h) => {
                let mut json = Vec::with_capacity(args.len());
                for a in &args {
                    let mut budget = self.budget();
                    let j = to_json(a, self.limits.max_depth, &mut budget)?;
                    self.spend(budget);
                    json.push(j);
                }
                match h.call(&json)? {
                    Some(v) => from_json(&v, self.limits.max_depth),
                    None => Ok(Value::Undefined),
                }
            }
            Func::Partial(target, bound) => {
                let arity = match target {
                    Value::Function(t) => t.arity(),
                    _ => 0,
                };
                let mut given = args.into_iter();
                let mut full = Vec::with_capacity(arity);
                for i in 0..arity {
                    full.push(match bound.get(i) {
                        Some(Some(v)) => v.clone(),
                        Some(None) => given.next().unwrap_or_default(),
                        None => Value::Undefined,
                    });
                }
                self.apply_inner(target, full, input, env)
            }
            Func::Matcher(re) => {
                let text = match args.first() {
                    Some(Value::String(s)) => s.clone(),
                    _ => return Ok(Value::Undefined),
                };
                let from = match args.get(1) {
                    Some(Value::Number(n)) if *n > 0.0 => utf16_to_byte(&text, *n as usize),
                    _ => 0,
                };
                Ok(match regex_match(re, &text, from, false)? {
                    Some(m) => self.match_object(re, &text, &m),
                    None => Value::Undefined,
                })
            }
            Func::Transform(def, t_env) => {
                self.transform(def, t_env, args.into_iter().next().unwrap_or_default())
            }
            Func::Chain(first, second) => {
                let mid = self.apply(first, args, input, env)?;
                self.apply(second, vec![mid], input, env)
            }
        }
    }

    /// `{match, start, end, groups, next}` for a regex called directly.
    fn match_object(&mut self, re: &std::sync::Arc<Regex>, text: &Rc<str>, m: &Match) -> Value {
        let mut o = Object::new();
        o.insert(Rc::from("match"), Value::string(&m.text));
        o.insert(Rc::from("start"), Value::Number(m.start as f64));
        o.insert(Rc::from("end"), Value::Number(m.end as f64));
        o.insert(Rc::from("groups"), Value::array(m.groups.clone()));
        let next = Func::Partial(
            Value::Function(Rc::new(Func::Matcher(re.clone()))),
            vec![
                Some(Value::String(text.clone())),
                Some(Value::Number(m.end as f64)),
            ],
        );
        o.insert(Rc::from("next"), Value::Function(Rc::new(next)));
        Value::object(o)
    }

    /// All matches of `matcher` in `text`, at most `limit`: a regular expression natively,
    /// another function through the reference's protocol (an object with `match`, `start`,
    /// `end`, `groups` and a `next` function).
    pub(crate) fn matches(
        &mut self,
        matcher: &Value,
        text: &Rc<str>,
        limit: Option<usize>,
    ) -> Result<Vec<Match>, Error> {
        let mut out = Vec::new();
        if limit == Some(0) {
            return Ok(out);
        }
        if let Value::Function(f) = matcher {
            if let Func::Matcher(re) = &**f {
                let mut m = regex_match(re, text, 0, false)?;
                while let Some(found) = m {
                    self.tick()?;
                    let from = found.byte_end;
                    out.push(found);
                    if limit.is_some_and(|l| out.len() >= l) || from >= text.len() {
                        break;
                    }
                    m = regex_match(re, text, from, true)?;
                }
                return Ok(out);
            }
        }
        let mut result = self.apply(
            matcher,
            vec![Value::String(text.clone())],
            &Value::Undefined,
            &Frame::root(),
        )?;
        loop {
            self.tick()?;
            let Value::Object(o) = &result else {
                if result.is_undefined() {
                    break;
                }
                return Err(Error::new("T1010"));
            };
            let num = |k: &str| o.get(k).and_then(Value::as_f64);
            let matched = o
                .get("match")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let (Some(start), groups) = (num("start"), o.get("groups")) else {
                return Err(Error::new("T1010"));
            };
            let start = start.max(0.0) as usize;
            let end = num("end").map_or(start + convert::utf16_len(&matched), |e| {
                e.max(0.0) as usize
            });
            let byte_start = utf16_to_byte(text, start);
            let byte_end = utf16_to_byte(text, end.max(start));
            out.push(Match {
                text: matched,
                start,
                end,
                byte_start,
                byte_end,
                groups: groups.map(Value::to_list).unwrap_or_default(),
            });
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            let next = o.get("next").cloned().unwrap_or_default();
            if !next.is_function() {
                break;
            }
            result = self.apply(&next, Vec::new(), &Value::Undefined, &Frame::root())?;
        }
        Ok(out)
    }

    /// A transform's function applied to `obj`: a deep copy with the pattern's matches
    /// updated and pruned.
    fn transform(&mut self, def: &TransformDef, env: &Env, obj: Value) -> Result<Value, Error> {
        if obj.is_undefined() {
            return Ok(Value::Undefined);
        }
        if let Some(c) = env.lookup("clone") {
            if !c.is_function() {
                return Err(Error::new("T2013").at(def.pos));
            }
        }
        let copy = self.clone_value(&obj)?;
        let matches = self.evaluate(&def.pattern, &copy, env)?;
        let mut edits: Edits = Vec::new();
        for m in matches.to_list() {
            let update = self.evaluate(&def.update, &m, env)?;
            let update = match update {
                Value::Undefined => None,
                Value::Object(o) => Some(o),
                other => {
                    return Err(Error::new("T2011")
                        .at(def.update.pos)
                        .value(json_text(&other)))
                }
            };
            let mut deletions = Vec::new();
            if let Some(d) = &def.delete {
                let del = self.evaluate(d, &m, env)?;
                match &del {
                    Value::Undefined => {}
                    Value::String(s) => deletions.push(s.clone()),
                    Value::Array(items, _)
                        if items.iter().all(|v| matches!(v, Value::String(_))) =>
                    {
                        deletions.extend(items.iter().filter_map(|v| v.as_str().map(Rc::from)))
                    }
                    other => return Err(Error::new("T2012").at(d.pos).value(json_text(other))),
                }
            }
            if let Value::Object(target) = &m {
                edits.push((Rc::as_ptr(target), update, deletions));
            }
        }
        if edits.is_empty() {
            return Ok(copy);
        }
        // By target (stable: each target's edits stay in match order), for binary search.
        edits.sort_by_key(|e| e.0 as usize);
        self.rebuild(&copy, &edits, 0)
    }

    fn rebuild(&mut self, v: &Value, edits: &Edits, depth: usize) -> Result<Value, Error> {
        self.tick()?;
        if depth > self.limits.max_depth {
            return Err(Error::new("D1011").value(self.limits.max_depth.to_string()));
        }
        Ok(match v {
            Value::Array(items, flags) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.rebuild(item, edits, depth + 1)?);
                }
                Value::array_with(out, *flags)
            }
            Value::Object(o) => {
                let mut copy = Object::new();
                for (k, child) in o.iter() {
                    copy.insert(k.clone(), self.rebuild(child, edits, depth + 1)?);
                }
                let target = Rc::as_ptr(o) as usize;
                let first = edits.partition_point(|e| (e.0 as usize) < target);
                for (_, update, deletions) in
                    edits[first..].iter().take_while(|e| e.0 as usize == target)
                {
                    {
                        if let Some(u) = update {
                            for (k, val) in u.iter() {
                                copy.insert(k.clone(), val.clone());
                            }
                        }
                        for d in deletions {
                            copy.remove(d);
                        }
                    }
                }
                Value::object(copy)
            }
            other => other.clone(),
        })
    }

    /// `$clone()`: a copy through JSON text, as the reference makes it.
    pub(crate) fn clone_value(&mut self, v: &Value) -> Result<Value, Error> {
        let text = self.stringify(v)?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::custom("D3001", e.to_string()))?;
        from_json(&json, self.limits.max_depth)
    }
}

/// The byte offset of the UTF-16 offset `units` in `text` (clamped to its length).
pub(crate) fn utf16_to_byte(text: &str, units: usize) -> usize {
    let mut count = 0;
    for (i, c) in text.char_indices() {
        if count >= units {
            return i;
        }
        count += c.len_utf16();
    }
    text.len()
}

/// The match of `re` in `text` from byte `from`; a later match (`next`) that is empty fails
/// with D1004, as the reference's does.
pub(crate) fn regex_match(
    re: &Regex,
    text: &str,
    from: usize,
    next: bool,
) -> Result<Option<Match>, Error> {
    let Some(found) = re.find_at(text, from) else {
        return Ok(None);
    };
    if next && found.start == found.end {
        return Err(Error::new("D1004").value(super::error::quote(re.source())));
    }
    let start = convert::utf16_len(&text[..found.start]);
    let end = start + convert::utf16_len(&text[found.start..found.end]);
    let groups = found
        .groups
        .iter()
        .map(|g| match g {
            Some((s, e)) => Value::string(&text[*s..*e]),
            None => Value::Undefined,
        })
        .collect();
    Ok(Some(Match {
        text: text[found.start..found.end].to_owned(),
        start,
        end,
        byte_start: found.start,
        byte_end: found.end,
        groups,
    }))
}
