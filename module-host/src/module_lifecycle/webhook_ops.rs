//! The module host's webhook operations: finding the endpoint a `POST /webhooks/<id>/<key>`
//! goes to (on only while the module runs and is granted `webhooks`, which the operator changes
//! at once through the grants), and the admin view of a module's webhooks and deliveries.

use super::{ModuleHost, ModuleOpError};
use crate::route_table::RouteTarget;
use crate::webhook_deliveries::{self, WebhookDelivery, KEPT_PER_MODULE};
use crate::webhook_dispatcher::{public_path, WebhookEndpoint};
use module_sdk::webhook::is_valid_webhook_key;
use module_sdk::Capability;
use serde::Serialize;
use std::sync::Arc;

/// A module's webhooks, as `GET /api/admin/modules/{id}/webhooks` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhooksView {
    /// The module id.
    pub module: String,
    /// Whether the module runs now.
    pub running: bool,
    /// Whether the `webhooks` capability is asked for and granted.
    pub granted: bool,
    /// The endpoints its manifest declares.
    pub endpoints: Vec<WebhookEndpointView>,
    /// Its newest deliveries, newest first.
    pub deliveries: Vec<WebhookDelivery>,
}

/// One declared webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointView {
    /// Its key.
    pub key: String,
    /// What it receives (the manifest's description).
    pub description: String,
    /// Its public path, `/webhooks/<module-id>/<key>`.
    pub path: String,
    /// Whether deliveries reach the module now (running and granted).
    pub enabled: bool,
}

impl ModuleHost {
    /// The endpoint `POST /webhooks/<module_id>/<key>` goes to: `None` when no module owns the
    /// id or its manifest does not declare `key` (answered 404, not recorded). Otherwise the
    /// endpoint, on when the module runs and its running policy allows `webhooks`, else off with
    /// the reason (answered 404, recorded).
    pub fn webhook_endpoint(&self, module_id: &str, key: &str) -> Option<WebhookEndpoint> {
        if !is_valid_webhook_key(key) {
            return None;
        }
        let state = self.state.lock();
        let record = state.owner(module_id)?;
        record.manifest()?.webhook(key)?;
        let target = match &record.runtime {
            None => Err(format!("the module is not running ({})", record.status)),
            Some(runtime) if !runtime.policy.allows(Capability::Webhooks) => {
                Err("the module is not granted the `webhooks` capability".to_string())
            }
            Some(runtime) => Ok(RouteTarget {
                module_id: module_id.to_string(),
                executor: Arc::clone(&runtime.executor),
                counters: Arc::clone(&record.counters),
            }),
        };
        Some(WebhookEndpoint::new(
            module_id,
            key,
            target,
            self.core.db().clone(),
        ))
    }

    /// Module `id`'s declared webhooks and its newest `limit` deliveries (at most
    /// [`KEPT_PER_MODULE`] are kept).
    pub fn webhooks(&self, id: &str, limit: i64) -> Result<WebhooksView, ModuleOpError> {
        let (running, granted, declared) = {
            let state = self.state.lock();
            let record = state
                .owner(id)
                .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
            let manifest = record.manifest();
            let asked = manifest
                .is_some_and(|m| m.requested_capabilities().contains(&Capability::Webhooks));
            let granted = asked
                && match &record.runtime {
                    Some(runtime) => runtime.policy.allows(Capability::Webhooks),
                    None => self
                        .effective_grants(&state, id)
                        .contains(&Capability::Webhooks),
                };
            let declared = manifest.map(|m| m.webhooks.clone()).unwrap_or_default();
            (record.runtime.is_some(), granted, declared)
        };
        let deliveries = self
            .with_conn(|conn| webhook_deliveries::list(conn, id, limit.clamp(0, KEPT_PER_MODULE)))
            .map_err(ModuleOpError::Database)?;
        Ok(WebhooksView {
            module: id.to_string(),
            running,
            granted,
            endpoints: declared
                .into_iter()
                .map(|w| WebhookEndpointView {
                    path: public_path(id, &w.key),
                    key: w.key,
                    description: w.description,
                    enabled: running && granted,
                })
                .collect(),
            deliveries,
        })
    }
}
