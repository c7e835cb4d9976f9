//! The tokenizer: JSONata text to tokens, one at a time (the parser tells it whether a `/`
//! may start a regular expression). Positions are character offsets just past the token, as
//! the reference implementation reports them.

use super::error::Error;

/// A token's kind and value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An operator or punctuation (`and`, `or` and `in` included).
    Op(&'static str),
    /// A string literal.
    Str(String),
    /// A number literal.
    Num(f64),
    /// `true`, `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A field name (plain or backquoted).
    Name(String),
    /// A variable: `$name`, `$` (empty name) or `$$` (`"$"`).
    Var(String),
    /// A regular expression literal: pattern and flags.
    Regex(String, String),
}

/// Operators of one or two characters, longest first.
const OPERATORS: [&str; 34] = [
    "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??", ".", "[", "]", "{", "}", "(", ")", ",",
    "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&", "!",
];

fn is_operator_char(c: char) -> bool {
    matches!(
        c,
        '.' | '['
            | ']'
            | '{'
            | '}'
            | '('
            | ')'
            | ','
            | '@'
            | '#'
            | ';'
            | ':'
            | '?'
            | '+'
            | '-'
            | '*'
            | '/'
            | '%'
            | '|'
            | '='
            | '<'
            | '>'
            | '^'
            | '&'
            | '!'
            | '~'
    )
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0B}')
}

/// The tokenizer over an expression's characters.
pub(crate) struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    pub(crate) fn new(text: &str) -> Self {
        Lexer {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    /// The number of characters in the expression.
    pub(crate) fn len(&self) -> usize {
        self.chars.len()
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The next token and its position, `None` at the end. `infix` is true after an operand,
    /// where `/` divides instead of starting a regular expression.
    pub(crate) fn next(&mut self, infix: bool) -> Result<Option<(Tok, usize)>, Error> {
        loop {
            while self.at(self.pos).is_some_and(is_space) {
                self.pos += 1;
            }
            if self.at(self.pos) == Some('/') && self.at(self.pos + 1) == Some('*') {
                let start = self.pos;
                self.pos += 2;
                loop {
                    match self.at(self.pos) {
                        None => return Err(Error::new("S0106").at(start)),
                        Some('*') if self.at(self.pos + 1) == Some('/') => break,
                        _ => self.pos += 1,
                    }
                }
                self.pos += 2;
                continue;
            }
            break;
        }
        let Some(c) = self.at(self.pos) else {
            return Ok(None);
        };
        if !infix && c == '/' {
            self.pos += 1;
            let tok = self.regex()?;
            return Ok(Some((tok, self.pos)));
        }
        for op in OPERATORS {
            let mut matched = true;
            for (k, oc) in op.chars().enumerate() {
                if self.at(self.pos + k) != Some(oc) {
                    matched = false;
                    break;
                }
            }
            if matched {
                self.pos += op.chars().count();
                return Ok(Some((Tok::Op(op), self.pos)));
            }
        }
        if c == '~' {
            // `~` alone is reserved: the parser reports it as an unknown operator.
            self.pos += 1;
            return Ok(Some((Tok::Op("~"), self.pos)));
        }
        if c == '"' || c == '\'' {
            return self.string(c).map(|s| Some((Tok::Str(s), self.pos)));
        }
        if let Some(tok) = self.number()? {
            return Ok(Some((tok, self.pos)));
        }
        if c == '`' {
            self.pos += 1;
            let start = self.pos;
            while let Some(ch) = self.at(self.pos) {
                if ch == '`' {
                    let name: String = self.chars[start..self.pos].iter().collect();
                    self.pos += 1;
                    return Ok(Some((Tok::Name(name), self.pos)));
                }
                self.pos += 1;
            }
            return Err(Error::new("S0105").at(self.pos));
        }
        let start = self.pos;
        let mut end = start;
        while let Some(ch) = self.at(end) {
            if is_space(ch) || is_operator_char(ch) {
                break;
            }
            end += 1;
        }
        self.pos = end;
        if c == '$' {
            let name: String = self.chars[start + 1..end].iter().collect();
            return Ok(Some((Tok::Var(name), self.pos)));
        }
        let name: String = self.chars[start..end].iter().collect();
        let tok = match name.as_str() {
            "and" => Tok::Op("and"),
            "or" => Tok::Op("or"),
            "in" => Tok::Op("in"),
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "null" => Tok::Null,
            _ => Tok::Name(name),
        };
        Ok(Some((tok, self.pos)))
    }

    fn string(&mut self, quote: char) -> Result<String, Error> {
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.at(self.pos) {
            if c == '\\' {
                self.pos += 1;
                let e = self.at(self.pos);
                match e {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('/') => out.push('/'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => {
                        let hex: String = self.chars.iter().skip(self.pos + 1).take(4).collect();
                        let unit = (hex.len() == 4)
                            .then(|| u16::from_str_radix(&hex, 16).ok())
                            .flatten()
                            .ok_or_else(|| Error::new("S0104").at(self.pos))?;
                        self.pos += 4;
                        self.push_utf16(&mut out, unit);
                    }
                    other => {
                        return Err(Error::new("S0103")
                            .at(self.pos)
                            .token(other.map(String::from).unwrap_or_default()))
                    }
                }
            } else if c == quote {
                self.pos += 1;
                return Ok(out);
            } else {
                out.push(c);
            }
            self.pos += 1;
        }
        Err(Error::new("S0101").at(self.pos))
    }

    /// Appends a `\uXXXX` escape, joining a surrogate pair written as two escapes; a lone
    /// surrogate becomes U+FFFD (Rust strings cannot hold one).
    fn push_utf16(&mut self, out: &mut String, unit: u16) {
        if (0xD800..0xDC00).contains(&unit)
            && self.at(self.pos + 1) == Some('\\')
            && self.at(self.pos + 2) == Some('u')
        {
            let hex: String = self.chars.iter().skip(self.pos + 3).take(4).collect();
            if let Ok(low @ 0xDC00..=0xDFFF) = u16::from_str_radix(&hex, 16) {
                if hex.len() == 4 {
                    let cp =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    self.pos += 6;
                    return;
                }
            }
        }
        out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'));
    }

    fn number(&mut self) -> Result<Option<Tok>, Error> {
        let start = self.pos;
        let mut i = start;
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        match self.at(i) {
            Some('0') => i += 1,
            Some('1'..='9') => {
                while digit(self.at(i)) {
                    i += 1;
                }
            }
            _ => return Ok(None),
        }
        if self.at(i) == Some('.') && digit(self.at(i + 1)) {
            i += 1;
            while digit(self.at(i)) {
                i += 1;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            if digit(self.at(j)) {
                while digit(self.at(j)) {
                    j += 1;
                }
                i = j;
            }
        }
        let text: String = self.chars[start..i].iter().collect();
        match super::number::parse(&text) {
            Some(n) if n.is_finite() => {
                self.pos = i;
                Ok(Some(Tok::Num(n)))
            }
            _ => Err(Error::new("S0102").at(start).token(text)),
        }
    }

    /// Scans a regular expression after its opening `/`: up to the first unescaped `/` outside
    /// brackets, then the flags `i` and `m`.
    fn regex(&mut self) -> Result<Tok, Error> {
        let start = self.pos;
        let mut depth: i64 = 0;
        while let Some(c) = self.at(self.pos) {
            let escaped = self.pos > 0 && self.at(self.pos - 1) == Some('\\');
            if c == '/' && depth == 0 {
                let mut backslashes = 0;
                while self.pos > backslashes && self.at(self.pos - backslashes - 1) == Some('\\') {
                    backslashes += 1;
                }
                if backslashes % 2 == 0 {
                    let pattern: String = self.chars[start..self.pos].iter().collect();
                    if pattern.is_empty() {
                        return Err(Error::new("S0301").at(self.pos));
                    }
                    self.pos += 1;
                    let fstart = self.pos;
                    while matches!(self.at(self.pos), Some('i' | 'm')) {
                        self.pos += 1;
                    }
                    let flags: String = self.chars[fstart..self.pos].iter().collect();
                    return Ok(Tok::Regex(pattern, flags));
                }
            }
            if matches!(c, '(' | '[' | '{') && !escaped {
                depth += 1;
            }
            if matches!(c, ')' | ']' | '}') && !escaped {
                depth -= 1;
            }
            self.pos += 1;
        }
        Err(Error::new("S0302").at(self.pos))
    }
}
