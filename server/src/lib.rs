//! Paperclip server library: the REST API, the web UI, the CLI's commands, company templates,
//! the store and the assembly of a running server. The core (domain, database, hook bus,
//! configuration) is the `paperclip-core` crate and the module host the
//! `paperclip-module-host` crate; both are re-exported here under their old paths. The
//! `paperclipai` binary is a thin command-line front over this library.

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod state;
pub mod store;
pub mod templates;
pub mod web;

pub use paperclip_core::{config, core, db, hooks, isolation_level};
pub use paperclip_module_host as module_host;

/// Version of the core, checked against modules' `requires.core`.
pub use paperclip_core::VERSION;
