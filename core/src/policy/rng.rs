//! A tiny seedable random number generator whose state serializes with a checkpoint.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// SplitMix64: 8 bytes of state, fast, deterministic for a given seed.
///
/// Not for cryptography; it only spreads retry delays (jitter). In human-readable formats its
/// state serializes as 16 hex digits (a JSON number that large would lose digits in
/// JavaScript), and a plain number, as checkpoints of format 1 have it, reads too; binary
/// formats (bincode) keep the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rng(u64);

impl Serialize for Rng {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&format_args!("{:016x}", self.0))
        } else {
            serializer.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Rng {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct State;
        impl Visitor<'_> for State {
            type Value = Rng;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a generator state: 16 hex digits, or a whole number")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Rng, E> {
                Ok(Rng(n))
            }
            fn visit_str<E: de::Error>(self, hex: &str) -> Result<Rng, E> {
                u64::from_str_radix(hex, 16)
                    .map(Rng)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(hex), &self))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(State)
        } else {
            deserializer.deserialize_u64(State)
        }
    }
}

impl Rng {
    /// A generator that yields the same sequence for the same seed.
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    /// Where the generator stands (its seed, before it is first used).
    pub(crate) fn state(&self) -> u64 {
        self.0
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = u128::from(hi - lo) + 1;
        // Multiply-shift maps 64 random bits onto the span without a division.
        lo + ((u128::from(self.next_u64()) * span) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::seeded(7), Rng::seeded(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], xs[1]);
    }

    #[test]
    fn between_stays_in_bounds_and_reaches_both_ends() {
        let mut rng = Rng::seeded(1);
        let draws: Vec<u64> = (0..10_000).map(|_| rng.between(3, 6)).collect();
        assert!(draws.iter().all(|d| (3..=6).contains(d)));
        for v in 3..=6 {
            assert!(draws.contains(&v), "{v} never drawn");
        }
        assert_eq!(rng.between(9, 9), 9);
        assert_eq!(rng.between(9, 2), 9);
    }

    #[test]
    fn state_saves_as_hex_in_json_and_reads_from_hex_or_a_number() {
        let rng = Rng::seeded(u64::MAX - 1);
        let text = serde_json::to_string(&rng).unwrap();
        assert_eq!(text, "\"fffffffffffffffe\"");
        assert_eq!(serde_json::from_str::<Rng>(&text).unwrap(), rng);
        assert_eq!(
            serde_json::from_str::<Rng>("18446744073709551614").unwrap(),
            rng
        );
        let error = serde_json::from_str::<Rng>("\"xyz\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("16 hex digits"), "{error}");
    }
}
