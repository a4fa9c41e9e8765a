//! `/api/companies/{companyId}/goals` and `/api/goals/{id}`.

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::JsonBody;
use super::list_query::ListQuery;
use crate::core::goal::{self, GoalFilter, GoalPatch, NewGoal};
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/companies/{companyId}/goals", web::get().to(list))
        .route("/companies/{companyId}/goals", web::post().to(create))
        .route("/goals/{id}", web::get().to(get))
        .route("/goals/{id}", web::patch().to(update))
        .route("/goals/{id}", web::delete().to(delete));
}

async fn list(
    state: web::Data<AppState>,
    company_id: web::Path<String>,
    query: ListQuery<GoalFilter>,
) -> Result<HttpResponse, ApiError> {
    let company_id = company_id.into_inner();
    let page = state
        .core
        .read(move |c| goal::list(c, &company_id, &query.filter, query.page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    company_id: web::Path<String>,
    body: JsonBody<NewGoal>,
) -> Result<HttpResponse, ApiError> {
    let company_id = company_id.into_inner();
    let created = state
        .core
        .write(move |c, hooks| goal::create(c, hooks, &actor.0, &company_id, body.0))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.core.read(move |c| goal::get(c, &id)).await?;
    Ok(HttpResponse::Ok().json(found))
}

async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<GoalPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let updated = state
        .core
        .write(move |c, hooks| goal::update(c, hooks, &actor.0, &id, body.0))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

async fn delete(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .core
        .write(move |c, _| goal::delete(c, &actor.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
