//! `/api/templates/…`: validate, import and export company templates, and serve their schema.
//!
//! - `POST /api/templates/validate` (body: template) → `200 {"valid": bool, "problems": [...]}`
//! - `POST /api/templates/import[?name=Company name]` (body: template) → `201 {"companyId",
//!   "refs": {"agents": {ref: id}, "goals": {…}, "projects": {…}, "issues": {…}}}`, or `400
//!   {"error": "template is invalid", "problems": [{"path", "message"}, …]}` with nothing written
//! - `GET /api/templates/export?companyId=…` → the company as a template
//! - `GET /api/templates/schema` → the JSON Schema of templates

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::JsonBytes;
use crate::state::AppState;
use crate::templates::template_schema::SCHEMA_TEXT;
use crate::templates::Problem;
use crate::templates::{export_company, import_template, validate_json, ImportOptions};
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use std::collections::HashMap;

/// The answer to an invalid template: each problem as `{"path", "message"}`.
#[derive(Serialize)]
struct InvalidTemplate<'a> {
    error: &'static str,
    problems: &'a [Problem],
}

/// The answer of `POST /api/templates/validate`.
#[derive(Serialize)]
struct ValidationReport<'a> {
    valid: bool,
    problems: &'a [Problem],
}

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    // Bodies: `JsonBytes`, so the one JSON limit (16 MiB; a template of 5,000 issues is about
    // 2 MB) and the Content-Type rule apply.
    cfg.route("/templates/import", web::post().to(import))
        .route("/templates/validate", web::post().to(validate))
        .route("/templates/export", web::get().to(export))
        .route("/templates/schema", web::get().to(schema));
}

/// Refuses query parameters other than `allowed`, naming the first unknown one.
fn check_query(query: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    let mut unknown: Vec<&String> = query
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    unknown.sort();
    match unknown.first() {
        Some(key) => Err(ApiError::bad_field(
            key.as_str(),
            format!(
                "unknown query parameter \"{key}\" (allowed: {})",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

async fn validate(body: JsonBytes) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let result = web::block(move || validate_json(&body))
        .await
        .map_err(|e| {
            ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            )
        })?;
    let problems = result.err().unwrap_or_default();
    Ok(HttpResponse::Ok().json(ValidationReport {
        valid: problems.is_empty(),
        problems: &problems,
    }))
}

async fn import(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<HashMap<String, String>>,
    body: JsonBytes,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    check_query(&query, &["name"])?;
    let company_name = query.get("name").cloned();
    // Validation of a large template is real work: keep it off the async workers.
    let checked = web::block(move || validate_json(&body))
        .await
        .map_err(|e| {
            ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            )
        })?;
    let template = match checked {
        Ok(template) => template,
        Err(problems) => {
            return Ok(HttpResponse::BadRequest().json(InvalidTemplate {
                error: "template is invalid",
                problems: &problems,
            }))
        }
    };
    let options = ImportOptions {
        actor: actor.0,
        company_name,
    };
    let outcome = state
        .core
        .write(move |conn, hooks| import_template(conn, hooks, &template, &options, &mut |_| {}))
        .await?;
    Ok(HttpResponse::Created().json(outcome))
}

async fn export(
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    check_query(&query, &["companyId"])?;
    let company_id = query
        .get("companyId")
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::bad_field("companyId", "companyId is required"))?;
    let template = state
        .core
        .read(move |conn| export_company(conn, &company_id))
        .await?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(format!("{}.json", template.id))],
    };
    Ok(HttpResponse::Ok().insert_header(disposition).json(template))
}

async fn schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(SCHEMA_TEXT)
}
