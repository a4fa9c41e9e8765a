//! `/api/companies` and `/api/companies/{id}`.

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::JsonBody;
use crate::core::company::{self, CompanyPatch, NewCompany};
use crate::core::paging::PageRequest;
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/companies", web::get().to(list))
        .route("/companies", web::post().to(create))
        .route("/companies/{id}", web::get().to(get))
        .route("/companies/{id}", web::patch().to(update))
        .route("/companies/{id}", web::delete().to(delete));
}

async fn list(
    state: web::Data<AppState>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let page = page.into_inner();
    let companies = state.core.read(move |c| company::list(c, page)).await?;
    Ok(HttpResponse::Ok().json(companies))
}

async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: JsonBody<NewCompany>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .core
        .write(move |c, _| company::create(c, &actor.0, body.0))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state.core.read(move |c| company::get(c, &id)).await?;
    Ok(HttpResponse::Ok().json(found))
}

async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<CompanyPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let updated = state
        .core
        .write(move |c, _| company::update(c, &actor.0, &id, body.0))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

async fn delete(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .core
        .write(move |c, _| company::delete(c, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
