//! Database access through the host. Modules never link a driver: SQL with `$1..$n` placeholders
//! and JSON parameters go to the host, which checks the SQL (a module may write only its own
//! `mod_<id>_*` tables), rewrites placeholders for the backend and runs it on its pool.

use crate::abi::HostHandle;
use crate::error::{Error, Result};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};
use std::ops::Deref;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// Builds the parameter list for [`Db::query`] / [`Db::execute`] from any `Serialize` values:
/// `db.execute("INSERT INTO mod_x_t (a, b) VALUES ($1, $2)", &params![id, 42])`.
///
/// ```
/// use module_sdk::params;
/// use serde_json::json;
///
/// let id = String::from("a1");
/// assert_eq!(params![id, 42, None::<i64>, true], [json!("a1"), json!(42), json!(null), json!(true)]);
/// assert!(params![].is_empty());
/// ```
#[macro_export]
macro_rules! params {
    () => {
        ::std::vec::Vec::<$crate::__private::serde_json::Value>::new()
    };
    ($($value:expr),+ $(,)?) => {
        ::std::vec![$($crate::db::to_param(&$value)),+]
    };
}

/// Converts one value to a SQL parameter. Used by [`params!`].
///
/// # Panics
/// If the value cannot be represented as JSON (a map with non-string keys); the SDK's entry-point
/// wrapper turns such a panic into an error for the host.
pub fn to_param<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).expect("SQL parameter must be representable as JSON")
}

/// One result row: column name → JSON value.
///
/// ```
/// use module_sdk::Row;
/// use serde::Deserialize;
/// use serde_json::json;
///
/// let row = Row::new(json!({ "agent_id": "a1", "tokens": 5 }).as_object().unwrap().clone());
/// assert_eq!(row.get::<u64>("tokens").unwrap(), 5);
/// assert_eq!(row["agent_id"], "a1");
/// assert!(row.get::<u64>("agent_id").is_err()); // the error names the column
///
/// #[derive(Deserialize)]
/// struct Usage { agent_id: String, tokens: u64 }
/// let usage: Usage = row.to().unwrap();
/// assert_eq!((usage.agent_id.as_str(), usage.tokens), ("a1", 5));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row(Map<String, Value>);

impl Row {
    /// Wraps a JSON object as a row.
    pub fn new(columns: Map<String, Value>) -> Self {
        Self(columns)
    }

    /// The value of `column` as `T`; an error names the column when it is missing or has another type.
    pub fn get<T: DeserializeOwned>(&self, column: &str) -> Result<T> {
        let value = self
            .0
            .get(column)
            .ok_or_else(|| Error::msg(format!("no column `{column}` in the row")))?;
        T::deserialize(value)
            .map_err(|e| Error::msg(format!("column `{column}` has an unexpected type: {e}")))
    }

    /// Deserializes the whole row into `T` (e.g. a struct with one field per column).
    pub fn to<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&Value::Object(self.0.clone()))
            .map_err(|e| Error::msg(format!("row does not match the expected shape: {e}")))
    }

    /// The underlying JSON object.
    pub fn into_inner(self) -> Map<String, Value> {
        self.0
    }
}

impl Deref for Row {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Database access for one module, either autocommit or inside one transaction.
#[derive(Clone, Copy)]
pub struct Db<'a> {
    host: &'a HostHandle,
    /// 0 = autocommit, otherwise the host's transaction id.
    tx: u64,
}

impl<'a> Db<'a> {
    pub(crate) fn new(host: &'a HostHandle) -> Self {
        Self { host, tx: 0 }
    }

    /// Whether this handle runs inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.tx != 0
    }

    /// Runs a query and returns its rows.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let params = serde_json::to_string(params)?;
        let json = self
            .host
            .db_query(self.tx, sql.into(), params.as_str().into())
            .into_result()?;
        let rows: Vec<Map<String, Value>> = serde_json::from_str(&json)
            .map_err(|e| Error::msg(format!("host returned malformed rows: {e}")))?;
        Ok(rows.into_iter().map(Row).collect())
    }

    /// Runs a query and deserializes each row into `T`.
    pub fn query_as<T: DeserializeOwned>(&self, sql: &str, params: &[Value]) -> Result<Vec<T>> {
        self.query(sql, params)?.iter().map(Row::to).collect()
    }

    /// Runs a query that must return exactly one row.
    pub fn query_one(&self, sql: &str, params: &[Value]) -> Result<Row> {
        let mut rows = self.query(sql, params)?;
        match rows.len() {
            1 => Ok(rows.remove(0)),
            n => Err(Error::msg(format!("expected exactly one row, got {n}"))),
        }
    }

    /// Runs a query that returns at most one row.
    pub fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        let mut rows = self.query(sql, params)?;
        match rows.len() {
            0 => Ok(None),
            1 => Ok(Some(rows.remove(0))),
            n => Err(Error::msg(format!("expected at most one row, got {n}"))),
        }
    }

    /// Runs a statement and returns the number of rows affected.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        let params = serde_json::to_string(params)?;
        Ok(self
            .host
            .db_execute(self.tx, sql.into(), params.as_str().into())
            .into_result()?)
    }

    /// [`Db::transaction`], run again (up to `attempts` times in all) while it fails with a
    /// write conflict: on SQLite a transaction takes the write lock at its first write, so one
    /// that reads, then writes, fails with `write conflict: …` if another writer committed in
    /// between; running it again from the start (new reads) is the remedy. Other errors end it
    /// at once. `f` must be safe to run more than once.
    pub fn transaction_retrying<T>(
        &self,
        attempts: u32,
        mut f: impl FnMut(&Db<'a>) -> Result<T>,
    ) -> Result<T> {
        let mut left = attempts.max(1);
        loop {
            left -= 1;
            match self.transaction(&mut f) {
                Err(e) if left > 0 && !self.in_transaction() && is_write_conflict(&e) => continue,
                outcome => return outcome,
            }
        }
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns `Err`
    /// or panics (the panic then continues). Called on a handle that is already in a
    /// transaction, `f` simply joins it.
    pub fn transaction<T>(&self, f: impl FnOnce(&Db<'a>) -> Result<T>) -> Result<T> {
        if self.in_transaction() {
            return f(self);
        }
        let tx = self.host.db_begin().into_result()?;
        let inner = Db {
            host: self.host,
            tx,
        };
        // The closure only borrows the handle; after a panic we roll back and resume the panic,
        // so no broken state is observed through it.
        match catch_unwind(AssertUnwindSafe(|| f(&inner))) {
            Ok(Ok(value)) => {
                self.host.db_commit(tx).into_result()?;
                Ok(value)
            }
            Ok(Err(e)) => {
                // The handler's error is the one worth reporting; a rollback failure would only hide it.
                let _ = self.host.db_rollback(tx);
                Err(e)
            }
            Err(panic) => {
                let _ = self.host.db_rollback(tx);
                resume_unwind(panic)
            }
        }
    }
}

/// Whether `error` is the host's write conflict (`write conflict: …`, see
/// [`Db::transaction_retrying`]).
pub fn is_write_conflict(error: &Error) -> bool {
    error.message().starts_with("write conflict:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;
    use serde_json::json;

    #[test]
    fn params_serialize_any_value_and_queries_go_out_autocommit() {
        let host = TestHost::default();
        host.state.lock().unwrap().query_result = r#"[{"n":2,"name":"x"}]"#.into();
        let handle = host.handle();
        let db = Db::new(&handle);
        let rows = db
            .query(
                "SELECT n, name FROM mod_fake_t WHERE a = $1 AND b = $2 AND c = $3",
                &params!["s", 7, None::<i32>],
            )
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<i64>("n").unwrap(), 2);
        assert_eq!(rows[0]["name"], "x");
        assert!(rows[0]
            .get::<i64>("missing")
            .unwrap_err()
            .message()
            .contains("`missing`"));
        assert!(rows[0]
            .get::<i64>("name")
            .unwrap_err()
            .message()
            .contains("`name`"));
        assert_eq!(
            host.calls(),
            [
                r#"query 0 SELECT n, name FROM mod_fake_t WHERE a = $1 AND b = $2 AND c = $3 ["s",7,null]"#
            ]
        );
        assert_eq!(params![], Vec::<Value>::new());
    }

    #[test]
    fn query_one_and_opt_check_the_row_count() {
        let host = TestHost::default();
        let handle = host.handle();
        let db = Db::new(&handle);
        assert_eq!(db.query_opt("SELECT 1", &[]).unwrap(), None);
        assert!(db
            .query_one("SELECT 1", &[])
            .unwrap_err()
            .message()
            .contains("got 0"));
        host.state.lock().unwrap().query_result = r#"[{"a":1},{"a":2}]"#.into();
        assert!(db
            .query_opt("SELECT 1", &[])
            .unwrap_err()
            .message()
            .contains("got 2"));
        #[derive(serde::Deserialize)]
        struct A {
            a: i32,
        }
        let all: Vec<A> = db.query_as("SELECT a", &[]).unwrap();
        assert_eq!(all.iter().map(|r| r.a).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn host_errors_surface_with_their_message() {
        let host = TestHost::default();
        host.refuse("forbidden", "table `agents` is read-only for modules");
        let handle = host.handle();
        let err = Db::new(&handle)
            .execute("DELETE FROM forbidden", &[])
            .unwrap_err();
        assert_eq!(err.message(), "table `agents` is read-only for modules");
    }

    #[test]
    fn a_write_conflict_runs_the_transaction_again_and_other_errors_do_not() {
        let host = TestHost::default();
        host.refuse(
            "UPDATE",
            "write conflict: the transaction read … run the transaction again",
        );
        host.refuse("DELETE", "table `agents` is read-only for modules");
        let handle = host.handle();
        let db = Db::new(&handle);
        let mut runs = 0;
        let err = db
            .transaction_retrying(3, |tx| {
                runs += 1;
                tx.query("SELECT n FROM mod_fake_t", &[])?;
                tx.execute("UPDATE mod_fake_t SET n = n + 1", &[])
            })
            .unwrap_err();
        assert!(is_write_conflict(&err), "{err}");
        assert_eq!(runs, 3);
        let begins = host
            .calls()
            .iter()
            .filter(|c| c.starts_with("begin"))
            .count();
        assert_eq!(begins, 3, "{:?}", host.calls());

        let mut runs = 0;
        let err = db
            .transaction_retrying(3, |tx| {
                runs += 1;
                tx.execute("DELETE FROM agents", &[])
            })
            .unwrap_err();
        assert!(!is_write_conflict(&err));
        assert_eq!(runs, 1);
    }

    #[test]
    fn transaction_commits_on_ok() {
        let host = TestHost::default();
        let handle = host.handle();
        let n = Db::new(&handle)
            .transaction(|tx| {
                assert!(tx.in_transaction());
                // A nested transaction joins the outer one.
                tx.transaction(|inner| inner.execute("UPDATE mod_fake_t SET a = $1", &params![1]))
            })
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            host.calls(),
            [
                "begin 1",
                r#"execute 1 UPDATE mod_fake_t SET a = $1 [1]"#,
                "commit 1"
            ]
        );
    }

    #[test]
    fn transaction_rolls_back_on_err_and_on_panic() {
        let host = TestHost::default();
        let handle = host.handle();
        let db = Db::new(&handle);
        let err = db
            .transaction(|_| -> Result<()> { Err(Error::msg("nope")) })
            .unwrap_err();
        assert_eq!(err.message(), "nope");
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            db.transaction(|_| -> Result<()> { panic!("boom") })
        }));
        assert!(panicked.is_err());
        assert_eq!(
            host.calls(),
            ["begin 1", "rollback 1", "begin 2", "rollback 2"]
        );
    }

    #[test]
    fn rows_deserialize_into_structs() {
        #[derive(serde::Deserialize, PartialEq, Debug)]
        struct Metric {
            agent_id: String,
            tokens: u64,
        }
        let mut map = Map::new();
        map.insert("agent_id".into(), json!("a1"));
        map.insert("tokens".into(), json!(5));
        let row = Row::new(map);
        assert_eq!(
            row.to::<Metric>().unwrap(),
            Metric {
                agent_id: "a1".into(),
                tokens: 5
            }
        );
        assert_eq!(row.into_inner().len(), 2);
    }
}
