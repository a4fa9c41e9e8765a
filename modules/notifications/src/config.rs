//! The module's configuration, as `modules.config.notifications` in the server's config file.
//!
//! The host validates it against `configSchema` in `paperclip.module.json`, fills in the
//! defaults and resolves `$ENV_VAR` values before `register` runs; the serde defaults below
//! repeat the schema's so the type also reads well on its own (and in unit tests).

use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// The longest a send may take, whatever the config says: a service run must stay well within
/// the host's time limit for services (60 s), and a test send within a route's (10 s).
pub const MAX_SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// Settings of the notifications module.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationsConfig {
    /// Attempts per delivery (the first send included) before it is `failed`.
    pub max_attempts: u32,
    /// Wait before the first retry, in seconds; doubled after each further failure.
    pub retry_base_seconds: f64,
    /// The longest wait between two attempts, in seconds.
    pub retry_max_seconds: f64,
    /// Time limit of one send (connect, request, answer), in seconds.
    pub send_timeout_seconds: f64,
    /// How often the delivery service looks for messages to send, in milliseconds.
    pub delivery_interval_ms: u64,
    /// The most messages one run of the delivery service sends.
    pub max_sends_per_run: u32,
    /// Messages sent at once by a run of the delivery service.
    pub send_concurrency: u32,
    /// Sent and failed deliveries are deleted after this many days.
    pub delivery_retention_days: f64,
    /// Secrets that channels name as `$NAME` (see [`crate::secret`]); give them here as
    /// `$ENV_VAR` so the host resolves them from its environment.
    pub secrets: Map<String, Value>,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            retry_base_seconds: 10.0,
            retry_max_seconds: 3600.0,
            send_timeout_seconds: 10.0,
            delivery_interval_ms: 1000,
            max_sends_per_run: 50,
            send_concurrency: 4,
            delivery_retention_days: 30.0,
            secrets: Map::new(),
        }
    }
}

impl NotificationsConfig {
    /// The time limit of one send, at most [`MAX_SEND_TIMEOUT`].
    pub fn send_timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.send_timeout_seconds)
            .unwrap_or(MAX_SEND_TIMEOUT)
            .clamp(Duration::from_millis(100), MAX_SEND_TIMEOUT)
    }

    /// The delivery service's interval.
    pub fn delivery_interval(&self) -> Duration {
        Duration::from_millis(self.delivery_interval_ms.max(10))
    }

    /// The retention period in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        (self.delivery_retention_days * crate::clock::DAY_MS as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_fields_take_the_schema_defaults() {
        let config: NotificationsConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config, NotificationsConfig::default());
        assert_eq!(config.send_timeout(), Duration::from_secs(10));
        assert_eq!(config.delivery_interval(), Duration::from_secs(1));
        assert_eq!(config.retention_ms(), 30 * 86_400_000);
    }

    #[test]
    fn send_timeouts_are_bounded() {
        let config: NotificationsConfig =
            serde_json::from_value(json!({"sendTimeoutSeconds": 600, "secrets": {"A": "x"}}))
                .unwrap();
        assert_eq!(config.send_timeout(), MAX_SEND_TIMEOUT);
        assert_eq!(config.secrets["A"], "x");
        let tiny: NotificationsConfig =
            serde_json::from_value(json!({"sendTimeoutSeconds": 0.001})).unwrap();
        assert_eq!(tiny.send_timeout(), Duration::from_millis(100));
    }
}
