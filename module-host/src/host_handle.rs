//! The host handle: the server's implementation of the SDK's `HostApi`, one per loaded module,
//! bound to that module's id. It is what a module gets in `register` and keeps for every later
//! call: scoped logging, database access through [`ModuleDb`] and read-only core services
//! through [`call_core`].
//!
//! Every method runs on the module's calling thread (a host worker thread, never the async
//! runtime), answers errors as `HostError` text naming what was wrong, and never lets a panic
//! cross back into the module: a panic in host code becomes an error value.

use super::core_calls::call_core;
use super::module_db::{ModuleDb, ModuleDbError};
use super::module_policy::ModulePolicy;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, RResult, RStr, RString};
use module_sdk::abi::{HostApi, HostApi_TO, HostError, HostHandle, LogLevel};
use paperclip_core::core::Core;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Longest log message kept from a module; the rest is cut so one call cannot flood the log.
const MAX_LOG_MESSAGE_BYTES: usize = 16 * 1024;

/// The host side of one module's handle.
#[derive(Clone)]
pub struct HostHandleImpl {
    module_id: String,
    db: ModuleDb,
    core: Core,
    /// What the module may do through core calls (grants, companies, causation).
    policy: Arc<ModulePolicy>,
}

impl std::fmt::Debug for HostHandleImpl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostHandleImpl")
            .field("module_id", &self.module_id)
            .finish()
    }
}

impl HostHandleImpl {
    /// A handle for `module_id` on the core's database, with the default SQL guard.
    pub fn new(module_id: &str, core: Core) -> HostHandleImpl {
        let db = ModuleDb::new(module_id, core.db().clone());
        HostHandleImpl::with_module_db(db, core)
    }

    /// A handle using a prepared [`ModuleDb`] (e.g. one whose guard knows the other modules);
    /// the module is the `ModuleDb`'s.
    pub fn with_module_db(db: ModuleDb, core: Core) -> HostHandleImpl {
        HostHandleImpl {
            policy: ModulePolicy::unrestricted_reads(db.module_id()),
            module_id: db.module_id().to_string(),
            db,
            core,
        }
    }

    /// The same handle, its core calls checked by `policy` (the running module's).
    pub fn with_policy(mut self, policy: Arc<ModulePolicy>) -> HostHandleImpl {
        self.policy = policy;
        self
    }

    /// The module's database access, e.g. for [`ModuleDb::rollback_all`] on disable.
    pub fn module_db(&self) -> &ModuleDb {
        &self.db
    }

    /// The id of the module this handle is bound to.
    pub fn module_id(&self) -> &str {
        &self.module_id
    }

    /// Wraps this handle into the ABI-stable trait object passed to the module.
    pub fn into_handle(self) -> HostHandle {
        HostApi_TO::from_ptr(RArc::new(self), TD_Opaque)
    }

    /// Runs one handle method, turning a panic in host code into an error: a panic must not
    /// unwind into the module's `extern "C"` frames.
    fn guarded<T>(
        &self,
        call: &str,
        work: impl FnOnce() -> Result<T, String>,
    ) -> RResult<T, HostError> {
        let outcome = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
            let message = module_sdk::panic_text(panic.as_ref()).unwrap_or("unknown panic");
            tracing::error!(module = %self.module_id, call = %call, panic = %message,
                "host handle call panicked");
            Err(format!("the host failed while handling {call}: {message}"))
        });
        match outcome {
            Ok(value) => RResult::ROk(value),
            Err(message) => {
                tracing::debug!(module = %self.module_id, call = %call, error = %message,
                    "host handle call refused");
                RResult::RErr(HostError::new(message))
            }
        }
    }
}

/// Builds the handle passed to module `module_id`.
pub fn new_host_handle(module_id: &str, core: Core) -> HostHandle {
    HostHandleImpl::new(module_id, core).into_handle()
}

/// Builds the handle passed to module `module_id` and keeps its [`ModuleDb`] for the host
/// (to roll back the module's transactions when it is disabled or the server stops).
pub fn new_host_handle_with_db(module_id: &str, core: Core) -> (HostHandle, ModuleDb) {
    let handle = HostHandleImpl::new(module_id, core);
    let db = handle.module_db().clone();
    (handle.into_handle(), db)
}

impl HostApi for HostHandleImpl {
    fn module_id(&self) -> RString {
        RString::from(self.module_id.as_str())
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let text = printable(message.as_str());
        let module = self.module_id.as_str();
        // One line per call: the module's text cannot start a line that looks like the host's.
        match level {
            LogLevel::Error => {
                tracing::error!(target: "paperclip::module", module = %module, "{text}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "paperclip::module", module = %module, "{text}")
            }
            LogLevel::Info => {
                tracing::info!(target: "paperclip::module", module = %module, "{text}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "paperclip::module", module = %module, "{text}")
            }
            LogLevel::Trace => {
                tracing::trace!(target: "paperclip::module", module = %module, "{text}")
            }
        }
    }

    fn db_begin(&self) -> RResult<u64, HostError> {
        self.guarded("db_begin", || self.db.begin().map_err(describe))
    }

    fn db_commit(&self, tx: u64) -> RResult<(), HostError> {
        self.guarded("db_commit", || self.db.commit(tx).map_err(describe))
    }

    fn db_rollback(&self, tx: u64) -> RResult<(), HostError> {
        self.guarded("db_rollback", || self.db.rollback(tx).map_err(describe))
    }

    fn db_query(
        &self,
        tx: u64,
        sql: RStr<'_>,
        params_json: RStr<'_>,
    ) -> RResult<RString, HostError> {
        self.guarded("db_query", || {
            let params = ModuleDb::parse_params(params_json.as_str()).map_err(describe)?;
            let rows = self.db.query(tx, sql.as_str(), &params).map_err(describe)?;
            serde_json::to_string(&rows)
                .map(RString::from)
                .map_err(|e| format!("cannot serialize the rows: {e}"))
        })
    }

    fn db_execute(&self, tx: u64, sql: RStr<'_>, params_json: RStr<'_>) -> RResult<u64, HostError> {
        self.guarded("db_execute", || {
            let params = ModuleDb::parse_params(params_json.as_str()).map_err(describe)?;
            self.db.execute(tx, sql.as_str(), &params).map_err(describe)
        })
    }

    fn core_call(&self, method: RStr<'_>, args_json: RStr<'_>) -> RResult<RString, HostError> {
        self.guarded("core_call", || {
            if self.db.is_revoked() {
                return Err(ModuleDbError::Disabled(self.module_id.clone()).to_string());
            }
            let result = call_core(
                &self.core,
                &self.policy,
                method.as_str(),
                args_json.as_str(),
            )
            .map_err(|e| e.to_string())?;
            serde_json::to_string(&result)
                .map(RString::from)
                .map_err(|e| format!("cannot serialize the result: {e}"))
        })
    }
}

fn describe(error: ModuleDbError) -> String {
    error.to_string()
}

/// The module's log text on one line: line breaks are shown escaped, and overly long text is
/// cut (on a character boundary) with a note saying so.
fn printable(message: &str) -> String {
    let mut text = message;
    let mut cut = false;
    if text.len() > MAX_LOG_MESSAGE_BYTES {
        let mut end = MAX_LOG_MESSAGE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text = &text[..end];
        cut = true;
    }
    let mut out = text.replace('\r', "\\r").replace('\n', "\\n");
    if cut {
        out.push_str(&format!(" … ({} bytes cut)", message.len() - text.len()));
    }
    out
}

#[cfg(test)]
mod tests;
