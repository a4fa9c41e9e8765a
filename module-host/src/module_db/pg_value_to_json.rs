//! Turning one PostgreSQL result value into JSON, by the value's type OID.
//!
//! diesel receives results in PostgreSQL's binary format; this decodes the built-in types a
//! module is likely to select:
//!
//! | PostgreSQL                                   | JSON                                        |
//! |----------------------------------------------|---------------------------------------------|
//! | `boolean`                                    | `true` / `false`                            |
//! | `smallint`, `integer`, `bigint`, `oid`       | integer                                     |
//! | `real`, `double precision`                   | number (NaN and ±infinity → `null`)         |
//! | `numeric`                                    | integer when whole and within 64 bits, else number (rounded to the nearest `f64`, as SQLite's REAL would be); `"NaN"`/`"Infinity"` as strings |
//! | `text`, `varchar`, `char(n)`, `name`, `"char"`, `xml` | string                             |
//! | `uuid`                                       | string, hyphenated lower-case               |
//! | `json`, `jsonb`                              | the JSON value itself                       |
//! | `timestamp`, `timestamptz`                   | RFC 3339 string in UTC with `Z` (ms, or µs when needed); `"infinity"`/`"-infinity"` |
//! | `date`                                       | `YYYY-MM-DD`                                |
//! | `time`                                       | `HH:MM:SS[.ffffff]`                         |
//! | `interval`                                   | ISO 8601 duration, e.g. `P1M2DT3H4M5.5S`     |
//! | `bytea`                                      | base64 string                               |
//! | one- or more-dimensional arrays of the above | (nested) JSON arrays                        |
//! | `void`                                       | `null`                                      |
//!
//! Any other type is refused with a message naming its OID and how to cast it.

use super::base64::encode_base64;
use super::row_to_json::RawValueToJson;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Timelike};
use diesel::deserialize::FromSql;
use diesel::pg::data_types::{PgInterval, PgNumeric};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Interval, Numeric};
use serde_json::Value;
use std::num::NonZeroU32;

impl RawValueToJson for Pg {
    fn raw_value_to_json(value: PgValue<'_>) -> Result<Value, String> {
        pg_value_to_json(value)
    }
}

mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const CHAR: u32 = 18;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const XML: u32 = 142;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const UNKNOWN: u32 = 705;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const INTERVAL: u32 = 1186;
    pub const NUMERIC: u32 = 1700;
    pub const VOID: u32 = 2278;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
    /// Array types of the element types above.
    pub const ARRAYS: &[u32] = &[
        143, 199, 1000, 1001, 1002, 1003, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028,
        1115, 1182, 1183, 1185, 1187, 1231, 2951, 3807,
    ];
}

/// Converts one non-NULL PostgreSQL value; the error says why the value cannot be shown.
pub(super) fn pg_value_to_json(value: PgValue<'_>) -> Result<Value, String> {
    let bytes = value.as_bytes();
    let type_oid = value.get_oid().get();
    let mut r = Reader(bytes);
    let json = match type_oid {
        oid::BOOL => Value::Bool(r.u8()? != 0),
        oid::INT2 => Value::from(r.i16()?),
        oid::INT4 => Value::from(r.i32()?),
        oid::INT8 => Value::from(r.i64()?),
        oid::OID => Value::from(r.u32()?),
        // Going through the shortest decimal form keeps `0.1::real` as 0.1, not 0.10000000149.
        oid::FLOAT4 => finite(
            f32::from_bits(r.u32()?)
                .to_string()
                .parse()
                .unwrap_or(f64::NAN),
        ),
        oid::FLOAT8 => finite(f64::from_bits(r.u64()?)),
        oid::NUMERIC => numeric_to_json(
            <PgNumeric as FromSql<Numeric, Pg>>::from_sql(value).map_err(|e| e.to_string())?,
        ),
        oid::TEXT
        | oid::VARCHAR
        | oid::BPCHAR
        | oid::NAME
        | oid::CHAR
        | oid::UNKNOWN
        | oid::XML => Value::String(utf8(bytes)?),
        oid::UUID => Value::String(
            uuid::Uuid::from_slice(bytes)
                .map_err(|e| format!("malformed uuid: {e}"))?
                .hyphenated()
                .to_string(),
        ),
        oid::JSON => parse_json(bytes)?,
        oid::JSONB => match bytes.split_first() {
            Some((1, text)) => parse_json(text)?,
            _ => return Err("unsupported jsonb format version".into()),
        },
        oid::TIMESTAMP | oid::TIMESTAMPTZ => timestamp_to_json(r.i64()?)?,
        oid::DATE => date_to_json(r.i32()?)?,
        oid::TIME => {
            let micros = r.i64()?;
            let time = NaiveTime::MIN
                .overflowing_add_signed(Duration::microseconds(micros))
                .0;
            Value::String(time.to_string())
        }
        oid::INTERVAL => Value::String(interval_to_iso8601(
            &<PgInterval as FromSql<Interval, Pg>>::from_sql(value).map_err(|e| e.to_string())?,
        )),
        oid::BYTEA => Value::String(encode_base64(bytes)),
        oid::VOID => Value::Null,
        other if oid::ARRAYS.contains(&other) => array_to_json(bytes)?,
        other => {
            return Err(format!(
                "PostgreSQL type OID {other} has no JSON form for modules; cast the column in \
                 the SQL, e.g. `column::text`"
            ))
        }
    };
    Ok(json)
}

/// A JSON number, or `null` for NaN and infinities (JSON has no such numbers).
fn finite(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("text is not valid UTF-8: {e}"))
}

fn parse_json(text: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(text).map_err(|e| format!("malformed JSON value: {e}"))
}

/// PostgreSQL's epoch for dates and timestamps.
fn pg_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// Microseconds since 2000-01-01 (UTC for `timestamptz`) → RFC 3339 with `Z`. Whole
/// milliseconds are shown with three digits, matching the REST API; finer values with six.
fn timestamp_to_json(micros: i64) -> Result<Value, String> {
    match micros {
        i64::MAX => return Ok(Value::String("infinity".into())),
        i64::MIN => return Ok(Value::String("-infinity".into())),
        _ => {}
    }
    let ts = pg_epoch()
        .checked_add_signed(Duration::microseconds(micros))
        .ok_or_else(|| format!("timestamp out of range ({micros} µs after 2000-01-01)"))?;
    let format = if ts.nanosecond() % 1_000_000 == 0 {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Micros
    };
    Ok(Value::String(ts.and_utc().to_rfc3339_opts(format, true)))
}

/// Days since 2000-01-01 → `YYYY-MM-DD`.
fn date_to_json(days: i32) -> Result<Value, String> {
    match days {
        i32::MAX => return Ok(Value::String("infinity".into())),
        i32::MIN => return Ok(Value::String("-infinity".into())),
        _ => {}
    }
    let date = pg_epoch()
        .date()
        .checked_add_signed(Duration::days(i64::from(days)))
        .ok_or_else(|| format!("date out of range ({days} days after 2000-01-01)"))?;
    Ok(Value::String(date.format("%Y-%m-%d").to_string()))
}

/// A numeric as JSON: an integer when it is whole and fits 64 bits, otherwise the nearest
/// `f64`. Aggregates such as `SUM(bigint)` and `AVG(…)` are `numeric` on PostgreSQL but
/// INTEGER/REAL on SQLite; answering numbers keeps module code the same on both backends
/// (digits beyond an `f64`'s ~16 significant ones are rounded; cast to `text` to keep them).
fn numeric_to_json(numeric: PgNumeric) -> Value {
    let (negative, weight, scale, digits) = match numeric {
        PgNumeric::Positive {
            weight,
            scale,
            digits,
        } => (false, weight, scale, digits),
        PgNumeric::Negative {
            weight,
            scale,
            digits,
        } => (true, weight, scale, digits),
        PgNumeric::NaN => return Value::String("NaN".into()),
    };
    let text = numeric_text(negative, weight, scale, &digits);
    let whole = match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => "",
        None => text.as_str(),
    };
    if let Ok(i) = whole.parse::<i64>() {
        return Value::from(i);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => finite(f),
        _ => Value::String(text),
    }
}

/// The decimal text of a numeric given as base-10000 digit groups, `weight` the power of
/// 10000 of the first group and `scale` the digits shown after the point.
fn numeric_text(negative: bool, weight: i16, scale: u16, digits: &[i16]) -> String {
    let group = |i: i32| -> i16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        for i in 0..=i32::from(weight) {
            if i == 0 {
                text.push_str(&group(i).to_string());
            } else {
                text.push_str(&format!("{:04}", group(i)));
            }
        }
    }
    if scale > 0 {
        let mut fraction = String::new();
        let mut i = i32::from(weight) + 1;
        while fraction.len() < usize::from(scale) {
            fraction.push_str(&format!("{:04}", group(i)));
            i += 1;
        }
        fraction.truncate(usize::from(scale));
        text.push('.');
        text.push_str(&fraction);
    }
    text
}

/// ISO 8601 duration (`P1Y2M3DT4H5M6.5S`); components may be negative, as PostgreSQL's own
/// `iso_8601` interval style writes them.
fn interval_to_iso8601(interval: &PgInterval) -> String {
    let mut out = String::from("P");
    let (years, months) = (interval.months / 12, interval.months % 12);
    if years != 0 {
        out.push_str(&format!("{years}Y"));
    }
    if months != 0 {
        out.push_str(&format!("{months}M"));
    }
    if interval.days != 0 {
        out.push_str(&format!("{}D", interval.days));
    }
    let micros = interval.microseconds;
    if micros != 0 {
        out.push('T');
        let hours = micros / 3_600_000_000;
        let minutes = (micros % 3_600_000_000) / 60_000_000;
        let rest = micros % 60_000_000;
        if hours != 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes != 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if rest != 0 {
            let sign = if rest < 0 { "-" } else { "" };
            let (secs, frac) = (rest.abs() / 1_000_000, rest.abs() % 1_000_000);
            if frac == 0 {
                out.push_str(&format!("{sign}{secs}S"));
            } else {
                let frac = format!("{frac:06}");
                out.push_str(&format!("{sign}{secs}.{}S", frac.trim_end_matches('0')));
            }
        }
    }
    if out == "P" {
        out.push_str("T0S");
    }
    out
}

/// A one- or more-dimensional array in PostgreSQL's binary array format: dimension count, a
/// has-NULL flag, the element type, (length, lower bound) per dimension, then each element as
/// a length (-1 for NULL) and its bytes.
fn array_to_json(bytes: &[u8]) -> Result<Value, String> {
    let mut r = Reader(bytes);
    let dimensions = r.i32()?;
    let _has_nulls = r.i32()?;
    let element_oid =
        NonZeroU32::new(r.u32()?).ok_or_else(|| "array without an element type".to_string())?;
    if dimensions == 0 {
        return Ok(Value::Array(Vec::new()));
    }
    let mut lengths = Vec::new();
    for _ in 0..dimensions {
        let length = usize::try_from(r.i32()?).map_err(|_| "negative array length".to_string())?;
        let _lower_bound = r.i32()?;
        lengths.push(length);
    }
    // Every element takes at least its 4-byte length, which bounds what a corrupt header
    // could make us allocate.
    let total = lengths
        .iter()
        .try_fold(1usize, |acc, n| acc.checked_mul(*n))
        .filter(|total| *total <= bytes.len() / 4 + 1)
        .ok_or_else(|| "array dimensions do not match its data".to_string())?;
    let mut elements = Vec::with_capacity(total);
    for _ in 0..total {
        let length = r.i32()?;
        if length < 0 {
            elements.push(Value::Null);
        } else {
            let data = r.take(length as usize)?;
            elements.push(pg_value_to_json(PgValue::new(data, &element_oid))?);
        }
    }
    let mut elements = elements.into_iter();
    Ok(nest(&mut elements, &lengths))
}

/// Groups a flat element list into nested arrays of the given dimension lengths.
fn nest(elements: &mut impl Iterator<Item = Value>, lengths: &[usize]) -> Value {
    match lengths {
        [] => Value::Null,
        [last] => Value::Array(elements.take(*last).collect()),
        [first, rest @ ..] => Value::Array((0..*first).map(|_| nest(elements, rest)).collect()),
    }
}

/// Reads big-endian fields from a binary value, failing instead of panicking on short data.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "value is truncated: needed {n} more bytes, {} left",
                self.0.len()
            ));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }

    fn i16(&mut self) -> Result<i16, String> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_text_places_groups_around_the_point() {
        assert_eq!(numeric_text(false, 0, 0, &[42]), "42");
        assert_eq!(numeric_text(false, 1, 0, &[1, 2]), "10002");
        assert_eq!(numeric_text(true, 0, 2, &[12, 5000]), "-12.50");
        assert_eq!(numeric_text(false, -1, 3, &[10]), "0.001");
        assert_eq!(numeric_text(false, -2, 8, &[12]), "0.00000012");
        assert_eq!(numeric_text(false, -2, 6, &[12]), "0.000000");
        assert_eq!(numeric_text(false, 0, 0, &[]), "0");
    }

    #[test]
    fn numerics_become_integers_or_numbers() {
        let n = |negative, weight, scale, digits: &[i16]| {
            let digits = digits.to_vec();
            numeric_to_json(if negative {
                PgNumeric::Negative {
                    weight,
                    scale,
                    digits,
                }
            } else {
                PgNumeric::Positive {
                    weight,
                    scale,
                    digits,
                }
            })
        };
        assert_eq!(n(false, 0, 0, &[42]), json!(42));
        assert_eq!(n(true, 0, 2, &[12, 5000]), json!(-12.5));
        assert_eq!(n(false, 0, 2, &[3, 0]), json!(3));
        assert_eq!(n(true, 0, 0, &[0]), json!(0));
        // AVG-like values with more digits than an f64 holds are rounded, still numbers.
        assert_eq!(
            n(false, -1, 20, &[3333, 3333, 3333, 3333, 3333]),
            json!(0.333_333_333_333_333_3)
        );
        // Whole but beyond i64: the nearest f64.
        assert_eq!(
            n(false, 4, 0, &[1234, 5678, 9012, 3456, 7890]),
            json!(12_345_678_901_234_567_890.0)
        );
        assert_eq!(numeric_to_json(PgNumeric::NaN), json!("NaN"));
    }

    #[test]
    fn intervals_use_iso_8601() {
        let iv = |months, days, microseconds| PgInterval {
            microseconds,
            days,
            months,
        };
        assert_eq!(interval_to_iso8601(&iv(14, 3, 0)), "P1Y2M3D");
        assert_eq!(
            interval_to_iso8601(&iv(0, 0, 3_600_000_000 + 120_000_000 + 5_500_000)),
            "PT1H2M5.5S"
        );
        assert_eq!(interval_to_iso8601(&iv(0, -1, 0)), "P-1D");
        assert_eq!(interval_to_iso8601(&iv(0, 0, 0)), "PT0S");
    }

    #[test]
    fn timestamps_show_milliseconds_or_microseconds() {
        assert_eq!(
            timestamp_to_json(0).unwrap(),
            json!("2000-01-01T00:00:00.000Z")
        );
        assert_eq!(
            timestamp_to_json(1_500).unwrap(),
            json!("2000-01-01T00:00:00.001500Z")
        );
        assert_eq!(timestamp_to_json(i64::MAX).unwrap(), json!("infinity"));
        assert_eq!(date_to_json(31).unwrap(), json!("2000-02-01"));
    }

    #[test]
    fn short_values_are_errors_not_panics() {
        let oid = NonZeroU32::new(oid::INT8).unwrap();
        assert!(pg_value_to_json(PgValue::new(&[0, 1], &oid)).is_err());
        assert!(array_to_json(&[0, 0, 0, 1]).is_err());
    }
}
