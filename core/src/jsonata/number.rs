//! Numbers as JavaScript writes them: `Number.prototype.toString`, `toPrecision(15)` (what
//! `$string` uses for non-integers), `toFixed` and `toString(radix)`.

/// The shortest decimal digits of a finite `v` (no leading or trailing zeros) and the
/// exponent `n` with `v = 0.d1d2… × 10^n`; `("0", 1)` for zero.
fn digits(v: f64) -> (String, i32) {
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(v.abs());
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(p) => (&text[..p], text[p + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut all: String = int.chars().chain(frac.chars()).collect();
    let mut n = int.len() as i32 + exp;
    let lead = all.len() - all.trim_start_matches('0').len();
    all.drain(..lead);
    n -= lead as i32;
    let trimmed = all.trim_end_matches('0').len();
    all.truncate(trimmed);
    if all.is_empty() {
        return ("0".into(), 1);
    }
    (all, n)
}

/// Writes `digits × 10^(n - len)` as JavaScript's `Number.prototype.toString` does.
fn layout(negative: bool, s: &str, n: i32) -> String {
    let k = s.len() as i32;
    let mut out = String::with_capacity(s.len() + 8);
    if negative {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(s);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&s[..n as usize]);
        out.push('.');
        out.push_str(&s[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(s);
    } else {
        out.push_str(&s[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&s[1..]);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    out
}

/// `String(v)` in JavaScript.
pub(crate) fn to_js_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let (s, n) = digits(v);
    layout(v < 0.0, &s, n)
}

/// Rounds the decimal digits `s` (with exponent `n`) to `p` significant digits, half up.
fn round_digits(s: &str, n: i32, p: usize) -> (String, i32) {
    if s.len() <= p {
        return (s.to_owned(), n);
    }
    let mut d: Vec<u8> = s.as_bytes()[..p].to_vec();
    let mut n = n;
    if s.as_bytes()[p] >= b'5' {
        let mut i = p;
        loop {
            if i == 0 {
                d.insert(0, b'1');
                d.pop();
                n += 1;
                break;
            }
            i -= 1;
            if d[i] == b'9' {
                d[i] = b'0';
            } else {
                d[i] += 1;
                break;
            }
        }
    }
    let text = String::from_utf8(d).unwrap_or_default();
    let trimmed = text.trim_end_matches('0');
    (
        if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.to_owned()
        },
        n,
    )
}

/// `Number(v.toPrecision(15))`: what `$string` and JSON output do to non-integers.
pub(crate) fn precision15(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 || v.fract() == 0.0 {
        return v;
    }
    let (s, n) = digits(v);
    let (r, n) = round_digits(&s, n, 15);
    let text = format!("{}0.{}e{}", if v < 0.0 { "-" } else { "" }, r, n);
    parse(&text).unwrap_or(v)
}

/// `v.toFixed(dp)` for `|v| < 1e21`, as JavaScript rounds (half away from zero on the exact
/// binary value, approximated here on its shortest decimal digits).
pub(crate) fn to_fixed(v: f64, dp: usize) -> String {
    if !v.is_finite() || v.abs() >= 1e21 {
        return to_js_string(v);
    }
    let negative = v < 0.0;
    let (s, n) = if v == 0.0 {
        ("0".to_owned(), 1)
    } else {
        digits(v)
    };
    // The digits kept: those before the point plus dp after it.
    let keep = n + dp as i32;
    let (mut d, mut n) = if keep <= 0 {
        let round_up = keep == 0 && s.as_bytes()[0] >= b'5';
        if round_up {
            ("1".to_owned(), n + 1)
        } else {
            ("0".to_owned(), 1)
        }
    } else {
        round_digits(&s, n, keep as usize)
    };
    if d == "0" {
        n = 1;
    }
    // Lay out with exactly dp decimals.
    let int_len = n.max(1) as usize;
    let mut digits_full = String::new();
    if n <= 0 {
        digits_full.extend(std::iter::repeat_n('0', (-n) as usize + 1));
        digits_full.push_str(&d);
        n = 1;
    } else {
        digits_full.push_str(&d);
    }
    let total = n as usize + dp;
    while digits_full.len() < total {
        digits_full.push('0');
    }
    d = digits_full;
    let _ = int_len;
    let (int, frac) = d.split_at(n as usize);
    let mut out = String::new();
    if negative && d.bytes().any(|b| b != b'0') {
        out.push('-');
    }
    out.push_str(int);
    if dp > 0 {
        out.push('.');
        out.push_str(&frac[..dp]);
    }
    out
}

/// `v.toString(radix)` for an integer `v`.
pub(crate) fn to_radix(v: f64, radix: u32) -> String {
    if radix == 10 {
        return to_js_string(v);
    }
    let negative = v < 0.0;
    let mut n = v.abs();
    let mut out = Vec::new();
    if n == 0.0 {
        out.push(b'0');
    }
    while n >= 1.0 {
        let digit = (n % f64::from(radix)) as u32;
        out.push(char::from_digit(digit, radix).unwrap_or('0') as u8);
        n = ((n - f64::from(digit)) / f64::from(radix)).floor();
    }
    if negative {
        out.push(b'-');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Parses a decimal number (`-`, digits with leading zeros allowed, fraction, exponent): its
/// form checked by the JSON parser (which refuses what JSON does, `inf` and out-of-range
/// exponents among them), its value read by Rust's, which rounds correctly where serde_json's
/// may be one unit off in the last place (`0.993399532683549e-10`), as JavaScript's does not.
pub(crate) fn parse(text: &str) -> Option<f64> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let trimmed = body.trim_start_matches('0');
    let body = if trimmed.is_empty() || trimmed.starts_with(['.', 'e', 'E']) {
        &body[body.len() - trimmed.len() - 1..]
    } else {
        trimmed
    };
    let number = format!("{sign}{body}");
    serde_json::from_str::<f64>(&number).ok()?;
    number.parse().ok()
}

/// The value of a run of ASCII digits.
pub(crate) fn parse_digits(digits: &str) -> f64 {
    digits
        .bytes()
        .fold(0.0, |n, d| n * 10.0 + f64::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_numbers_as_javascript() {
        for (v, s) in [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(to_js_string(v), s, "{v}");
        }
        assert_eq!(precision15(0.1 + 0.2), 0.3);
        assert_eq!(to_fixed(2.5, 0), "3");
        assert_eq!(to_fixed(0.0001, 2), "0.00");
        assert_eq!(to_fixed(-0.5, 0), "-1");
        assert_eq!(to_fixed(1234.5678, 2), "1234.57");
        assert_eq!(to_radix(255.0, 16), "ff");
        assert_eq!(to_radix(-5.0, 2), "-101");
    }
}
