//! The wildcard patterns of the Choice operator `StringMatches`.

/// One piece of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// Exactly this character.
    Char(char),
    /// Any run of characters, the empty run included.
    Star,
}

/// Whether `text` matches the Choice `StringMatches` `pattern`.
///
/// `*` matches any run of characters (none included); `\*` is a literal star and `\\` a
/// literal backslash. Any other escaped character stands for itself, and a lone trailing
/// backslash for a backslash. Every other character matches only itself (case-sensitively,
/// Unicode scalar by scalar).
pub(crate) fn string_matches(pattern: &str, text: &str) -> bool {
    let pattern = compile(pattern);
    let text: Vec<char> = text.chars().collect();

    // Greedy matching that backtracks only to the latest star: O(pattern × text) at worst.
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Star) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Token::Char(c)) if text.get(t) == Some(c) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                // The latest star swallows one more character, and matching resumes after it.
                Some((star, star_t)) => {
                    p = star + 1;
                    t = star_t + 1;
                    backtrack = Some((star, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|token| *token == Token::Star))
}

fn compile(pattern: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Token::Star,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::string_matches;

    #[test]
    fn wildcards_and_escapes() {
        let cases: &[(&str, &str, bool)] = &[
            // The ASL spec's and AWS docs' examples.
            ("log-*.txt", "log-2024.txt", true),
            ("log-*.txt", "log-.txt", true),
            ("log-*.txt", "log-2024.csv", false),
            ("*.log", "server.log", true),
            ("*.log", "server.log.1", false),
            ("foo*.log", "foo23.log", true),
            ("foo*.log", "foobar.log", true),
            ("foo*.log", "fo.log", false),
            ("foo*.log", "Foo.log", false),
            // Literal patterns.
            ("", "", true),
            ("", "a", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("abc", "ab", false),
            // Stars anywhere, several, consecutive.
            ("*", "", true),
            ("*", "anything at all", true),
            ("**", "x", true),
            ("a*", "a", true),
            ("*a", "a", true),
            ("*a", "ba", true),
            ("*a", "ab", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("a*b*c", "acb", false),
            ("*ab*ab*", "xabyab", true),
            ("*ab*ab*", "xaby", false),
            ("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            // Escapes.
            ("\\*", "*", true),
            ("\\*", "x", false),
            ("\\*", "", false),
            ("a\\*b", "a*b", true),
            ("a\\*b", "aXb", false),
            ("\\\\", "\\", true),
            ("\\\\*", "\\anything", true),
            ("\\\\*", "anything", false),
            ("\\\\\\*", "\\*", true),
            ("*\\*", "five stars *", true),
            ("*\\*", "five stars", false),
            ("\\a", "a", true),
            ("a\\", "a\\", true),
            // Unicode.
            ("h*llo ✓", "héllo ✓", true),
            ("日本*", "日本語", true),
            ("日本?", "日本語", false),
            ("?", "?", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                string_matches(pattern, text),
                *expected,
                "{pattern:?} vs {text:?}"
            );
        }
    }

    #[test]
    fn long_inputs_stay_fast() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!string_matches(&pattern, &text));
        assert!(string_matches(&format!("{}*", "*a".repeat(50)), &text));
    }
}
