//! What every handler gets: the module's identity, config and access to the host.

use crate::abi::HostHandle;
use crate::core_api::Core;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::logger::Logger;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The module's view of the server: id, validated config, database, logger, core services.
/// Cheap to clone; the same context is handed to every handler until the next `register`.
#[derive(Clone)]
pub struct ModuleContext {
    host: HostHandle,
    module_id: String,
    config: Value,
}

impl ModuleContext {
    /// Builds a context around a host handle and the module's config. The SDK does this in
    /// `register`; tests can do it with their own `HostApi` implementation.
    pub fn new(host: HostHandle, config: Value) -> Self {
        let module_id = host.module_id().into_string();
        Self {
            host,
            module_id,
            config,
        }
    }

    /// The module id (as in the manifest).
    pub fn module_id(&self) -> &str {
        &self.module_id
    }

    /// The module's config, validated by the host against the manifest's `configSchema`.
    pub fn config(&self) -> &Value {
        &self.config
    }

    /// The config deserialized into `T`; a mismatch is a `BadRequest` error naming the problem.
    ///
    /// ```
    /// use module_sdk::testing::TestHost;
    /// use serde_json::json;
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Config { retention_days: u32 }
    ///
    /// let ctx = TestHost::default().context(json!({ "retentionDays": 30 }));
    /// assert_eq!(ctx.config_as::<Config>().unwrap().retention_days, 30);
    /// assert_eq!(ctx.config()["retentionDays"], 30);
    /// ```
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.config)
            .map_err(|e| Error::bad_request(format!("invalid module config: {e}")))
    }

    /// Database access (autocommit; use [`Db::transaction`] for a transaction).
    pub fn db(&self) -> Db<'_> {
        Db::new(&self.host)
    }

    /// The logger, scoped to this module by the host.
    pub fn log(&self) -> Logger<'_> {
        Logger::new(&self.host)
    }

    /// Read access to core services (agents, issues, projects, goals, activity).
    pub fn core(&self) -> Core<'_> {
        Core::new(&self.host)
    }

    /// The raw host handle, for calls the safe API does not wrap.
    pub fn host(&self) -> &HostHandle {
        &self.host
    }
}
