//! How a [`crate::TestServer`] is started: config file contents, modules, keys, address,
//! environment and extra arguments.

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// Options of [`crate::TestServer::start`]. Build with [`ServerOptions::new`] and the chained
/// setters; every field is public for struct-update syntax too.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Contents of the config file passed with `--config` (default `{}`). The harness sets
    /// `modules.dir` to the server's own modules dir unless this already sets it, and appends
    /// [`ServerOptions::api_keys`] to `auth.apiKeys`.
    pub config: Option<Value>,
    /// Bundles to install before start, by name: copied from `target/test-bundles/<name>/`
    /// or else `plugins-dist/<name>/` into the server's modules dir.
    pub modules: Vec<String>,
    /// API keys written to the config; the server's default client sends the first one.
    pub api_keys: Vec<String>,
    /// Public keys added to `modules.trustedKeys` (key id, `ed25519:<hex>`).
    pub trusted_keys: Vec<(String, String)>,
    /// `--bind` address (default `127.0.0.1`).
    pub bind: Option<String>,
    /// Extra environment variables of the server process (applied last, so they may
    /// override `DATABASE_URL` or `PAPERCLIP_API_KEYS`).
    pub env: Vec<(String, String)>,
    /// Extra arguments after `run --bind … --port … --data-dir … --config …`.
    pub args: Vec<String>,
    /// How long to wait for the "listening on" line (default 30 s).
    pub start_timeout: Option<Duration>,
    /// `--data-dir` to use instead of a fresh one inside the server's temporary folder (e.g.
    /// one prepared by `paperclipai db migrate`). It is not removed afterwards.
    pub data_dir: Option<PathBuf>,
}

impl ServerOptions {
    /// Defaults: loopback, no keys, no modules, empty config.
    pub fn new() -> ServerOptions {
        ServerOptions::default()
    }

    /// Sets the config file contents.
    pub fn config(mut self, config: Value) -> ServerOptions {
        self.config = Some(config);
        self
    }

    /// Adds a module bundle to install.
    pub fn module(mut self, name: impl Into<String>) -> ServerOptions {
        self.modules.push(name.into());
        self
    }

    /// Adds an API key to the config.
    pub fn api_key(mut self, key: impl Into<String>) -> ServerOptions {
        self.api_keys.push(key.into());
        self
    }

    /// Trusts a bundle signing key (`modules.trustedKeys.<id>`).
    pub fn trust_key(
        mut self,
        key_id: impl Into<String>,
        public_key: impl Into<String>,
    ) -> ServerOptions {
        self.trusted_keys.push((key_id.into(), public_key.into()));
        self
    }

    /// Trusts the development key `scripts/build-modules.sh` signs every bundle with, as an
    /// operator of a non-loopback server would (see [`crate::dev_signing_key`]).
    pub fn trust_dev_signing_key(self) -> ServerOptions {
        let (key_id, public_key) = crate::dev_signing_key();
        self.trust_key(key_id, public_key)
    }

    /// Sets the bind address.
    pub fn bind(mut self, address: impl Into<String>) -> ServerOptions {
        self.bind = Some(address.into());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> ServerOptions {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Adds a command-line argument.
    pub fn arg(mut self, arg: impl Into<String>) -> ServerOptions {
        self.args.push(arg.into());
        self
    }

    /// Uses an existing data dir.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> ServerOptions {
        self.data_dir = Some(dir.into());
        self
    }

    /// Sets the start time-out.
    pub fn start_timeout(mut self, timeout: Duration) -> ServerOptions {
        self.start_timeout = Some(timeout);
        self
    }
}
