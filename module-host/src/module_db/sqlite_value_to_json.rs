//! Turning one SQLite result value into JSON, by the storage class SQLite reports for it.
//!
//! SQLite is dynamically typed: the value's own storage class decides, not the column's
//! declared type. INTEGER → JSON integer, REAL → JSON number (non-finite → `null`), TEXT → JSON
//! string, BLOB → base64 string (standard alphabet, padded), NULL → `null`. Booleans are stored
//! as 0/1 and so come back as integers; timestamps written by the core come back as the text
//! SQLite stores (`2026-01-31 12:00:00.123`).

use super::base64::encode_base64;
use super::row_to_json::RawValueToJson;
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};
use serde_json::Value;

impl RawValueToJson for Sqlite {
    fn raw_value_to_json(value: SqliteValue<'_, '_, '_>) -> Result<Value, String> {
        Ok(sqlite_value_to_json(value))
    }
}

/// Converts one non-NULL SQLite value (a NULL never reaches here: diesel reports it as no value).
pub(super) fn sqlite_value_to_json(mut value: SqliteValue<'_, '_, '_>) -> Value {
    match value.value_type() {
        None => Value::Null,
        Some(SqliteType::Long | SqliteType::Integer | SqliteType::SmallInt) => {
            Value::from(value.read_long())
        }
        Some(SqliteType::Double | SqliteType::Float) => {
            serde_json::Number::from_f64(value.read_double())
                .map(Value::Number)
                .unwrap_or(Value::Null)
        }
        Some(SqliteType::Text) => Value::String(value.read_text().to_owned()),
        Some(SqliteType::Binary) => Value::String(encode_base64(value.read_blob())),
    }
}
