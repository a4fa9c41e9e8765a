//! Time as the module stores it: Unix milliseconds (UTC) in `BIGINT` columns, RFC 3339 in JSON.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Unix milliseconds as RFC 3339 with millisecond precision and a `Z`, like the core's JSON.
pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `#[serde(serialize_with = "clock::serialize_ms")]`: a millisecond column as RFC 3339.
pub fn serialize_ms<S: Serializer>(ms: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*ms))
}

/// `#[serde(serialize_with = "clock::serialize_opt_ms")]`: an optional millisecond column.
pub fn serialize_opt_ms<S: Serializer>(
    ms: &Option<i64>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&to_rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_render_as_utc_rfc3339() {
        assert_eq!(to_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(to_rfc3339(DAY_MS + 1), "1970-01-02T00:00:00.001Z");
        assert!(now_ms() > 1_700_000_000_000);
    }
}
