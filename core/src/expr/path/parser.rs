//! The parser of JSONPath text.

use super::*;

pub(super) fn is_shorthand_name(name: &str) -> bool {
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
pub(super) struct Parser {
    chars: Vec<char>,
    pub(super) pos: usize,
}

impl Parser {
    pub(super) fn new(text: &str) -> Self {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    pub(super) fn peek(&self) -> Option<char> {
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

    pub(super) fn eat(&mut self, c: char) -> bool {
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

    pub(super) fn segments(&mut self) -> Result<Vec<Segment>, String> {
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
