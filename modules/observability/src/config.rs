//! The module's configuration, as `modules.config.observability` in the server's config file.
//!
//! The host validates it against `configSchema` in `paperclip.module.json` and fills in the
//! defaults before `register` runs, so an invalid value (`"retentionDays": "ten"`) never gets
//! here: the module's status names the problem instead. The serde defaults below repeat the
//! schema's so the type also reads well on its own (and in unit tests).

use serde::Deserialize;
use std::time::Duration;

/// Settings of the observability module.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservabilityConfig {
    /// Metric and budget-event rows older than this many days are deleted (fractions allowed).
    pub retention_days: f64,
    /// How often the retention service runs, in seconds.
    pub retention_interval_seconds: u64,
    /// Whether to serve the Prometheus exposition on a listener of its own as well.
    pub enable_prometheus: bool,
    /// Address of that listener.
    pub prometheus_host: String,
    /// Port of that listener.
    pub prometheus_port: u16,
}

impl Default for ObservabilityConfig {
    fn default() -> Self {
        Self {
            retention_days: 30.0,
            retention_interval_seconds: 3600,
            enable_prometheus: false,
            prometheus_host: "127.0.0.1".into(),
            prometheus_port: 9090,
        }
    }
}

impl ObservabilityConfig {
    /// The retention period in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        (self.retention_days * crate::clock::DAY_MS as f64) as i64
    }

    /// The retention service's interval.
    pub fn retention_interval(&self) -> Duration {
        Duration::from_secs(self.retention_interval_seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_fields_take_the_schema_defaults() {
        let config: ObservabilityConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config, ObservabilityConfig::default());
        assert_eq!(config.retention_ms(), 30 * 86_400_000);
        assert_eq!(config.retention_interval(), Duration::from_secs(3600));
    }

    #[test]
    fn fractional_retention_days_are_allowed() {
        let config: ObservabilityConfig =
            serde_json::from_value(json!({"retentionDays": 1.5, "prometheusPort": 9999})).unwrap();
        assert_eq!(config.retention_ms(), 129_600_000);
        assert_eq!(config.prometheus_port, 9999);
    }
}
