//! The module host: discovers module bundles in the modules folder (`plugins-dist/`), validates
//! them without running code, loads their libraries through the SDK's checked ABI, and runs
//! them — configuration, migrations, `register`, hooks through the hook bus, routes under
//! `/api/modules/<prefix>/`, background services — each module failing alone with a status and
//! a reason. [`ModuleHost`] is the entry point; the admin API and the CLI drive it.
//!
//! Files, in the order a module goes through them: [`manifest`] → [`discovery`] →
//! [`bundle_signature`] → [`module_loader`] → [`load_plan`] → [`module_config`] → [`module_migrations`] (checked by
//! [`sql_guard`]) → [`module_activation`] (`register` through [`module_calls`] with a
//! [`host_handle`], then the module's [`executor`], which runs its hooks, routes (see
//! [`route_table`]) and services) →
//! [`module_lifecycle`] (the host itself) → [`module_view`] (with [`delivery_view`]). Saved
//! state: [`module_state_store`]. Hook delivery to a module (memory, the hook outbox, retries,
//! dead letters): `executor::OutboxDelivery`.
//! Inbound webhooks (`POST /webhooks/<module-id>/<key>`, no API key): [`webhook_dispatcher`]
//! through the module's executor, recorded in [`webhook_deliveries`].
//! Module database access at run time: [`module_db`] and [`core_calls`]. A module instance's
//! entry points: [`module_entry`] (the library in this process) or [`process_entry`] (the
//! `process` isolation level: the library in a sandboxed `paperclip-module-runner` child, its
//! host-handle calls proxied back here).
//!
//! Architecture invariant: a module never gets a database connection, and a module that fails
//! at any step (or panics later) never takes the server or another module down with it.
//!
//! Architecture invariant: this crate knows no HTTP. It depends on the core
//! (`paperclip-core`) and the SDK, never on actix-web or the server; module routes are called
//! through [`route_dispatcher`]'s plain types, and the server's API adapts them to HTTP.
//! Libraries are loaded through the SDK's checked ABI (`module_sdk::abi::load_module_root`), so
//! this crate has no `unsafe` code.

#![forbid(unsafe_code)]

pub mod bundle_signature;
pub mod cluster;
pub mod config_merge;
pub mod core_calls;
pub mod delivery_view;
pub mod discovery;
pub mod executor;
#[cfg(test)]
mod fake_module;
pub mod host_handle;
pub mod load_plan;
pub mod manifest;
pub mod module_activation;
pub mod module_calls;
pub mod module_config;
pub mod module_counters;
pub mod module_db;
pub mod module_entry;
pub mod module_lifecycle;
pub mod module_loader;
pub mod module_migrations;
pub mod module_policy;
pub mod module_policy_store;
pub mod module_state_store;
pub mod module_status;
pub mod module_swap;
pub mod module_view;
pub mod offline_migrations;
pub mod process_entry;
pub mod route_dispatcher;
pub mod route_table;
pub mod sql_guard;
pub mod webhook_deliveries;
pub mod webhook_dispatcher;

pub use module_lifecycle::{ConfigSaved, HostSettings, ModuleHost, ModuleOpError, RescanReport};
pub use module_status::ModuleStatus;
pub use module_view::ModuleView;
