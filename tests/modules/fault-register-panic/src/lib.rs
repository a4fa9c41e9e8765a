//! Fault test module: panics in `register`. The SDK turns the panic into an error, so the host
//! must report the module `failed` with the panic message, and everything else must keep working.

#![forbid(unsafe_code)]

use module_sdk::{Module, Registrar, Result};

/// Never constructed: `register` panics first.
pub struct RegisterPanic;

impl Module for RegisterPanic {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log().info("about to panic in register");
        panic!("register exploded on purpose")
    }
}

module_sdk::declare_module!(RegisterPanic);
