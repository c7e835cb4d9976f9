//! Function signatures (`<s-nn?:s>`): parsed once, then used to check a call's arguments,
//! insert the context for a missing first argument (`-`) and wrap single values given for
//! arrays, with the reference implementation's errors (T0410, T0411, T0412).

use super::error::Error;
use super::value::Value;

/// How many times a parameter may match.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Count {
    One,
    Optional,
    OneOrMore,
}

#[derive(Debug, Clone)]
struct Param {
    /// The type letters it accepts (`m` for undefined).
    accepts: Vec<u8>,
    count: Count,
    /// `-`: when missing, the context is used.
    context: bool,
    /// The declared type: `a`, `f`, a letter, or `(` for a choice.
    kind: u8,
    /// `a<n>`: the type of the array's items.
    subtype: Option<String>,
}

/// A parsed function signature.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    params: Vec<Param>,
}

fn accepts(kind: u8) -> Vec<u8> {
    match kind {
        b'a' | b'x' => b"asnblfom".to_vec(),
        b'f' => b"f".to_vec(),
        b'j' => b"asnblom".to_vec(),
        k => vec![k, b'm'],
    }
}

impl Signature {
    /// Parses `<...>`; errors carry the offset in the signature as their position.
    pub(crate) fn parse(text: &str) -> Result<Signature, Error> {
        let bytes = text.as_bytes();
        let mut params: Vec<Param> = Vec::new();
        let mut pos = 1;
        let closing = |from: usize, open: u8, close: u8| {
            let mut depth = 1;
            let mut p = from;
            while p + 1 < bytes.len() {
                p += 1;
                if bytes[p] == close {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                } else if bytes[p] == open {
                    depth += 1;
                }
            }
            p
        };
        while pos < bytes.len() {
            let c = bytes[pos];
            if c == b':' {
                break;
            }
            match c {
                b's' | b'n' | b'b' | b'l' | b'o' | b'a' | b'f' | b'j' | b'x' => {
                    params.push(Param {
                        accepts: accepts(c),
                        count: Count::One,
                        context: false,
                        kind: c,
                        subtype: None,
                    })
                }
                b'-' => {
                    if let Some(p) = params.last_mut() {
                        p.context = true;
                        p.count = Count::Optional;
                    }
                }
                b'?' | b'+' => {
                    if let Some(p) = params.last_mut() {
                        p.count = if c == b'?' {
                            Count::Optional
                        } else {
                            Count::OneOrMore
                        };
                    }
                }
                b'(' => {
                    let end = closing(pos, b'(', b')');
                    let choice = &text[pos + 1..end.min(text.len())];
                    if choice.contains('<') {
                        return Err(Error::new("S0402")
                            .at(pos)
                            .value(super::error::quote(choice)));
                    }
                    let mut acc: Vec<u8> = choice.bytes().collect();
                    acc.push(b'm');
                    params.push(Param {
                        accepts: acc,
                        count: Count::One,
                        context: false,
                        kind: b'(',
                        subtype: None,
                    });
                    pos = end;
                }
                b'<' => match params.last_mut() {
                    Some(p) if p.kind == b'a' || p.kind == b'f' => {
                        let end = closing(pos, b'<', b'>');
                        p.subtype = Some(text[pos + 1..end.min(text.len())].to_owned());
                        pos = end;
                    }
                    p => {
                        let kind = p.map(|p| (p.kind as char).to_string()).unwrap_or_default();
                        return Err(Error::new("S0401")
                            .at(pos)
                            .value(super::error::quote(&kind)));
                    }
                },
                _ => {}
            }
            pos += 1;
        }
        Ok(Signature { params })
    }

    /// Matches the type letters `sig` from `at` against params `from..`, greedily with
    /// backtracking as a regular expression would; gives each param's match length.
    fn matches(
        &self,
        sig: &[u8],
        from: usize,
        at: usize,
        upto: usize,
        anchored: bool,
        out: &mut Vec<usize>,
    ) -> bool {
        if from == upto {
            return !anchored || at == sig.len();
        }
        let p = &self.params[from];
        let run = sig[at..]
            .iter()
            .take_while(|c| p.accepts.contains(c))
            .count();
        let (min, max) = match p.count {
            Count::One => (1, 1),
            Count::Optional => (0, 1),
            Count::OneOrMore => (1, run),
        };
        let mut n = max.min(run);
        loop {
            if n < min {
                return false;
            }
            out.push(n);
            if self.matches(sig, from + 1, at + n, upto, anchored, out) {
                return true;
            }
            out.pop();
            if n == 0 {
                return false;
            }
            n -= 1;
        }
    }

    /// Checks `args` against the signature; gives the arguments to call with (the context
    /// inserted, single values wrapped as arrays). Errors name no function: the caller adds it.
    pub(crate) fn validate(&self, args: &[Value], context: &Value) -> Result<Vec<Value>, Error> {
        let sig: Vec<u8> = args.iter().map(Value::symbol).collect();
        let mut lengths = Vec::new();
        if !self.matches(&sig, 0, 0, self.params.len(), true, &mut lengths) {
            return Err(self.mismatch(args, &sig));
        }
        let mut out = Vec::with_capacity(self.params.len());
        // `i` counts arguments and `at` type letters: as in the reference, an optional
        // parameter that matched nothing still takes the next argument.
        let (mut i, mut at) = (0, 0);
        for (param, &len) in self.params.iter().zip(&lengths) {
            if len == 0 {
                if param.context {
                    let ty = context.symbol();
                    if param.accepts.contains(&ty) {
                        out.push(context.clone());
                    } else {
                        return Err(Error::new("T0411")
                            .index(i + 1)
                            .value(super::serialize::json_text(context)));
                    }
                } else {
                    out.push(args.get(i).cloned().unwrap_or_default());
                    i += 1;
                }
                continue;
            }
            let whole = &sig[at..at + len];
            for k in 0..len {
                let arg = args.get(i).cloned().unwrap_or_default();
                let single = sig[at + k];
                if param.kind == b'a' {
                    if single == b'm' {
                        out.push(Value::Undefined);
                    } else {
                        if let Some(sub) = &param.subtype {
                            let ok = if single != b'a' {
                                whole == sub.as_bytes()
                            } else {
                                let items = arg.items().unwrap_or(&[]);
                                match items.first() {
                                    None => true,
                                    Some(first) => {
                                        let t = first.symbol();
                                        sub.as_bytes().first() == Some(&t)
                                            && items.iter().all(|v| v.symbol() == t)
                                    }
                                }
                            };
                            if !ok {
                                let ty = match sub.as_bytes().first() {
                                    Some(b'a') => "arrays",
                                    Some(b'b') => "booleans",
                                    Some(b'f') => "functions",
                                    Some(b'n') => "numbers",
                                    Some(b'o') => "objects",
                                    Some(b's') => "strings",
                                    _ => "undefined",
                                };
                                return Err(Error::new("T0412")
                                    .index(i + 1)
                                    .value(super::serialize::json_text(&arg))
                                    .message(ty));
                            }
                        }
                        out.push(if single == b'a' {
                            arg
                        } else {
                            Value::array(vec![arg])
                        });
                    }
                } else {
                    out.push(arg);
                }
                i += 1;
            }
            at += len;
        }
        Ok(out)
    }

    /// T0410 for the first argument the signature cannot take.
    fn mismatch(&self, args: &[Value], sig: &[u8]) -> Error {
        let mut good = 0;
        for upto in 1..=self.params.len() {
            let mut lengths = Vec::new();
            if !self.matches(sig, 0, 0, upto, false, &mut lengths) {
                break;
            }
            good = lengths.iter().sum();
        }
        let value = args
            .get(good)
            .map(super::serialize::json_text)
            .unwrap_or_else(|| "undefined".into());
        Error::new("T0410").index(good + 1).value(value)
    }
}
