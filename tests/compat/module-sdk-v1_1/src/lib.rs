//! The Paperclip module ABI 1.1, frozen for the compatibility test: a module built against this
//! crate is what a module built against module-sdk of ABI 1.1 (with `describe`, before
//! `on_hook_batch`) looked like at the boundary. The current server must keep loading it (fields
//! appended since read as `None`) and deliver its hooks one event per call.
//!
//! Only the boundary types and the export macro are kept; the safe layer is not part of the ABI.

pub mod abi;

/// Re-exports used by [`export_module!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use abi_stable::library::{
        __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
    };
    pub use abi_stable::prefix_type::PrefixTypeTrait;
}

/// Exports a root module built from six `extern "C"` functions (the ABI 1.1 entry points):
/// `export_module!(register, on_hook, handle_route, run_service, shutdown, describe);`.
/// The entry points must not unwind (catch panics inside them).
#[macro_export]
macro_rules! export_module {
    ($register:path, $on_hook:path, $handle_route:path, $run_service:path, $shutdown:path, $describe:path) => {
        fn __paperclip_v1_1_root() -> $crate::abi::ModuleRoot_Ref {
            use $crate::__private::PrefixTypeTrait;
            $crate::abi::ModuleRoot {
                register: $register,
                on_hook: $on_hook,
                handle_route: $handle_route,
                run_service: $run_service,
                shutdown: $shutdown,
                describe: $describe,
            }
            .leak_into_prefix()
        }

        extern "C" fn __paperclip_v1_1_constructor() -> $crate::__private::RootModuleResult {
            $crate::__private::__call_root_module_loader(__paperclip_v1_1_root)
        }

        /// The root module of this library (the symbol abi_stable looks up).
        #[no_mangle]
        #[allow(non_upper_case_globals)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::__private::LibHeader =
            // SAFETY: the constructor returns `ModuleRoot_Ref` erased by abi_stable's own loader
            // wrapper, which is what `from_constructor::<ModuleRoot_Ref>` requires.
            unsafe {
                $crate::__private::LibHeader::from_constructor::<$crate::abi::ModuleRoot_Ref>(
                    __paperclip_v1_1_constructor,
                    $crate::__private::CheckTypeLayout::Yes,
                )
            };
    };
}
