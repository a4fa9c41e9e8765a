//! Timestamps: stored as UTC `Timestamp` columns on both backends, shown as RFC 3339 with `Z`.

use chrono::{NaiveDateTime, SecondsFormat, Utc};

/// The current UTC time at millisecond precision (what both backends store exactly).
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond_millis()
}

/// Formats a stored UTC timestamp as RFC 3339, e.g. `2026-11-25T08:18:04.123Z`.
pub fn to_rfc3339(ts: &NaiveDateTime) -> String {
    ts.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true)
}

trait TruncateToMillis {
    fn with_nanosecond_millis(self) -> Self;
}

impl TruncateToMillis for NaiveDateTime {
    fn with_nanosecond_millis(self) -> Self {
        use chrono::Timelike;
        let millis = self.nanosecond() / 1_000_000;
        self.with_nanosecond(millis * 1_000_000).unwrap_or(self)
    }
}
