//! The parser: Pratt's top-down operator precedence over the lexer's tokens, giving the raw
//! syntax tree that `process` turns into the evaluator's [`Node`](super::ast::Node)s.

use super::error::Error;
use super::lexer::{Lexer, Tok};
use super::signature::Signature;

/// A raw syntax tree node, before paths and predicates are flattened.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub(crate) kind: RawKind,
    pub(crate) pos: usize,
    /// Marked by an empty `[]`: keep singleton arrays.
    pub(crate) keep_array: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum RawKind {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Name(String),
    Var(String),
    Regex(String, String),
    Wildcard,
    Descendant,
    Parent,
    /// `and`, `or`, `in` used where an operand is expected (a field name then), or the `?`
    /// placeholder of a partial application.
    Operator(&'static str),
    Binary(&'static str, Box<Raw>, Box<Raw>),
    Negate(Box<Raw>),
    Array(Vec<Raw>),
    Object(Vec<(Raw, Raw)>),
    Group(Box<Raw>, Vec<(Raw, Raw)>),
    Sort(Box<Raw>, Vec<(bool, Raw)>),
    Block(Vec<Raw>),
    Condition(Box<Raw>, Box<Raw>, Option<Box<Raw>>),
    Call(Box<Raw>, Vec<Raw>, bool),
    Lambda(Vec<String>, Option<Signature>, Box<Raw>),
    Transform(Box<Raw>, Box<Raw>, Option<Box<Raw>>),
    End,
}

impl Raw {
    fn new(kind: RawKind, pos: usize) -> Self {
        Raw {
            kind,
            pos,
            keep_array: false,
        }
    }
}

/// Nesting deeper than this is refused while parsing (the parser recurses).
pub(crate) const MAX_NESTING: usize = 200;

pub(crate) struct Parser {
    lexer: Lexer,
    tok: Option<Tok>,
    pos: usize,
    depth: usize,
}

fn lbp(tok: &Option<Tok>) -> u8 {
    match tok {
        Some(Tok::Op(op)) => match *op {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "?" => 20,
            ":=" => 10,
            "+" | "-" | "&" => 50,
            "*" | "/" | "%" => 60,
            "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "?:" | "??" | "in" => 40,
            "and" => 30,
            "or" => 25,
            _ => 0,
        },
        _ => 0,
    }
}

fn describe(tok: &Option<Tok>) -> String {
    match tok {
        None => "(end)".into(),
        Some(Tok::Op(op)) => (*op).into(),
        Some(Tok::Str(s)) | Some(Tok::Name(s)) | Some(Tok::Var(s)) => s.clone(),
        Some(Tok::Num(n)) => super::number::to_js_string(*n),
        Some(Tok::Bool(b)) => b.to_string(),
        Some(Tok::Null) => "null".into(),
        Some(Tok::Regex(p, _)) => p.clone(),
    }
}

impl Parser {
    /// Parses a whole expression into its raw tree.
    pub(crate) fn parse(text: &str) -> Result<Raw, Error> {
        let mut parser = Parser {
            lexer: Lexer::new(text),
            tok: None,
            pos: 0,
            depth: 0,
        };
        parser.advance(false)?;
        let expr = parser.expression(0)?;
        if parser.tok.is_some() {
            return Err(Error::new("S0201")
                .at(parser.pos)
                .token(describe(&parser.tok)));
        }
        Ok(expr)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.tok, Some(Tok::Op(o)) if *o == op)
    }

    fn advance(&mut self, infix: bool) -> Result<(), Error> {
        match self.lexer.next(infix)? {
            Some((Tok::Op(op), pos)) if matches!(op, "!" | "~") => {
                Err(Error::new("S0204").at(pos).token(op))
            }
            Some((tok, pos)) => {
                self.tok = Some(tok);
                self.pos = pos;
                Ok(())
            }
            None => {
                self.tok = None;
                self.pos = self.lexer.len();
                Ok(())
            }
        }
    }

    /// Checks that the current token is `op` and moves past it.
    fn expect(&mut self, op: &'static str, infix: bool) -> Result<(), Error> {
        if !self.is_op(op) {
            let code = if self.tok.is_none() { "S0203" } else { "S0202" };
            return Err(Error::new(code)
                .at(self.pos)
                .token(describe(&self.tok))
                .value(super::error::quote(op)));
        }
        self.advance(infix)
    }

    fn expression(&mut self, rbp: u8) -> Result<Raw, Error> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Error::new("D1011")
                .at(self.pos)
                .value(MAX_NESTING.to_string()));
        }
        let tok = self.tok.take();
        let pos = self.pos;
        self.advance(true)?;
        let mut left = self.nud(tok, pos)?;
        // Each operator applied here nests the tree one level deeper (`1+1+1…` is as deep as
        // it is long), and processing, evaluating and dropping the tree recurse.
        let mut chain = 0;
        while rbp < lbp(&self.tok) {
            chain += 1;
            if self.depth + chain > MAX_NESTING {
                return Err(Error::new("D1011")
                    .at(self.pos)
                    .value(MAX_NESTING.to_string()));
            }
            let tok = self.tok.take();
            let pos = self.pos;
            self.advance(false)?;
            left = self.led(tok, pos, left)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    fn nud(&mut self, tok: Option<Tok>, pos: usize) -> Result<Raw, Error> {
        let kind = match tok {
            None => RawKind::End,
            Some(Tok::Str(s)) => RawKind::Str(s),
            Some(Tok::Num(n)) => RawKind::Num(n),
            Some(Tok::Bool(b)) => RawKind::Bool(b),
            Some(Tok::Null) => RawKind::Null,
            Some(Tok::Name(n)) => RawKind::Name(n),
            Some(Tok::Var(v)) => RawKind::Var(v),
            Some(Tok::Regex(p, f)) => RawKind::Regex(p, f),
            Some(Tok::Op(op)) => match op {
                "and" | "or" | "in" => RawKind::Operator(op),
                "-" => RawKind::Negate(Box::new(self.expression(70)?)),
                "*" => RawKind::Wildcard,
                "**" => RawKind::Descendant,
                "%" => RawKind::Parent,
                "(" => {
                    let mut items = Vec::new();
                    while !self.is_op(")") {
                        items.push(self.expression(0)?);
                        if !self.is_op(";") {
                            break;
                        }
                        self.advance(false)?;
                    }
                    self.expect(")", true)?;
                    RawKind::Block(items)
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is_op("]") {
                        loop {
                            let mut item = self.expression(0)?;
                            if self.is_op("..") {
                                let rpos = self.pos;
                                self.advance(false)?;
                                let rhs = self.expression(0)?;
                                item = Raw::new(
                                    RawKind::Binary("..", Box::new(item), Box::new(rhs)),
                                    rpos,
                                );
                            }
                            items.push(item);
                            if !self.is_op(",") {
                                break;
                            }
                            self.advance(false)?;
                        }
                    }
                    self.expect("]", true)?;
                    RawKind::Array(items)
                }
                "{" => RawKind::Object(self.object_pairs()?),
                "|" => {
                    let pattern = self.expression(0)?;
                    self.expect("|", false)?;
                    let update = self.expression(0)?;
                    let delete = if self.is_op(",") {
                        self.advance(false)?;
                        Some(Box::new(self.expression(0)?))
                    } else {
                        None
                    };
                    self.expect("|", false)?;
                    RawKind::Transform(Box::new(pattern), Box::new(update), delete)
                }
                _ => return Err(Error::new("S0211").at(pos).token(op)),
            },
        };
        Ok(Raw::new(kind, pos))
    }

    fn object_pairs(&mut self) -> Result<Vec<(Raw, Raw)>, Error> {
        let mut pairs = Vec::new();
        if !self.is_op("}") {
            loop {
                let name = self.expression(0)?;
                self.expect(":", false)?;
                let value = self.expression(0)?;
                pairs.push((name, value));
                if !self.is_op(",") {
                    break;
                }
                self.advance(false)?;
            }
        }
        self.expect("}", true)?;
        Ok(pairs)
    }

    fn led(&mut self, tok: Option<Tok>, pos: usize, left: Raw) -> Result<Raw, Error> {
        let Some(Tok::Op(op)) = tok else {
            return Err(Error::new("S0201").at(pos).token(describe(&tok)));
        };
        let bp = lbp(&Some(Tok::Op(op)));
        let kind = match op {
            "(" => return self.call(left, pos),
            "[" => {
                if self.is_op("]") {
                    let mut left = left;
                    mark_keep_array(&mut left);
                    self.advance(false)?;
                    return Ok(left);
                }
                let rhs = self.expression(0)?;
                self.expect("]", true)?;
                RawKind::Binary("[", Box::new(left), Box::new(rhs))
            }
            "^" => {
                self.expect("(", false)?;
                let mut terms = Vec::new();
                loop {
                    let mut descending = false;
                    if self.is_op("<") {
                        self.advance(false)?;
                    } else if self.is_op(">") {
                        descending = true;
                        self.advance(false)?;
                    }
                    terms.push((descending, self.expression(0)?));
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance(false)?;
                }
                self.expect(")", false)?;
                RawKind::Sort(Box::new(left), terms)
            }
            "{" => RawKind::Group(Box::new(left), self.object_pairs()?),
            ":=" => {
                if !matches!(left.kind, RawKind::Var(_)) {
                    return Err(Error::new("S0212").at(left.pos).token(raw_token(&left)));
                }
                RawKind::Binary(":=", Box::new(left), Box::new(self.expression(bp - 1)?))
            }
            "@" | "#" => {
                let rhs = self.expression(bp)?;
                if !matches!(rhs.kind, RawKind::Var(_)) {
                    return Err(Error::new("S0214").at(rhs.pos).token(op));
                }
                RawKind::Binary(op, Box::new(left), Box::new(rhs))
            }
            "?" => {
                let then = self.expression(0)?;
                let otherwise = if self.is_op(":") {
                    self.advance(false)?;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                RawKind::Condition(Box::new(left), Box::new(then), otherwise)
            }
            "?:" => {
                let otherwise = self.expression(0)?;
                RawKind::Condition(
                    Box::new(left.clone()),
                    Box::new(left),
                    Some(Box::new(otherwise)),
                )
            }
            "??" => {
                let otherwise = self.expression(0)?;
                let exists = Raw::new(RawKind::Var("exists".into()), pos);
                let test = Raw::new(
                    RawKind::Call(Box::new(exists), vec![left.clone()], false),
                    pos,
                );
                RawKind::Condition(Box::new(test), Box::new(left), Some(Box::new(otherwise)))
            }
            "." | "+" | "-" | "*" | "/" | "%" | "=" | "<" | ">" | "!=" | "<=" | ">=" | "&"
            | "and" | "or" | "in" | "~>" => {
                RawKind::Binary(op, Box::new(left), Box::new(self.expression(bp)?))
            }
            _ => return Err(Error::new("S0201").at(pos).token(op)),
        };
        Ok(Raw::new(kind, pos))
    }

    fn call(&mut self, procedure: Raw, pos: usize) -> Result<Raw, Error> {
        let mut args = Vec::new();
        let mut partial = false;
        if !self.is_op(")") {
            loop {
                if self.is_op("?") {
                    partial = true;
                    args.push(Raw::new(RawKind::Operator("?"), self.pos));
                    self.advance(false)?;
                } else {
                    args.push(self.expression(0)?);
                }
                if !self.is_op(",") {
                    break;
                }
                self.advance(false)?;
            }
        }
        self.expect(")", true)?;
        let is_lambda = matches!(&procedure.kind, RawKind::Name(n) if n == "function" || n == "λ");
        if !is_lambda {
            return Ok(Raw::new(
                RawKind::Call(Box::new(procedure), args, partial),
                pos,
            ));
        }
        let mut params = Vec::new();
        for (i, arg) in args.into_iter().enumerate() {
            match arg.kind {
                RawKind::Var(name) => params.push(name),
                _ => {
                    return Err(Error::new("S0208")
                        .at(arg.pos)
                        .token(raw_token(&arg))
                        .value((i + 1).to_string()))
                }
            }
        }
        let mut signature = None;
        if self.is_op("<") {
            let sig_pos = self.pos;
            let mut depth = 1;
            let mut text = String::from("<");
            while depth > 0 && !self.is_op("{") && self.tok.is_some() {
                self.advance(false)?;
                if self.is_op(">") {
                    depth -= 1;
                } else if self.is_op("<") {
                    depth += 1;
                }
                text.push_str(&describe(&self.tok));
            }
            self.expect(">", false)?;
            signature = Some(Signature::parse(&text).map_err(|e| {
                let offset = e.position().unwrap_or(0);
                e.at(sig_pos + offset)
            })?);
        }
        self.expect("{", false)?;
        let body = self.expression(0)?;
        self.expect("}", true)?;
        Ok(Raw::new(
            RawKind::Lambda(params, signature, Box::new(body)),
            pos,
        ))
    }
}

/// The token text a raw node stands for, for error messages.
fn raw_token(raw: &Raw) -> String {
    match &raw.kind {
        RawKind::Str(s) | RawKind::Name(s) | RawKind::Var(s) => s.clone(),
        RawKind::Num(n) => super::number::to_js_string(*n),
        RawKind::Bool(b) => b.to_string(),
        RawKind::Null => "null".into(),
        RawKind::Operator(op) | RawKind::Binary(op, ..) => (*op).into(),
        _ => String::new(),
    }
}

/// An empty `[]` marks the step it follows (under any predicates) to keep singleton arrays.
fn mark_keep_array(raw: &mut Raw) {
    let mut step = raw;
    while let RawKind::Binary("[", lhs, _) = &mut step.kind {
        step = lhs;
    }
    step.keep_array = true;
}
