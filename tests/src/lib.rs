//! End-to-end test harness of Paperclip: starts the real `paperclipai` binary on a fresh
//! database (SQLite, and PostgreSQL when configured) and talks to it over HTTP.
//!
//! # Running
//!
//! Build the binary first (`cargo build -p paperclip-server`, or `scripts/test.sh`), then
//! `cargo test -p paperclip-e2e`. With `PAPERCLIP_TEST_DATABASE_URL=postgres://user@host/db`
//! set (an account allowed to `CREATE DATABASE`), every [`each_backend`] test also runs on
//! PostgreSQL, each server on its own throw-away database.
//!
//! # Writing a test
//!
//! ```no_run
//! use paperclip_e2e::{each_backend, json, ServerOptions, StatusCode, TestServer};
//!
//! #[test]
//! fn companies_round_trip() {
//!     // Runs the body once per backend; a failure names the backend.
//!     each_backend(|backend| {
//!         let server = TestServer::start(backend, ServerOptions::new());
//!         let company = server.create_company("Acme");
//!         let (status, body) = server.get(&format!("/api/companies/{company}"));
//!         assert_eq!(status, StatusCode::OK, "{body}");
//!         assert_eq!(body["name"], "Acme");
//!     });
//! }
//! ```
//!
//! - [`TestServer::start`] takes a [`TestBackend`] and [`ServerOptions`] (config JSON, module
//!   bundles to install, API keys, bind address, extra env vars and args). Each server gets
//!   its own temporary directory holding the data dir, the config file, the modules dir
//!   (`plugins-dist/`) and the captured stdout/stderr; the process is killed on drop.
//! - The server dereferences to an [`ApiClient`]: `get`/`post`/`patch`/`put`/`delete`
//!   return `(StatusCode, serde_json::Value)` and send the first configured API key, if any.
//!   [`ApiClient::with_key`] / [`ApiClient::without_key`] give clients with other
//!   credentials; [`ApiClient::request`] builds any raw request.
//! - Fixtures on [`ApiClient`] create entities and return their ids:
//!   [`ApiClient::create_company`], [`ApiClient::create_agent`], [`ApiClient::create_goal`],
//!   [`ApiClient::create_project`], [`ApiClient::create_issue`]; [`ApiClient::total`] and
//!   [`ApiClient::activity_total`] count rows through list endpoints.
//! - Module tests: `ServerOptions::new().module("observability")` copies the bundle from
//!   `target/test-bundles/<name>/` (test modules) or `plugins-dist/<name>/` (first-party
//!   modules) into the server's own modules dir, and points `modules.dir` at it.
//!   [`TestServer::add_module`] drops a bundle in while the server runs (for rescans).
//!   Bundles are signed with the development key of `scripts/build-modules.sh`, which a
//!   loopback server loads with a warning (`modules.signatures: auto`);
//!   [`ServerOptions::trust_dev_signing_key`] trusts it (needed beyond loopback);
//!   [`TestServer::stderr_log`] returns the server's log so far (no colour codes), where
//!   module log lines appear; [`TestServer::wait_for_log`] waits for a line.
//! - [`TestServer::stop`] shuts the server down gracefully (SIGTERM), [`TestServer::restart`]
//!   starts it again on the same data dir, database and port.
//! - [`TestServer::try_start`] returns the [`StartFailure`] (exit status, stderr) of a server
//!   that refuses to start; [`run_cli`] runs any other `paperclipai` command.
//! - [`raw_request`] writes one request byte for byte (paths as written, any `Host`).
//! - [`bench_support`] holds latency statistics for the bench binaries in `tests/benches/`.

#![forbid(unsafe_code)]

mod api_client;
mod backend;
pub mod bench_support;
mod binary;
mod cli_run;
mod direct_db;
mod fixtures;
mod isolation;
mod module_bundles;
mod raw_http;
mod server_log;
mod server_options;
mod test_server;
mod wait;

pub use api_client::ApiClient;
pub use backend::{each_backend, test_backends, TestBackend, TEST_DATABASE_URL_VAR};
pub use binary::{server_binary, target_dir, workspace_root};
pub use cli_run::{run_cli, run_cli_with, CliOutput};
pub use direct_db::DirectDb;
pub use isolation::{
    current_isolation, each_backend_and_level, test_levels, ISOLATION_LEVELS, TEST_ISOLATION_VAR,
};
pub use module_bundles::{copy_dir, dev_signing_key, find_bundle};
pub use paperclip_test_support::TestDatabase;
pub use raw_http::{raw_request, RawResponse};
pub use server_log::strip_ansi;
pub use server_options::ServerOptions;
pub use test_server::{StartFailure, TestServer};
pub use wait::wait_until;

pub use reqwest::blocking::Response;
pub use reqwest::{Method, StatusCode};
pub use serde_json::{json, Value};
