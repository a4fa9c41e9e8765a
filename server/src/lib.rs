//! Paperclip server library: configuration, database, core domain, REST API, hook bus, module
//! host, company templates, store and the embedded web UI. The `paperclipai` binary is a thin
//! command-line front over it.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod core;
pub mod db;
pub mod hooks;
pub mod module_host;
pub mod store;
pub mod templates;
pub mod web;

/// Version of the core, checked against modules' `requires.core`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
