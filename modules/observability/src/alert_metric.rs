//! What an alert rule can measure: a fixed set of metrics over heartbeat rows, each with the SQL
//! aggregate that computes it. The SQL comes from this closed list, never from the request.

use module_sdk::{Error, Result};

/// A metric an alert rule watches, per agent, over the rule's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertMetric {
    /// Sum of `tokensUsed`.
    TokensUsed,
    /// Sum of `costCents` reported with heartbeats.
    CostCents,
    /// Number of heartbeats that reported usage.
    Heartbeats,
    /// Average `latencyMs`.
    AvgLatencyMs,
}

impl AlertMetric {
    /// Every metric, in the order error messages list them.
    pub const ALL: [AlertMetric; 4] = [
        AlertMetric::TokensUsed,
        AlertMetric::CostCents,
        AlertMetric::Heartbeats,
        AlertMetric::AvgLatencyMs,
    ];

    /// The name used in the API and stored in `metric_name`.
    pub fn name(self) -> &'static str {
        match self {
            AlertMetric::TokensUsed => "tokens_used",
            AlertMetric::CostCents => "cost_cents",
            AlertMetric::Heartbeats => "heartbeats",
            AlertMetric::AvgLatencyMs => "avg_latency_ms",
        }
    }

    /// The aggregate over `mod_observability_token_metrics m` that computes it, as a
    /// `DOUBLE PRECISION` so every metric reads back as a JSON number of one type.
    pub fn sql(self) -> &'static str {
        match self {
            AlertMetric::TokensUsed => "CAST(SUM(m.tokens_used) AS DOUBLE PRECISION)",
            AlertMetric::CostCents => "CAST(SUM(m.cost_cents) AS DOUBLE PRECISION)",
            AlertMetric::Heartbeats => "CAST(COUNT(*) AS DOUBLE PRECISION)",
            AlertMetric::AvgLatencyMs => "CAST(AVG(m.latency_ms) AS DOUBLE PRECISION)",
        }
    }

    /// The metric called `name`; an unknown name is a 400 listing the known ones.
    pub fn parse(name: &str) -> Result<AlertMetric> {
        AlertMetric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = AlertMetric::ALL.iter().map(|m| m.name()).collect();
                Error::bad_request(format!(
                    "unknown metricName `{name}`; known metrics: {}",
                    known.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_listed() {
        for metric in AlertMetric::ALL {
            assert_eq!(AlertMetric::parse(metric.name()).unwrap(), metric);
        }
        let err = AlertMetric::parse("tokens").unwrap_err();
        assert!(err.message().contains("`tokens`"), "{err}");
        assert!(err.message().contains("avg_latency_ms"), "{err}");
    }
}
