//! The module's configuration, `modules.config.workflows` in the server's config file,
//! validated by the host against the manifest's `configSchema` (defaults filled in) before
//! `register` runs. The serde defaults repeat the schema's.

use crate::clock::DAY_MS;
use serde::Deserialize;
use std::time::Duration;

/// Settings of the workflows module.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkflowsConfig {
    /// Runs older than this many days are deleted (fractions allowed).
    pub run_retention_days: f64,
    /// How often the retention service runs, in seconds.
    pub retention_interval_seconds: u64,
}

impl Default for WorkflowsConfig {
    fn default() -> Self {
        Self {
            run_retention_days: 30.0,
            retention_interval_seconds: 3600,
        }
    }
}

impl WorkflowsConfig {
    /// The retention period in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        (self.run_retention_days * DAY_MS as f64) as i64
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
        let config: WorkflowsConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config, WorkflowsConfig::default());
        assert_eq!(config.retention_ms(), 30 * DAY_MS);
        assert_eq!(config.retention_interval(), Duration::from_secs(3600));
        let short: WorkflowsConfig =
            serde_json::from_value(json!({"runRetentionDays": 0.5})).unwrap();
        assert_eq!(short.retention_ms(), DAY_MS / 2);
    }
}
