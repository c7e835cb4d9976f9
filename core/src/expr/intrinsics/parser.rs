//! The parser of a call's text.

use super::*;

/// A cursor over the text of a call.
pub(super) struct Parser {
    pub(super) chars: Vec<char>,
    pub(super) pos: usize,
}

impl Parser {
    pub(super) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// 1-based position of the next character, for messages.
    pub(super) fn at(&self) -> usize {
        self.pos + 1
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(c) => format!("'{c}'"),
            None => "the end".to_owned(),
        }
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `States.Name(args…)`, `depth` calls deep.
    pub(super) fn call(&mut self, depth: usize) -> Result<Call, String> {
        if depth > MAX_NESTING {
            return Err(format!(
                "intrinsic functions nest at most {MAX_NESTING} deep (character {})",
                self.at()
            ));
        }
        let at = self.at();
        let name = self.word();
        if name.is_empty() {
            return Err(format!(
                "expected an intrinsic function such as States.Format(…) at character {at}, found {}",
                self.found()
            ));
        }
        let func = Func::from_name(&name).ok_or_else(|| {
            if name.starts_with("States.") {
                format!("unknown intrinsic function '{name}' at character {at}")
            } else {
                format!("'{name}' at character {at} is not an intrinsic function (they are named States.…)")
            }
        })?;
        self.skip_ws();
        if !self.eat('(') {
            return Err(format!(
                "expected '(' after {name} at character {}, found {}",
                self.at(),
                self.found()
            ));
        }
        let mut args = Vec::new();
        self.skip_ws();
        if !self.eat(')') {
            loop {
                self.skip_ws();
                args.push(self.arg(depth)?);
                self.skip_ws();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(format!(
                        "expected ',' or ')' in the arguments of {name} at character {}, found {}",
                        self.at(),
                        self.found()
                    ));
                }
            }
        }
        let call = Call { func, args };
        call.check()
            .map_err(|reason| format!("{reason} (at character {at})"))?;
        Ok(call)
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, String> {
        let at = self.at();
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                serde_json::from_str::<Number>(&text)
                    .map(Arg::Number)
                    .map_err(|_| format!("invalid number '{text}' at character {at}"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                let word = self.word();
                match word.as_str() {
                    "true" => Ok(Arg::Bool(true)),
                    "false" => Ok(Arg::Bool(false)),
                    "null" => Ok(Arg::Null),
                    _ => {
                        self.pos = start;
                        self.call(depth + 1).map(|call| Arg::Call(Box::new(call)))
                    }
                }
            }
            Some(c) => Err(format!(
                "unexpected '{c}' at character {at}: an argument is a 'string', a number, true, false, null, a path or a call"
            )),
            None => Err(format!("the call is cut short at character {at}")),
        }
    }

    /// A single-quoted string literal.
    fn string(&mut self) -> Result<Arg, String> {
        let open = self.at();
        self.pos += 1;
        let (mut value, mut raw) = (String::new(), String::new());
        loop {
            let Some(c) = self.peek() else {
                return Err(format!("unterminated string starting at character {open}"));
            };
            self.pos += 1;
            match c {
                '\'' => return Ok(Arg::Str { value, raw }),
                '\\' => match self.peek() {
                    Some(e @ ('\'' | '{' | '}' | '\\')) => {
                        self.pos += 1;
                        value.push(e);
                        raw.push('\\');
                        raw.push(e);
                    }
                    Some(e) => {
                        return Err(format!(
                            "invalid escape '\\{e}' at character {}: only \\', \\{{, \\}} and \\\\ are allowed",
                            self.pos
                        ))
                    }
                    None => return Err(format!("unterminated string starting at character {open}")),
                },
                c => {
                    value.push(c);
                    raw.push(c);
                }
            }
        }
    }

    /// A path argument: up to the next top-level `,`, `)` or whitespace.
    fn path(&mut self) -> Result<Arg, String> {
        let (start, at) = (self.pos, self.at());
        // The closers of the brackets (and filter parentheses) open at this point.
        let mut open: Vec<char> = Vec::new();
        let mut quote = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == '\\' {
                    self.pos += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match c {
                    '\'' | '"' if !open.is_empty() => quote = Some(c),
                    '[' => open.push(']'),
                    '(' if !open.is_empty() => open.push(')'),
                    ']' | ')' if open.last() == Some(&c) => {
                        open.pop();
                    }
                    ',' | ')' if open.is_empty() => break,
                    c if c.is_whitespace() && open.is_empty() => break,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        let end = self.pos.min(self.chars.len());
        let text: String = self.chars[start..end].iter().collect();
        Path::parse(&text)
            .map(Arg::Path)
            .map_err(|reason| format!("invalid path '{text}' at character {at}: {reason}"))
    }
}
