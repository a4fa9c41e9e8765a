//! Where a command that works on company data runs — a server (over its API) or a database
//! directly — chosen by the same flags everywhere ([`TargetArgs`]): `--server` → that server;
//! `--data-dir` / `--database-url` → that database; else the default server when it answers;
//! else `DATABASE_URL` or the config's `database.url`.

use crate::app;
use crate::config::Config;
use crate::core::Core;
use crate::hooks::HookBus;
use anyhow::{bail, Context};
use clap::Args;
use reqwest::blocking::{Client, RequestBuilder};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The server tried when none is named.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:3100";

/// Where a command that works on company data runs (`template`, `store import|export`).
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Server URL [default: http://127.0.0.1:3100 when it answers].
    #[arg(long, env = "PAPERCLIP_SERVER")]
    pub server: Option<String>,
    /// API key sent to the server as `Authorization: Bearer <key>`.
    #[arg(long, env = "PAPERCLIP_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Work directly on the SQLite database of this data directory, without a server.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Work directly on this database (`postgres://…` or a SQLite file), without a server.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Configuration file (its `database.url` is used for direct access).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// A resolved place to work on.
pub enum CommandTarget {
    /// A running server.
    Server {
        /// Its base URL, without a trailing `/`.
        url: String,
        /// API key to send.
        key: Option<String>,
    },
    /// A database, opened directly.
    Database {
        /// Its URL.
        url: String,
    },
}

impl CommandTarget {
    /// Resolves the flags. `creating` allows a SQLite file that does not exist yet.
    pub fn resolve(args: &TargetArgs, creating: bool) -> anyhow::Result<CommandTarget> {
        let key = args.api_key.clone().filter(|k| !k.is_empty());
        if let Some(server) = &args.server {
            return Ok(CommandTarget::Server {
                url: server.trim_end_matches('/').to_string(),
                key,
            });
        }
        let config = Config::load(
            args.config
                .as_deref()
                .unwrap_or_else(|| Path::new("paperclip.config.json")),
            args.config.is_some(),
        )?;
        let direct = |data_dir: &Path| -> anyhow::Result<CommandTarget> {
            let url = args
                .database_url
                .clone()
                .unwrap_or_else(|| app::database_url(&config, data_dir));
            if !creating && crate::db::Backend::from_url(&url) == crate::db::Backend::Sqlite {
                let path = url.strip_prefix("sqlite://").unwrap_or(&url);
                if !Path::new(path).is_file() {
                    bail!("no database at {path}");
                }
            }
            Ok(CommandTarget::Database { url })
        };
        if args.data_dir.is_some() || args.database_url.is_some() {
            return direct(args.data_dir.as_deref().unwrap_or(Path::new("./data")));
        }
        if server_answers(DEFAULT_SERVER) {
            return Ok(CommandTarget::Server {
                url: DEFAULT_SERVER.to_string(),
                key,
            });
        }
        let env_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
        if env_url.is_some() || config.database.url.is_some() {
            return direct(Path::new("./data"));
        }
        bail!(
            "no Paperclip server answers at {DEFAULT_SERVER} (start one with `paperclipai run`, or \
             pass --server URL); to work on a database directly, pass --data-dir DIR or \
             --database-url URL"
        )
    }

    /// A request to the server with the API key attached.
    pub fn request(
        client: &Client,
        method: reqwest::Method,
        url: &str,
        path: &str,
        key: Option<&str>,
    ) -> RequestBuilder {
        let request = client.request(method, format!("{url}{path}"));
        match key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// The core of the database target.
    pub fn open_core(url: &str) -> anyhow::Result<Core> {
        let db = app::open_database(url)?;
        Ok(Core::new(db, Arc::new(HookBus::new())))
    }
}

/// The client for server calls (imports of large templates take a while).
pub fn http_client() -> anyhow::Result<Client> {
    Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(600))
        .build()
        .context("cannot build the HTTP client")
}

/// True when a Paperclip server answers `GET /api/health` at `url`.
fn server_answers(url: &str) -> bool {
    let Ok(client) = Client::builder().timeout(Duration::from_secs(2)).build() else {
        return false;
    };
    client
        .get(format!("{url}/api/health"))
        .send()
        .is_ok_and(|r| r.status().is_success())
}
