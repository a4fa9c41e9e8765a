//! What request handlers share: built by the assembler (`app.rs`), read by the API and the web
//! UI, so neither imports the assembler.

use crate::config::Config;
use crate::core::Core;
use crate::module_host::ModuleHost;
use std::sync::Arc;

/// Everything request handlers share.
pub struct AppState {
    /// Core services (database + hook bus).
    pub core: Core,
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// The native modules: their routes, hooks, services and admin operations.
    pub modules: Arc<ModuleHost>,
}
