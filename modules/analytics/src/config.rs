//! The module's configuration, as `modules.config.analytics` in the server's config file. The
//! host checks it against the manifest's `configSchema` and fills in defaults before `register`.

use serde::Deserialize;

/// Settings of the analytics module.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AnalyticsConfig {
    /// Daily buckets, completed goals and done issues older than this many days are deleted.
    pub retention_days: i64,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            retention_days: 400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_fields_take_the_schema_defaults() {
        let config: AnalyticsConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config, AnalyticsConfig::default());
        let config: AnalyticsConfig = serde_json::from_value(json!({"retentionDays": 30})).unwrap();
        assert_eq!(config.retention_days, 30);
    }
}
