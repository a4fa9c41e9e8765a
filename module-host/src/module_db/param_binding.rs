//! Binding a module's JSON parameters to a raw SQL statement, per backend.
//!
//! Parameters arrive as a JSON array; each value is bound with the SQL type its JSON type calls
//! for, so the database sees typed values rather than text:
//!
//! | JSON              | SQLite            | PostgreSQL                                         |
//! |-------------------|-------------------|----------------------------------------------------|
//! | `null`            | NULL              | NULL of unspecified type (fits any column)         |
//! | `true`/`false`    | INTEGER 1/0       | `boolean`                                          |
//! | integer           | INTEGER (64-bit)  | `bigint`                                           |
//! | other number      | REAL              | `double precision`                                 |
//! | string            | TEXT              | `text` (cast in SQL for other types: `$1::uuid`)   |
//! | object / array    | TEXT (JSON)       | `json` (assignable to `json`, `jsonb` and `text`)  |

use super::ModuleDbError;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, Bool, Double, Json, Text};
use diesel::sqlite::Sqlite;
use serde_json::Value;

/// A SQLite statement with its parameters bound.
pub(super) type SqliteStatement = BoxedSqlQuery<'static, Sqlite, SqlQuery>;
/// A PostgreSQL statement with its parameters bound.
pub(super) type PgStatement = BoxedSqlQuery<'static, Pg, SqlQuery>;

/// One parameter, classified by its JSON type.
enum Param {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    Text(String),
    Json(Value),
}

/// Classifies the parameter at `index` (0-based); integers beyond 64 bits are refused rather
/// than silently rounded.
fn classify(index: usize, value: &Value) -> Result<Param, ModuleDbError> {
    Ok(match value {
        Value::Null => Param::Null,
        Value::Bool(b) => Param::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Param::Integer(i)
            } else if n.is_u64() {
                return Err(ModuleDbError::BadParam {
                    number: index + 1,
                    reason: format!(
                        "the integer {n} does not fit a signed 64-bit column (largest is {})",
                        i64::MAX
                    ),
                });
            } else {
                match n.as_f64() {
                    Some(f) => Param::Float(f),
                    None => {
                        return Err(ModuleDbError::BadParam {
                            number: index + 1,
                            reason: format!("the number {n} cannot be represented"),
                        })
                    }
                }
            }
        }
        Value::String(s) => Param::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => Param::Json(value.clone()),
    })
}

/// Builds a SQLite statement from checked SQL (placeholders already `?n`) and its parameters.
pub(super) fn bind_sqlite(sql: &str, params: &[Value]) -> Result<SqliteStatement, ModuleDbError> {
    let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
    for (index, value) in params.iter().enumerate() {
        query = match classify(index, value)? {
            Param::Null => query.bind::<diesel::sql_types::Nullable<Text>, _>(None::<String>),
            Param::Bool(b) => query.bind::<Bool, _>(b),
            Param::Integer(i) => query.bind::<BigInt, _>(i),
            Param::Float(f) => query.bind::<Double, _>(f),
            Param::Text(s) => query.bind::<Text, _>(s),
            // SQLite has no JSON column type; its JSON functions read JSON text.
            Param::Json(v) => query.bind::<Text, _>(v.to_string()),
        };
    }
    Ok(query)
}

/// Builds a PostgreSQL statement from checked SQL and its parameters.
pub(super) fn bind_pg(sql: &str, params: &[Value]) -> Result<PgStatement, ModuleDbError> {
    let mut query = diesel::sql_query(sql).into_boxed::<Pg>();
    for (index, value) in params.iter().enumerate() {
        query = match classify(index, value)? {
            Param::Null => query.bind::<Unspecified, _>(SqlNull),
            Param::Bool(b) => query.bind::<Bool, _>(b),
            Param::Integer(i) => query.bind::<BigInt, _>(i),
            Param::Float(f) => query.bind::<Double, _>(f),
            Param::Text(s) => query.bind::<Text, _>(s),
            Param::Json(v) => query.bind::<Json, _>(v),
        };
    }
    Ok(query)
}

/// A PostgreSQL parameter declared with type OID 0 ("unspecified"): the server infers its type
/// from where it is used. Only used for NULL, whose value needs no type-specific encoding, so a
/// NULL fits an `integer`, `timestamp` or `uuid` column alike (a `text` NULL would not).
#[derive(Debug, Clone, Copy, diesel::sql_types::SqlType)]
#[diesel(postgres_type(oid = 0, array_oid = 0))]
struct Unspecified;

/// The NULL value bound as [`Unspecified`].
#[derive(Debug, Clone, Copy)]
struct SqlNull;

impl ToSql<Unspecified, Pg> for SqlNull {
    fn to_sql<'b>(&'b self, _out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        Ok(IsNull::Yes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_beyond_64_bits_are_refused_with_their_position() {
        let Err(err) = bind_sqlite("SELECT ?1, ?2", &[json!(1), json!(u64::MAX)]) else {
            panic!("an integer beyond 64 bits was bound");
        };
        let message = err.to_string();
        assert!(message.contains("$2"), "{message}");
        assert!(message.contains("18446744073709551615"), "{message}");
        assert!(bind_pg("SELECT $1", &[json!(u64::MAX)]).is_err());
    }

    #[test]
    fn every_json_type_binds_on_both_backends() {
        let params = [
            json!(null),
            json!(true),
            json!(-7),
            json!(2.5),
            json!("text"),
            json!({"a": [1, 2]}),
            json!([1, "x"]),
        ];
        assert!(bind_sqlite("SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7", &params).is_ok());
        assert!(bind_pg("SELECT $1, $2, $3, $4, $5, $6, $7", &params).is_ok());
    }
}
