//! The web UI, served by the server itself so no Node toolchain is needed to run it:
//!
//! - the shell's static files (`server/web/`, embedded in the binary by [`embedded_assets`]);
//! - module UI files, `GET /modules/<id>/ui/<file>`, read from the bundle's `ui/` folder and
//!   served only while the module runs ([`module_assets`]);
//! - every other `GET` outside `/api` answers `index.html`, so the shell's client-side routes
//!   (`/agents/…`, `/m/<module>/…`) survive a reload ([`spa_fallback`]). Unknown `/api` paths
//!   answer a JSON 404 instead.
//!
//! Architecture invariant: registered after the API ([`configure`] uses the app's default
//! service and one `/modules/…` route), so it never shadows an `/api` route.

pub mod content_type;
pub mod embedded_assets;
pub mod module_assets;
pub mod safe_path;
pub mod spa_fallback;

use actix_web::web;

/// Registers the module UI route and the fallback that serves the shell. Call it after
/// `api::configure` and the module route dispatcher.
pub fn configure(cfg: &mut web::ServiceConfig) {
    module_assets::configure(cfg);
    cfg.default_service(web::to(spa_fallback::serve));
}
