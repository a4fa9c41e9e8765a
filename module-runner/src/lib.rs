//! The `process` isolation level's child process, and the protocol it speaks with the host.
//!
//! The module host starts `paperclip-module-runner` with an empty environment, its standard
//! input being one end of a Unix socket pair (standard output and error are plain pipes the host
//! reads as logs, so a module printing cannot corrupt the protocol). The runner says
//! [`protocol::FromRunner::Hello`], receives [`protocol::StartRequest`], locks itself into its
//! [`sandbox`] (rlimits, then Landlock), loads the module library with the SDK's checked loader
//! and answers whether that worked. It then serves the host's calls (`register`, hooks, routes,
//! services, `shutdown`) on a [`worker_pool`], each reply tagged with its call id; every
//! host-handle call the module makes is sent back to the host as a request frame
//! ([`proxy_host`]), so the runner has no database access and links no database driver.
//!
//! Frames are a big-endian `u32` length followed by a `postcard` encoding ([`framing`]), at most
//! [`framing::MAX_FRAME_BYTES`].
//!
//! Architecture invariant: this crate depends on the SDK only — never on the server, the module
//! host, diesel or a database driver (checked by `server/tests/crate_graph.rs`).

#![forbid(unsafe_code)]

pub mod framing;
pub mod pending_calls;
pub mod protocol;
pub mod proxy_host;
pub mod runner;
pub mod sandbox;
pub mod wire_types;
pub mod worker_pool;
