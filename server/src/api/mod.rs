//! The REST API under `/api`: one file per resource, thin handlers that parse input, call the
//! core and render JSON. Errors are `{"error": …, "field": …}` with a 4xx/5xx status.

mod activity;
mod admin_modules;
mod agents;
pub mod api_error;
pub mod auth;
mod companies;
mod cost_events;
mod goals;
mod health;
mod heartbeats;
mod issues;
pub mod json_body;
pub mod list_query;
mod projects;
mod store;
mod templates;

use actix_web::web;

/// Registers every core route under `/api` (module and admin routes are added by their owners).
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    admin_modules::configure(cfg);
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
