//! Time as the module stores it: Unix milliseconds (UTC) in `BIGINT` columns, RFC 3339 in JSON.
//!
//! Integers keep the SQL portable: `recorded_at >= $1` and `recorded_at / 3600000` mean the same
//! on SQLite and PostgreSQL, where date functions differ.

use chrono::{DateTime, SecondsFormat, Utc};
use module_sdk::{Error, Result};
use serde::Serializer;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Parses an RFC 3339 timestamp (as hook payloads carry them) into Unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| Error::bad_request(format!("`{text}` is not an RFC 3339 timestamp: {e}")))
}

/// Parses a time given in a query string: RFC 3339 (`2026-01-31T12:00:00Z`) or Unix milliseconds.
/// The error names the parameter.
pub fn parse_query_time(name: &str, text: &str) -> Result<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            Error::bad_request(format!(
                "`{name}` must be an RFC 3339 timestamp or Unix milliseconds, got `{text}`"
            ))
        })
}

/// Unix milliseconds as RFC 3339 with millisecond precision and a `Z`, like the core's JSON.
pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `#[serde(serialize_with = "clock::serialize_ms")]`: a millisecond column rendered as RFC 3339.
pub fn serialize_ms<S: Serializer>(ms: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_milliseconds() {
        let ms = parse_rfc3339("2026-01-31T12:00:00.250Z").unwrap();
        assert_eq!(ms, 1_769_860_800_250);
        assert_eq!(to_rfc3339(ms), "2026-01-31T12:00:00.250Z");
        assert_eq!(parse_rfc3339("2026-01-31T13:00:00.250+01:00").unwrap(), ms);
    }

    #[test]
    fn query_times_accept_milliseconds_and_name_the_parameter() {
        assert_eq!(parse_query_time("since", "1000").unwrap(), 1000);
        assert_eq!(
            parse_query_time("since", "1970-01-01T00:00:01Z").unwrap(),
            1000
        );
        let err = parse_query_time("until", "yesterday").unwrap_err();
        assert!(err.message().contains("`until`"), "{err}");
        assert!(parse_rfc3339("nope").is_err());
    }
}
