//! Test helper of the hook tables' tests: a fresh migrated database per backend (SQLite always,
//! PostgreSQL when `PAPERCLIP_TEST_DATABASE_URL` is set).

use crate::db::migrations::run_core_migrations;
use crate::db::Database;
use paperclip_test_support::{postgres_admin_url, TestDatabase as PostgresDatabase};
use std::panic::{self, AssertUnwindSafe};

/// A migrated database that disappears when dropped (pool first, then the database).
struct TestDb {
    db: Database,
    _dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

fn migrated(url: &str) -> Database {
    let db = Database::open(url).expect("open the test database");
    let mut conn = db.conn().expect("connect to the test database");
    run_core_migrations(&mut conn).expect("apply the core migrations");
    db
}

/// Runs `test` on SQLite and, when configured, on PostgreSQL; failures name their backend.
pub fn each_backend(test: impl Fn(&Database)) {
    let mut makers: Vec<Box<dyn Fn() -> TestDb>> = vec![Box::new(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = dir.path().join("paperclip.db").display().to_string();
        TestDb {
            db: migrated(&url),
            _dir: Some(dir),
            _postgres: None,
        }
    })];
    if let Some(admin) = postgres_admin_url() {
        makers.push(Box::new(move || {
            let postgres = PostgresDatabase::create(&admin);
            TestDb {
                db: migrated(postgres.url()),
                _dir: None,
                _postgres: Some(postgres),
            }
        }));
    }
    let mut failures = Vec::new();
    for make in makers {
        let database = make();
        let name = database.db.backend().name();
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| test(&database.db))) {
            let text = module_sdk::panic_text(&*payload).unwrap_or("panicked");
            failures.push(format!("[{name}] {text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
