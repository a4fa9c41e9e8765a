//! `paperclipai store import|export` helpers on top of [`CommandTarget`]: picking the company
//! to export when none is named.

use super::command_target::{http_client, CommandTarget};
use crate::core::company;
use crate::core::paging::PageRequest;
use anyhow::{anyhow, bail, Context};
use serde_json::Value;

impl CommandTarget {
    /// The company to export when none is named: the only one there is.
    pub fn sole_company(&self) -> anyhow::Result<String> {
        let companies: Vec<(String, String)> = match self {
            CommandTarget::Server { url, key } => {
                let response = CommandTarget::request(
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
            CommandTarget::Database { url } => {
                let core = CommandTarget::open_core(url)?;
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
