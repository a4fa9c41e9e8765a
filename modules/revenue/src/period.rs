//! P&L periods in UTC: days, weeks starting on Monday (ISO 8601 weeks), calendar months.

use crate::clock::DAY_MS;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

/// How long a P&L period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// A UTC day.
    Day,
    /// Monday 00:00 UTC to the next Monday.
    Week,
    /// The first of a month 00:00 UTC to the first of the next.
    Month,
}

impl Granularity {
    /// The granularity named `text` (`day`, `week`, `month`).
    pub fn parse(text: &str) -> Option<Granularity> {
        match text {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    /// Its name, as the query parameter gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    /// The start of the period holding `ms` (Unix ms, not negative).
    pub fn start_of(self, ms: i64) -> i64 {
        let day = ms.div_euclid(DAY_MS);
        match self {
            Granularity::Day => day * DAY_MS,
            // Day 0 (1970-01-01) was a Thursday, 3 days after a Monday.
            Granularity::Week => (day - (day + 3).rem_euclid(7)) * DAY_MS,
            Granularity::Month => {
                let date = date_of(ms);
                midnight(date.with_day(1).unwrap_or(date))
            }
        }
    }

    /// The start of the period after the one starting at `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Granularity::Day => start + DAY_MS,
            Granularity::Week => start + 7 * DAY_MS,
            Granularity::Month => date_of(start)
                .checked_add_months(Months::new(1))
                .map(midnight)
                .unwrap_or(i64::MAX),
        }
    }

    /// The name of the period starting at `start`: `2026-11-30`, `2026-W49` (ISO week),
    /// `2026-11`.
    pub fn label(self, start: i64) -> String {
        let date = date_of(start);
        match self {
            Granularity::Day => date.format("%Y-%m-%d").to_string(),
            Granularity::Week => {
                let week = date.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Granularity::Month => date.format("%Y-%m").to_string(),
        }
    }
}

/// The UTC date of `ms`.
fn date_of(ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive()
}

/// Midnight UTC of `date`, in Unix ms.
fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-12-03 is a Thursday; its week starts on Monday 2026-11-30.
        let thursday_noon = parse("2026-12-03T12:00:00Z").unwrap();
        assert_eq!(
            Granularity::Day.start_of(thursday_noon),
            parse("2026-12-03").unwrap()
        );
        let monday = parse("2026-11-30").unwrap();
        assert_eq!(Granularity::Week.start_of(thursday_noon), monday);
        assert_eq!(Granularity::Week.start_of(monday), monday);
        assert_eq!(Granularity::Week.start_of(monday - 1), monday - 7 * DAY_MS);
        assert_eq!(Granularity::Week.label(monday), "2026-W49");
        let december = parse("2026-12-01").unwrap();
        assert_eq!(Granularity::Month.start_of(thursday_noon), december);
        assert_eq!(
            Granularity::Month.next(december),
            parse("2027-01-01").unwrap()
        );
        assert_eq!(
            Granularity::Month.next(parse("2027-01-01").unwrap()),
            parse("2027-02-01").unwrap()
        );
        assert_eq!(Granularity::Month.label(december), "2026-12");
        assert_eq!(Granularity::Day.label(december), "2026-12-01");
        assert_eq!(Granularity::parse("fortnight"), None);
        assert_eq!(Granularity::parse("week").unwrap().as_str(), "week");
    }
}
