//! Build native Paperclip modules.
//!
//! A module is a `cdylib` crate that the Paperclip server loads at run time. This crate gives it:
//!
//! - a safe API: implement [`Module`], subscribe typed hooks, add [`Router`] routes and background
//!   services on the [`Registrar`], use the database ([`Db`]), the scoped logger ([`Logger`]) and
//!   read-only core services ([`Core`]) through the [`ModuleContext`];
//! - [`declare_module!`], which exports the module with every entry point wrapped so a panic
//!   becomes an error for the host instead of unwinding across the library boundary;
//! - the stable ABI itself ([`abi`]), which the server uses to load modules.
//!
//! No `unsafe` and no abi_stable knowledge is needed to write a module.
//!
//! # Guides
//!
//! One page per concern in [`guide`]: [hooks and payloads](guide::hooks),
//! [routes and errors](guide::routes), [inbound webhooks and signatures](guide::webhooks),
//! [database and SQL rules](guide::database),
//! [config](guide::config), [services](guide::services), [UI](guide::ui),
//! [testing](guide::testing) (with [`testing`], the SDK's test support).
//!
//! # Depending on the SDK
//!
//! The SDK is not published on crates.io. Depend on a checkout of the Paperclip repository by
//! path, `module-sdk = { path = "/path/to/paperclip/module-sdk" }`, or by git,
//! `module-sdk = { git = "<repository url>", rev = "<commit>" }`, in a `cdylib` crate.
//! `paperclipai module new <id> --sdk-path <dir>` writes such a crate, with a path dependency on
//! `<dir>`.
//!
//! # Example
//!
//! ```
//! use module_sdk::{params, AgentHeartbeat, Module, ModuleContext, Registrar, Response, Result, Router};
//! use std::time::Duration;
//!
//! pub struct Observability {
//!     retention_days: u64,
//! }
//!
//! impl Module for Observability {
//!     fn register(r: &mut Registrar<Self>) -> Result<Self> {
//!         let retention_days = r.config()["retentionDays"].as_u64().unwrap_or(30);
//!
//!         // The hook is inferred from the payload type; it must be listed in the manifest.
//!         r.on(|_m: &Self, ctx: &ModuleContext, beat: AgentHeartbeat| {
//!             if let Some(tokens) = beat.meta.tokens_used {
//!                 ctx.db().execute(
//!                     "INSERT INTO mod_observability_token_metrics (agent_id, tokens_used, recorded_at) \
//!                      VALUES ($1, $2, $3)",
//!                     &params![beat.agent_id, tokens, beat.timestamp],
//!                 )?;
//!             }
//!             Ok(())
//!         });
//!
//!         // Served under /api/modules/<routes.prefix>/…
//!         r.routes(Router::new().get("/agents/:id/tokens", |_m: &Self, ctx: &ModuleContext, req| {
//!             let rows = ctx.db().query(
//!                 "SELECT SUM(tokens_used) AS total FROM mod_observability_token_metrics WHERE agent_id = $1",
//!                 &params![req.param("id")],
//!             )?;
//!             Ok(Response::ok(&rows.first().map(|r| r["total"].clone())))
//!         }));
//!
//!         r.service("retention", Duration::from_secs(3600), |m: &Self, ctx: &ModuleContext| {
//!             ctx.db().execute(
//!                 "DELETE FROM mod_observability_token_metrics WHERE recorded_at < $1",
//!                 &params![format!("-{} days", m.retention_days)],
//!             )?;
//!             Ok(())
//!         });
//!
//!         Ok(Observability { retention_days })
//!     }
//! }
//!
//! module_sdk::declare_module!(Observability);
//! # fn main() {}
//! ```
//!
//! # Rules
//!
//! - A module creates and writes only tables named `mod_<id>_*`; it may read core tables.
//! - SQL uses `$1..$n` placeholders; the server rewrites them for SQLite or PostgreSQL.
//! - A hook is delivered only if the manifest's `hooks` lists it.
//! - Handlers run on the server's worker threads, possibly concurrently, with a time limit.
//!
//! # ABI evolution
//!
//! The root module and the host handle are abi_stable prefix types. New entry points and host
//! methods are only ever appended after the `#[sabi(last_prefix_field)]` markers, so a newer
//! server keeps loading modules built against an older SDK; a module built against a newer SDK
//! than the server is refused with a clear message. See `abi/mod.rs`.
// Unsafe code only in the ABI layer: `abi` (abi_stable's derives and `#[sabi_trait]` expand to
// unsafe code; loading a library checks its layout first) and `declare_module` (exporting the
// root module); each hand-written block has a `SAFETY:` comment. The safe API module authors
// use has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[allow(unsafe_code)]
pub mod abi;
mod capability;
mod context;
mod core_api;
mod core_writes;
pub mod db;
#[allow(unsafe_code)]
mod declare_module;
mod entities;
mod error;
pub mod guide;
mod hook;
mod logger;
mod module;
mod payloads;
mod registrar;
mod router;
mod runtime;
pub mod testing;
pub mod webhook;
pub mod webhook_signature;

pub use capability::Capability;
pub use context::ModuleContext;
pub use core_api::Core;
pub use core_writes::{CompanyScope, IssuePatch, NewIssue};
pub use db::{Db, Row};
pub use entities::{Activity, Agent, Goal, Issue, Project};
pub use error::{Error, Result};
pub use hook::{Hook, UnknownHook};
pub use logger::Logger;
pub use module::Module;
pub use payloads::{
    AgentCreated, AgentDeleted, AgentHeartbeat, AgentStatusChanged, AgentUpdated,
    BudgetSpendRecorded, BudgetThresholdCrossed, GoalCompleted, GoalCreated, HeartbeatMeta,
    HookPayload, IssueAssigned, IssueCreated, IssueStatusChanged, ServerStarted,
};
pub use registrar::Registrar;
pub use router::{IntoResponse, Request, Response, Router};
pub use runtime::{guard, panic_text};

/// The package version of this SDK (reported by a module's `describe`).
pub const SDK_VERSION: &str = env!("MODULE_SDK_VERSION");

/// Re-exports used by this crate's macros; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::declare_module::{lib_header, ROOT_MODULE_SYMBOL};
    pub use crate::runtime::{module_root, ModuleBuildInfo};
    pub use abi_stable::library::LibHeader;
    pub use serde_json;
}
