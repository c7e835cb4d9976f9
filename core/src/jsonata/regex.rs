//! Regular expressions. JSONata's are JavaScript's; they run on `regex-lite` (small, and
//! linear in time: no catastrophic backtracking on hostile patterns). JavaScript syntax is
//! translated first; what cannot be (back-references, look-around) is refused at parse time.
//! The differences that remain are listed in docs/jsonata.md.

use std::fmt;

/// A compiled regular expression literal.
pub(crate) struct Regex {
    re: regex_lite::Regex,
    source: String,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.source)
    }
}

/// One match: byte offsets in the string, and the groups (`None` when a group took no part).
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) groups: Vec<Option<(usize, usize)>>,
}

impl Regex {
    /// Compiles a JavaScript pattern with the flags `i` and `m`.
    pub(crate) fn new(pattern: &str, flags: &str) -> Result<Regex, String> {
        let translated = translate(pattern)?;
        let re = regex_lite::RegexBuilder::new(&translated)
            .case_insensitive(flags.contains('i'))
            .multi_line(flags.contains('m'))
            .nest_limit(100)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Regex {
            re,
            source: pattern.to_owned(),
        })
    }

    /// The pattern as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The first match at or after byte `from`.
    pub(crate) fn find_at(&self, text: &str, from: usize) -> Option<Found> {
        if from > text.len() {
            return None;
        }
        let caps = self.re.captures_at(text, from)?;
        let whole = caps.get(0)?;
        let groups = (1..caps.len())
            .map(|i| caps.get(i).map(|m| (m.start(), m.end())))
            .collect();
        Some(Found {
            start: whole.start(),
            end: whole.end(),
            groups,
        })
    }
}

fn hex_escape(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:X}}}", c as u32));
}

/// Rewrites JavaScript regex syntax as `regex-lite` syntax.
fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err("\\ at end of pattern".into());
                };
                i += 2;
                match e {
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'b' | 'B' if !in_class => {
                        out.push('\\');
                        out.push(e);
                    }
                    'b' => hex_escape(&mut out, '\u{8}'),
                    't' => hex_escape(&mut out, '\t'),
                    'n' => hex_escape(&mut out, '\n'),
                    'r' => hex_escape(&mut out, '\r'),
                    'v' => hex_escape(&mut out, '\u{B}'),
                    'f' => hex_escape(&mut out, '\u{C}'),
                    '0' if !chars.get(i).is_some_and(|c| c.is_ascii_digit()) => {
                        hex_escape(&mut out, '\0')
                    }
                    '1'..='9' => return Err("back-references are not supported".into()),
                    'k' => return Err("named back-references are not supported".into()),
                    'c' => match chars.get(i) {
                        Some(l) if l.is_ascii_alphabetic() => {
                            hex_escape(&mut out, char::from((*l as u8) % 32));
                            i += 1;
                        }
                        _ => out.push_str("\\\\c"),
                    },
                    'x' | 'u' => {
                        let n = if e == 'x' { 2 } else { 4 };
                        let hex: String = chars.iter().skip(i).take(n).collect();
                        match u32::from_str_radix(&hex, 16) {
                            Ok(v) if hex.len() == n => {
                                i += n;
                                hex_escape(&mut out, char::from_u32(v).unwrap_or('\u{FFFD}'));
                            }
                            _ => hex_escape(&mut out, e),
                        }
                    }
                    'p' | 'P' => return Err("Unicode property escapes are not supported".into()),
                    other => hex_escape(&mut out, other),
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                if chars.get(i + 1) == Some(&'^') && chars.get(i + 2) == Some(&']') {
                    out.push_str("(?s:.)");
                    in_class = false;
                    i += 3;
                    continue;
                }
                if chars.get(i + 1) == Some(&']') {
                    return Err("empty character class".into());
                }
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A leading `]` is literal in Rust syntax but closes the class in JavaScript.
                i += 1;
                continue;
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' | '&' | '~' | '-' if in_class => {
                if c == '-'
                    && chars.get(i + 1) != Some(&']')
                    && !out.ends_with('[')
                    && !out.ends_with("[^")
                {
                    out.push('-');
                } else {
                    hex_escape(&mut out, c);
                }
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                match (chars.get(i + 2), chars.get(i + 3)) {
                    (Some(':'), _) => out.push_str("(?:"),
                    (Some('<'), Some(n)) if *n != '=' && *n != '!' => out.push_str("(?P<"),
                    _ => return Err("look-around assertions are not supported".into()),
                }
                i += 3;
                continue;
            }
            '{' if !in_class => {
                let rest: String = chars[i..].iter().take(24).collect();
                if is_quantifier(&rest) {
                    out.push('{');
                } else {
                    hex_escape(&mut out, '{');
                }
            }
            '}' if !in_class => {
                if out.contains('{') && quantifier_open(&out) {
                    out.push('}');
                } else {
                    hex_escape(&mut out, '}');
                }
            }
            ' ' | '#' => hex_escape(&mut out, c),
            _ => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return Err("unterminated character class".into());
    }
    Ok(out)
}

/// `{n}`, `{n,}` or `{n,m}` at the start of `text`.
fn is_quantifier(text: &str) -> bool {
    let Some(body) = text.strip_prefix('{') else {
        return false;
    };
    let Some(end) = body.find('}') else {
        return false;
    };
    let body = &body[..end];
    let mut parts = body.splitn(2, ',');
    let first = parts.next().unwrap_or("");
    let ok_num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    ok_num(first) && parts.next().is_none_or(|s| s.is_empty() || ok_num(s))
}

/// Whether the translated pattern ends inside a quantifier's braces.
fn quantifier_open(out: &str) -> bool {
    match out.rfind('{') {
        Some(p) => {
            let tail = &out[p + 1..];
            !out[..p].ends_with("\\x") && tail.bytes().all(|b| b.is_ascii_digit() || b == b',')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_javascript_syntax() {
        let re = Regex::new("a\\/b{2}[^\\]x]", "").unwrap();
        assert!(re.find_at("xa/bbq", 0).is_some());
        assert!(Regex::new("(a)\\1", "").is_err());
        assert!(Regex::new("a(?=b)", "").is_err());
        let dot = Regex::new("a.c", "").unwrap();
        assert!(dot.find_at("a\rc", 0).is_none());
        assert!(Regex::new("x{", "").unwrap().find_at("x{", 0).is_some());
        let named = Regex::new("(?<y>\\d+)", "").unwrap();
        assert_eq!(
            named.find_at("ab12", 0).map(|f| (f.start, f.end)),
            Some((2, 4))
        );
    }
}
