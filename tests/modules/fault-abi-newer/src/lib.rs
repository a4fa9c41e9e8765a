//! Fault test module: built against a newer module ABI than the server's — a future ABI 1.3 whose
//! root module has one more field (`capabilities`, appended after `on_hook_batch`, as the
//! evolution rule allows). Everything else is the current ABI (`module_sdk::abi` types). The server must
//! refuse it with "built against a newer SDK than this server" and never call it.
//!
//! Its entry points only answer errors: they would be reached only if the host wrongly loaded it.

// `ModuleRoot_Ref` is the name abi_stable's convention gives the prefix reference.
#![allow(non_camel_case_types)]

use abi_stable::{
    declare_root_module_statics, export_root_module,
    library::RootModule,
    prefix_type::PrefixTypeTrait,
    sabi_types::VersionStrings,
    std_types::{RResult, RSlice, RStr, RString},
    StableAbi,
};
use module_sdk::abi::{
    ErrorKind, HookBatchFailure, HookBatchItem, HookBatchOutcome, HostHandle, ModuleError,
    Registration, RouteRequest, RouteResponse,
};

/// The server's `ModuleRoot` with one field appended (ABI 1.3).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ModuleRoot_Ref)))]
pub struct ModuleRoot {
    /// As in ABI 1.0.
    pub register: extern "C" fn(
        host: HostHandle,
        config_json: RStr<'_>,
    ) -> RResult<Registration, ModuleError>,
    /// As in ABI 1.0.
    pub on_hook: extern "C" fn(hook: RStr<'_>, payload_json: RStr<'_>) -> RResult<(), ModuleError>,
    /// As in ABI 1.0.
    pub handle_route: extern "C" fn(request: &RouteRequest) -> RResult<RouteResponse, ModuleError>,
    /// As in ABI 1.0.
    pub run_service: extern "C" fn(name: RStr<'_>) -> RResult<(), ModuleError>,
    /// As in ABI 1.0; the prefix ends here, as in every ABI version.
    #[sabi(last_prefix_field)]
    pub shutdown: extern "C" fn(),
    /// Appended in ABI 1.1.
    #[sabi(missing_field(option))]
    pub describe: extern "C" fn() -> RString,
    /// Appended in ABI 1.2.
    #[sabi(missing_field(option))]
    pub on_hook_batch: extern "C" fn(events: RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome,
    /// Appended in the future ABI 1.3: what a server of ABI 1.2 does not know.
    #[sabi(missing_field(option))]
    pub capabilities: extern "C" fn() -> RString,
}

impl RootModule for ModuleRoot_Ref {
    declare_root_module_statics! {ModuleRoot_Ref}

    const BASE_NAME: &'static str = "paperclip_module";
    const NAME: &'static str = "paperclip_module";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.3.0");
}

fn refused<T>() -> RResult<T, ModuleError> {
    RResult::RErr(ModuleError::new(
        ErrorKind::Failed,
        "fault-abi-newer must never be called: it is built against a newer ABI",
    ))
}

extern "C" fn register(_host: HostHandle, _config: RStr<'_>) -> RResult<Registration, ModuleError> {
    refused()
}

extern "C" fn on_hook(_hook: RStr<'_>, _payload: RStr<'_>) -> RResult<(), ModuleError> {
    refused()
}

extern "C" fn handle_route(_request: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
    refused()
}

extern "C" fn run_service(_name: RStr<'_>) -> RResult<(), ModuleError> {
    refused()
}

extern "C" fn on_hook_batch(events: RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome {
    HookBatchOutcome {
        failures: (0..events.len())
            .map(|index| HookBatchFailure {
                index: index as u64,
                error: ModuleError::new(
                    ErrorKind::Failed,
                    "fault-abi-newer must never be called: it is built against a newer ABI",
                ),
            })
            .collect(),
    }
}

extern "C" fn shutdown() {}

extern "C" fn describe() -> RString {
    r#"{"abi":"1.3.0","crate":"fault-abi-newer"}"#.into()
}

extern "C" fn capabilities() -> RString {
    "[]".into()
}

/// The root module, exported under abi_stable's root-module symbol.
#[export_root_module]
fn root_module() -> ModuleRoot_Ref {
    ModuleRoot {
        register,
        on_hook,
        handle_route,
        run_service,
        shutdown,
        describe,
        on_hook_batch,
        capabilities,
    }
    .leak_into_prefix()
}
