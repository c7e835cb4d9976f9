//! `$formatNumber`: XPath `format-number` pictures (digits, grouping, decimal separator,
//! percent and per-mille, exponent, two sub-pictures), with the reference's checks.

use std::rc::Rc;

use super::arg;
use super::numeric::round_half_even;
use crate::jsonata::error::Error;
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::number::to_fixed;
use crate::jsonata::value::Value;

struct Props {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: char,
    per_mille: char,
    zero: char,
    digit: char,
    pattern: char,
}

fn first_char(v: Option<&Value>, default: char) -> char {
    v.and_then(Value::as_str)
        .and_then(|s| s.chars().next())
        .unwrap_or(default)
}

struct Parts {
    prefix: String,
    suffix: String,
    active: String,
    mantissa: String,
    exponent: Option<String>,
    integer: String,
    fractional: String,
    picture: String,
}

struct Analysis {
    integer_grouping: Vec<usize>,
    regular: usize,
    min_integer: usize,
    scaling: usize,
    prefix: String,
    fractional_grouping: Vec<usize>,
    min_fraction: usize,
    max_fraction: usize,
    min_exponent: usize,
    suffix: String,
    picture: String,
}

pub(super) fn format_number(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(value) = arg(args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let picture = arg(args, 1).as_str().unwrap_or("");
    let options = match arg(args, 2) {
        Value::Object(o) => Some(o.clone()),
        _ => None,
    };
    let opt = |k: &str| options.as_ref().and_then(|o: &Rc<_>| o.get(k).cloned());
    let p = Props {
        decimal: first_char(opt("decimal-separator").as_ref(), '.'),
        grouping: first_char(opt("grouping-separator").as_ref(), ','),
        exponent: first_char(opt("exponent-separator").as_ref(), 'e'),
        minus: opt("minus-sign")
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned(),
        percent: first_char(opt("percent").as_ref(), '%'),
        per_mille: first_char(opt("per-mille").as_ref(), '\u{2030}'),
        zero: first_char(opt("zero-digit").as_ref(), '0'),
        digit: first_char(opt("digit").as_ref(), '#'),
        pattern: first_char(opt("pattern-separator").as_ref(), ';'),
    };
    let s = format(value, picture, &p)?;
    ctx.check_str(&s)?;
    Ok(Value::from_string(s))
}

fn format(value: f64, picture: &str, p: &Props) -> Result<String, Error> {
    let zero = p.zero as u32;
    let is_digit = |c: char| (c as u32) >= zero && (c as u32) < zero + 10;
    let is_active = |c: char| {
        is_digit(c)
            || c == p.decimal
            || c == p.exponent
            || c == p.grouping
            || c == p.digit
            || c == p.pattern
    };
    let subs: Vec<&str> = picture.split(p.pattern).collect();
    if subs.len() > 2 {
        return Err(Error::new("D3080"));
    }
    let split = |sub: &str| -> Parts {
        let chars: Vec<char> = sub.chars().collect();
        let pre = chars
            .iter()
            .position(|c| is_active(*c) && *c != p.exponent)
            .unwrap_or(0);
        let prefix: String = if chars.iter().any(|c| is_active(*c) && *c != p.exponent) {
            chars[..pre].iter().collect()
        } else {
            String::new()
        };
        let suf = chars
            .iter()
            .rposition(|c| is_active(*c) && *c != p.exponent);
        let suffix: String = match suf {
            Some(i) => chars[i + 1..].iter().collect(),
            None => String::new(),
        };
        let plen = prefix.chars().count();
        let slen = suffix.chars().count();
        let active: String = chars[plen..chars.len().saturating_sub(slen).max(plen)]
            .iter()
            .collect();
        let exp_pos = chars
            .iter()
            .skip(plen)
            .position(|c| *c == p.exponent)
            .map(|i| i + plen);
        let (mantissa, exponent) = match exp_pos {
            Some(e) if e <= chars.len() - slen => {
                let a: Vec<char> = active.chars().collect();
                let cut = e.min(a.len());
                (
                    a[..cut].iter().collect::<String>(),
                    Some(
                        a.get(cut + 1..)
                            .map(|r| r.iter().collect())
                            .unwrap_or_default(),
                    ),
                )
            }
            _ => (active.clone(), None),
        };
        let (integer, fractional) = match mantissa.find(p.decimal) {
            Some(d) => (
                mantissa[..d].to_owned(),
                mantissa[d + p.decimal.len_utf8()..].to_owned(),
            ),
            None => (mantissa.clone(), suffix.clone()),
        };
        Parts {
            prefix,
            suffix,
            active,
            mantissa,
            exponent,
            integer,
            fractional,
            picture: sub.to_owned(),
        }
    };
    let parts: Vec<Parts> = subs.iter().map(|s| split(s)).collect();
    for part in &parts {
        validate(part, p, &is_digit, &is_active)?;
    }
    let mut analyses: Vec<Analysis> = parts
        .iter()
        .map(|part| analyse(part, p, &is_digit))
        .collect();
    if analyses.len() == 1 {
        let a = &analyses[0];
        analyses.push(Analysis {
            integer_grouping: a.integer_grouping.clone(),
            regular: a.regular,
            min_integer: a.min_integer,
            scaling: a.scaling,
            prefix: format!("{}{}", p.minus, a.prefix),
            fractional_grouping: a.fractional_grouping.clone(),
            min_fraction: a.min_fraction,
            max_fraction: a.max_fraction,
            min_exponent: a.min_exponent,
            suffix: a.suffix.clone(),
            picture: a.picture.clone(),
        });
    }
    let pic = if value >= 0.0 {
        &analyses[0]
    } else {
        &analyses[1]
    };
    let adjusted = if pic.picture.contains(p.percent) {
        value * 100.0
    } else if pic.picture.contains(p.per_mille) {
        value * 1000.0
    } else {
        value
    };
    let (mantissa, exponent) = if pic.min_exponent == 0 {
        (adjusted, None)
    } else {
        let max_m = 10f64.powi(pic.scaling as i32);
        let min_m = 10f64.powi(pic.scaling as i32 - 1);
        let mut m = adjusted;
        let mut e = 0i32;
        if m != 0.0 && m.is_finite() {
            while m.abs() < min_m {
                m *= 10.0;
                e -= 1;
            }
            while m.abs() > max_m {
                m /= 10.0;
                e += 1;
            }
        }
        (m, Some(e))
    };
    let rounded = round_half_even(mantissa, pic.max_fraction as i32);
    let make = |v: f64, dp: usize| -> String {
        let s = to_fixed(v.abs(), dp);
        if p.zero == '0' {
            s
        } else {
            s.chars()
                .map(|c| {
                    c.to_digit(10)
                        .and_then(|d| char::from_u32(zero + d))
                        .unwrap_or(c)
                })
                .collect()
        }
    };
    let mut s: Vec<char> = make(rounded, pic.max_fraction).chars().collect();
    match s.iter().position(|c| *c == '.') {
        Some(i) => s[i] = p.decimal,
        None => s.push(p.decimal),
    }
    while s.first() == Some(&p.zero) {
        s.remove(0);
    }
    while s.last() == Some(&p.zero) {
        s.pop();
    }
    let dpos = s.iter().position(|c| *c == p.decimal).unwrap_or(s.len());
    let pad_left = pic.min_integer as i64 - dpos as i64;
    let pad_right = pic.min_fraction as i64 - (s.len() as i64 - dpos as i64 - 1);
    if pad_left > 0 {
        for _ in 0..pad_left {
            s.insert(0, p.zero);
        }
    }
    for _ in 0..pad_right.max(0) {
        s.push(p.zero);
    }
    let mut dpos = s.iter().position(|c| *c == p.decimal).unwrap_or(s.len());
    if let Some(groups) = dpos.saturating_sub(1).checked_div(pic.regular) {
        for g in 1..=groups {
            s.insert(dpos - g * pic.regular, p.grouping);
        }
    } else {
        for &pos in &pic.integer_grouping {
            if pos <= dpos {
                s.insert(dpos - pos, p.grouping);
                dpos += 1;
            }
        }
    }
    let dpos = s.iter().position(|c| *c == p.decimal).unwrap_or(s.len());
    for &pos in &pic.fractional_grouping {
        let at = (pos + dpos + 1).min(s.len());
        s.insert(at, p.grouping);
    }
    let dpos = s.iter().position(|c| *c == p.decimal);
    if !pic.picture.contains(p.decimal) || dpos == Some(s.len() - 1) {
        s.pop();
    }
    let mut out: String = s.into_iter().collect();
    if let Some(e) = exponent {
        let mut se = make(f64::from(e), 0);
        let pad = pic.min_exponent as i64 - se.chars().count() as i64;
        if pad > 0 {
            se = std::iter::repeat_n(p.zero, pad as usize).collect::<String>() + &se;
        }
        out.push(p.exponent);
        if e < 0 {
            out.push_str(&p.minus);
        }
        out.push_str(&se);
    }
    Ok(format!("{}{}{}", pic.prefix, out, pic.suffix))
}

fn count_of(s: &str, c: char) -> usize {
    s.chars().filter(|x| *x == c).count()
}

fn validate(
    part: &Parts,
    p: &Props,
    is_digit: &dyn Fn(char) -> bool,
    is_active: &dyn Fn(char) -> bool,
) -> Result<(), Error> {
    let sub = &part.picture;
    let chars: Vec<char> = sub.chars().collect();
    let mut error = None;
    if count_of(sub, p.decimal) > 1 {
        error = Some("D3081");
    }
    if count_of(sub, p.percent) > 1 {
        error = Some("D3082");
    }
    if count_of(sub, p.per_mille) > 1 {
        error = Some("D3083");
    }
    if sub.contains(p.percent) && sub.contains(p.per_mille) {
        error = Some("D3084");
    }
    if !part.mantissa.chars().any(|c| is_digit(c) || c == p.digit) {
        error = Some("D3085");
    }
    if part.active.chars().any(|c| !is_active(c)) {
        error = Some("D3086");
    }
    match chars.iter().position(|c| *c == p.decimal) {
        Some(d) => {
            if (d > 0 && chars[d - 1] == p.grouping) || chars.get(d + 1) == Some(&p.grouping) {
                error = Some("D3087");
            }
        }
        None => {
            if part.integer.ends_with(p.grouping) {
                error = Some("D3088");
            }
        }
    }
    if chars
        .windows(2)
        .any(|w| w[0] == p.grouping && w[1] == p.grouping)
    {
        error = Some("D3089");
    }
    if let Some(od) = part.integer.find(p.digit) {
        if part.integer[..od].chars().any(is_digit) {
            error = Some("D3090");
        }
    }
    if let Some(od) = part.fractional.rfind(p.digit) {
        if part.fractional[od..].chars().any(is_digit) {
            error = Some("D3091");
        }
    }
    if let Some(e) = &part.exponent {
        if !e.is_empty() && (sub.contains(p.percent) || sub.contains(p.per_mille)) {
            error = Some("D3092");
        }
        if e.is_empty() || e.chars().any(|c| !is_digit(c)) {
            error = Some("D3093");
        }
    }
    match error {
        Some(code) => Err(Error::new(code)),
        None => Ok(()),
    }
}

fn analyse(part: &Parts, p: &Props, is_digit: &dyn Fn(char) -> bool) -> Analysis {
    let positions = |s: &str, to_left: bool| -> Vec<usize> {
        let chars: Vec<char> = s.chars().collect();
        let mut out = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if *c == p.grouping {
                let side: &[char] = if to_left { &chars[..i] } else { &chars[i..] };
                out.push(
                    side.iter()
                        .filter(|c| is_digit(**c) || **c == p.digit)
                        .count(),
                );
            }
        }
        out
    };
    let integer_grouping = positions(&part.integer, false);
    let regular = {
        let idx = &integer_grouping;
        if idx.is_empty() {
            0
        } else {
            let gcd = |mut a: usize, mut b: usize| {
                while b != 0 {
                    (a, b) = (b, a % b);
                }
                a
            };
            let factor = idx.iter().copied().fold(0, gcd);
            if (1..=idx.len()).all(|i| idx.contains(&(i * factor))) {
                factor
            } else {
                0
            }
        }
    };
    let fractional_grouping = positions(&part.fractional, true);
    let mut min_integer = part.integer.chars().filter(|c| is_digit(*c)).count();
    let scaling = min_integer;
    let mut min_fraction = part.fractional.chars().filter(|c| is_digit(*c)).count();
    let mut max_fraction = part
        .fractional
        .chars()
        .filter(|c| is_digit(*c) || *c == p.digit)
        .count();
    let exponent_present = part.exponent.is_some();
    if min_integer == 0 && max_fraction == 0 {
        if exponent_present {
            min_fraction = 1;
            max_fraction = 1;
        } else {
            min_integer = 1;
        }
    }
    if exponent_present && min_integer == 0 && part.integer.contains(p.digit) {
        min_integer = 1;
    }
    if min_integer == 0 && min_fraction == 0 {
        min_fraction = 1;
    }
    let min_exponent = part
        .exponent
        .as_ref()
        .map_or(0, |e| e.chars().filter(|c| is_digit(*c)).count());
    Analysis {
        integer_grouping,
        regular,
        min_integer,
        scaling,
        prefix: part.prefix.clone(),
        fractional_grouping,
        min_fraction,
        max_fraction,
        min_exponent,
        suffix: part.suffix.clone(),
        picture: part.picture.clone(),
    }
}
