//! Wait policies: when to check again, when to give up.

mod asl_retry;
mod millis;
mod rng;
mod wait_policy;

#[cfg(feature = "asl")]
pub(crate) use asl_retry::MAX_DELAY_SECONDS;
pub(crate) use asl_retry::MAX_SECONDS;
pub use asl_retry::{AslJitter, AslRetrier};
pub(crate) use millis::option as millis_option;
pub(crate) use millis::to_millis;
pub use rng::Rng;
pub use wait_policy::{Backoff, Jitter, PolicyError, WaitPolicy};
