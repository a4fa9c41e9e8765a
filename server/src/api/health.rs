//! `GET /api/health`: liveness, version and database backend; never needs a key.

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/health", web::get().to(health));
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "version": crate::VERSION,
        "database": state.core.db().backend().name(),
    }))
}
