//! Throw-away databases with the core schema for the module-database tests: a SQLite file in a
//! temporary directory always, and a fresh PostgreSQL database when
//! `PAPERCLIP_TEST_DATABASE_URL` names a server (created per test, dropped afterwards).

use paperclip_core::db::migrations::run_core_migrations;
use paperclip_core::db::{Backend, Database};
use paperclip_test_support::{postgres_admin_url, TestDatabase as PostgresDatabase};
use std::panic::{self, AssertUnwindSafe};

/// A migrated database that disappears when dropped.
pub(crate) struct TestDatabase {
    /// The pool on it.
    pub db: Database,
    _dir: Option<tempfile::TempDir>,
    /// Dropped after the pool (fields drop in order), with the module roles made for it.
    _postgres: Option<PostgresDatabase>,
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
        let postgres = PostgresDatabase::create(admin_url);
        let db = migrated(postgres.url());
        TestDatabase {
            db,
            _dir: None,
            _postgres: Some(postgres),
        }
    }
}

fn migrated(url: &str) -> Database {
    let db = Database::open(url).expect("open the test database");
    let mut conn = db.conn().expect("connect to the test database");
    run_core_migrations(&mut conn).expect("apply the core migrations");
    db
}

/// Runs `test` on a fresh SQLite database and, when `PAPERCLIP_TEST_DATABASE_URL` is set, on a
/// fresh PostgreSQL database. Both run even if the first fails; failures name their backend.
pub(crate) fn each_backend(test: impl Fn(&TestDatabase)) {
    let mut failures = Vec::new();
    let postgres = postgres_admin_url();
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
