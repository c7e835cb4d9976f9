//! Whether a failed attempt is tried again: the job's retry strategy and its
//! `evaluateOnExit` rules.

use crate::model::{AttemptContainerDetail, JobDetail, RetryAction};

fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

/// Whether a failed attempt is retried: attempts remain and the first matching
/// `evaluateOnExit` rule (if any matches) says RETRY.
pub(super) fn should_retry(
    detail: &JobDetail,
    status_reason: &str,
    container: &AttemptContainerDetail,
) -> bool {
    let Some(strategy) = &detail.retry_strategy else {
        return false;
    };
    if detail.attempts.len() >= strategy.attempts as usize {
        return false;
    }
    let exit_code = container
        .exit_code
        .map(|c| c.to_string())
        .unwrap_or_default();
    let reason = container.reason.clone().unwrap_or_default();
    let rule = strategy.evaluate_on_exit.iter().find(|rule| {
        rule.on_status_reason
            .as_deref()
            .is_none_or(|p| matches_pattern(p, status_reason))
            && rule
                .on_reason
                .as_deref()
                .is_none_or(|p| matches_pattern(p, &reason))
            && rule
                .on_exit_code
                .as_deref()
                .is_none_or(|p| matches_pattern(p, &exit_code))
    });
    rule.is_none_or(|r| r.action == RetryAction::Retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_allow_a_trailing_star() {
        assert!(matches_pattern(
            "Host EC2*",
            "Host EC2 (instance i-1) terminated."
        ));
        assert!(matches_pattern("3", "3"));
        assert!(!matches_pattern("3", "31"));
        assert!(matches_pattern("*", ""));
    }
}
