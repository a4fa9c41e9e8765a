//! Module administration, outside the modules' own namespace:
//!
//! | Method and path | What |
//! |---|---|
//! | `GET /api/admin/modules` | every module: status, reason, counters, config (secrets masked) |
//! | `GET /api/admin/modules/{id}` | one module |
//! | `POST /api/admin/modules/{id}/enable` | enable (saved) and bring up; 409 when refused |
//! | `POST /api/admin/modules/{id}/disable` | disable (saved): services, hooks, routes stop; data kept |
//! | `PUT /api/admin/modules/{id}/config` | validate, apply to the running module at once (a fresh instance registered with it) and save a config override (`null` removes it); refused and not saved when the module refuses it |
//! | `POST /api/admin/modules/rescan` | pick up bundles dropped into the modules folder; running modules whose bundle changed are upgraded in place (`{"force": true}`: a downgrade too) |
//! | `GET /api/admin/modules/{id}/dead-letters` | hook events the module's handler failed on: `dead` (attempts ran out) and `retrying` |
//! | `POST /api/admin/modules/{id}/dead-letters/{eventId}/replay` | deliver a dead letter again (attempts start over); 409 while it is still retrying |
//! | `GET`/`PUT /api/admin/modules/{id}/grants` | capabilities asked for, granted, missing ([`super::admin_module_policy`]) |
//! | `GET`/`PUT /api/admin/modules/{id}/companies` | the companies the module serves |
//! | `GET /api/admin/modules/{id}/webhooks` | its inbound webhooks and their recent deliveries ([`super::admin_module_webhooks`]) |
//! | `GET /api/admin/cluster` | this replica, every replica on the database, who holds each module's lease ([`super::admin_cluster`]) |
//!
//! Enable, disable, config, grants and companies are saved in the database and announced to
//! the other replicas on it, which apply them at once.
//!
//! Lifecycle operations block on module code and the database, so they run on a blocking
//! thread; they are serialized by the host.

use super::api_error::ApiError;
use super::json_body::JsonBytes;
use crate::module_host::module_lifecycle::dead_letter_json;
use crate::module_host::{ModuleHost, ModuleOpError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/modules", web::get().to(list_modules))
        .route("/admin/modules/rescan", web::post().to(rescan_modules))
        .route("/admin/modules/{id}", web::get().to(get_module))
        .route("/admin/modules/{id}/enable", web::post().to(enable_module))
        .route(
            "/admin/modules/{id}/disable",
            web::post().to(disable_module),
        )
        .route(
            "/admin/modules/{id}/config",
            web::put().to(put_module_config),
        )
        .route(
            "/admin/modules/{id}/dead-letters",
            web::get().to(list_dead_letters),
        )
        .route(
            "/admin/modules/{id}/dead-letters/{event_id}/replay",
            web::post().to(replay_dead_letter),
        );
    super::admin_module_policy::configure(cfg);
    super::admin_module_webhooks::configure(cfg);
}

async fn list_dead_letters(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    run_op(&state, move |host| {
        let letters = host.dead_letters(&id)?;
        Ok(json!({
            "module": id.as_str(),
            "items": letters.iter().map(dead_letter_json).collect::<Vec<_>>(),
        }))
    })
    .await
}

async fn replay_dead_letter(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    let (id, event_id) = path.into_inner();
    run_op(&state, move |host| {
        host.replay_dead_letter(&id, &event_id)
            .map(|letter| dead_letter_json(&letter))
    })
    .await
}

async fn list_modules(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let modules = Arc::clone(&state.modules);
    let views = web::block(move || modules.list()).await.map_err(blocking)?;
    Ok(HttpResponse::Ok().json(views))
}

async fn get_module(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let modules = Arc::clone(&state.modules);
    let lookup = id.clone();
    let view = web::block(move || modules.get(&lookup))
        .await
        .map_err(blocking)?;
    match view {
        Some(view) => Ok(HttpResponse::Ok().json(view)),
        None => Err(AdminError::Op(ModuleOpError::NotFound(id))),
    }
}

// The bodiless operations (enable, disable, rescan) take `JsonBytes` and ignore it: a body,
// if any, must still be JSON, so a plain HTML form posted from another site answers 415.

async fn enable_module(
    state: web::Data<AppState>,
    id: web::Path<String>,
    _body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    run_announced_op(&state, move |host| host.enable(&id)).await
}

async fn disable_module(
    state: web::Data<AppState>,
    id: web::Path<String>,
    _body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    run_announced_op(&state, move |host| host.disable(&id)).await
}

async fn put_module_config(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    if body.is_blank() {
        return Err(AdminError::Api(ApiError::bad_field(
            "body",
            "the body must be the module's configuration as JSON (or null to remove the saved one)",
        )));
    }
    let config: Value = serde_json::from_slice(&body.0).map_err(|e| {
        AdminError::Api(ApiError::bad_field(
            "body",
            format!("the body is not valid JSON: {e}"),
        ))
    })?;
    run_announced_op(&state, move |host| host.set_config(&id, config)).await
}

async fn rescan_modules(
    state: web::Data<AppState>,
    body: JsonBytes,
) -> Result<HttpResponse, AdminError> {
    let force = rescan_force(&body)?;
    run_op(&state, move |host| host.rescan_with(force)).await
}

/// The optional body of a rescan: `{}` or `{"force": true}` (downgrade running modules too).
fn rescan_force(body: &JsonBytes) -> Result<bool, AdminError> {
    if body.is_blank() {
        return Ok(false);
    }
    let bad = |message: String| AdminError::Api(ApiError::bad_field("force", message));
    match serde_json::from_slice::<Value>(&body.0) {
        Ok(Value::Object(map)) => {
            if let Some(extra) = map.keys().find(|k| *k != "force") {
                return Err(bad(format!("unknown field `{extra}`, expected `force`")));
            }
            match map.get("force") {
                None => Ok(false),
                Some(Value::Bool(force)) => Ok(*force),
                Some(other) => Err(bad(format!("`force` must be true or false, got {other}"))),
            }
        }
        Ok(other) => Err(bad(format!("the body must be a JSON object, got {other}"))),
        Err(e) => Err(bad(format!("the body is not valid JSON: {e}"))),
    }
}

/// [`run_op`] for an operation that changes the saved module state: once it succeeded, the
/// other replicas on the database are told (they apply it within a second).
pub(super) async fn run_announced_op<T, F>(
    state: &AppState,
    op: F,
) -> Result<HttpResponse, AdminError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&ModuleHost) -> Result<T, ModuleOpError> + Send + 'static,
{
    run_op(state, move |host| {
        let done = op(host)?;
        host.announce("modules");
        Ok(done)
    })
    .await
}

/// Runs a lifecycle operation on a blocking thread and answers its result as JSON.
pub(super) async fn run_op<T, F>(state: &AppState, op: F) -> Result<HttpResponse, AdminError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&ModuleHost) -> Result<T, ModuleOpError> + Send + 'static,
{
    let modules = Arc::clone(&state.modules);
    let result = web::block(move || op(&modules)).await.map_err(blocking)?;
    result
        .map(|value| HttpResponse::Ok().json(value))
        .map_err(AdminError::Op)
}

fn blocking(error: actix_web::error::BlockingError) -> AdminError {
    AdminError::Api(ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the module operation did not finish: {error}"),
    ))
}

/// An admin error, rendered as `{"error": …}` plus, where it helps, the refused module's
/// `status` or the configuration's `field` and every `problems` line.
#[derive(Debug)]
pub(super) enum AdminError {
    Op(ModuleOpError),
    Api(ApiError),
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::Op(e) => write!(f, "{e}"),
            AdminError::Api(e) => write!(f, "{e}"),
        }
    }
}

impl actix_web::ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::Api(e) => e.status,
            AdminError::Op(ModuleOpError::NotFound(_)) => StatusCode::NOT_FOUND,
            AdminError::Op(ModuleOpError::Refused(_)) => StatusCode::CONFLICT,
            AdminError::Op(ModuleOpError::InvalidConfig(_)) => StatusCode::BAD_REQUEST,
            AdminError::Op(ModuleOpError::Database(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            AdminError::Op(ModuleOpError::ShutDown) => StatusCode::SERVICE_UNAVAILABLE,
            AdminError::Op(ModuleOpError::NoSuchDeadLetter { .. }) => StatusCode::NOT_FOUND,
            AdminError::Op(ModuleOpError::StillRetrying { .. }) => StatusCode::CONFLICT,
            AdminError::Op(ModuleOpError::UnknownCompanies(_)) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            AdminError::Api(e) => return e.error_response(),
            AdminError::Op(ModuleOpError::Refused(refusal)) => json!({
                "error": refusal.reason,
                "status": refusal.status,
            }),
            AdminError::Op(ModuleOpError::InvalidConfig(problems)) => json!({
                "error": format!("the configuration does not match the module's configSchema: {problems}"),
                "field": problems.first_field,
                "problems": problems.problems,
            }),
            AdminError::Op(e @ ModuleOpError::UnknownCompanies(_)) => json!({
                "error": e.to_string(),
                "field": "companyIds",
            }),
            AdminError::Op(other) => json!({ "error": other.to_string() }),
        };
        HttpResponse::build(self.status_code()).json(body)
    }
}
