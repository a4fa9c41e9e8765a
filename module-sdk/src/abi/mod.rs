//! The stable ABI: only the types that cross the boundary between the server (host) and a module
//! library, plus the host-side loader. Everything here is `#[repr(C)]` + `StableAbi`.
//!
//! Evolution rule: the root module ([`ModuleRoot`]) and the host handle ([`HostApi`]) are prefix
//! types. New root-module fields and new host methods are only ever *appended* below the
//! `#[sabi(last_prefix_field)]` marker, root-module ones with `#[sabi(missing_field(option))]`;
//! nothing is reordered, renamed, removed or retyped. Each ABI change bumps [`ABI_VERSION`]
//! (in `build.rs`) and freezes a copy of the previous ABI under `tests/compat/`.

// `#[sabi_trait]` expands to impls that trip this lint on recent compilers.
#![allow(non_local_definitions)]

mod errors;
mod hook_batch;
mod host_api;
pub mod loading;
mod log_level;
mod module_root;
mod registration;
mod route_types;

pub use errors::{ErrorKind, HostError, ModuleError};
pub use hook_batch::{HookBatchFailure, HookBatchItem, HookBatchOutcome};
pub use host_api::{HostApi, HostApi_TO, HostHandle};
pub use loading::{load_module_root, LoadError};
pub use log_level::LogLevel;
pub use module_root::{ModuleRoot, ModuleRoot_Ref};
pub use registration::{Registration, ServiceSpec};
pub use route_types::{RouteRequest, RouteResponse};

/// The ABI version this SDK speaks (also the root module's `VERSION_STRINGS`). Independent of the
/// crate's package version ([`crate::SDK_VERSION`]).
pub const ABI_VERSION: &str = env!("MODULE_SDK_ABI_VERSION");
