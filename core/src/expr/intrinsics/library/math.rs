//! Numbers and random values: `States.MathAdd`, `States.MathRandom` and `States.UUID`.

use serde_json::Value;

use super::args::rounded;
use super::hash::hex;
use crate::policy::Rng;

/// `States.MathAdd(a, b)`: the sum of two integers in `i32`'s range.
pub(super) fn add(args: &[Value]) -> Result<Value, String> {
    let mut sum: i64 = 0;
    for i in 0..2 {
        let n = rounded(args, i)
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or_else(|| {
                format!(
                    "argument {} must be an integer from {} to {}",
                    i + 1,
                    i32::MIN,
                    i32::MAX
                )
            })?;
        sum += n;
    }
    Ok(Value::from(sum))
}

/// `States.MathRandom(start, end[, seed])`: an integer from `start` up to `end` (exclusive),
/// from the execution's generator or, given a seed, from a generator of its own.
pub(super) fn random(args: &[Value], rng: &mut Rng) -> Result<Value, String> {
    let bound = |i: usize, what: &str| {
        rounded(args, i).ok_or_else(|| format!("the {what} must be an integer"))
    };
    let (start, end) = (bound(0, "start")?, bound(1, "end")?);
    if end <= start {
        return Err(format!(
            "the end ({end}) must be greater than the start ({start}); the end is exclusive"
        ));
    }
    let span = u64::try_from(i128::from(end) - i128::from(start) - 1).unwrap_or(u64::MAX);
    let offset = match args.get(2) {
        Some(_) => {
            let seed = bound(2, "seed")?;
            Rng::seeded(seed as u64).between(0, span)
        }
        None => rng.between(0, span),
    };
    let value = i128::from(start) + i128::from(offset);
    Ok(Value::from(i64::try_from(value).unwrap_or(start)))
}

/// `States.UUID()`: a version 4 UUID from the execution's generator.
pub(super) fn uuid(rng: &mut Rng) -> Value {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h = hex(&bytes);
    Value::String(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}
