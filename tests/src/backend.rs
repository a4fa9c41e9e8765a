//! The database backends a test runs on: SQLite always, PostgreSQL when
//! `PAPERCLIP_TEST_DATABASE_URL` names a server.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

pub use paperclip_test_support::TEST_DATABASE_URL_VAR;

/// A database backend for a [`crate::TestServer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestBackend {
    /// Embedded SQLite in the server's temporary data dir.
    Sqlite,
    /// PostgreSQL; each server creates a fresh database through `admin_url` and drops it
    /// when the server is dropped.
    Postgres {
        /// URL of an existing database on the server, used to create and drop test databases.
        admin_url: String,
    },
}

impl TestBackend {
    /// The name the server reports in `/api/health` (`sqlite` or `postgres`).
    pub fn name(&self) -> &'static str {
        match self {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres { .. } => "postgres",
        }
    }

    /// PostgreSQL from `PAPERCLIP_TEST_DATABASE_URL`, when it is set and not empty.
    pub fn postgres_from_env() -> Option<TestBackend> {
        paperclip_test_support::postgres_admin_url()
            .map(|admin_url| TestBackend::Postgres { admin_url })
    }
}

impl fmt::Display for TestBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// SQLite, plus PostgreSQL when `PAPERCLIP_TEST_DATABASE_URL` is set.
pub fn test_backends() -> Vec<TestBackend> {
    let mut backends = vec![TestBackend::Sqlite];
    backends.extend(TestBackend::postgres_from_env());
    backends
}

/// Runs `test` once per backend of [`test_backends`], one after the other. Every backend runs
/// even when an earlier one fails; then the test fails with each failure prefixed by its
/// backend's name (`[postgres] assertion failed …`).
pub fn each_backend(test: impl Fn(TestBackend)) {
    let mut failures = Vec::new();
    for backend in test_backends() {
        let name = backend.name();
        eprintln!("── backend: {name}");
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| test(backend))) {
            failures.push(format!("[{name}] {}", panic_message(payload.as_ref())));
        }
    }
    if !failures.is_empty() {
        panic!("{}", failures.join("\n"));
    }
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    module_sdk::panic_text(payload).unwrap_or("panicked with a non-text payload")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_name_their_backend() {
        let result = panic::catch_unwind(|| each_backend(|backend| panic!("boom on {backend}")));
        let payload = result.unwrap_err();
        let message = panic_message(payload.as_ref());
        assert!(message.starts_with("[sqlite] boom on sqlite"), "{message}");
    }
}
