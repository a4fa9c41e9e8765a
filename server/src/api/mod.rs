//! The REST API under `/api`: one file per resource, thin handlers that parse input, call the
//! core and render JSON. Errors are `{"error": …, "field": …}` with a 4xx/5xx status.
//!
//! Every route except `GET /api/health` lives in one `web::scope("/api")` wrapped by the
//! API-key middleware ([`auth::require_api_key`]), module routes (`/api/modules/<prefix>/…`)
//! included: authentication is decided by the same router that picks the handler. Modules'
//! inbound webhooks (`POST /webhooks/<module-id>/<key>`, [`webhooks`]) are outside that scope,
//! on purpose: their senders cannot hold an API key, and the module verifies their signature.

mod activity;
mod admin_cluster;
mod admin_module_policy;
mod admin_module_webhooks;
mod admin_modules;
mod agents;
pub mod api_error;
pub mod auth;
pub mod browser_guard;
mod companies;
mod company_scoped;
mod cost_events;
mod goals;
mod health;
mod heartbeats;
mod issues;
pub mod json_body;
pub mod list_query;
pub mod module_routes;
mod projects;
mod store;
mod templates;
pub mod webhooks;

use actix_web::{middleware, web};

/// Registers `GET /api/health` and `POST /webhooks/<module-id>/<key>` (both without a key) and
/// then the `/api` scope with every other core, admin, template, store and module route behind
/// the API-key middleware. Call it before the web UI's fallback.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    webhooks::configure(cfg);
    cfg.service(
        web::scope("/api")
            .wrap(middleware::from_fn(auth::require_api_key))
            .configure(protected_routes),
    );
}

/// The routes inside the `/api` scope, with paths relative to it.
fn protected_routes(cfg: &mut web::ServiceConfig) {
    // First: module routes are the hot path, and their patterns overlap no core route.
    module_routes::configure(cfg);
    admin_modules::configure(cfg);
    admin_cluster::configure(cfg);
    companies::configure(cfg);
    agents::configure(cfg);
    heartbeats::configure(cfg);
    goals::configure(cfg);
    projects::configure(cfg);
    issues::configure(cfg);
    activity::configure(cfg);
    cost_events::configure(cfg);
    templates::configure(cfg);
    store::configure(cfg);
}
