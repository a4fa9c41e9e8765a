//! Throw-away databases with the core schema for the module-database tests: a SQLite file in a
//! temporary directory always, and a fresh PostgreSQL database when
//! `PAPERCLIP_TEST_DATABASE_URL` names a server (created per test, dropped afterwards).

use super::drop_module_roles;
use diesel::{Connection, PgConnection, RunQueryDsl};
use paperclip_core::db::migrations::run_core_migrations;
use paperclip_core::db::{Backend, Database};
use std::panic::{self, AssertUnwindSafe};

/// Environment variable with a PostgreSQL URL of an account that may create databases.
const TEST_DATABASE_URL_VAR: &str = "PAPERCLIP_TEST_DATABASE_URL";

/// A migrated database that disappears when dropped.
pub(crate) struct TestDatabase {
    /// The pool on it.
    pub db: Database,
    _dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDrop>,
}

impl TestDatabase {
    /// The backend it runs on.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// A SQLite file in a new temporary directory, with the core schema.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = dir.path().join("paperclip.db").display().to_string();
        let db = migrated(&url);
        TestDatabase {
            db,
            _dir: Some(dir),
            _postgres: None,
        }
    }

    /// A new database on the PostgreSQL server of `admin_url`, with the core schema.
    pub fn postgres(admin_url: &str) -> TestDatabase {
        let name = format!("pc_mdb_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to {TEST_DATABASE_URL_VAR}: {e}"));
        // The name is made of hex digits above, so formatting it into the statement is safe
        // (CREATE DATABASE takes no parameters).
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let db = migrated(&with_database_name(admin_url, &name));
        TestDatabase {
            db,
            _dir: None,
            _postgres: Some(PostgresDrop {
                admin_url: admin_url.to_string(),
                name,
            }),
        }
    }
}

fn migrated(url: &str) -> Database {
    let db = Database::open(url).expect("open the test database");
    let mut conn = db.conn().expect("connect to the test database");
    run_core_migrations(&mut conn).expect("apply the core migrations");
    db
}

/// Drops the PostgreSQL test database, ending sessions still on it.
struct PostgresDrop {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDrop {
    fn drop(&mut self) {
        // Best effort: a leftover test database is harmless, a panic in drop is not.
        let dropped = PgConnection::establish(&self.admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut admin| {
                diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut admin)
                .map_err(|e| e.to_string())?;
                // Roles are cluster-wide: this database's module roles go with it.
                drop_module_roles(&mut admin, &self.name).map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("warning: cannot drop test database {}: {e}", self.name);
        }
    }
}

/// `url` with its database name replaced by `name`, keeping any `?query`.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

/// Runs `test` on a fresh SQLite database and, when `PAPERCLIP_TEST_DATABASE_URL` is set, on a
/// fresh PostgreSQL database. Both run even if the first fails; failures name their backend.
pub(crate) fn each_backend(test: impl Fn(&TestDatabase)) {
    let mut failures = Vec::new();
    let postgres = std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty());
    let mut backends: Vec<Box<dyn Fn() -> TestDatabase>> = vec![Box::new(TestDatabase::sqlite)];
    if let Some(url) = postgres {
        backends.push(Box::new(move || TestDatabase::postgres(&url)));
    }
    for make in backends {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let database = make();
            let name = database.backend().name();
            eprintln!("── backend: {name}");
            let result = panic::catch_unwind(AssertUnwindSafe(|| test(&database)));
            (name, result)
        }));
        match outcome {
            Ok((_, Ok(()))) => {}
            Ok((name, Err(payload))) => failures.push(format!("[{name}] {}", message(&*payload))),
            Err(payload) => failures.push(format!("[setup] {}", message(&*payload))),
        }
    }
    if !failures.is_empty() {
        panic!("{}", failures.join("\n"));
    }
}

fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    module_sdk::panic_text(payload).unwrap_or("panicked")
}

#[cfg(test)]
mod tests {
    use super::with_database_name;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database_name("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
