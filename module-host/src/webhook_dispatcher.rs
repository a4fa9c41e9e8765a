//! Delivering to a module's inbound webhook, `POST /webhooks/<module-id>/<key>`, without HTTP
//! types: the server's adapter (`paperclip::api::webhooks`) asks the host for the
//! [`WebhookEndpoint`] ([`ModuleHost::webhook_endpoint`](crate::ModuleHost::webhook_endpoint):
//! `None` for an unknown module or key), reads the body (413 past the limit: [`WebhookEndpoint::refuse`])
//! and calls [`WebhookEndpoint::deliver`].
//!
//! A delivery goes through the module's executor exactly like a route call
//! ([`route_dispatcher::dispatch`]: isolation level, `routeTimeoutMs`, queue, 500/503/504),
//! under the reserved path `/.webhooks/<key>` that the SDK hands to the handler registered with
//! `Registrar::webhook` and that `/api/modules/<prefix>/…` never forwards. An endpoint that is
//! off — module not running, or not granted `webhooks` — answers the same 404 as an unknown one,
//! so nothing is revealed to the caller; the reason is recorded for the operator. Every delivery
//! to a declared key of a known module is recorded ([`crate::webhook_deliveries`]), never its
//! body.

use crate::route_dispatcher::{self, route_request, RouteAnswer, RouteFailure, STATUS_NOT_FOUND};
use crate::route_table::RouteTarget;
use crate::webhook_deliveries::{self, WebhookDelivery};
use chrono::NaiveDateTime;
use module_sdk::webhook::webhook_path;
use paperclip_core::db::{now, Database, DatabaseError};
use std::time::Instant;

/// Where webhooks are served: `/webhooks/<module-id>/<key>`.
pub const WEBHOOKS_BASE: &str = "/webhooks";

/// The message of every webhook 404 (unknown module or key, module not running, disabled, not
/// granted `webhooks`): the same for all, so a caller learns nothing.
pub const NOT_FOUND_MESSAGE: &str = "no such webhook";

/// The 404 of an unknown or switched-off endpoint.
pub fn not_found() -> RouteFailure {
    RouteFailure {
        status: STATUS_NOT_FOUND,
        message: NOT_FOUND_MESSAGE.to_string(),
        retry_after: None,
    }
}

/// The public path of a module's webhook, `/webhooks/<module-id>/<key>`.
pub fn public_path(module_id: &str, key: &str) -> String {
    format!("{WEBHOOKS_BASE}/{module_id}/{key}")
}

/// A declared webhook of a known module: where its deliveries go, or why it is off.
pub struct WebhookEndpoint {
    module_id: String,
    key: String,
    target: Result<RouteTarget, String>,
    db: Database,
}

/// When a request arrived: the wall-clock time recorded, and the instant its duration is
/// measured from.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    at: NaiveDateTime,
    started: Instant,
}

impl Arrival {
    /// Now.
    pub fn now() -> Arrival {
        Arrival {
            at: now(),
            started: Instant::now(),
        }
    }
}

impl WebhookEndpoint {
    /// An endpoint of `module_id` (a declared `key`): `target` runs its deliveries, or says why
    /// it is off (answered 404, recorded with that reason).
    pub fn new(
        module_id: &str,
        key: &str,
        target: Result<RouteTarget, String>,
        db: Database,
    ) -> WebhookEndpoint {
        WebhookEndpoint {
            module_id: module_id.to_string(),
            key: key.to_string(),
            target,
            db,
        }
    }

    /// The module id.
    pub fn module_id(&self) -> &str {
        &self.module_id
    }

    /// The webhook key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether deliveries reach the module now.
    pub fn is_on(&self) -> bool {
        self.target.is_ok()
    }

    /// Delivers the request (headers with lower-case names, the raw `query`, the raw body) to
    /// the module's handler and records it. Off: 404 ([`not_found`]).
    pub async fn deliver<'a>(
        &self,
        arrival: Arrival,
        query: &str,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        body: Vec<u8>,
    ) -> Result<RouteAnswer, RouteFailure> {
        let body_bytes = body.len() as u64;
        let (outcome, error) = match &self.target {
            Err(reason) => (Err(not_found()), Some(reason.clone())),
            Ok(target) => {
                let request = route_request("POST", &webhook_path(&self.key), query, headers, body);
                let outcome = route_dispatcher::dispatch(target, request).await;
                let error = match &outcome {
                    Ok(answer) => answered_error(answer),
                    Err(failure) => Some(failure.message.clone()),
                };
                (outcome, error)
            }
        };
        let status = match &outcome {
            Ok(answer) => answer.status(),
            Err(failure) => failure.status,
        };
        self.record(arrival, status, body_bytes, error).await;
        outcome
    }

    /// Records a delivery the host refused before the module saw it (e.g. 413, the body too
    /// large: `body_bytes` read before the limit).
    pub async fn refuse(&self, arrival: Arrival, status: u16, message: &str, body_bytes: u64) {
        self.record(arrival, status, body_bytes, Some(message.to_string()))
            .await;
    }

    /// Saves the delivery; a database error is logged, never turned into the answer (the module
    /// already handled the delivery).
    async fn record(&self, arrival: Arrival, status: u16, body_bytes: u64, error: Option<String>) {
        let delivery = WebhookDelivery {
            id: 0,
            key: self.key.clone(),
            received_at: arrival.at,
            status,
            body_bytes,
            duration_ms: u64::try_from(arrival.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            error,
        };
        let module_id = self.module_id.clone();
        let saved = self
            .db
            .run(move |conn| {
                webhook_deliveries::record(conn, &module_id, &delivery)
                    .map_err(|e| RecordError(e.to_string()))
            })
            .await;
        if let Err(RecordError(error)) = saved {
            tracing::warn!(module = %self.module_id, key = %self.key, %error, "webhook delivery not recorded");
        }
    }
}

/// Why a delivery could not be recorded.
struct RecordError(String);

impl From<DatabaseError> for RecordError {
    fn from(e: DatabaseError) -> Self {
        RecordError(e.to_string())
    }
}

/// The `error` text of the module's own error answer (status 400 or more, JSON
/// `{"error": "…"}`), else a generic one for an error status.
fn answered_error(answer: &RouteAnswer) -> Option<String> {
    if answer.status() < 400 {
        return None;
    }
    let text = serde_json::from_slice::<serde_json::Value>(answer.body())
        .ok()
        .and_then(|body| body.get("error")?.as_str().map(str::to_string));
    Some(text.unwrap_or_else(|| format!("the module answered {}", answer.status())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_stable::std_types::{RString, RVec, Tuple2};
    use module_sdk::abi::RouteResponse;

    fn answer(status: u16, body: &[u8]) -> RouteAnswer {
        RouteAnswer::new(RouteResponse {
            status,
            headers: vec![Tuple2(
                RString::from("content-type"),
                RString::from("application/json"),
            )]
            .into(),
            body: RVec::from(body.to_vec()),
        })
        .unwrap()
    }

    #[test]
    fn error_answers_are_recorded_with_the_module_s_error_text() {
        assert_eq!(answered_error(&answer(200, br#"{"error":"x"}"#)), None);
        assert_eq!(
            answered_error(&answer(400, br#"{"error":"no matching signature"}"#)).as_deref(),
            Some("no matching signature")
        );
        assert_eq!(
            answered_error(&answer(401, b"nope")).as_deref(),
            Some("the module answered 401")
        );
        assert_eq!(public_path("revenue", "stripe"), "/webhooks/revenue/stripe");
        assert_eq!(not_found().status, 404);
    }
}
