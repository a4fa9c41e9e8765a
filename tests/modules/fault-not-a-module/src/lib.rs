//! Fault test module: a plain `cdylib` that exports one C function and no root module, as any
//! unrelated shared library would. The host must report that it is not a Paperclip module.

/// An unrelated C entry point; the library exports nothing else.
#[no_mangle]
pub extern "C" fn paperclip_e2e_not_a_module() -> u32 {
    42
}
