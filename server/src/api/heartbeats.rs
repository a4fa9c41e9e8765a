//! `POST /api/agents/{id}/heartbeat` (an agent checking in; the body may be empty) and
//! `GET /api/agents/{id}/heartbeats` (newest first).

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::{parse_json, JsonBytes};
use super::list_query::ListQuery;
use crate::core::heartbeat::{self, HeartbeatInput};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/agents/{id}/heartbeat", web::post().to(record))
        .route("/agents/{id}/heartbeats", web::get().to(list));
}

/// The heartbeat list takes no filters, only paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFilter {}

async fn record(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // A bare check-in carries nothing: an empty body means no meta and no status change.
    let input: HeartbeatInput = if body.is_blank() {
        HeartbeatInput::default()
    } else {
        parse_json(&body.0)?
    };
    let recorded = state
        .core
        .write(move |c, hooks| heartbeat::record(c, hooks, &actor.0, &id, input))
        .await?;
    Ok(HttpResponse::Created().json(recorded))
}

async fn list(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ListQuery<NoFilter>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let page = state
        .core
        .read(move |c| heartbeat::list(c, &id, query.page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
