//! Fault test module: exports, under the symbol the server looks up, an abi_stable root module
//! named like the server's (`ModuleRoot`, same package identity and ABI version) but of another
//! layout: `register` takes other arguments and the other entry points are missing. The host's
//! layout check must refuse it before calling anything, and report it `incompatible`.

#![forbid(unsafe_code)]
// `ModuleRoot_Ref` is the name abi_stable's convention gives the prefix reference.
#![allow(non_camel_case_types)]

use abi_stable::{
    declare_root_module_statics, export_root_module,
    library::RootModule,
    prefix_type::PrefixTypeTrait,
    sabi_types::VersionStrings,
    std_types::{RStr, RString},
    StableAbi,
};

/// A root module whose fields do not match the server's `ModuleRoot`.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ModuleRoot_Ref)))]
pub struct ModuleRoot {
    /// Unlike the server's `register(host, config_json)`, takes only the config.
    pub register: extern "C" fn(config_json: RStr<'_>) -> RString,
    /// Last field of the prefix.
    #[sabi(last_prefix_field)]
    pub shutdown: extern "C" fn(),
}

impl RootModule for ModuleRoot_Ref {
    declare_root_module_statics! {ModuleRoot_Ref}

    const BASE_NAME: &'static str = "paperclip_module";
    const NAME: &'static str = "paperclip_module";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.1.0");
}

extern "C" fn register(config_json: RStr<'_>) -> RString {
    format!("this is not the register the server expects (config {config_json})").into()
}

extern "C" fn shutdown() {}

/// The root module, exported under abi_stable's root-module symbol.
#[export_root_module]
fn root_module() -> ModuleRoot_Ref {
    ModuleRoot { register, shutdown }.leak_into_prefix()
}
