//! How long to wait between checks: a small serializable type (no `backoff` crate).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{millis, Rng};

/// How long to wait before each check, and when to give up.
///
/// Serializes to JSON with durations in whole milliseconds:
///
/// ```
/// use std::time::Duration;
/// use pollflow::WaitPolicy;
///
/// let policy = WaitPolicy::fixed(Duration::from_secs(60)).with_max_wait(Duration::from_secs(3600));
/// let json = serde_json::to_value(&policy).unwrap();
/// assert_eq!(json, serde_json::json!({
///     "backoff": { "kind": "fixed", "delay_ms": 60000 },
///     "max_wait_ms": 3600000
/// }));
/// assert_eq!(serde_json::from_value::<WaitPolicy>(json).unwrap(), policy);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitPolicy {
    /// The delay schedule.
    pub backoff: Backoff,
    /// Total budget, counted from the first wait after the job was submitted. The last sleep is
    /// shortened so a final check happens exactly at the deadline; if the job is still pending
    /// then, the execution ends `TimedOut` (`States.Timeout`).
    #[serde(
        default,
        rename = "max_wait_ms",
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_wait: Option<Duration>,
    /// At most this many waits (and so checks) before the execution ends `TimedOut`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// A fixed delay for particular pending statuses, such as `{"RUNNABLE": 30000}`: a job
    /// stuck in a queue needs fewer checks than one about to finish. The status is the pending
    /// detail itself when it is a string, or its `"status"` field.
    #[serde(
        default,
        rename = "status_delays_ms",
        with = "millis::map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub status_delays: BTreeMap<String, Duration>,
    /// The delay after a check whose status was pushed ([`crate::push`]): while events arrive,
    /// polling is only the safety net, so it can wait longer than the schedule.
    #[serde(
        default,
        rename = "pushed_delay_ms",
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub pushed_delay: Option<Duration>,
}

/// The delay schedule of a [`WaitPolicy`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Backoff {
    /// The same delay every time (the seed's `wait_time`).
    Fixed {
        /// The delay.
        #[serde(rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// `initial × rate^(n-1)` for attempt `n`, capped at `max`, then jittered.
    Exponential {
        /// Delay of the first attempt (and the low end of [`Jitter::Bounded`]).
        #[serde(rename = "initial_ms", with = "millis")]
        initial: Duration,
        /// Upper cap of every delay.
        #[serde(rename = "max_ms", with = "millis")]
        max: Duration,
        /// Growth factor per attempt; at least 1.
        rate: f64,
        /// How the delay is randomized.
        jitter: Jitter,
    },
}

/// Randomization of an exponential delay `d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Exactly `d` (ASL `JitterStrategy: NONE`).
    None,
    /// Uniform in `[0, d]` (ASL `JitterStrategy: FULL`).
    Full,
    /// Uniform in `[initial, d]`: the AWS SDK waiter formula.
    Bounded,
}

/// A wait policy that cannot work, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// `rate` is NaN, infinite or below 1.
    InvalidRate(String),
    /// `initial` is greater than `max`.
    InitialAboveMax {
        /// The initial delay in milliseconds.
        initial_ms: u64,
        /// The cap in milliseconds.
        max_ms: u64,
    },
    /// A field is out of range.
    OutOfRange {
        /// The field, as named in JSON.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRate(rate) => {
                write!(f, "rate must be a finite number >= 1, got {rate}")
            }
            Self::InitialAboveMax { initial_ms, max_ms } => {
                write!(
                    f,
                    "initial_ms ({initial_ms}) must not exceed max_ms ({max_ms})"
                )
            }
            Self::OutOfRange { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for PolicyError {}

impl WaitPolicy {
    /// The same delay before every check.
    pub fn fixed(delay: Duration) -> Self {
        Self::with_backoff(Backoff::Fixed { delay })
    }

    /// The AWS SDK waiter schedule: attempt `n` waits a uniform time in
    /// `[min, min·2^(n-1)]`, capped at `max`.
    pub fn exponential(min: Duration, max: Duration) -> Self {
        Self::with_backoff(Backoff::Exponential {
            initial: min,
            max,
            rate: 2.0,
            jitter: Jitter::Bounded,
        })
    }

    /// A policy with the given schedule and no limits.
    pub fn with_backoff(backoff: Backoff) -> Self {
        Self {
            backoff,
            max_wait: None,
            max_attempts: None,
            status_delays: BTreeMap::new(),
            pushed_delay: None,
        }
    }

    /// Gives up (`States.Timeout`) once `budget` has passed since the first wait.
    #[must_use]
    pub fn with_max_wait(mut self, budget: Duration) -> Self {
        self.max_wait = Some(budget);
        self
    }

    /// Gives up after `attempts` waits.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Waits exactly `delay` while the job reports the pending status `status`.
    #[must_use]
    pub fn with_status_delay(mut self, status: impl Into<String>, delay: Duration) -> Self {
        self.status_delays.insert(status.into(), delay);
        self
    }

    /// Waits `delay` after a check whose status was pushed (see [`crate::push`]), instead of
    /// the schedule's delay: events are arriving, so polling is only the fallback.
    #[must_use]
    pub fn with_pushed_delay(mut self, delay: Duration) -> Self {
        self.pushed_delay = Some(delay);
        self
    }

    /// Checks that the policy can work; the engine validates every policy when a workflow is built.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if let Backoff::Exponential {
            initial, max, rate, ..
        } = &self.backoff
        {
            if !rate.is_finite() || *rate < 1.0 {
                return Err(PolicyError::InvalidRate(number_text(*rate)));
            }
            if initial > max {
                return Err(PolicyError::InitialAboveMax {
                    initial_ms: millis::to_millis(*initial),
                    max_ms: millis::to_millis(*max),
                });
            }
        }
        if self.max_attempts == Some(0) {
            return Err(PolicyError::OutOfRange {
                field: "max_attempts",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The longest delay this policy chooses by itself: the schedule's cap (a fixed delay, or an
    /// exponential schedule's `max`) or a longer per-status delay. Retry-after hints are clamped
    /// to it.
    pub fn longest_delay(&self) -> Duration {
        let schedule = match &self.backoff {
            Backoff::Fixed { delay } => *delay,
            Backoff::Exponential { max, .. } => *max,
        };
        self.status_delays
            .values()
            .copied()
            .fold(schedule, Duration::max)
    }

    /// The delay before attempt `attempt` (1-based), from the schedule alone.
    pub fn backoff_delay(&self, attempt: u32, rng: &mut Rng) -> Duration {
        match &self.backoff {
            Backoff::Fixed { delay } => *delay,
            Backoff::Exponential {
                initial,
                max,
                rate,
                jitter,
            } => {
                let (initial_ms, max_ms) = (millis::to_millis(*initial), millis::to_millis(*max));
                let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
                let grown = initial_ms as f64 * rate.powi(exponent);
                // `as` saturates for floats; NaN cannot occur for a validated policy.
                let capped = if grown >= max_ms as f64 {
                    max_ms
                } else {
                    grown as u64
                };
                let ms = match jitter {
                    Jitter::None => capped,
                    Jitter::Full => rng.between(0, capped),
                    Jitter::Bounded => rng.between(initial_ms.min(capped), capped),
                };
                Duration::from_millis(ms)
            }
        }
    }

    /// The delay before attempt `attempt`, honouring a server's retry-after hint first, then a
    /// per-status delay, then the schedule.
    ///
    /// A hint is clamped to the policy's bounds: never longer than the longest delay the policy
    /// itself would choose ([`WaitPolicy::longest_delay`]), so a server cannot stall a run past
    /// what its author allowed (a shorter hint is taken as is: the server knows when it will be
    /// ready). `max_wait` still shortens the last sleep to the deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pollflow::WaitPolicy;
    /// use pollflow::policy::Rng;
    ///
    /// let policy = WaitPolicy::exponential(Duration::from_secs(1), Duration::from_secs(30));
    /// let hint = |secs| policy.next_delay(1, &mut Rng::seeded(7), None, Some(Duration::from_secs(secs)));
    /// assert_eq!(hint(5), Duration::from_secs(5));
    /// assert_eq!(hint(86_400), Duration::from_secs(30), "a day-long Retry-After is capped");
    /// ```
    pub fn next_delay(
        &self,
        attempt: u32,
        rng: &mut Rng,
        pending_status: Option<&str>,
        retry_after: Option<Duration>,
    ) -> Duration {
        if let Some(hint) = retry_after {
            return hint.min(self.longest_delay());
        }
        if let Some(delay) = pending_status.and_then(|s| self.status_delays.get(s)) {
            return *delay;
        }
        self.backoff_delay(attempt, rng)
    }
}

/// `x` as JSON writes numbers (`NaN`, `inf` and `-inf` spelled out). serde_json's writer is in
/// every build already; `f64`'s `Display` would add its own formatter, about 7 KB gzipped to
/// the npm package.
fn number_text(x: f64) -> String {
    match serde_json::Number::from_f64(x) {
        Some(n) => n.to_string(),
        None if x.is_nan() => "NaN".to_owned(),
        None if x > 0.0 => "inf".to_owned(),
        None => "-inf".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn fixed_is_constant() {
        let p = WaitPolicy::fixed(ms(60_000));
        let mut rng = Rng::seeded(0);
        let delays: Vec<_> = (1..=4).map(|n| p.backoff_delay(n, &mut rng)).collect();
        assert_eq!(delays, vec![ms(60_000); 4]);
    }

    #[test]
    fn exponential_without_jitter_doubles_then_caps() {
        let p = WaitPolicy::with_backoff(Backoff::Exponential {
            initial: ms(1000),
            max: ms(10_000),
            rate: 2.0,
            jitter: Jitter::None,
        });
        let mut rng = Rng::seeded(0);
        let delays: Vec<_> = (1..=6).map(|n| p.backoff_delay(n, &mut rng)).collect();
        assert_eq!(
            delays,
            vec![
                ms(1000),
                ms(2000),
                ms(4000),
                ms(8000),
                ms(10_000),
                ms(10_000)
            ]
        );
        // Huge attempts neither overflow nor panic.
        assert_eq!(p.backoff_delay(u32::MAX, &mut rng), ms(10_000));
    }

    #[test]
    fn sdk_waiter_jitter_stays_within_min_and_min_times_two_pow_n_minus_one() {
        let p = WaitPolicy::exponential(ms(2000), ms(120_000));
        let mut rng = Rng::seeded(42);
        for attempt in 1..=10u32 {
            let upper = (2000u64 << (attempt - 1)).min(120_000);
            for _ in 0..200 {
                let d = p.backoff_delay(attempt, &mut rng);
                assert!(d >= ms(2000) && d <= ms(upper), "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn full_jitter_spans_zero_to_delay() {
        let p = WaitPolicy::with_backoff(Backoff::Exponential {
            initial: ms(1000),
            max: ms(60_000),
            rate: 2.0,
            jitter: Jitter::Full,
        });
        let mut rng = Rng::seeded(3);
        let draws: Vec<_> = (0..2000).map(|_| p.backoff_delay(3, &mut rng)).collect();
        assert!(draws.iter().all(|d| *d <= ms(4000)));
        assert!(draws.iter().any(|d| *d < ms(500)));
        assert!(draws.iter().any(|d| *d > ms(3500)));
    }

    #[test]
    fn hints_win_over_the_schedule() {
        let p = WaitPolicy::fixed(ms(5000)).with_status_delay("RUNNABLE", ms(30_000));
        let mut rng = Rng::seeded(0);
        assert_eq!(
            p.next_delay(1, &mut rng, Some("RUNNABLE"), None),
            ms(30_000)
        );
        assert_eq!(p.next_delay(1, &mut rng, Some("RUNNING"), None), ms(5000));
        assert_eq!(
            p.next_delay(1, &mut rng, Some("RUNNABLE"), Some(ms(7))),
            ms(7)
        );
    }

    #[test]
    fn hints_are_clamped_to_the_longest_delay_of_the_policy() {
        let mut rng = Rng::seeded(0);
        let fixed = WaitPolicy::fixed(ms(5000));
        assert_eq!(
            fixed.next_delay(1, &mut rng, None, Some(ms(60_000))),
            ms(5000)
        );
        let with_status = fixed.with_status_delay("RUNNABLE", ms(30_000));
        assert_eq!(with_status.longest_delay(), ms(30_000));
        assert_eq!(
            with_status.next_delay(1, &mut rng, None, Some(ms(60_000))),
            ms(30_000)
        );
        let exponential = WaitPolicy::exponential(ms(1000), ms(20_000));
        let huge = Duration::from_secs(u64::MAX);
        assert_eq!(
            exponential.next_delay(9, &mut rng, None, Some(huge)),
            ms(20_000)
        );
        assert_eq!(
            exponential.next_delay(9, &mut rng, None, Some(ms(3))),
            ms(3)
        );
    }

    #[test]
    fn status_delays_travel_as_milliseconds_in_key_order() {
        let p = WaitPolicy::fixed(ms(5000))
            .with_status_delay("RUNNING", ms(1500))
            .with_status_delay("RUNNABLE", ms(30_000))
            .with_status_delay("PENDING", Duration::MAX);
        let json = serde_json::to_string(&p).unwrap();
        assert!(
            json.ends_with(&format!(
                r#""status_delays_ms":{{"PENDING":{},"RUNNABLE":30000,"RUNNING":1500}}}}"#,
                u64::MAX
            )),
            "{json}"
        );
        let back: WaitPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back.status_delays.len(), 3);
        assert_eq!(back.status_delays["RUNNABLE"], ms(30_000));
        assert_eq!(back.status_delays["RUNNING"], ms(1500));
        assert_eq!(back.status_delays["PENDING"], ms(u64::MAX));
    }

    #[test]
    fn validation_names_the_problem() {
        let bad_rate = WaitPolicy::with_backoff(Backoff::Exponential {
            initial: ms(1),
            max: ms(2),
            rate: f64::NAN,
            jitter: Jitter::None,
        });
        assert!(matches!(
            bad_rate.validate(),
            Err(PolicyError::InvalidRate(_))
        ));
        let inverted = WaitPolicy::exponential(ms(5), ms(1));
        assert_eq!(
            inverted.validate().unwrap_err().to_string(),
            "initial_ms (5) must not exceed max_ms (1)"
        );
        assert!(WaitPolicy::fixed(ms(1))
            .with_max_attempts(0)
            .validate()
            .is_err());
        assert!(WaitPolicy::exponential(ms(1), ms(2)).validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<WaitPolicy>(
            r#"{"backoff":{"kind":"fixed","delay_ms":1},"max_wiat_ms":5}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("max_wiat_ms"), "{err}");
    }

    #[test]
    fn an_invalid_rate_is_reported_as_written() {
        let text = |rate: f64| match WaitPolicy::with_backoff(Backoff::Exponential {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(2),
            rate,
            jitter: Jitter::None,
        })
        .validate()
        {
            Err(PolicyError::InvalidRate(text)) => text,
            other => panic!("rate {rate}: {other:?}"),
        };
        assert_eq!(text(0.5), "0.5");
        assert_eq!(text(-2.0), "-2.0");
        assert_eq!(text(f64::NAN), "NaN");
        assert_eq!(text(f64::INFINITY), "inf");
        assert_eq!(text(f64::NEG_INFINITY), "-inf");
    }
}
