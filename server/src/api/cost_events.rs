//! `POST /api/companies/{companyId}/cost-events` (record an agent's spend) and
//! `GET /api/companies/{companyId}/cost-events` (newest first, `?agentId=`).

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::JsonBody;
use super::list_query::ListQuery;
use crate::core::cost_event::{self, CostEventFilter, NewCostEvent};
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/companies/{companyId}/cost-events", web::post().to(create))
        .route("/companies/{companyId}/cost-events", web::get().to(list));
}

async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    company_id: web::Path<String>,
    body: JsonBody<NewCostEvent>,
) -> Result<HttpResponse, ApiError> {
    let company_id = company_id.into_inner();
    let recorded = state
        .core
        .write(move |c, hooks| cost_event::create(c, hooks, &actor.0, &company_id, body.0))
        .await?;
    Ok(HttpResponse::Created().json(recorded))
}

async fn list(
    state: web::Data<AppState>,
    company_id: web::Path<String>,
    query: ListQuery<CostEventFilter>,
) -> Result<HttpResponse, ApiError> {
    let company_id = company_id.into_inner();
    let page = state
        .core
        .read(move |c| cost_event::list(c, &company_id, &query.filter, query.page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
