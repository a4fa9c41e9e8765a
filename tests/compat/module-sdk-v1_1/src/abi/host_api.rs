//! The host handle: what a module may ask of the server.

use super::{HostError, LogLevel};
use abi_stable::{
    sabi_trait,
    std_types::{RArc, RResult, RStr, RString},
};

/// Services the host offers to one module, bound to that module's id by the host (so logging is
/// tagged and SQL is checked against that module's `mod_<id>_*` namespace).
///
/// Produced by the host (one implementation per loaded module, wrapped in a [`HostHandle`] and
/// passed to `register`); consumed by the module (the SDK's `ModuleContext`, `Db`, `Logger`, `Core`).
///
/// Everything is synchronous; modules call it from the host's worker threads.
#[sabi_trait]
pub trait HostApi: Send + Sync + Clone {
    /// The id of the module this handle is bound to.
    fn module_id(&self) -> RString;

    /// Writes one log line tagged with the module id.
    fn log(&self, level: LogLevel, message: RStr<'_>);

    /// Opens a transaction and returns its id (never 0).
    fn db_begin(&self) -> RResult<u64, HostError>;

    /// Commits the transaction `tx`.
    fn db_commit(&self, tx: u64) -> RResult<(), HostError>;

    /// Rolls back the transaction `tx`.
    fn db_rollback(&self, tx: u64) -> RResult<(), HostError>;

    /// Runs a query with `$1..$n` placeholders; `tx` 0 means autocommit. `params_json` is a JSON
    /// array. Returns a JSON array of row objects (column name → value).
    fn db_query(
        &self,
        tx: u64,
        sql: RStr<'_>,
        params_json: RStr<'_>,
    ) -> RResult<RString, HostError>;

    /// Runs a statement with `$1..$n` placeholders; `tx` 0 means autocommit. Returns rows affected.
    fn db_execute(&self, tx: u64, sql: RStr<'_>, params_json: RStr<'_>) -> RResult<u64, HostError>;

    /// Calls a read-only core service, e.g. `"agents.get"` with `{"id": …}` or `"issues.list"`.
    /// Arguments and result are JSON.
    // ABI EVOLUTION: this is the last field of the prefix. New methods go BELOW it, forever;
    // never move this marker, reorder, rename or remove a method above it.
    #[sabi(last_prefix_field)]
    fn core_call(&self, method: RStr<'_>, args_json: RStr<'_>) -> RResult<RString, HostError>;
}

/// The host handle as it crosses the boundary: a `HostApi` trait object behind a shared pointer.
/// Build one on the host with `HostApi_TO::from_ptr(RArc::new(my_impl), abi_stable::sabi_trait::TD_Opaque)`.
pub type HostHandle = HostApi_TO<'static, RArc<()>>;
