//! Upper and lower case for `$uppercase` and `$lowercase`, compactly: ASCII, Latin-1,
//! Latin Extended-A, Greek and Cyrillic (the blocks whose mappings are regular), instead of
//! the full Unicode tables (about 10 KB of the npm package). Other characters are left as
//! they are; docs/jsonata.md lists this difference.

/// The lower-case form of `c` in the blocks handled.
fn lower(c: char) -> char {
    let u = c as u32;
    let mapped = match u {
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE | 0x391..=0x3A1 | 0x3A3..=0x3AB | 0x410..=0x42F => {
            u + 32
        }
        0x400..=0x40F => u + 80,
        0x100..=0x137 | 0x14A..=0x177 if u.is_multiple_of(2) => u + 1,
        0x139..=0x148 | 0x179..=0x17E if !u.is_multiple_of(2) => u + 1,
        0x178 => 0xFF,
        0x386 => 0x3AC,
        0x388..=0x38A => u + 37,
        0x38C => 0x3CC,
        0x38E | 0x38F => u + 63,
        0x460..=0x481 | 0x48A..=0x4BF | 0x4D0..=0x52F if u.is_multiple_of(2) => u + 1,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// The upper-case form of `c` in the blocks handled (`ß` is `SS`, handled by the caller).
fn upper(c: char) -> char {
    let u = c as u32;
    let mapped = match u {
        0x61..=0x7A | 0xE0..=0xF6 | 0xF8..=0xFE | 0x3B1..=0x3C1 | 0x3C3..=0x3CB | 0x430..=0x44F => {
            u - 32
        }
        0x3C2 => 0x3A3,
        0x450..=0x45F => u - 80,
        0xB5 => 0x39C,
        0xFF => 0x178,
        0x101..=0x138 | 0x14B..=0x178 if !u.is_multiple_of(2) && u != 0x131 && u != 0x138 => u - 1,
        0x13A..=0x149 | 0x17A..=0x17F if u.is_multiple_of(2) && u != 0x149 => u - 1,
        0x17F => 0x53,
        0x3AC => 0x386,
        0x3AD..=0x3AF => u - 37,
        0x3CC => 0x38C,
        0x3CD | 0x3CE => u - 63,
        0x461..=0x481 | 0x48B..=0x4BF | 0x4D1..=0x52F if !u.is_multiple_of(2) => u - 1,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// `s.toLowerCase()` for the blocks handled (final sigma included).
pub(crate) fn to_lower(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == 'Σ' {
            let after_letter = i > 0 && chars[i - 1].is_alphabetic();
            let before_letter = chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
            out.push(if after_letter && !before_letter {
                'ς'
            } else {
                'σ'
            });
        } else if c == '\u{130}' {
            out.push_str("i\u{307}");
        } else {
            out.push(lower(c));
        }
    }
    out
}

/// `s.toUpperCase()` for the blocks handled.
pub(crate) fn to_upper(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'ß' => out.push_str("SS"),
            'ŉ' => out.push_str("\u{2BC}N"),
            _ => out.push(upper(c)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_common_blocks() {
        assert_eq!(
            to_upper("straße àéîõü ÿ ăž ωσς жё"),
            "STRASSE ÀÉÎÕÜ Ÿ ĂŽ ΩΣΣ ЖЁ"
        );
        assert_eq!(to_lower("ÀÉÎÕÜ Ÿ ĂŽ ΟΔΟΣ ЖЁ"), "àéîõü ÿ ăž οδος жё");
        assert_eq!(to_lower("İ"), "i\u{307}");
    }
}
