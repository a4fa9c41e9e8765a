//! When a failed delivery is tried again: exponential backoff. After the `n`-th failed attempt
//! the wait is `retryBaseSeconds × 2^(n−1)`, at most `retryMaxSeconds`; after `maxAttempts`
//! failed attempts the delivery is `failed` for good.

use crate::config::NotificationsConfig;

/// What follows the failed attempt number `attempts` (1 for the first send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this many milliseconds.
    RetryIn(i64),
    /// Give up.
    GiveUp,
}

/// The decision after the failed attempt number `attempts`.
pub fn after_failure(config: &NotificationsConfig, attempts: i64) -> AfterFailure {
    if attempts >= i64::from(config.max_attempts.max(1)) {
        return AfterFailure::GiveUp;
    }
    let doublings = (attempts - 1).clamp(0, 62) as i32;
    let seconds = (config.retry_base_seconds * 2f64.powi(doublings))
        .min(config.retry_max_seconds)
        .max(0.0);
    AfterFailure::RetryIn((seconds * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_then_give_up() {
        let config = NotificationsConfig {
            max_attempts: 5,
            retry_base_seconds: 10.0,
            retry_max_seconds: 30.0,
            ..NotificationsConfig::default()
        };
        assert_eq!(after_failure(&config, 1), AfterFailure::RetryIn(10_000));
        assert_eq!(after_failure(&config, 2), AfterFailure::RetryIn(20_000));
        assert_eq!(after_failure(&config, 3), AfterFailure::RetryIn(30_000));
        assert_eq!(after_failure(&config, 4), AfterFailure::RetryIn(30_000));
        assert_eq!(after_failure(&config, 5), AfterFailure::GiveUp);
        let once = NotificationsConfig {
            max_attempts: 1,
            ..config
        };
        assert_eq!(after_failure(&once, 1), AfterFailure::GiveUp);
        let fast = NotificationsConfig {
            retry_base_seconds: 0.2,
            ..NotificationsConfig::default()
        };
        assert_eq!(after_failure(&fast, 3), AfterFailure::RetryIn(800));
    }
}
