//! The resource limits of module database calls (`modules.statementTimeoutMs`,
//! `modules.maxResultRows`, `modules.maxResultBytes`, `modules.maxDbCalls`).

use paperclip_core::config::ModulesConfig;
use std::time::Duration;

/// Limits applied to every statement a module runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleDbLimits {
    /// How long one statement may run before the engine stops it.
    pub statement_timeout: Duration,
    /// How many rows one result may hold; a longer result is an error, never buffered past it.
    pub max_rows: usize,
    /// How many bytes (as JSON, approximately) one result may hold.
    pub max_bytes: usize,
    /// How many database calls (and open transactions) one module may have at once.
    pub max_concurrent_calls: usize,
}

impl ModuleDbLimits {
    // The defaults are the configuration file's (`modules` section), defined with it in the core.
    /// 5 s per statement.
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration =
        Duration::from_millis(ModulesConfig::DEFAULT_STATEMENT_TIMEOUT_MS);
    /// 10,000 rows per result.
    pub const DEFAULT_MAX_ROWS: usize = ModulesConfig::DEFAULT_MAX_RESULT_ROWS;
    /// 16 MiB per result.
    pub const DEFAULT_MAX_BYTES: usize = ModulesConfig::DEFAULT_MAX_RESULT_BYTES;
    /// 4 calls at once per module.
    pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = ModulesConfig::DEFAULT_MAX_DB_CALLS;
}

impl Default for ModuleDbLimits {
    fn default() -> Self {
        ModuleDbLimits {
            statement_timeout: ModuleDbLimits::DEFAULT_STATEMENT_TIMEOUT,
            max_rows: ModuleDbLimits::DEFAULT_MAX_ROWS,
            max_bytes: ModuleDbLimits::DEFAULT_MAX_BYTES,
            max_concurrent_calls: ModuleDbLimits::DEFAULT_MAX_CONCURRENT_CALLS,
        }
    }
}
