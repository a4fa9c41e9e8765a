//! `GET /api/health`: liveness, version, database backend and this replica's id; never needs a
//! key.

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
        "replica": state.modules.cluster().replica_id(),
    }))
}
