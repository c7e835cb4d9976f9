//! JSON text of values, as `JSON.stringify` writes it with the reference implementation's
//! replacer: non-integers to 15 significant digits, functions as `""`, `undefined` left out
//! of objects and `null` in arrays.

use super::error::Error;
use super::number::{precision15, to_js_string};
use super::value::Value;

/// Limits on the text written.
pub(crate) struct Bounds {
    pub(crate) max_len: usize,
    pub(crate) max_depth: usize,
}

/// `$string(value, pretty)` for a non-string value.
pub(crate) fn stringify(value: &Value, pretty: bool, bounds: &Bounds) -> Result<String, Error> {
    let mut w = Writer {
        out: String::new(),
        pretty,
        bounds,
        jsonata: true,
    };
    w.value(value, 0)?;
    Ok(w.out)
}

/// Plain `JSON.stringify` text, for error messages (shortened when long).
pub(crate) fn json_text(value: &Value) -> String {
    let bounds = Bounds {
        max_len: 1000,
        max_depth: 50,
    };
    let mut w = Writer {
        out: String::new(),
        pretty: false,
        bounds: &bounds,
        jsonata: false,
    };
    match w.value(value, 0) {
        Ok(()) if !w.out.is_empty() => w.out,
        Ok(()) => "undefined".into(),
        Err(_) => {
            let mut cut = w.out;
            let mut end = cut.len().min(1000);
            while !cut.is_char_boundary(end) {
                end -= 1;
            }
            cut.truncate(end);
            cut + "…"
        }
    }
}

struct Writer<'a> {
    out: String,
    pretty: bool,
    bounds: &'a Bounds,
    jsonata: bool,
}

impl Writer<'_> {
    fn check(&self, depth: usize) -> Result<(), Error> {
        if self.out.len() > self.bounds.max_len {
            return Err(Error::new("D2016").value(self.bounds.max_len.to_string()));
        }
        if depth > self.bounds.max_depth {
            return Err(Error::new("D1011").value(self.bounds.max_depth.to_string()));
        }
        Ok(())
    }

    fn newline(&mut self, depth: usize) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
    }

    fn value(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        self.check(depth)?;
        match value {
            Value::Undefined => {}
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                if !n.is_finite() {
                    // `$string` refuses infinities (the reference's `isNumeric` throws) but
                    // writes NaN as `JSON.stringify` does.
                    if self.jsonata && !n.is_nan() {
                        return Err(Error::new("D1001").value(to_js_string(*n)));
                    }
                    self.out.push_str("null");
                } else {
                    let v = if self.jsonata { precision15(*n) } else { *n };
                    self.out.push_str(&to_js_string(v));
                }
            }
            Value::String(s) => self.string(s),
            Value::Function(_) => {
                if self.jsonata {
                    self.out.push_str("\"\"");
                }
            }
            Value::Array(items, flags) => {
                if flags.outer_wrapper && items.len() == 1 && depth == 0 {
                    return self.value(&items[0], depth);
                }
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    match item {
                        Value::Undefined => self.out.push_str("null"),
                        Value::Function(_) if !self.jsonata => self.out.push_str("null"),
                        _ => self.value(item, depth + 1)?,
                    }
                }
                if !items.is_empty() {
                    self.newline(depth);
                }
                self.out.push(']');
            }
            Value::Tuples(tuples) => {
                let items: Vec<Value> = tuples
                    .iter()
                    .map(|t| super::value::tuple_context(t))
                    .collect();
                self.value(&Value::array(items), depth)?;
            }
            Value::Object(map) => {
                self.out.push('{');
                let mut first = true;
                for (k, v) in map.iter() {
                    if v.is_undefined() || (!self.jsonata && v.is_function()) {
                        continue;
                    }
                    if !first {
                        self.out.push(',');
                    }
                    first = false;
                    self.newline(depth + 1);
                    self.string(k);
                    self.out.push(':');
                    if self.pretty {
                        self.out.push(' ');
                    }
                    self.value(v, depth + 1)?;
                }
                if !first {
                    self.newline(depth);
                }
                self.out.push('}');
            }
        }
        self.check(depth)
    }

    fn string(&mut self, s: &str) {
        self.out.push_str(&super::error::quote(s));
    }
}
