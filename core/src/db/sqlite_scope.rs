//! Engine-side checks of the SQL run on a thread, for SQLite: an authorizer
//! (`sqlite3_set_authorizer`) and a progress handler installed on every SQLite connection the
//! process opens, both consulting a thread-local [`SqliteScope`].
//!
//! Outside a scope (the core's own work) both allow everything at the cost of a thread-local
//! read. Inside one (e.g. a module statement being prepared and stepped on this thread) the
//! scope's [`StatementAuthorizer`] decides each action SQLite asks about, and the progress
//! handler interrupts the statement past the scope's deadline.
//!
//! SQLite calls the authorizer while it compiles a statement, on the calling thread, so a
//! thread-local scope is exactly "the statements this thread compiles now". Statements diesel
//! caches are built by the core's query builder; `sql_query` text is never cached, so a statement
//! compiled inside a scope is never reused outside it.
//!
//! The one place of the core that needs `unsafe` (the SQLite C API): every unsafe operation is
//! in its own block with a `SAFETY:` comment.

#![deny(unsafe_op_in_unsafe_fn)]

use libsqlite3_sys as ffi;
use std::cell::RefCell;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::{Arc, Once};
use std::time::Instant;

/// How many SQLite virtual-machine steps run between two deadline checks.
const PROGRESS_STEPS: c_int = 1_000;

/// Decides the actions SQLite asks about (`SQLITE_READ`, `SQLITE_INSERT`, …) inside a scope.
pub trait StatementAuthorizer: Send + Sync {
    /// `Ok` allows the action; `Err` denies it and says what was refused ("writing table
    /// `agents`"). `arg1` and `arg2` are SQLite's, `database` the schema the object lives in
    /// (`main`, `temp`; empty for a subquery or CTE), all lower-cased, empty when absent.
    fn authorize(
        &self,
        action: c_int,
        arg1: &str,
        arg2: &str,
        database: &str,
    ) -> Result<(), String>;
}

/// The checks applied to what this thread runs until the scope ends.
#[derive(Clone)]
pub struct SqliteScope {
    /// Who decides each action.
    pub authorizer: Arc<dyn StatementAuthorizer>,
    /// When a running statement is interrupted (`None`: no time limit).
    pub deadline: Option<Instant>,
}

thread_local! {
    static SCOPE: RefCell<Option<SqliteScope>> = const { RefCell::new(None) };
    static DENIED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Ends the scope when dropped, also on panic.
pub struct ScopeGuard {
    _private: (),
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        SCOPE.with(|s| s.borrow_mut().take());
    }
}

/// Enters `scope` on this thread until the returned guard is dropped.
pub fn enter(scope: SqliteScope) -> ScopeGuard {
    install();
    DENIED.with(|d| d.borrow_mut().take());
    SCOPE.with(|s| *s.borrow_mut() = Some(scope));
    ScopeGuard { _private: () }
}

/// What the authorizer last denied on this thread, if anything since the scope began (SQLite
/// itself only says "not authorized").
pub fn take_denial() -> Option<String> {
    DENIED.with(|d| d.borrow_mut().take())
}

/// Whether this thread's scope has a deadline that has passed.
pub fn deadline_passed() -> bool {
    SCOPE.with(|s| {
        s.borrow()
            .as_ref()
            .and_then(|scope| scope.deadline)
            .is_some_and(|deadline| Instant::now() >= deadline)
    })
}

/// Registers the callbacks for every SQLite connection opened after this call (an SQLite
/// "auto extension"). [`super::DbConnection::open`] calls it before opening a connection.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: `on_open` has the entry-point signature SQLite expects and lives forever.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        // Without it the engine would not check scoped statements: that must not go unnoticed.
        assert_eq!(
            rc,
            ffi::SQLITE_OK,
            "cannot register the SQLite authorizer (code {rc})"
        );
    });
}

/// Called by SQLite for each new connection: installs the authorizer and progress handler.
///
/// # Safety
/// `db` must be a valid, open SQLite connection (SQLite passes the one it is opening).
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening (valid for this call); `authorize` has
    // the callback signature SQLite expects, lives forever and uses no user data (null).
    unsafe { ffi::sqlite3_set_authorizer(db, Some(authorize), std::ptr::null_mut()) };
    // SAFETY: as above; `progress` has the progress-handler signature and ignores its argument.
    unsafe {
        ffi::sqlite3_progress_handler(db, PROGRESS_STEPS, Some(progress), std::ptr::null_mut())
    };
    ffi::SQLITE_OK
}

extern "C" fn progress(_: *mut c_void) -> c_int {
    // Nothing may unwind into SQLite.
    std::panic::catch_unwind(deadline_passed)
        .map(c_int::from)
        .unwrap_or(1)
}

/// SQLite's authorizer callback.
///
/// # Safety
/// Each of `arg1`, `arg2`, `database` and `_trigger_or_view` is null or a NUL-terminated string
/// valid for this call (SQLite's contract for authorizer arguments).
unsafe extern "C" fn authorize(
    _: *mut c_void,
    action: c_int,
    arg1: *const c_char,
    arg2: *const c_char,
    database: *const c_char,
    _trigger_or_view: *const c_char,
) -> c_int {
    let in_scope = SCOPE.with(|s| s.borrow().is_some());
    if !in_scope {
        return ffi::SQLITE_OK;
    }
    let text = |p: *const c_char| -> String {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: `p` is not null, and SQLite passes NUL-terminated strings that stay valid
            // for the duration of the callback (see the function's safety section).
            unsafe { CStr::from_ptr(p) }
                .to_string_lossy()
                .to_ascii_lowercase()
        }
    };
    let (arg1, arg2, database) = (text(arg1), text(arg2), text(database));
    std::panic::catch_unwind(|| {
        let scope = SCOPE.with(|s| s.borrow().clone());
        let Some(scope) = scope else {
            return ffi::SQLITE_OK;
        };
        match scope.authorizer.authorize(action, &arg1, &arg2, &database) {
            Ok(()) => ffi::SQLITE_OK,
            Err(denied) => {
                DENIED.with(|d| {
                    d.borrow_mut().get_or_insert(denied);
                });
                ffi::SQLITE_DENY
            }
        }
    })
    .unwrap_or(ffi::SQLITE_DENY)
}
