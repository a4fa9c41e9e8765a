//! `GET /api/companies/{companyId}/activity`: the company's activity log, newest first,
//! filtered by `entityType`, `entityId`, `action`.

use super::api_error::ApiError;
use super::list_query::ListQuery;
use crate::core::activity::{self, ActivityFilter};
use crate::core::company;
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/companies/{companyId}/activity", web::get().to(list));
}

async fn list(
    state: web::Data<AppState>,
    company_id: web::Path<String>,
    query: ListQuery<ActivityFilter>,
) -> Result<HttpResponse, ApiError> {
    let company_id = company_id.into_inner();
    let page = state
        .core
        .read(move |c| {
            company::ensure_exists(c, &company_id)?;
            activity::list(c, &company_id, &query.filter, query.page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
