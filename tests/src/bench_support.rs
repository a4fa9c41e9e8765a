//! Helpers shared by the bench binaries in `tests/benches/`: latency statistics and the
//! bench duration.

use std::time::Duration;

/// Bench duration: `PAPERCLIP_BENCH_SECS` (seconds, fractional allowed) or `default`.
pub fn bench_duration(default: Duration) -> Duration {
    std::env::var("PAPERCLIP_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map_or(default, Duration::from_secs_f64)
}

/// Latency samples and their percentiles.
#[derive(Clone, Debug, Default)]
pub struct LatencyStats {
    samples: Vec<Duration>,
}

impl LatencyStats {
    /// No samples yet.
    pub fn new() -> LatencyStats {
        LatencyStats::default()
    }

    /// Adds one sample.
    pub fn record(&mut self, latency: Duration) {
        self.samples.push(latency);
    }

    /// Adds all samples of `other`.
    pub fn merge(&mut self, other: LatencyStats) {
        self.samples.extend(other.samples);
    }

    /// Number of samples.
    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// The `p`-th percentile (0–100, nearest rank); zero without samples.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.samples.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// The largest sample.
    pub fn max(&self) -> Duration {
        self.samples.iter().copied().max().unwrap_or_default()
    }
}

/// A duration in milliseconds with two decimals, for reports.
pub fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut stats = LatencyStats::new();
        for ms in 1..=100 {
            stats.record(Duration::from_millis(ms));
        }
        assert_eq!(stats.percentile(50.0), Duration::from_millis(50));
        assert_eq!(stats.percentile(99.0), Duration::from_millis(99));
        assert_eq!(stats.percentile(100.0), Duration::from_millis(100));
        assert_eq!(stats.max(), Duration::from_millis(100));
        assert_eq!(LatencyStats::new().percentile(50.0), Duration::ZERO);
    }
}
