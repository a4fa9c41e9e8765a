//! `declare_module!`: exports a `Module` implementation as the library's root module.

use crate::abi::ModuleRoot_Ref;
use crate::module::Module;
use crate::runtime::{module_root, ModuleBuildInfo};
use abi_stable::library::{
    __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
};

/// The symbol abi_stable looks up in a library (`abi_stable::library::ROOT_MODULE_LOADER_NAME`);
/// `declare_module!` spells it literally because `macro_rules!` cannot compute identifiers.
#[doc(hidden)]
pub const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

extern "C" fn root_constructor<M: Module + ModuleBuildInfo>() -> RootModuleResult {
    // abi_stable's loader wrapper catches a panic in the constructor and erases the type.
    __call_root_module_loader(module_root::<M>)
}

/// The header `declare_module!` exports: what `#[export_root_module]` would generate, but
/// spelled through this crate so module crates need no direct abi_stable dependency.
#[doc(hidden)]
pub const fn lib_header<M: Module + ModuleBuildInfo>() -> LibHeader {
    // SAFETY: `from_constructor::<ModuleRoot_Ref>` requires the constructor to return a
    // `PrefixRef` erased from `ModuleRoot_Ref`'s prefix; `root_constructor` returns exactly
    // `__call_root_module_loader(module_root::<M>)`, and `module_root` returns `ModuleRoot_Ref`.
    unsafe {
        LibHeader::from_constructor::<ModuleRoot_Ref>(root_constructor::<M>, CheckTypeLayout::Yes)
    }
}

/// Exports a [`Module`](crate::Module) implementation from a `cdylib` crate so the Paperclip
/// server can load it. Use it once, at the crate root:
///
/// ```
/// use module_sdk::{Module, Registrar, Result};
///
/// pub struct MyModule;
///
/// impl Module for MyModule {
///     fn register(_r: &mut Registrar<Self>) -> Result<Self> {
///         Ok(MyModule)
///     }
/// }
///
/// module_sdk::declare_module!(MyModule);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! declare_module {
    ($module:ty) => {
        impl $crate::__private::ModuleBuildInfo for $module {
            const CRATE_NAME: &'static str = ::core::env!("CARGO_PKG_NAME");
            const CRATE_VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
        }

        /// The root module of this Paperclip module library (looked up by the server).
        #[no_mangle]
        #[allow(non_upper_case_globals)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::__private::LibHeader =
            $crate::__private::lib_header::<$module>();
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_symbol_is_the_one_abi_stable_looks_up() {
        assert_eq!(
            ROOT_MODULE_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}
