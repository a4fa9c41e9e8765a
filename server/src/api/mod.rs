//! The REST API under `/api`: one file per resource, thin handlers that parse input, call the
//! core and render JSON. Errors are `{"error": …, "field": …}` with a 4xx/5xx status.

pub mod api_error;
pub mod auth;
mod companies;
mod health;
pub mod json_body;

use actix_web::web;

/// Registers every core route under `/api` (module and admin routes are added by their owners).
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    companies::configure(cfg);
}
