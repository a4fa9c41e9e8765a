//! Count, mean and percentiles of cycle times.

use serde::Serialize;

/// Cycle-time statistics of the issues done in a bucket, in milliseconds. Percentiles are
/// nearest-rank: the p-th percentile of n sorted values is the value at rank ⌈p/100 · n⌉.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleStats {
    /// Issues done with a known cycle time (they went through `in_progress`).
    pub count: usize,
    /// Mean, `null` when `count` is 0.
    pub mean_ms: Option<f64>,
    /// Median (nearest rank), `null` when `count` is 0.
    pub p50_ms: Option<i64>,
    /// 90th percentile (nearest rank), `null` when `count` is 0.
    pub p90_ms: Option<i64>,
}

impl CycleStats {
    /// The statistics of `values` (any order).
    pub fn of(mut values: Vec<i64>) -> CycleStats {
        values.sort_unstable();
        let count = values.len();
        let mean_ms =
            (count > 0).then(|| values.iter().map(|&v| v as f64).sum::<f64>() / count as f64);
        CycleStats {
            count,
            mean_ms,
            p50_ms: nearest_rank(&values, 50),
            p90_ms: nearest_rank(&values, 90),
        }
    }
}

/// The `percent`-th percentile of `sorted` by nearest rank, `None` when it is empty.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let stats = CycleStats::of((1..=10).rev().collect());
        assert_eq!(stats.count, 10);
        assert_eq!(stats.mean_ms, Some(5.5));
        assert_eq!((stats.p50_ms, stats.p90_ms), (Some(5), Some(9)));
        let one = CycleStats::of(vec![7]);
        assert_eq!((one.p50_ms, one.p90_ms), (Some(7), Some(7)));
        let none = CycleStats::of(Vec::new());
        assert_eq!((none.count, none.mean_ms, none.p50_ms), (0, None, None));
    }
}
