//! HTTP `Retry-After` values, as a poller reads them from a response to a status check.

use std::time::{Duration, UNIX_EPOCH};

/// The delay an HTTP `Retry-After` header asks for (RFC 9110 §10.2.3), at `now` (the time
/// since the Unix epoch, as [`Clock::now`](crate::Clock::now) gives it; core never reads the
/// system clock itself).
///
/// The value is either a number of seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00
/// GMT`, or the obsolete RFC 850 and asctime forms). A date in the past asks for no delay; a
/// number of seconds too large to represent saturates. Anything else is `None`. Return the
/// result as [`JobStatus::Pending`](crate::JobStatus::Pending)'s `retry_after`: the engine
/// clamps it to the wait policy's bounds ([`WaitPolicy::next_delay`](crate::WaitPolicy::next_delay)).
///
/// ```
/// use std::time::Duration;
/// use pollflow::{retry_after, Clock, VirtualClock};
///
/// let clock = VirtualClock::new(); // starts at the epoch
/// clock.advance(Duration::from_secs(1_445_412_470)); // Wed, 21 Oct 2015 07:27:50 GMT
/// assert_eq!(retry_after("120", clock.now()), Some(Duration::from_secs(120)));
/// assert_eq!(
///     retry_after("Wed, 21 Oct 2015 07:28:00 GMT", clock.now()),
///     Some(Duration::from_secs(10))
/// );
/// assert_eq!(retry_after("Wed, 21 Oct 2015 07:00:00 GMT", clock.now()), Some(Duration::ZERO));
/// assert_eq!(retry_after("soon", clock.now()), None);
/// ```
pub fn retry_after(value: &str, now: Duration) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    Some(at.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn the_three_date_forms_and_seconds() {
        for date in [
            "Sun, 06 Nov 1994 08:49:47 GMT",
            "Sunday, 06-Nov-94 08:49:47 GMT",
            "Sun Nov  6 08:49:47 1994",
        ] {
            assert_eq!(
                retry_after(date, NOW),
                Some(Duration::from_secs(10)),
                "{date}"
            );
        }
        assert_eq!(retry_after(" 0 ", NOW), Some(Duration::ZERO));
        assert_eq!(
            retry_after("99999999999999999999999", NOW),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn anything_else_is_none() {
        for bad in [
            "",
            "-1",
            "1.5",
            "+3",
            "1e3",
            "tomorrow",
            "Sun, 06 Nov 1994 25:00:00 GMT",
        ] {
            assert_eq!(retry_after(bad, NOW), None, "{bad:?}");
        }
    }
}
