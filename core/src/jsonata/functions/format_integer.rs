//! `$formatInteger` and `$parseInteger` (XPath `format-integer` pictures: decimal digit
//! patterns with grouping, letters, Roman numerals, words, ordinals); shared with the
//! date/time pictures.

use super::arg;
use crate::jsonata::error::Error;
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::value::Value;

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];

const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

fn words(num: f64, prev: bool, ordinal: bool) -> String {
    let sep = |p: bool, s: &str| if p { s.to_owned() } else { String::new() };
    if num <= 19.0 {
        let i = num as usize;
        return sep(prev, " and ") + if ordinal { ORDINALS[i] } else { FEW[i] };
    }
    if num < 100.0 {
        let tens = (num / 10.0).floor() as usize;
        let rem = num % 10.0;
        let mut w = sep(prev, " and ") + DECADES[tens - 2];
        if rem > 0.0 {
            w = w + "-" + &words(rem, false, ordinal);
        } else if ordinal {
            w.pop();
            w.push_str("ieth");
        }
        return w;
    }
    if num < 1000.0 {
        let hundreds = (num / 100.0).floor() as usize;
        let rem = num % 100.0;
        let mut w = sep(prev, ", ") + FEW[hundreds] + " Hundred";
        if rem > 0.0 {
            w += &words(rem, true, ordinal);
        } else if ordinal {
            w += "th";
        }
        return w;
    }
    let mut mag = (num.log10() / 3.0).floor() as usize;
    if mag > MAGNITUDES.len() {
        mag = MAGNITUDES.len();
    }
    let factor = 10f64.powi(mag as i32 * 3);
    let mant = (num / factor).floor();
    let rem = num - mant * factor;
    let mut w = sep(prev, ", ") + &words(mant, false, false) + " " + MAGNITUDES[mag - 1];
    if rem > 0.0 {
        w += &words(rem, true, ordinal);
    } else if ordinal {
        w += "th";
    }
    w
}

/// Every number word, in the reference's order (its pattern for reading words).
fn word_list() -> Vec<String> {
    let mut words: Vec<String> = FEW
        .iter()
        .chain(ORDINALS.iter())
        .map(|w| w.to_ascii_lowercase())
        .collect();
    for w in DECADES {
        let lw = w.to_ascii_lowercase();
        words.push(format!("{}ieth", &lw[..lw.len() - 1]));
        words.insert(words.len() - 1, lw);
    }
    words.push("hundredth".into());
    for w in MAGNITUDES {
        let lw = w.to_ascii_lowercase();
        words.push(format!("{lw}th"));
        words.insert(words.len() - 1, lw);
    }
    words
}

fn word_value(word: &str) -> Option<f64> {
    for (i, w) in FEW.iter().enumerate() {
        if w.eq_ignore_ascii_case(word) || ORDINALS[i].eq_ignore_ascii_case(word) {
            return Some(i as f64);
        }
    }
    for (i, w) in DECADES.iter().enumerate() {
        let lw = w.to_ascii_lowercase();
        let ieth = format!("{}ieth", &lw[..lw.len() - 1]);
        if lw == word || ieth == word {
            return Some(((i + 2) * 10) as f64);
        }
    }
    if word == "hundredth" {
        return Some(100.0);
    }
    for (i, w) in MAGNITUDES.iter().enumerate() {
        let lw = w.to_ascii_lowercase();
        if lw == word || format!("{lw}th") == word {
            return Some(10f64.powi((i as i32 + 1) * 3));
        }
    }
    None
}

fn words_to_number(text: &str) -> f64 {
    let text = text.replace(", ", " ").replace(" and ", " ");
    let mut segs = vec![0.0];
    for part in text.split([' ', '-', '\\']) {
        let value = word_value(part);
        match value {
            Some(v) if v < 100.0 => {
                let mut top = segs.pop().unwrap_or(0.0);
                if top >= 1000.0 {
                    segs.push(top);
                    top = 0.0;
                }
                segs.push(top + v);
            }
            Some(v) => {
                let top = segs.pop().unwrap_or(0.0);
                segs.push(top * v);
            }
            None => {
                let top = segs.pop().unwrap_or(0.0);
                segs.push(top + f64::NAN);
            }
        }
    }
    segs.iter().sum()
}

const ROMAN: [(f64, &str); 13] = [
    (1000.0, "m"),
    (900.0, "cm"),
    (500.0, "d"),
    (400.0, "cd"),
    (100.0, "c"),
    (90.0, "xc"),
    (50.0, "l"),
    (40.0, "xl"),
    (10.0, "x"),
    (9.0, "ix"),
    (5.0, "v"),
    (4.0, "iv"),
    (1.0, "i"),
];

fn to_roman(mut value: f64, max_len: usize) -> Result<String, Error> {
    let mut out = String::new();
    'outer: while value >= 1.0 {
        for (n, s) in ROMAN {
            if value >= n {
                out.push_str(s);
                value -= n;
                if out.len() > max_len {
                    return Err(Error::new("D2016").value(max_len.to_string()));
                }
                continue 'outer;
            }
        }
    }
    Ok(out)
}

fn from_roman(roman: &str) -> f64 {
    let mut decimal = 0.0;
    let mut max = 1.0;
    for c in roman.chars().rev() {
        let v = match c {
            'M' => 1000.0,
            'D' => 500.0,
            'C' => 100.0,
            'L' => 50.0,
            'X' => 10.0,
            'V' => 5.0,
            'I' => 1.0,
            _ => f64::NAN,
        };
        if v < max {
            decimal -= v;
        } else {
            max = v;
            decimal += v;
        }
    }
    decimal
}

fn to_letters(mut value: f64, a: u8) -> String {
    let mut letters = Vec::new();
    while value > 0.0 {
        letters.push(char::from(((value - 1.0) % 26.0) as u8 + a));
        value = ((value - 1.0) / 26.0).floor();
    }
    letters.iter().rev().collect()
}

fn from_letters(letters: &str, a: u8) -> f64 {
    let mut decimal = 0.0;
    for (i, c) in letters.chars().rev().enumerate() {
        decimal += (f64::from(c as u32) - f64::from(a) + 1.0) * 26f64.powi(i as i32);
    }
    decimal
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    Sequence,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Case {
    Upper,
    Lower,
    Title,
}

/// An analysed integer picture.
#[derive(Debug, Clone)]
pub(crate) struct IntegerFormat {
    pub(crate) primary: Primary,
    pub(crate) case: Case,
    pub(crate) ordinal: bool,
    pub(crate) zero: u32,
    pub(crate) mandatory: usize,
    pub(crate) optional: usize,
    /// Regular grouping: every `n` digits, this separator.
    pub(crate) regular: Option<(usize, char)>,
    /// Irregular grouping: (position from the right, separator).
    pub(crate) separators: Vec<(usize, char)>,
    pub(crate) token: String,
    /// In a date/time picture followed by another number: how many digits to read.
    pub(crate) parse_width: Option<usize>,
}

pub(crate) fn analyse(picture: &str) -> Result<IntegerFormat, Error> {
    let mut f = IntegerFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero: 0x30,
        mandatory: 0,
        optional: 0,
        regular: None,
        separators: Vec::new(),
        token: String::new(),
        parse_width: None,
    };
    let primary = match picture.rfind(';') {
        Some(p) => {
            if picture[p + 1..].starts_with('o') {
                f.ordinal = true;
            }
            &picture[..p]
        }
        None => picture,
    };
    match primary {
        "A" | "a" => {
            f.primary = Primary::Letters;
            f.case = if primary == "A" {
                Case::Upper
            } else {
                Case::Lower
            };
        }
        "I" | "i" => {
            f.primary = Primary::Roman;
            f.case = if primary == "I" {
                Case::Upper
            } else {
                Case::Lower
            };
        }
        "W" => (f.primary, f.case) = (Primary::Words, Case::Upper),
        "Ww" => (f.primary, f.case) = (Primary::Words, Case::Title),
        "w" => f.primary = Primary::Words,
        _ => {
            let mut zero: Option<u32> = None;
            let mut position = 0;
            let mut separators = Vec::new();
            for c in primary.chars().rev() {
                let cp = c as u32;
                if let Some(g) = DECIMAL_GROUPS.iter().find(|g| cp >= **g && cp <= **g + 9) {
                    f.mandatory += 1;
                    position += 1;
                    match zero {
                        None => zero = Some(*g),
                        Some(z) if z != *g => return Err(Error::new("D3131")),
                        _ => {}
                    }
                } else if c == '#' {
                    position += 1;
                    f.optional += 1;
                } else {
                    separators.push((position, c));
                }
            }
            if f.mandatory > 0 {
                f.zero = zero.unwrap_or(0x30);
                let regular = regular_grouping(&separators);
                if regular > 0 {
                    f.regular = Some((regular, separators[0].1));
                } else {
                    f.separators = separators;
                }
            } else {
                f.primary = Primary::Sequence;
                f.token = primary.to_owned();
            }
        }
    }
    Ok(f)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The repeat of a grouping that is regular (one separator, at multiples of one width), or 0.
pub(crate) fn regular_grouping(separators: &[(usize, char)]) -> usize {
    let Some(first) = separators.first() else {
        return 0;
    };
    if separators.iter().any(|s| s.1 != first.1) {
        return 0;
    }
    let factor = separators.iter().map(|s| s.0).fold(first.0, gcd);
    for i in 1..=separators.len() {
        if !separators.iter().any(|s| s.0 == i * factor) {
            return 0;
        }
    }
    factor
}

/// Formats `value` (already an integer) under an analysed picture.
pub(crate) fn format(value: f64, f: &IntegerFormat, max_len: usize) -> Result<String, Error> {
    crate::jsonata::convert::check_finite(value)?;
    let negative = value < 0.0;
    let value = value.abs();
    let mut out = match f.primary {
        Primary::Letters => to_letters(value, if f.case == Case::Upper { b'A' } else { b'a' }),
        Primary::Roman => {
            let r = to_roman(value, max_len)?;
            if f.case == Case::Upper {
                r.to_ascii_uppercase()
            } else {
                r
            }
        }
        // jsonata-js recurses without end on NaN (a RangeError there); a JSONata error here.
        Primary::Words if value.is_nan() => return Err(Error::new("D1001").value("NaN")),
        Primary::Words => {
            let w = words(value, false, f.ordinal);
            match f.case {
                Case::Upper => w.to_ascii_uppercase(),
                Case::Lower => w.to_ascii_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => {
            let mut s = crate::jsonata::number::to_js_string(value);
            let len = s.chars().count();
            if f.mandatory > len {
                if f.mandatory > max_len {
                    return Err(Error::new("D2016").value(max_len.to_string()));
                }
                s = "0".repeat(f.mandatory - len) + &s;
            }
            if f.zero != 0x30 {
                s = s
                    .chars()
                    .map(|c| match c.to_digit(10) {
                        Some(d) => char::from_u32(f.zero + d).unwrap_or(c),
                        None => c,
                    })
                    .collect();
            }
            let mut chars: Vec<char> = s.chars().collect();
            if let Some((every, sep)) = f.regular {
                let n = (chars.len().saturating_sub(1)) / every;
                for i in (1..=n).rev() {
                    let pos = chars.len() - i * every;
                    chars.insert(pos, sep);
                }
            } else {
                for &(position, sep) in f.separators.iter().rev() {
                    let pos = chars.len() as i64 - position as i64;
                    let pos = if pos < 0 { 0 } else { pos as usize };
                    chars.insert(pos, sep);
                }
            }
            let mut s: String = chars.into_iter().collect();
            if f.ordinal {
                let b: Vec<char> = s.chars().collect();
                let last = b.last().copied();
                let mut suffix = match last {
                    Some('1') => "st",
                    Some('2') => "nd",
                    Some('3') => "rd",
                    _ => "th",
                };
                if b.len() > 1 && b[b.len() - 2] == '1' {
                    suffix = "th";
                }
                s.push_str(suffix);
            }
            s
        }
        Primary::Sequence => {
            return Err(Error::new("D3130").value(crate::jsonata::error::quote(&f.token)));
        }
    };
    if negative {
        out.insert(0, '-');
    }
    Ok(out)
}

/// The pattern that reads a number written under `f` (for `$parseInteger` and `$toMillis`).
pub(crate) fn pattern(f: &IntegerFormat) -> Result<String, Error> {
    Ok(match f.primary {
        Primary::Letters => if f.case == Case::Upper {
            "[A-Z]+"
        } else {
            "[a-z]+"
        }
        .to_owned(),
        Primary::Roman => if f.case == Case::Upper {
            "[MDCLXVI]+"
        } else {
            "[mdclxvi]+"
        }
        .to_owned(),
        Primary::Words => format!("(?:{}|and|[\\-, ])+", word_list().join("|")),
        Primary::Decimal => {
            let mut p = match f.parse_width {
                Some(w) => format!("[0-9]{{{w}}}"),
                None => "[0-9]+".to_owned(),
            };
            if f.ordinal {
                p.push_str("(?:th|st|nd|rd)");
            }
            p
        }
        Primary::Sequence => {
            return Err(Error::new("D3130").value(crate::jsonata::error::quote(&f.token)))
        }
    })
}

/// Reads a number written under `f` (the text matched by [`pattern`]).
pub(crate) fn parse(text: &str, f: &IntegerFormat) -> Result<f64, Error> {
    Ok(match f.primary {
        Primary::Letters => from_letters(text, if f.case == Case::Upper { b'A' } else { b'a' }),
        Primary::Roman => from_roman(&if f.case == Case::Upper {
            text.to_owned()
        } else {
            text.to_ascii_uppercase()
        }),
        Primary::Words => words_to_number(&text.to_ascii_lowercase()),
        Primary::Decimal => {
            let mut digits = text.to_owned();
            if f.ordinal {
                let keep = digits.chars().count().saturating_sub(2);
                digits = digits.chars().take(keep).collect();
            }
            if f.regular.is_some() {
                digits = digits.replace(',', "");
            } else {
                for (_, sep) in &f.separators {
                    digits = digits.replace(*sep, "");
                }
            }
            if f.zero != 0x30 {
                digits = digits
                    .chars()
                    .map(|c| char::from_u32((c as u32).wrapping_sub(f.zero) + 0x30).unwrap_or(c))
                    .collect();
            }
            let lead: String = digits.chars().take_while(char::is_ascii_digit).collect();
            if lead.is_empty() {
                f64::NAN
            } else {
                crate::jsonata::number::parse_digits(&lead)
            }
        }
        Primary::Sequence => {
            return Err(Error::new("D3130").value(crate::jsonata::error::quote(&f.token)))
        }
    })
}

pub(super) fn format_integer(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(v) = arg(args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let f = analyse(arg(args, 1).as_str().unwrap_or(""))?;
    let s = format(v.floor(), &f, ctx.limits.max_string)?;
    Ok(Value::from_string(s))
}

pub(super) fn parse_integer(
    _: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(s) = arg(args, 0).as_str() else {
        return Ok(Value::Undefined);
    };
    let f = analyse(arg(args, 1).as_str().unwrap_or(""))?;
    pattern(&f)?;
    Ok(Value::Number(parse(s, &f)?))
}
