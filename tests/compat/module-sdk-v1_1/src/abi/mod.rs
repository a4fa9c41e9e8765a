//! The module ABI 1.1, frozen: the same type names and fields as `module-sdk`'s `abi` had before
//! the `on_hook_batch` root-module field was appended. Do not edit; see the crate README.

#![allow(non_local_definitions)]

// Unchanged since ABI 1.0: the frozen 1.0 files themselves (frozen too, never edited).
#[path = "../../../module-sdk-prev/src/abi/errors.rs"]
mod errors;
#[path = "../../../module-sdk-prev/src/abi/host_api.rs"]
mod host_api;
#[path = "../../../module-sdk-prev/src/abi/log_level.rs"]
mod log_level;
// Changed in 1.1: `describe` appended.
mod module_root;
#[path = "../../../module-sdk-prev/src/abi/registration.rs"]
mod registration;
#[path = "../../../module-sdk-prev/src/abi/route_types.rs"]
mod route_types;

pub use errors::{ErrorKind, HostError, ModuleError};
pub use host_api::{HostApi, HostApi_TO, HostHandle};
pub use log_level::LogLevel;
pub use module_root::{ModuleRoot, ModuleRoot_Ref};
pub use registration::{Registration, ServiceSpec};
pub use route_types::{RouteRequest, RouteResponse};

/// The ABI version this frozen copy speaks.
pub const ABI_VERSION: &str = "1.1.0";
