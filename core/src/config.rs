//! Server configuration: `paperclip.config.json` plus environment and command-line overrides.
//!
//! ```jsonc
//! {
//!   "database": { "url": "postgres://…" },          // default: <data-dir>/paperclip.db
//!   "auth": { "apiKeys": ["$PAPERCLIP_API_KEY"] },   // required to bind a non-loopback address
//!   "modules": {
//!     "dir": "plugins-dist",
//!     "enabled": ["observability"],                  // absent: every discovered module
//!     "config": { "observability": { "retentionDays": 90 } },
//!     "hookTimeoutMs": 5000, "routeTimeoutMs": 10000,
//!     "isolation": { "observability": "inline", "untrusted": "process" },
//!     "maxConcurrency": 4, "queueCapacity": 64,
//!     "trustedKeys": { "<key id>": "ed25519:<64 hex>" },
//!     "signatures": "auto"                           // auto | required | warn | off
//!   },
//!   "store": { "index": "store/index.json" },
//!   "server": { "allowedHosts": ["paperclip.internal"], "allowedOrigins": [] }
//! }
//! ```

use crate::isolation_level::IsolationLevel;
use crate::signature_policy::SignaturePolicy;
use module_sdk::Capability;
use paperclip_bundle_signing::TrustedKeys;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The whole configuration file. Unknown keys are refused so that a typo is reported instead
/// of silently ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Database settings.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// API-key authentication.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Native modules.
    #[serde(default)]
    pub modules: ModulesConfig,
    /// Company Store.
    #[serde(default)]
    pub store: StoreConfig,
    /// HTTP server: which `Host` names and `Origin`s browsers may use.
    #[serde(default)]
    pub server: ServerConfig,
    /// Several replicas on one PostgreSQL database: lease and sync timings.
    #[serde(default)]
    pub cluster: ClusterConfig,
}

/// `cluster` section: how replicas on one PostgreSQL database share the work (ignored on
/// SQLite, which has one replica).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterConfig {
    /// How long a module lease (its services and hook delivery) lasts without renewal: the
    /// longest a dead replica's work waits before another replica takes it over. Renewed every
    /// third of it. Default 5000, at least 1000.
    #[serde(default = "default_lease_ms")]
    pub lease_ms: u64,
    /// How often each replica re-reads the module state other replicas saved, in case a
    /// notification was missed (changes normally arrive at once by `LISTEN/NOTIFY`). Default
    /// 5000.
    #[serde(default = "default_sync_interval_ms")]
    pub sync_interval_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> ClusterConfig {
        ClusterConfig {
            lease_ms: default_lease_ms(),
            sync_interval_ms: default_sync_interval_ms(),
        }
    }
}

impl ClusterConfig {
    /// The lease time (at least one second).
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lease_ms.max(1000))
    }

    /// The fallback sync interval (at least 100 ms).
    pub fn sync_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.sync_interval_ms.max(100))
    }
}

fn default_lease_ms() -> u64 {
    5_000
}
fn default_sync_interval_ms() -> u64 {
    5_000
}

/// `database` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Database URL; `DATABASE_URL` overrides it. Default: SQLite file in the data directory.
    pub url: Option<String>,
    /// Connections in the server's pool (default 8 on SQLite, 16 on PostgreSQL). Replicas on
    /// one PostgreSQL database each keep theirs open: size them to fit `max_connections`.
    pub pool_size: Option<u32>,
}

/// `auth` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthConfig {
    /// Accepted bearer keys; entries like `$NAME` are read from the environment.
    #[serde(default)]
    pub api_keys: Vec<String>,
}

/// `modules` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModulesConfig {
    /// Folder scanned for module bundles (relative to the working directory).
    #[serde(default = "default_modules_dir")]
    pub dir: PathBuf,
    /// Modules to load, in this order on a first start; `None` loads every discovered module.
    pub enabled: Option<Vec<String>>,
    /// Per-module configuration, validated against each module's `configSchema`.
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
    /// Time limit of one hook call into a module.
    #[serde(default = "default_hook_timeout_ms")]
    pub hook_timeout_ms: u64,
    /// Time limit of one route call into a module.
    #[serde(default = "default_route_timeout_ms")]
    pub route_timeout_ms: u64,
    /// Time limit of one module SQL statement (the engine stops it).
    #[serde(default = "default_statement_timeout_ms")]
    pub statement_timeout_ms: u64,
    /// Most rows one module query may return.
    #[serde(default = "default_max_result_rows")]
    pub max_result_rows: usize,
    /// Most bytes (as JSON) one module query may return.
    #[serde(default = "default_max_result_bytes")]
    pub max_result_bytes: usize,
    /// Most database calls and open transactions one module may have at once.
    #[serde(default = "default_max_db_calls")]
    pub max_db_calls: usize,
    /// Isolation level per module id (`inline`, `threaded`, `process`); the key `"*"` sets it
    /// for every module not named. A module not covered runs at its manifest's `isolation`,
    /// else `threaded`.
    #[serde(default)]
    pub isolation: BTreeMap<String, IsolationLevel>,
    /// Calls one module may run at once (its call threads, or calls in flight to its process).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// Route calls that may wait for one module's call threads; beyond, 503 with `Retry-After`.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
    /// Address-space limit of a module process (`process` level), in MiB.
    #[serde(default = "default_process_memory_mb")]
    pub process_memory_mb: u64,
    /// CPU-time limit of a module process (`process` level), in seconds.
    #[serde(default = "default_process_cpu_seconds")]
    pub process_cpu_seconds: u64,
    /// How long hook events stay in the outbox (`hook_outbox`) before they are deleted, in hours.
    #[serde(default = "default_outbox_retention_hours")]
    pub outbox_retention_hours: u64,
    /// How often the outbox is pruned (events every retaining reader is past, events beyond the
    /// retention), in seconds.
    #[serde(default = "default_outbox_prune_seconds")]
    pub outbox_prune_seconds: u64,
    /// Attempts at an event a module's handler fails on (an error, a panic, a time-out) before
    /// the event goes to the module's dead letters.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry of a failed event, in milliseconds; doubled after each
    /// further failure (at most a minute).
    #[serde(default = "default_retry_backoff_ms")]
    pub retry_backoff_ms: u64,
    /// Capabilities (core writes) granted per module id, used until the operator decides
    /// through the admin API (`PUT /api/admin/modules/{id}/grants`), whose answer is saved and
    /// wins from then on.
    #[serde(default, deserialize_with = "capability_grants")]
    pub grants: BTreeMap<String, BTreeSet<Capability>>,
    /// Longest chain of module writes caused by one another: a module write whose cause is
    /// this many module writes deep already is refused.
    #[serde(default = "default_max_causation_depth")]
    pub max_causation_depth: u32,
    /// Public keys trusted to sign module bundles, key id → `"ed25519:<64 hex digits>"` (as
    /// `paperclipai module keygen` prints them). Each key is checked when the config is read:
    /// its spelling, and that the id is the key's own.
    #[serde(default, deserialize_with = "trusted_keys")]
    pub trusted_keys: TrustedKeys,
    /// What happens to bundles not signed by a trusted key, or changed after signing:
    /// `required` (refused at install and load), `warn` (loaded and reported), `off`, or `auto`
    /// (the default: `warn` when the server binds loopback, `required` beyond it).
    #[serde(default)]
    pub signatures: SignaturePolicy,
}

impl ModulesConfig {
    /// Default time limit of one module SQL statement: 5 s (the module host's
    /// `ModuleDbLimits::default()` is these four values).
    pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 5_000;
    /// Default most rows per module query result: 10,000.
    pub const DEFAULT_MAX_RESULT_ROWS: usize = 10_000;
    /// Default most bytes per module query result: 16 MiB.
    pub const DEFAULT_MAX_RESULT_BYTES: usize = 16 * 1024 * 1024;
    /// Default most database calls at once per module: 4.
    pub const DEFAULT_MAX_DB_CALLS: usize = 4;
    /// Default calls one module may run at once: 4.
    pub const DEFAULT_MAX_CONCURRENCY: usize = 4;
    /// Default route calls that may wait for one module: 64.
    pub const DEFAULT_QUEUE_CAPACITY: usize = 64;
    /// Default address-space limit of a module process: 1024 MiB.
    pub const DEFAULT_PROCESS_MEMORY_MB: u64 = 1024;
    /// Default CPU-time limit of a module process: 3600 s.
    pub const DEFAULT_PROCESS_CPU_SECONDS: u64 = 3600;
    /// Default outbox retention: 168 hours (a week).
    pub const DEFAULT_OUTBOX_RETENTION_HOURS: u64 = 168;

    /// Default outbox prune interval: 60 s.
    pub const DEFAULT_OUTBOX_PRUNE_SECONDS: u64 = 60;
    /// Default attempts at a failing event before it is dead-lettered: 5.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
    /// Default wait before the first retry: 1 s.
    pub const DEFAULT_RETRY_BACKOFF_MS: u64 = 1_000;
    /// Default longest chain of module writes: 4.
    pub const DEFAULT_MAX_CAUSATION_DEPTH: u32 = 4;

    /// How often the outbox is pruned.
    pub fn outbox_prune_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.outbox_prune_seconds.max(1))
    }

    /// How long hook events stay in the outbox.
    pub fn outbox_retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.outbox_retention_hours.saturating_mul(3600))
    }
}

impl Default for ModulesConfig {
    fn default() -> Self {
        ModulesConfig {
            dir: default_modules_dir(),
            enabled: None,
            config: BTreeMap::new(),
            hook_timeout_ms: default_hook_timeout_ms(),
            route_timeout_ms: default_route_timeout_ms(),
            statement_timeout_ms: default_statement_timeout_ms(),
            max_result_rows: default_max_result_rows(),
            max_result_bytes: default_max_result_bytes(),
            max_db_calls: default_max_db_calls(),
            isolation: BTreeMap::new(),
            max_concurrency: default_max_concurrency(),
            queue_capacity: default_queue_capacity(),
            process_memory_mb: default_process_memory_mb(),
            process_cpu_seconds: default_process_cpu_seconds(),
            outbox_retention_hours: default_outbox_retention_hours(),
            outbox_prune_seconds: default_outbox_prune_seconds(),
            max_attempts: default_max_attempts(),
            retry_backoff_ms: default_retry_backoff_ms(),
            grants: BTreeMap::new(),
            max_causation_depth: default_max_causation_depth(),
            trusted_keys: TrustedKeys::default(),
            signatures: SignaturePolicy::default(),
        }
    }
}

/// `store` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreConfig {
    /// Store index: a URL or a local path.
    #[serde(default = "default_store_index")]
    pub index: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            index: default_store_index(),
        }
    }
}

/// `server` section: what the browser guard accepts besides loopback and the bound address
/// (see `api::browser_guard`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerConfig {
    /// Extra `Host` names (with or without `:port`) the server answers, e.g. the name behind a
    /// reverse proxy; `"*"` accepts any (turns off the DNS-rebinding check).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Extra `Origin`s (`scheme://host[:port]`) whose pages may send state-changing requests;
    /// `"*"` accepts any (turns off the cross-site check).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

fn default_modules_dir() -> PathBuf {
    PathBuf::from("plugins-dist")
}
fn default_hook_timeout_ms() -> u64 {
    5_000
}
fn default_route_timeout_ms() -> u64 {
    10_000
}
fn default_store_index() -> String {
    "store/index.json".to_string()
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid configuration JSON.
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What serde found wrong (names the key and position).
        source: serde_json::Error,
    },
    /// An `$ENV_VAR` reference names an unset variable.
    #[error("{place}: environment variable {var} is not set")]
    MissingEnv {
        /// Where the reference is.
        place: String,
        /// The variable.
        var: String,
    },
}

impl Config {
    /// Reads `path`; a missing file is an error only when `required` (it was named explicitly).
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default())
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The API keys with `$ENV_VAR` references resolved, plus comma-separated keys from
    /// `PAPERCLIP_API_KEYS`. Empty entries are ignored.
    pub fn resolved_api_keys(&self) -> Result<Vec<String>, ConfigError> {
        let mut keys = Vec::new();
        for (i, key) in self.auth.api_keys.iter().enumerate() {
            let value = resolve_env_string(key, &format!("auth.apiKeys[{i}]"))?;
            if !value.is_empty() {
                keys.push(value);
            }
        }
        if let Ok(extra) = std::env::var("PAPERCLIP_API_KEYS") {
            keys.extend(
                extra
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(String::from),
            );
        }
        Ok(keys)
    }
}

/// Resolves a `$NAME` string from the environment; any other string is returned unchanged.
/// `place` names the config location for the error message.
pub fn resolve_env_string(value: &str, place: &str) -> Result<String, ConfigError> {
    match value.strip_prefix('$') {
        Some(var) if is_env_name(var) => std::env::var(var).map_err(|_| ConfigError::MissingEnv {
            place: place.to_string(),
            var: var.to_string(),
        }),
        _ => Ok(value.to_string()),
    }
}

/// Resolves every `$NAME` string inside a JSON value (objects and arrays recursively).
/// `place` is the JSON path of `value`, used in error messages.
pub fn resolve_env_refs(value: &Value, place: &str) -> Result<Value, ConfigError> {
    Ok(match value {
        Value::String(s) => Value::String(resolve_env_string(s, place)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| resolve_env_refs(v, &format!("{place}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve_env_refs(v, &format!("{place}.{k}"))?)))
                .collect::<Result<_, ConfigError>>()?,
        ),
        other => other.clone(),
    })
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

fn default_statement_timeout_ms() -> u64 {
    ModulesConfig::DEFAULT_STATEMENT_TIMEOUT_MS
}

fn default_max_result_rows() -> usize {
    ModulesConfig::DEFAULT_MAX_RESULT_ROWS
}

fn default_max_result_bytes() -> usize {
    ModulesConfig::DEFAULT_MAX_RESULT_BYTES
}

fn default_max_concurrency() -> usize {
    ModulesConfig::DEFAULT_MAX_CONCURRENCY
}

fn default_queue_capacity() -> usize {
    ModulesConfig::DEFAULT_QUEUE_CAPACITY
}

fn default_process_memory_mb() -> u64 {
    ModulesConfig::DEFAULT_PROCESS_MEMORY_MB
}

fn default_process_cpu_seconds() -> u64 {
    ModulesConfig::DEFAULT_PROCESS_CPU_SECONDS
}

fn default_outbox_retention_hours() -> u64 {
    ModulesConfig::DEFAULT_OUTBOX_RETENTION_HOURS
}

fn default_outbox_prune_seconds() -> u64 {
    ModulesConfig::DEFAULT_OUTBOX_PRUNE_SECONDS
}

fn default_max_causation_depth() -> u32 {
    ModulesConfig::DEFAULT_MAX_CAUSATION_DEPTH
}

/// `modules.grants`: module id → capability names, each checked (an unknown name is an error
/// listing the known ones).
fn capability_grants<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, BTreeSet<Capability>>, D::Error> {
    let raw = BTreeMap::<String, Vec<String>>::deserialize(d)?;
    raw.into_iter()
        .map(|(id, names)| {
            let capabilities = names
                .iter()
                .map(|name| name.parse::<Capability>())
                .collect::<Result<BTreeSet<_>, _>>()
                .map_err(|e| serde::de::Error::custom(format!("modules.grants.{id}: {e}")))?;
            Ok((id, capabilities))
        })
        .collect()
}

/// `modules.trustedKeys`: key id → public key, each checked (the entry that cannot be used is
/// named with what is wrong).
fn trusted_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<TrustedKeys, D::Error> {
    let raw = BTreeMap::<String, String>::deserialize(d)?;
    TrustedKeys::parse(&raw)
        .map_err(|(id, e)| serde::de::Error::custom(format!("modules.trustedKeys.{id}: {e}")))
}

fn default_max_attempts() -> u32 {
    ModulesConfig::DEFAULT_MAX_ATTEMPTS
}

fn default_retry_backoff_ms() -> u64 {
    ModulesConfig::DEFAULT_RETRY_BACKOFF_MS
}

fn default_max_db_calls() -> usize {
    ModulesConfig::DEFAULT_MAX_DB_CALLS
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_refs_are_resolved_recursively() {
        std::env::set_var("PAPERCLIP_TEST_SECRET", "s3cret");
        let value = json!({"a": "$PAPERCLIP_TEST_SECRET", "b": ["x", "$PAPERCLIP_TEST_SECRET"], "c": 1, "d": "$ not a ref"});
        let resolved = resolve_env_refs(&value, "modules.config.m").unwrap();
        assert_eq!(
            resolved,
            json!({"a": "s3cret", "b": ["x", "s3cret"], "c": 1, "d": "$ not a ref"})
        );
    }

    #[test]
    fn missing_env_names_place_and_variable() {
        let err = resolve_env_refs(
            &json!({"k": "$PAPERCLIP_SURELY_UNSET_VAR"}),
            "modules.config.m",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "modules.config.m.k: environment variable PAPERCLIP_SURELY_UNSET_VAR is not set"
        );
    }

    #[test]
    fn trusted_keys_and_the_signature_policy_are_read_and_checked() {
        let config: Config = serde_json::from_str(r#"{"modules": {}}"#).unwrap();
        assert_eq!(config.modules.signatures, SignaturePolicy::Auto);
        assert!(config.modules.trusted_keys.is_empty());

        let key = paperclip_bundle_signing::SecretKey::generate()
            .unwrap()
            .public_key();
        let text = json!({"modules": {"signatures": "required", "trustedKeys": {key.key_id(): key.to_string()}}});
        let config: Config = serde_json::from_value(text).unwrap();
        assert_eq!(config.modules.signatures, SignaturePolicy::Required);
        assert_eq!(config.modules.trusted_keys.get(&key.key_id()), Some(&key));

        let wrong_id = json!({"modules": {"trustedKeys": {"0123456789abcdef": key.to_string()}}});
        let err = serde_json::from_value::<Config>(wrong_id)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("modules.trustedKeys.0123456789abcdef: key id")
                && err.contains("does not match its key"),
            "{err}"
        );
        let malformed = json!({"modules": {"trustedKeys": {key.key_id(): "ssh-ed25519 AAAA"}}});
        let err = serde_json::from_value::<Config>(malformed)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a public key"), "{err}");
        let err = serde_json::from_str::<Config>(r#"{"modules": {"signatures": "strict"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("strict"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = serde_json::from_str::<Config>(r#"{"modules": {"enabeld": []}}"#).unwrap_err();
        assert!(err.to_string().contains("enabeld"), "{err}");
    }
}
