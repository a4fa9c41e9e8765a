//! Where `paperclipai store import|export` run: a server (over its API) or a database directly,
//! chosen by the same flags and rules as `paperclipai template …` ([`TargetArgs`]):
//! `--server` → that server; `--data-dir` / `--database-url` → that database; else the default
//! server when it answers; else `DATABASE_URL` or the config's `database.url`.

use super::template_command::{TargetArgs, DEFAULT_SERVER};
use crate::app;
use crate::config::Config;
use crate::core::company;
use crate::core::paging::PageRequest;
use crate::core::Core;
use crate::hooks::HookBus;
use anyhow::{anyhow, bail, Context};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A resolved place to work on.
pub enum StoreTarget {
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

impl StoreTarget {
    /// Resolves the flags. `creating` allows a SQLite file that does not exist yet.
    pub fn resolve(args: &TargetArgs, creating: bool) -> anyhow::Result<StoreTarget> {
        let key = args.api_key.clone().filter(|k| !k.is_empty());
        if let Some(server) = &args.server {
            return Ok(StoreTarget::Server {
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
        let direct = |data_dir: &Path| -> anyhow::Result<StoreTarget> {
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
            Ok(StoreTarget::Database { url })
        };
        if args.data_dir.is_some() || args.database_url.is_some() {
            return direct(args.data_dir.as_deref().unwrap_or(Path::new("./data")));
        }
        if server_answers(DEFAULT_SERVER) {
            return Ok(StoreTarget::Server {
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

    /// The company to export when none is named: the only one there is.
    pub fn sole_company(&self) -> anyhow::Result<String> {
        let companies: Vec<(String, String)> = match self {
            StoreTarget::Server { url, key } => {
                let response = StoreTarget::request(
                    &http_client()?,
                    reqwest::Method::GET,
                    url,
                    "/api/companies?limit=11",
                    key.as_deref(),
                )
                .send()
                .with_context(|| format!("cannot reach the server at {url}"))?;
                let status = response.status();
                let body: Value = response.json().with_context(|| {
                    format!("the server at {url} answered {status} without JSON")
                })?;
                if !status.is_success() {
                    bail!(
                        "server answered {status}: {}",
                        body["error"].as_str().unwrap_or("no message")
                    );
                }
                body["items"]
                    .as_array()
                    .ok_or_else(|| anyhow!("the server's company list has no items"))?
                    .iter()
                    .map(|c| {
                        (
                            c["id"].as_str().unwrap_or_default().to_string(),
                            c["name"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            }
            StoreTarget::Database { url } => {
                let core = StoreTarget::open_core(url)?;
                let page = core.read_blocking(|conn| {
                    company::list(
                        conn,
                        PageRequest {
                            limit: Some(11),
                            offset: None,
                        },
                    )
                })?;
                page.items.into_iter().map(|c| (c.id, c.name)).collect()
            }
        };
        match companies.as_slice() {
            [] => bail!("there is no company to export"),
            [(id, _)] => Ok(id.clone()),
            many => bail!(
                "there are several companies; pass --company ID ({}{})",
                many.iter()
                    .take(10)
                    .map(|(id, name)| format!("{id} {name:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if many.len() > 10 { ", …" } else { "" }
            ),
        }
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
