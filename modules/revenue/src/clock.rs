//! Time as the module stores it: Unix milliseconds (UTC) in `BIGINT` columns, RFC 3339 in JSON.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The earliest time accepted anywhere (1970-01-01): day numbers are then never negative, so
/// integer division is the floor on both backends.
pub const MIN_MS: i64 = 0;

/// The latest time accepted anywhere (9999-12-31T23:59:59.999Z).
pub const MAX_MS: i64 = 253_402_300_799_999;

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A time given by a client: RFC 3339 (`2026-11-30T12:00:00Z`) or a date (`2026-11-30`, its
/// midnight UTC), within 1970..=9999. The error says what was expected.
pub fn parse(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let ms = if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        date.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
    } else {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis())
    };
    match ms {
        Some(ms) if (MIN_MS..=MAX_MS).contains(&ms) => Ok(ms),
        Some(_) => Err(format!("must be between 1970 and 9999, got `{text}`")),
        None => Err(format!(
            "must be an RFC 3339 time (2026-11-30T12:00:00Z) or a date (2026-11-30), got `{text}`"
        )),
    }
}

/// Unix milliseconds as RFC 3339 with millisecond precision and a `Z`, like the core's JSON.
pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_parse_to_utc_milliseconds() {
        assert_eq!(parse("1970-01-02").unwrap(), DAY_MS);
        assert_eq!(parse("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert_eq!(to_rfc3339(DAY_MS + 5), "1970-01-02T00:00:00.005Z");
        assert!(parse("1969-12-31").unwrap_err().contains("1970"));
        assert!(parse("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(parse("2026-02-30").is_err());
    }
}
