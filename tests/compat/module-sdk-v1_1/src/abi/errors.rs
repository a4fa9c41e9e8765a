//! Error values that cross the boundary. Rust errors are converted to these at the edge.

use abi_stable::{std_types::RString, StableAbi};
use std::fmt;

/// What went wrong inside a module entry point.
/// Produced by the module (the SDK's entry-point wrappers); consumed by the host, which records it
/// in the module's status and counters.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The module panicked; the SDK caught it before it could unwind across the boundary.
    Panic,
    /// A handler returned an error.
    Failed,
    /// The input (config, payload, request) could not be understood.
    BadRequest,
    /// An entry point was called before `register` succeeded (or after `shutdown`).
    NotRegistered,
    /// The named hook or service is not one this module registered.
    NotFound,
}

/// An error returned by a module entry point.
/// Produced by the module (SDK wrappers); consumed by the host.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ModuleError {
    /// The category, so the host can tell a panic from an ordinary failure.
    pub kind: ErrorKind,
    /// A human-readable message (for a panic: the panic message).
    pub message: RString,
}

impl ModuleError {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: RString::from(message.into()),
        }
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ModuleError {}

/// An error returned by a host handle method (database refused the SQL, unknown core method…).
/// Produced by the host; consumed by the module (the SDK turns it into its `Error`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    /// A human-readable message naming what was refused and why.
    pub message: RString,
}

impl HostError {
    /// Builds a host error from a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: RString::from(message.into()),
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HostError {}
