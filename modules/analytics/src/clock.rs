//! Time as the module stores it: Unix milliseconds (UTC) in `BIGINT` columns, RFC 3339 in JSON,
//! and the UTC hour, day and week (starting Monday 00:00) that buckets start at.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use module_sdk::{Error, Result};
use serde::Serializer;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// One week in milliseconds.
pub const WEEK_MS: i64 = 7 * DAY_MS;
/// 1970-01-05, the first Monday after the Unix epoch (a Thursday): weeks start on Mondays.
const FIRST_MONDAY_MS: i64 = 4 * DAY_MS;

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Start of the UTC hour holding `ms`.
pub fn hour_start(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// Start of the UTC day holding `ms`.
pub fn day_start(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// Start of the week (Monday 00:00 UTC) holding `ms`.
pub fn week_start(ms: i64) -> i64 {
    (ms - FIRST_MONDAY_MS).div_euclid(WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS
}

/// Parses an RFC 3339 timestamp of a hook payload into Unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| Error::bad_request(format!("`{text}` is not an RFC 3339 timestamp: {e}")))
}

/// Parses a time given in a query string: RFC 3339 (`2026-01-31T12:00:00Z`), a UTC date
/// (`2026-01-31`, its midnight) or Unix milliseconds. The error names the parameter.
pub fn parse_query_time(name: &str, text: &str) -> Result<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis());
    }
    Err(Error::bad_request(format!(
        "`{name}` must be an RFC 3339 timestamp, a date (YYYY-MM-DD) or Unix milliseconds, got `{text}`"
    )))
}

/// The time of the write that emitted an event, from its `eventId` when that is a UUIDv7 (the
/// core's ids are: their first 48 bits are the Unix milliseconds of the write).
pub fn of_uuid_v7(event_id: &str) -> Option<i64> {
    let id = uuid::Uuid::try_parse(event_id).ok()?;
    if id.get_version_num() != 7 {
        return None;
    }
    let bytes = id.as_bytes();
    Some(
        bytes[..6]
            .iter()
            .fold(0i64, |ms, byte| (ms << 8) | i64::from(*byte)),
    )
}

/// Unix milliseconds as RFC 3339 with millisecond precision and a `Z`, like the core's JSON.
pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `#[serde(serialize_with = "clock::serialize_ms")]`: milliseconds rendered as RFC 3339.
pub fn serialize_ms<S: Serializer>(ms: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_the_hour_the_day_and_monday() {
        let t = parse_rfc3339("2026-12-03T14:25:10.500Z").unwrap(); // a Thursday
        assert_eq!(to_rfc3339(hour_start(t)), "2026-12-03T14:00:00.000Z");
        assert_eq!(to_rfc3339(day_start(t)), "2026-12-03T00:00:00.000Z");
        assert_eq!(to_rfc3339(week_start(t)), "2026-11-30T00:00:00.000Z");
        let monday = parse_rfc3339("2026-11-30T00:00:00Z").unwrap();
        assert_eq!(week_start(monday), monday);
        assert_eq!(week_start(monday - 1), monday - WEEK_MS);
    }

    #[test]
    fn query_times_take_three_forms_and_name_the_parameter() {
        assert_eq!(parse_query_time("from", "1000").unwrap(), 1000);
        assert_eq!(parse_query_time("from", "1970-01-02").unwrap(), DAY_MS);
        assert_eq!(
            parse_query_time("from", "1970-01-01T00:00:01+00:00").unwrap(),
            1000
        );
        let err = parse_query_time("to", "yesterday").unwrap_err();
        assert!(err.message().contains("`to`"), "{err}");
    }

    #[test]
    fn a_uuid_v7_carries_its_milliseconds() {
        // 0x0193_8a7c_5e00 ms = 2024-12-…; version nibble 7.
        assert_eq!(
            of_uuid_v7("01938a7c-5e00-7000-8000-000000000000"),
            Some(0x0193_8a7c_5e00)
        );
        assert_eq!(of_uuid_v7("01938a7c-5e00-4000-8000-000000000000"), None);
        assert_eq!(of_uuid_v7("not-a-uuid"), None);
    }
}
