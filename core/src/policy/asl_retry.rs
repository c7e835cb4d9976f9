//! Amazon States Language `Retry` entries, mapped onto [`WaitPolicy`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Backoff, Jitter, PolicyError, WaitPolicy};

/// One retrier of an ASL `Retry` field, with the ASL defaults.
///
/// ```
/// use std::time::Duration;
/// use pollflow::policy::{Backoff, Jitter};
/// use pollflow::policy::AslRetrier;
///
/// let retrier: AslRetrier = serde_json::from_str(r#"{
///     "ErrorEquals": ["States.TaskFailed"],
///     "IntervalSeconds": 3, "BackoffRate": 1.5, "MaxAttempts": 4,
///     "MaxDelaySeconds": 10, "JitterStrategy": "FULL"
/// }"#).unwrap();
/// let policy = retrier.wait_policy().unwrap();
/// assert_eq!(policy.max_attempts, Some(4));
/// assert_eq!(policy.backoff, Backoff::Exponential {
///     initial: Duration::from_secs(3), max: Duration::from_secs(10), rate: 1.5, jitter: Jitter::Full,
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AslRetrier {
    /// Error names this retrier applies to.
    pub error_equals: Vec<String>,
    /// Seconds before the first retry (ASL default 1).
    #[serde(default = "default_interval")]
    pub interval_seconds: u64,
    /// Retries at most (ASL default 3; 0 means never retry).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Growth factor of the interval (ASL default 2.0).
    #[serde(default = "default_backoff_rate")]
    pub backoff_rate: f64,
    /// Cap of any single interval, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delay_seconds: Option<u64>,
    /// `FULL` or `NONE` (default).
    #[serde(default)]
    pub jitter_strategy: AslJitter,
}

/// ASL `JitterStrategy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AslJitter {
    /// Exact intervals.
    #[default]
    None,
    /// Each interval uniform in `[0, interval]`.
    Full,
}

fn default_interval() -> u64 {
    1
}
fn default_max_attempts() -> u32 {
    3
}
fn default_backoff_rate() -> f64 {
    2.0
}

/// Step Functions caps `MaxDelaySeconds` (and so any interval) at one year.
const ONE_YEAR: Duration = Duration::from_secs(MAX_DELAY_SECONDS);
/// The largest `MaxDelaySeconds` Step Functions accepts ("less than 31622401").
pub(crate) const MAX_DELAY_SECONDS: u64 = 31_622_400;
/// The largest `IntervalSeconds` and `MaxAttempts` Step Functions accepts, and its largest (and
/// default) Task `TimeoutSeconds` and `HeartbeatSeconds`.
pub(crate) const MAX_SECONDS: u64 = 99_999_999;

impl AslRetrier {
    /// The equivalent wait policy; an error names the field when a value is out of Step
    /// Functions' range: `IntervalSeconds` 1 to 99,999,999, `MaxAttempts` up to 99,999,999,
    /// `MaxDelaySeconds` 1 to 31,622,400, `BackoffRate` at least 1 (`MaxAttempts: 0` means
    /// "never retry", which needs no wait policy).
    ///
    /// ```
    /// use pollflow::policy::AslRetrier;
    ///
    /// let huge: AslRetrier = serde_json::from_str(r#"{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 18446744073709551}"#).unwrap();
    /// assert_eq!(huge.wait_policy().unwrap_err().to_string(), "IntervalSeconds: must be an integer from 1 to 99999999, not 18446744073709551");
    /// ```
    pub fn wait_policy(&self) -> Result<WaitPolicy, PolicyError> {
        let out_of_range = |field, max: u64, value: u64| PolicyError::OutOfRange {
            field,
            reason: format!("must be an integer from 1 to {max}, not {value}"),
        };
        if !(1..=MAX_SECONDS).contains(&self.interval_seconds) {
            return Err(out_of_range(
                "IntervalSeconds",
                MAX_SECONDS,
                self.interval_seconds,
            ));
        }
        if let Some(max_delay) = self
            .max_delay_seconds
            .filter(|s| !(1..=MAX_DELAY_SECONDS).contains(s))
        {
            return Err(out_of_range(
                "MaxDelaySeconds",
                MAX_DELAY_SECONDS,
                max_delay,
            ));
        }
        if self.max_attempts == 0 {
            return Err(PolicyError::OutOfRange {
                field: "MaxAttempts",
                reason: "0 means never retry; there is no wait policy for it".into(),
            });
        }
        if u64::from(self.max_attempts) > MAX_SECONDS {
            return Err(PolicyError::OutOfRange {
                field: "MaxAttempts",
                reason: format!(
                    "must be an integer from 0 to {MAX_SECONDS}, not {}",
                    self.max_attempts
                ),
            });
        }
        let initial = Duration::from_secs(self.interval_seconds);
        let max = self
            .max_delay_seconds
            .map_or(ONE_YEAR, Duration::from_secs)
            .max(initial);
        let policy = WaitPolicy::with_backoff(Backoff::Exponential {
            initial,
            max,
            rate: self.backoff_rate,
            jitter: match self.jitter_strategy {
                AslJitter::None => Jitter::None,
                AslJitter::Full => Jitter::Full,
            },
        })
        .with_max_attempts(self.max_attempts);
        policy.validate()?;
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Rng;

    #[test]
    fn asl_defaults_give_1_2_4_seconds() {
        let r: AslRetrier = serde_json::from_str(r#"{"ErrorEquals":["States.ALL"]}"#).unwrap();
        let p = r.wait_policy().unwrap();
        let mut rng = Rng::seeded(0);
        let delays: Vec<_> = (1..=3).map(|n| p.backoff_delay(n, &mut rng)).collect();
        assert_eq!(delays, [1, 2, 4].map(Duration::from_secs).to_vec());
        assert_eq!(p.max_attempts, Some(3));
    }

    #[test]
    fn max_delay_caps_intervals() {
        let r: AslRetrier = serde_json::from_str(
            r#"{"ErrorEquals":["X"],"IntervalSeconds":5,"BackoffRate":3,"MaxDelaySeconds":20,"MaxAttempts":9}"#,
        )
        .unwrap();
        let p = r.wait_policy().unwrap();
        let mut rng = Rng::seeded(0);
        let delays: Vec<_> = (1..=4)
            .map(|n| p.backoff_delay(n, &mut rng).as_secs())
            .collect();
        assert_eq!(delays, vec![5, 15, 20, 20]);
    }

    #[test]
    fn bad_fields_are_named() {
        let zero: AslRetrier =
            serde_json::from_str(r#"{"ErrorEquals":["X"],"IntervalSeconds":0}"#).unwrap();
        assert!(zero
            .wait_policy()
            .unwrap_err()
            .to_string()
            .starts_with("IntervalSeconds"));
        let slow: AslRetrier =
            serde_json::from_str(r#"{"ErrorEquals":["X"],"BackoffRate":0.5}"#).unwrap();
        assert!(matches!(
            slow.wait_policy(),
            Err(PolicyError::InvalidRate(_))
        ));
        let never: AslRetrier =
            serde_json::from_str(r#"{"ErrorEquals":["X"],"MaxAttempts":0}"#).unwrap();
        assert!(never
            .wait_policy()
            .unwrap_err()
            .to_string()
            .starts_with("MaxAttempts"));
        assert!(
            serde_json::from_str::<AslRetrier>(r#"{"ErrorEquals":[],"Jitter":"FULL"}"#).is_err()
        );
    }
}
