//! Running a module suite at every isolation level: [`each_backend_and_level`] runs a test for
//! each level (`inline`, `threaded`, `process`) on each backend, and every [`crate::TestServer`]
//! started inside it gets `modules.isolation."*"` set to that level (unless the test's config
//! sets it). `PAPERCLIP_TEST_ISOLATION=inline,process` limits the levels (e.g. for a quick local
//! run); CI runs all three.

use crate::backend::{each_backend, TestBackend};
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

/// The isolation levels, in order.
pub const ISOLATION_LEVELS: [&str; 3] = ["inline", "threaded", "process"];

/// Environment variable that limits the levels [`each_backend_and_level`] runs.
pub const TEST_ISOLATION_VAR: &str = "PAPERCLIP_TEST_ISOLATION";

thread_local! {
    static CURRENT_LEVEL: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// The level servers started on this thread run their modules at, inside
/// [`each_backend_and_level`].
pub fn current_isolation() -> Option<&'static str> {
    CURRENT_LEVEL.with(Cell::get)
}

/// The levels to run: [`ISOLATION_LEVELS`], or those named in `PAPERCLIP_TEST_ISOLATION`.
pub fn test_levels() -> Vec<&'static str> {
    match std::env::var(TEST_ISOLATION_VAR) {
        Ok(list) if !list.trim().is_empty() => ISOLATION_LEVELS
            .into_iter()
            .filter(|level| list.split(',').any(|named| named.trim() == *level))
            .collect(),
        _ => ISOLATION_LEVELS.to_vec(),
    }
}

/// Runs `test` at every level of [`test_levels`], each on every backend ([`each_backend`]).
/// Every level runs even when an earlier one fails; then the test fails with each failure
/// prefixed by its level (`[process] [postgres] assertion failed …`).
pub fn each_backend_and_level(test: impl Fn(TestBackend, &'static str)) {
    let mut failures = Vec::new();
    for level in test_levels() {
        eprintln!("── isolation: {level}");
        CURRENT_LEVEL.with(|current| current.set(Some(level)));
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            each_backend(|backend| test(backend, level))
        }));
        CURRENT_LEVEL.with(|current| current.set(None));
        if let Err(payload) = outcome {
            let message = module_sdk::panic_text(payload.as_ref())
                .unwrap_or("panicked with a non-text payload");
            failures.push(format!("[{level}] {message}"));
        }
    }
    if !failures.is_empty() {
        panic!("{}", failures.join("\n"));
    }
}
