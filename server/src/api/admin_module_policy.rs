//! What an operator allows a module beyond its own tables:
//!
//! | Method and path | What |
//! |---|---|
//! | `GET /api/admin/modules/{id}/grants` | capabilities asked for (each with the module's reason), granted, missing, refusals counted |
//! | `PUT /api/admin/modules/{id}/grants` | `{"granted": ["issues.create", …]}`: saved, applied to the running module at once; a module waiting for approval starts |
//! | `GET /api/admin/modules/{id}/companies` | `{"mode":"all"}` or `{"mode":"only","companyIds":[…]}` |
//! | `PUT /api/admin/modules/{id}/companies` | the same shape: saved and applied at once (hooks of other companies stop, core calls about them are refused) |
//!
//! A bad body is a 400 naming the field (an unknown capability lists the known ones, an unknown
//! company is named) and saves nothing.

use super::admin_modules::{run_announced_op, run_op, AdminError};
use super::api_error::ApiError;
use super::json_body::JsonBytes;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use module_sdk::{Capability, CompanyScope};
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/modules/{id}/grants", web::get().to(get_grants))
        .route("/admin/modules/{id}/grants", web::put().to(put_grants))
        .route(
            "/admin/modules/{id}/companies",
            web::get().to(get_companies),
        )
        .route(
            "/admin/modules/{id}/companies",
            web::put().to(put_companies),
        );
}

async fn get_grants(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    run_op(&state, move |host| host.grants(&id)).await
}

async fn put_grants(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    let granted = granted_of(&body_object(&body, "granted")?)?;
    run_announced_op(&state, move |host| host.set_grants(&id, granted)).await
}

async fn get_companies(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    run_op(&state, move |host| {
        host.get(&id)
            .map(|view| view.companies)
            .ok_or_else(|| crate::module_host::ModuleOpError::NotFound(id.to_string()))
    })
    .await
}

async fn put_companies(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    let scope = scope_of(body_object(&body, "mode")?)?;
    run_announced_op(&state, move |host| host.set_companies(&id, scope)).await
}

/// The body as a JSON object, or a 400 naming what is wrong.
fn body_object(
    body: &JsonBytes,
    expected: &str,
) -> Result<serde_json::Map<String, Value>, AdminError> {
    let bad = |message: String| AdminError::Api(ApiError::bad_field("body", message));
    if body.is_blank() {
        return Err(bad(format!(
            "the body must be a JSON object with `{expected}`"
        )));
    }
    match serde_json::from_slice::<Value>(&body.0) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(bad(format!("the body must be a JSON object, got {other}"))),
        Err(e) => Err(bad(format!("the body is not valid JSON: {e}"))),
    }
}

/// `{"granted": [names]}`: each name a known capability.
fn granted_of(body: &serde_json::Map<String, Value>) -> Result<BTreeSet<Capability>, AdminError> {
    let bad = |field: String, message: String| AdminError::Api(ApiError::bad_field(field, message));
    if let Some(extra) = body.keys().find(|k| *k != "granted") {
        return Err(bad(
            extra.clone(),
            format!("unknown field `{extra}`, expected `granted`"),
        ));
    }
    let Some(Value::Array(names)) = body.get("granted") else {
        return Err(bad(
            "granted".into(),
            "`granted` must be an array of capability names".into(),
        ));
    };
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let field = format!("granted[{i}]");
            match name {
                Value::String(name) => name.parse::<Capability>().map_err(|e| bad(field, e)),
                other => Err(bad(
                    field,
                    format!("must be a capability name, got {other}"),
                )),
            }
        })
        .collect()
}

/// `{"mode": "all"}` or `{"mode": "only", "companyIds": [ids]}`.
fn scope_of(body: serde_json::Map<String, Value>) -> Result<CompanyScope, AdminError> {
    serde_path_to_error::deserialize::<_, StrictScope>(Value::Object(body))
        .map(|strict| strict.0)
        .map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "mode".to_string()
            } else {
                path
            };
            AdminError::Api(ApiError::bad_field(
                field,
                format!(
                    "{}; expected {{\"mode\":\"all\"}} or {{\"mode\":\"only\",\"companyIds\":[…]}}",
                    e.into_inner()
                ),
            ))
        })
}

/// A [`CompanyScope`] with no unknown fields.
struct StrictScope(CompanyScope);

impl<'de> serde::Deserialize<'de> for StrictScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(tag = "mode", rename_all = "camelCase", deny_unknown_fields)]
        enum Strict {
            All,
            #[serde(rename_all = "camelCase")]
            Only {
                company_ids: Vec<String>,
            },
        }
        Ok(StrictScope(match Strict::deserialize(d)? {
            Strict::All => CompanyScope::All,
            Strict::Only { company_ids } => CompanyScope::Only { company_ids },
        }))
    }
}
