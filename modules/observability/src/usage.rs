//! Aggregated usage — tokens, cost, heartbeats, average latency — as the summary, the series
//! and the page report it, built from grouped metric rows.

use module_sdk::{Result, Row};
use serde::Serialize;

/// The select list that [`Usage::from_row`] reads, over `mod_observability_token_metrics m`.
///
/// Sums are cast to `BIGINT` because PostgreSQL's `SUM(bigint)` is a `numeric`; the average
/// latency is computed from sum and count in Rust, so partial results can be added up exactly.
pub const USAGE_COLUMNS: &str = "COUNT(*) AS heartbeats, \
     CAST(SUM(m.tokens_used) AS BIGINT) AS tokens, \
     CAST(SUM(m.cost_cents) AS BIGINT) AS cost_cents, \
     CAST(COALESCE(SUM(m.latency_ms), 0) AS BIGINT) AS latency_sum, \
     COUNT(m.latency_ms) AS latency_count";

/// Usage over some set of heartbeats.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Tokens used.
    pub tokens: i64,
    /// Cost in cents, as reported with the heartbeats.
    pub cost_cents: i64,
    /// Heartbeats that reported usage.
    pub heartbeats: i64,
    /// Average reported latency; `null` when no heartbeat reported one.
    pub avg_latency_ms: Option<f64>,
    #[serde(skip)]
    latency_sum: i64,
    #[serde(skip)]
    latency_count: i64,
}

impl Usage {
    /// Reads the [`USAGE_COLUMNS`] of a grouped row.
    pub fn from_row(row: &Row) -> Result<Self> {
        let mut usage = Self {
            tokens: row.get("tokens")?,
            cost_cents: row.get("cost_cents")?,
            heartbeats: row.get("heartbeats")?,
            avg_latency_ms: None,
            latency_sum: row.get("latency_sum")?,
            latency_count: row.get("latency_count")?,
        };
        usage.update_average();
        Ok(usage)
    }

    /// Adds another group's usage to this one.
    pub fn add(&mut self, other: &Usage) {
        self.tokens += other.tokens;
        self.cost_cents += other.cost_cents;
        self.heartbeats += other.heartbeats;
        self.latency_sum += other.latency_sum;
        self.latency_count += other.latency_count;
        self.update_average();
    }

    fn update_average(&mut self) {
        self.avg_latency_ms =
            (self.latency_count > 0).then(|| self.latency_sum as f64 / self.latency_count as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: serde_json::Value) -> Row {
        Row::new(value.as_object().unwrap().clone())
    }

    #[test]
    fn averages_combine_exactly() {
        let mut a = Usage::from_row(&row(json!({
            "tokens": 100, "cost_cents": 3, "heartbeats": 2, "latency_sum": 300, "latency_count": 2
        })))
        .unwrap();
        assert_eq!(a.avg_latency_ms, Some(150.0));
        let b = Usage::from_row(&row(json!({
            "tokens": 50, "cost_cents": 1, "heartbeats": 1, "latency_sum": 0, "latency_count": 0
        })))
        .unwrap();
        assert_eq!(b.avg_latency_ms, None);
        a.add(&b);
        a.add(&Usage::from_row(&row(json!({
            "tokens": 0, "cost_cents": 0, "heartbeats": 1, "latency_sum": 600, "latency_count": 1
        })))
        .unwrap());
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"tokens": 150, "costCents": 4, "heartbeats": 4, "avgLatencyMs": 300.0})
        );
    }
}
