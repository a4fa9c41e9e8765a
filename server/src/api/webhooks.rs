//! Inbound webhooks of modules: `POST /webhooks/<module-id>/<key>`, served **without** an API
//! key (registered outside the authenticated `/api` scope: a payment provider cannot send one),
//! behind the browser guard like every request. The module host finds the endpoint
//! ([`ModuleHost::webhook_endpoint`](crate::module_host::ModuleHost::webhook_endpoint)); an
//! unknown one answers 404 before the body is read. The body is read with the module routes'
//! limit (413, recorded), and the delivery goes through the module's executor like a route
//! call (isolation level, time limit, 500/503/504), recorded by the host. Every 404 — unknown
//! module or key, module not running or disabled, `webhooks` not granted — has the same body.
//!
//! The host does not know who sent a delivery: the module verifies the sender's signature
//! (`module_sdk::webhook_signature`).

use super::api_error::ApiError;
use super::json_body::MAX_BODY_BYTES;
use super::module_routes::{api_error, read_body_counted, to_http};
use crate::module_host::webhook_dispatcher::{not_found, Arrival};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

/// Registers `POST /webhooks/{module}/{key}`; called outside the `/api` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks/{module}/{key}", web::post().to(deliver_webhook));
}

async fn deliver_webhook(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let arrival = Arrival::now();
    let module = req.match_info().get("module").unwrap_or_default();
    let key = req.match_info().get("key").unwrap_or_default();
    let endpoint = state
        .modules
        .webhook_endpoint(module, key)
        .ok_or_else(|| api_error(not_found()))?;
    let body = match read_body_counted(payload, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err((error, read)) => {
            endpoint
                .refuse(arrival, error.status.as_u16(), &error.message, read as u64)
                .await;
            return Err(error);
        }
    };
    let answer = endpoint
        .deliver(
            arrival,
            req.query_string(),
            req.headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            body,
        )
        .await
        .map_err(api_error)?;
    Ok(to_http(endpoint.module_id(), answer))
}
