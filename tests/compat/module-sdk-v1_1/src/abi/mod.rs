//! The module ABI 1.1, frozen: the same type names and fields as `module-sdk`'s `abi` had before
//! the `on_hook_batch` root-module field was appended. Do not edit; see the crate README.

#![allow(non_local_definitions)]

mod errors;
mod host_api;
mod log_level;
mod module_root;
mod registration;
mod route_types;

pub use errors::{ErrorKind, HostError, ModuleError};
pub use host_api::{HostApi, HostApi_TO, HostHandle};
pub use log_level::LogLevel;
pub use module_root::{ModuleRoot, ModuleRoot_Ref};
pub use registration::{Registration, ServiceSpec};
pub use route_types::{RouteRequest, RouteResponse};

/// The ABI version this frozen copy speaks.
pub const ABI_VERSION: &str = "1.1.0";
