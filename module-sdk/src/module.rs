//! The trait a module author implements.

use crate::context::ModuleContext;
use crate::error::Result;
use crate::registrar::Registrar;

/// A Paperclip module. Implement it and export it with [`crate::declare_module!`].
///
/// `register` runs when the host enables the module (after its migrations), and again after a
/// disable/enable cycle: each call builds a fresh instance that replaces the previous one.
/// Handlers registered on the [`Registrar`] get `&Self`, so state lives in the instance
/// (use interior mutability — `Mutex`, atomics — for anything that changes: handlers may run on
/// several host threads at once).
pub trait Module: Sized + Send + Sync + 'static {
    /// Reads config, subscribes hooks, adds routes and services, and returns the instance.
    /// An `Err` leaves the module `failed` with the error's message in its status.
    fn register(registrar: &mut Registrar<Self>) -> Result<Self>;

    /// Called when the host detaches the module (disable or server shutdown), after its services
    /// stopped. The instance is dropped right after.
    fn shutdown(&self, _ctx: &ModuleContext) {}
}
