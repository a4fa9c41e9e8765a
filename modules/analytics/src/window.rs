//! The time window and bucket width of a series request: `from`, `to` and `granularity`.
//!
//! `from` and `to` are RFC 3339 timestamps, dates (`2026-01-31`) or Unix milliseconds; `to` is
//! exclusive and defaults to now, `from` defaults to `to` minus the route's default span. The
//! window is widened to whole buckets: `from` down to the start of its bucket, `to` up to the
//! end of the bucket holding its last millisecond. It may span at most [`MAX_SPAN_DAYS`].

use crate::clock::{self, DAY_MS, WEEK_MS};
use crate::query_params::optional;
use module_sdk::{Error, Request, Result};
use serde::Serialize;

/// The longest window a series may cover.
pub const MAX_SPAN_DAYS: i64 = 400;

/// The width of a series' buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// UTC days.
    Day,
    /// Weeks starting Monday 00:00 UTC.
    Week,
}

impl Granularity {
    /// Start of the bucket holding `ms`.
    pub fn bucket_start(self, ms: i64) -> i64 {
        match self {
            Granularity::Day => clock::day_start(ms),
            Granularity::Week => clock::week_start(ms),
        }
    }

    /// The bucket width in milliseconds.
    pub fn width_ms(self) -> i64 {
        match self {
            Granularity::Day => DAY_MS,
            Granularity::Week => WEEK_MS,
        }
    }
}

/// A window of whole buckets, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start of the first bucket (Unix ms).
    pub from: i64,
    /// End of the last bucket (Unix ms, exclusive).
    pub to: i64,
    /// The bucket width.
    pub granularity: Granularity,
}

impl Window {
    /// The window of `req`: `granularity` (default `default_granularity`), `from` (default
    /// `to` minus `default_days`) and `to` (default `now`).
    pub fn of_request(
        req: &Request,
        now: i64,
        default_granularity: Granularity,
        default_days: i64,
    ) -> Result<Window> {
        let granularity = match optional(req, "granularity").as_deref() {
            None => default_granularity,
            Some("day") => Granularity::Day,
            Some("week") => Granularity::Week,
            Some(other) => {
                return Err(Error::bad_request(format!(
                    "`granularity` must be `day` or `week`, got `{other}`"
                )))
            }
        };
        let to = match optional(req, "to") {
            Some(text) => clock::parse_query_time("to", &text)?,
            None => now,
        };
        let from = match optional(req, "from") {
            Some(text) => clock::parse_query_time("from", &text)?,
            None => to - default_days * DAY_MS,
        };
        Window::new(from, to, granularity)
    }

    /// The window `[from, to)` widened to whole buckets of `granularity`; a 400 when `from` is
    /// not before `to` or the span is longer than [`MAX_SPAN_DAYS`].
    pub fn new(from: i64, to: i64, granularity: Granularity) -> Result<Window> {
        if from >= to {
            return Err(Error::bad_request(format!(
                "`from` ({}) must be before `to` ({})",
                clock::to_rfc3339(from),
                clock::to_rfc3339(to)
            )));
        }
        if to - from > MAX_SPAN_DAYS * DAY_MS {
            return Err(Error::bad_request(format!(
                "the window from `from` to `to` may span at most {MAX_SPAN_DAYS} days"
            )));
        }
        let first = granularity.bucket_start(from);
        let last = granularity.bucket_start(to - 1);
        Ok(Window {
            from: first,
            to: last + granularity.width_ms(),
            granularity,
        })
    }

    /// The start of every bucket, oldest first.
    pub fn bucket_starts(&self) -> Vec<i64> {
        (self.from..self.to)
            .step_by(self.granularity.width_ms() as usize)
            .collect()
    }

    /// The index of the bucket holding `ms` (which must lie in the window).
    pub fn bucket_index(&self, ms: i64) -> usize {
        ((ms - self.from) / self.granularity.width_ms()) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_widen_to_whole_buckets() {
        let monday = clock::parse_rfc3339("2026-11-30T00:00:00Z").unwrap();
        let w = Window::new(
            monday + 5 * DAY_MS + 1,
            monday + 8 * DAY_MS + 1,
            Granularity::Week,
        )
        .unwrap();
        assert_eq!((w.from, w.to), (monday, monday + 2 * WEEK_MS));
        assert_eq!(w.bucket_starts(), [monday, monday + WEEK_MS]);
        assert_eq!(w.bucket_index(monday + 8 * DAY_MS), 1);
        let d = Window::new(monday + 1, monday + DAY_MS, Granularity::Day).unwrap();
        assert_eq!(d.bucket_starts(), [monday]);
    }

    #[test]
    fn bad_windows_are_refused_with_the_reason() {
        let err = Window::new(10, 10, Granularity::Day).unwrap_err();
        assert!(err.message().contains("must be before"), "{err}");
        let err = Window::new(0, (MAX_SPAN_DAYS + 1) * DAY_MS, Granularity::Day).unwrap_err();
        assert!(err.message().contains("at most"), "{err}");
        let req = Request::new("GET", "/").with_query("granularity=month");
        let err = Window::of_request(&req, DAY_MS, Granularity::Day, 7).unwrap_err();
        assert!(err.message().contains("`granularity`"), "{err}");
    }
}
