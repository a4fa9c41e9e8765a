//! Runs a check on a thread of its own with a large stack. `sqlparser` parses and visits
//! recursively; in a debug build one level of expression costs tens of kilobytes of stack, so
//! a statement nested to the parser's own limit would overflow the 2 MiB stack of a runtime
//! worker thread and abort the whole server. The stack is reserved, not committed: only the
//! pages a check touches are used.

use super::SqlGuardError;

/// Stack for one check: room for the parser's recursion limit and the guard's expression
/// depth limit in an unoptimized build, with a wide margin.
const STACK_BYTES: usize = 16 << 20;

/// Runs `check` on a fresh thread with [`STACK_BYTES`] of stack and returns its result; a
/// panic inside is passed on to the caller.
pub(super) fn run<T, F>(check: F) -> Result<T, SqlGuardError>
where
    T: Send,
    F: FnOnce() -> Result<T, SqlGuardError> + Send,
{
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("sql-guard".to_string())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, check);
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(error) => Err(SqlGuardError::Unavailable {
                reason: error.to_string(),
            }),
        }
    })
}
