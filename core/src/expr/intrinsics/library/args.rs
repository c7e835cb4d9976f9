//! Reading a function's evaluated arguments, whose kinds the caller checked.

use serde_json::Value;

/// The longest string `States.Base64Encode`, `Base64Decode` and `Hash` take, in characters.
const MAX_ENCODE_CHARS: usize = 10_000;

/// Argument `i`'s string (the caller checked the kind).
pub(super) fn string(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or_default()
}

/// Argument `i`'s array (the caller checked the kind).
pub(super) fn array(args: &[Value], i: usize) -> &[Value] {
    args.get(i)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Argument `i` rounded to an integer the way Step Functions (Java's `Math.round`) does:
/// halves round up, so 2.5 → 3 and -2.5 → -2. `None` for non-numbers and numbers beyond `i64`.
pub(super) fn rounded(args: &[Value], i: usize) -> Option<i64> {
    let Some(Value::Number(n)) = args.get(i) else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let x = n.as_f64()?;
    let floor = x.floor();
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    // Within ±2^63 the cast is exact.
    const TWO_POW_63: f64 = (1u64 << 63) as f64;
    (r.is_finite() && (-TWO_POW_63..TWO_POW_63).contains(&r)).then_some(r as i64)
}

/// `text` if it has at most [`MAX_ENCODE_CHARS`] characters.
pub(super) fn limited<'a>(text: &'a str, verb: &str) -> Result<&'a str, String> {
    let chars = text.chars().count();
    if chars > MAX_ENCODE_CHARS {
        Err(format!(
            "cannot {verb} a string of {chars} characters; the limit is {MAX_ENCODE_CHARS}"
        ))
    } else {
        Ok(text)
    }
}
