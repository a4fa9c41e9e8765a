//! The profit and loss of a range: income, cost and margin (income − cost) per period, in
//! cents, from sums per UTC day (see [`crate::pnl_route`] for the SQL). Every period of the
//! range is listed, those without income or cost with zeros; the first and last are cut to the
//! range.

use crate::clock;
use crate::period::Granularity;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The most periods one P&L may have (a day granularity over about 2.7 years).
pub const MAX_PERIODS: usize = 1000;

/// One period's sums, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    /// Income.
    pub income: i64,
    /// Cost.
    pub cost: i64,
}

impl Sums {
    /// Income − cost.
    pub fn margin(&self) -> i64 {
        self.income - self.cost
    }

    /// As the API answers it.
    fn view(&self) -> Value {
        json!({ "incomeCents": self.income, "costCents": self.cost, "marginCents": self.margin() })
    }
}

/// One period of a P&L.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2026-11-30`, `2026-W49`, `2026-11`.
    pub label: String,
    /// Its start within the range (Unix ms).
    pub start: i64,
    /// Its end within the range (exclusive).
    pub end: i64,
    /// Its sums.
    pub sums: Sums,
}

/// The periods of `[from, to)` (`from < to`) at `granularity`, all zero, or `None` when there
/// would be more than [`MAX_PERIODS`].
pub fn periods(from: i64, to: i64, granularity: Granularity) -> Option<Vec<Period>> {
    let mut periods = Vec::new();
    let mut start = granularity.start_of(from);
    while start < to {
        if periods.len() == MAX_PERIODS {
            return None;
        }
        let next = granularity.next(start);
        periods.push(Period {
            label: granularity.label(start),
            start: start.max(from),
            end: next.min(to),
            sums: Sums::default(),
        });
        start = next;
    }
    Some(periods)
}

/// Adds sums per UTC day number (`ms / DAY_MS`) to the periods holding those days. Days outside
/// every period are ignored (the SQL only reads the range).
pub fn add_days(periods: &mut [Period], income: &BTreeMap<i64, i64>, cost: &BTreeMap<i64, i64>) {
    for (days, is_income) in [(income, true), (cost, false)] {
        for (&day, &cents) in days {
            let at = day * clock::DAY_MS;
            // Periods are sorted and contiguous: the one holding `at` is the last starting at or
            // before it (a cut first period may start after its first day's midnight).
            let index = periods.partition_point(|p| p.start <= at.max(periods[0].start));
            let Some(period) = index.checked_sub(1).and_then(|i| periods.get_mut(i)) else {
                continue;
            };
            if at >= period.end {
                continue;
            }
            if is_income {
                period.sums.income += cents;
            } else {
                period.sums.cost += cents;
            }
        }
    }
}

/// The totals of `periods`.
pub fn totals(periods: &[Period]) -> Sums {
    periods.iter().fold(Sums::default(), |total, p| Sums {
        income: total.income + p.sums.income,
        cost: total.cost + p.sums.cost,
    })
}

/// The periods as the API answers them.
pub fn view(periods: &[Period]) -> Vec<Value> {
    periods
        .iter()
        .map(|p| {
            let mut entry = p.sums.view();
            entry["period"] = Value::from(p.label.clone());
            entry["start"] = Value::from(clock::to_rfc3339(p.start));
            entry["end"] = Value::from(clock::to_rfc3339(p.end));
            entry
        })
        .collect()
}

/// The totals as the API answers them.
pub fn totals_view(periods: &[Period]) -> Value {
    totals(periods).view()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{parse, DAY_MS};

    fn day(text: &str) -> i64 {
        parse(text).unwrap() / DAY_MS
    }

    #[test]
    fn every_period_is_listed_and_cut_to_the_range() {
        let from = parse("2026-11-04T12:00:00Z").unwrap();
        let to = parse("2026-11-20").unwrap();
        let weeks = periods(from, to, Granularity::Week).unwrap();
        let labels: Vec<&str> = weeks.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2026-W45", "2026-W46", "2026-W47"]);
        assert_eq!(weeks[0].start, from);
        assert_eq!(weeks[1].start, parse("2026-11-09").unwrap());
        assert_eq!(weeks[2].end, to);
        assert_eq!(periods(from, to, Granularity::Day).unwrap().len(), 16);
        assert_eq!(periods(from, to, Granularity::Month).unwrap().len(), 1);
        assert!(periods(0, 1001 * DAY_MS, Granularity::Day).is_none());
        assert_eq!(
            periods(0, 1000 * DAY_MS, Granularity::Day).unwrap().len(),
            1000
        );
    }

    #[test]
    fn day_sums_land_in_their_periods() {
        let from = parse("2026-11-04T12:00:00Z").unwrap();
        let to = parse("2026-11-20").unwrap();
        let mut weeks = periods(from, to, Granularity::Week).unwrap();
        let income = BTreeMap::from([(day("2026-11-04"), 1000), (day("2026-11-09"), 500)]);
        let cost = BTreeMap::from([
            (day("2026-11-08"), 300),
            (day("2026-11-19"), 50),
            (day("2026-11-20"), 7),
        ]);
        add_days(&mut weeks, &income, &cost);
        let sums: Vec<(i64, i64, i64)> = weeks
            .iter()
            .map(|p| (p.sums.income, p.sums.cost, p.sums.margin()))
            .collect();
        assert_eq!(sums, [(1000, 300, 700), (500, 0, 500), (0, 50, -50)]);
        assert_eq!(
            totals(&weeks),
            Sums {
                income: 1500,
                cost: 350
            }
        );
        let view = view(&weeks);
        assert_eq!(view[0]["start"], "2026-11-04T12:00:00.000Z");
        assert_eq!(view[0]["marginCents"], 700);
        assert_eq!(totals_view(&weeks)["marginCents"], 1150);
    }
}
