//! The root module: the table of entry points every module library exports.

// `ModuleRoot_Ref` is the name abi_stable convention gives the prefix reference.
#![allow(non_camel_case_types)]

use super::HostHandle;
use super::{ModuleError, Registration, RouteRequest, RouteResponse, ABI_VERSION};
use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

/// The entry points of a module library, exported by `declare_module!` and read by the host's
/// loader ([`super::load_module_root`]). Produced by the module; consumed by the host.
///
/// All functions are synchronous and never unwind: the SDK catches panics and returns
/// `ModuleError { kind: Panic, .. }`. Payloads and configs cross as JSON text.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ModuleRoot_Ref)))]
pub struct ModuleRoot {
    /// Called once after the module's migrations ran (and again after a disable/enable): gives the
    /// module its host handle and validated config JSON; returns what it subscribes to.
    pub register: extern "C" fn(
        host: HostHandle,
        config_json: RStr<'_>,
    ) -> RResult<Registration, ModuleError>,

    /// Delivers one hook event (`hook` is e.g. `"agent:heartbeat"`, `payload_json` its payload).
    pub on_hook: extern "C" fn(hook: RStr<'_>, payload_json: RStr<'_>) -> RResult<(), ModuleError>,

    /// Answers one HTTP request under the module's route prefix.
    pub handle_route: extern "C" fn(request: &RouteRequest) -> RResult<RouteResponse, ModuleError>,

    /// Runs one iteration of the named background service.
    pub run_service: extern "C" fn(name: RStr<'_>) -> RResult<(), ModuleError>,

    /// Detaches the module: it drops its state and must expect no calls until the next `register`.
    // ABI EVOLUTION: this is the last field of the prefix. New fields go BELOW it, forever, each
    // with `#[sabi(missing_field(option))]` so a newer host reads them as `None` from an older
    // module. Never move this marker, reorder, rename, retype or remove a field above it.
    #[sabi(last_prefix_field)]
    pub shutdown: extern "C" fn(),

    /// Added in ABI 1.1: describes the build as JSON, e.g.
    /// `{"sdk":"0.1.0","abi":"1.1.0","module":"0.1.0","crate":"observability"}`.
    /// Read by the host as `Option` (absent in modules built against ABI 1.0).
    #[sabi(missing_field(option))]
    pub describe: extern "C" fn() -> RString,
}

impl RootModule for ModuleRoot_Ref {
    declare_root_module_statics! {ModuleRoot_Ref}

    const BASE_NAME: &'static str = "paperclip_module";
    const NAME: &'static str = "paperclip_module";
    // The ABI version, bumped deliberately; not the package version (see build.rs).
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(ABI_VERSION);
}
