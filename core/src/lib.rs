//! Paperclip's core: the domain ([`core`]), the database of both backends ([`db`]), the hook bus
//! ([`hooks`]), the configuration file ([`config`]), the modules' [`isolation_level`]s and
//! [`signature_policy`].
//!
//! Architecture invariant: this crate never depends on the module host or on HTTP; modules
//! depend on the core, never the reverse (the crate graph enforces it, and
//! `server/tests/crate_graph.rs` checks it).

#![deny(unsafe_code)]

pub mod cluster;
pub mod config;
pub mod core;
pub mod db;
pub mod hooks;
pub mod isolation_level;
pub mod signature_policy;

/// Version of the core, checked against modules' `requires.core`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
