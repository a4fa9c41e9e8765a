//! What a module tells the host when it registers.

use abi_stable::{
    std_types::{RString, RVec},
    StableAbi,
};

/// The result of a successful `register` call.
/// Produced by the module (the SDK builds it from the `Registrar`); consumed by the host, which
/// checks the hooks against the manifest, mounts routes and starts services.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Hook names the module subscribed to (e.g. `"agent:heartbeat"`).
    pub hooks: RVec<RString>,
    /// Background services the host must run on a timer.
    pub services: RVec<ServiceSpec>,
    /// Whether the module answers routes under its manifest prefix.
    pub has_routes: bool,
}

/// A background service: the host calls `run_service(name)` every `interval_ms`, never overlapping
/// with itself. Produced by the module; consumed by the host's service runner.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The service name, unique within the module.
    pub name: RString,
    /// Milliseconds between the end of one run and the start of the next.
    pub interval_ms: u64,
}
