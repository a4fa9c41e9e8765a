//! `/api/store`: the Company Store of this server (index from config `store.index`).
//!
//! | Method and path | What |
//! |---|---|
//! | `GET /api/store[?tag=…]` | the index's modules (with what is installed, its status, updates, installs in progress) and templates |
//! | `GET /api/store/installs` | the installs running now, by module id (progress only; does not read the index) |
//! | `POST /api/store/install` `{"moduleId", "force"?}` | download, verify and install the module's bundle, then rescan (a running module is upgraded in place); `200 {installed, module, restartRequired, message}`; an older version needs `force` |
//! | `POST /api/store/import` `{"templateId", "name"?}` | fetch the template and import it as a new company; `201 {companyId, refs, templateId}` |
//!
//! Errors are `{"error": …, "code": …}` (plus `problems` for an invalid index or template):
//! `404 unknown_module|unknown_template`, `409 incompatible|busy|folder_taken`,
//! `422 no_bundle|checksum|corrupt_archive|unsafe_entry|invalid_bundle|invalid_template`,
//! `502 store_unavailable|invalid_index`. A refused install writes nothing.

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::JsonBody;
use crate::cluster::bundle_replication::keep_installed;
use crate::core::CoreError;
use crate::module_host::{ModuleStatus, ModuleView, RescanReport};
use crate::state::AppState;
use crate::store::install_progress::in_progress;
use crate::store::{
    fetch_template, install_module, store_listing, InstallSignatures, Installed, LoadedIndex,
    StoreError,
};
use crate::templates::{import_template, validate_json, ImportOptions, Problem};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/store", web::get().to(list))
        .route("/store/installs", web::get().to(installs))
        .route("/store/install", web::post().to(install))
        .route("/store/import", web::post().to(import));
}

/// Body of `POST /api/store/install`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InstallRequest {
    module_id: String,
    /// Install an older version than the one installed (a downgrade); still refused when the
    /// database has migrations that version lacks.
    #[serde(default)]
    force: bool,
}

/// Body of `POST /api/store/import`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportRequest {
    template_id: String,
    #[serde(default)]
    name: Option<String>,
}

/// Answer of `POST /api/store/install`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallAnswer {
    installed: Installed,
    /// The module as the host sees it after the rescan.
    module: Option<ModuleView>,
    /// The server runs an older version until it restarts.
    restart_required: bool,
    /// One line for people.
    message: String,
    /// The rescan, or why it failed (the bundle is installed either way).
    rescan: Value,
}

async fn list(
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, StoreApiError> {
    let mut tags = Vec::new();
    for (key, value) in query.into_inner() {
        if key != "tag" {
            return Err(StoreApiError::from(ApiError::bad_field(
                key.as_str(),
                format!("unknown query parameter \"{key}\" (allowed: tag)"),
            )));
        }
        tags.push(value);
    }
    let source = state.config.store.index.clone();
    let modules = Arc::clone(&state.modules);
    let listing = web::block(move || {
        let loaded = LoadedIndex::load(&source)?;
        let views = modules.list();
        Ok::<_, StoreError>(store_listing(
            &loaded,
            &modules.settings().dir,
            Some(&views),
            &tags,
        ))
    })
    .await
    .map_err(blocking)??;
    Ok(HttpResponse::Ok().json(listing))
}

/// Cheap enough to poll while an install runs: no index download, just the registry.
async fn installs(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(in_progress(&state.modules.settings().dir))
}

async fn install(
    state: web::Data<AppState>,
    body: JsonBody<InstallRequest>,
) -> Result<HttpResponse, StoreApiError> {
    let module_id = body.0.module_id.trim().to_string();
    let force = body.0.force;
    if module_id.is_empty() {
        return Err(ApiError::bad_field("moduleId", "moduleId is required").into());
    }
    let source = state.config.store.index.clone();
    let modules = Arc::clone(&state.modules);
    let db = state.core.db().clone();
    let answer = web::block(move || {
        let loaded = LoadedIndex::load(&source)?;
        let signatures = InstallSignatures {
            enforcement: modules.settings().signatures,
            trusted_keys: modules.settings().trusted_keys.clone(),
        };
        let installed = install_module(
            &loaded,
            &module_id,
            &modules.settings().dir,
            &|manifest| upgrade_approved(&modules, manifest, force),
            &signatures,
            &mut |_| {},
        )?;
        if modules.cluster().is_coordinated() {
            // The other replicas lay the same bytes out and load them too.
            let kept = keep_installed(
                &db,
                &modules.settings().dir,
                modules.cluster().replica_id(),
                &installed,
            );
            match kept {
                Ok(()) => modules.announce("bundles"),
                Err(error) => tracing::warn!(module = %installed.module_id, %error, "installed bundle not kept for the other replicas"),
            }
        }
        let rescan = modules.rescan_with(force);
        let module = modules.get(&installed.module_id);
        Ok::<_, StoreError>(answer_for(installed, module, rescan))
    })
    .await
    .map_err(blocking)??;
    Ok(HttpResponse::Ok().json(answer))
}

/// Refuses a new version of an installed module that asks for capabilities not granted (the
/// installed version stays until the operator grants them), and an older version unless
/// `force`.
fn upgrade_approved(
    modules: &crate::module_host::ModuleHost,
    manifest: &crate::module_host::manifest::Manifest,
    force: bool,
) -> Result<(), String> {
    let Some(installed) = modules.get(&manifest.id) else {
        return Ok(());
    };
    let older = installed
        .version
        .as_deref()
        .and_then(|v| semver::Version::parse(v).ok())
        .is_some_and(|current| manifest.version < current);
    if older && !force {
        return Err(format!(
            "{} {} is older than the installed {}: a downgrade needs \"force\": true",
            manifest.id,
            manifest.version,
            installed.version.as_deref().unwrap_or("?")
        ));
    }
    let missing = modules.missing_grants(manifest);
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|c| c.as_str()).collect();
    Err(format!(
        "{} {} asks for capabilities not granted: {}; the installed version {} stays. Grant them (Modules page, or PUT /api/admin/modules/{}/grants) and install again",
        manifest.id,
        manifest.version,
        names.join(", "),
        installed.version.as_deref().unwrap_or("?"),
        manifest.id
    ))
}

/// Describes the outcome of an install for people and for the UI.
fn answer_for(
    installed: Installed,
    module: Option<ModuleView>,
    rescan: Result<RescanReport, crate::module_host::ModuleOpError>,
) -> InstallAnswer {
    let restart_required = module.as_ref().is_some_and(|m| m.restart_required);
    let what = format!("{} {} installed", installed.module_id, installed.version);
    let upgrade = module
        .as_ref()
        .and_then(|m| m.last_upgrade.as_ref())
        .filter(|u| u.to == installed.version && installed.previous_version.is_some());
    let message = match (&module, &rescan) {
        (_, Err(e)) => format!(
            "{what}; the server could not rescan its modules ({e}), so it loads at the next start"
        ),
        (Some(m), _) if upgrade.is_some_and(|u| u.outcome == "upgraded") => format!(
            "{what}: upgraded from {} without a restart, {}",
            upgrade.map(|u| u.from.as_str()).unwrap_or("?"),
            m.status
        ),
        (Some(m), _) if upgrade.is_some() => format!(
            "{what}, but the running {} was kept: {}",
            m.version.as_deref().unwrap_or("version"),
            upgrade
                .and_then(|u| u.reason.as_deref())
                .unwrap_or("the upgrade was refused")
        ),
        (Some(m), _) if restart_required => format!(
            "{what}; the server keeps running {} until it restarts",
            m.version.as_deref().unwrap_or("the loaded version")
        ),
        (Some(m), _) if matches!(m.status, ModuleStatus::Active | ModuleStatus::Degraded) => {
            format!("{what} and {}", m.status)
        }
        (Some(m), _) => format!(
            "{what}; module is {}{}",
            m.status,
            m.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        (None, Ok(_)) => format!("{what}; the server does not list it"),
    };
    let rescan = match rescan {
        Ok(report) => json!({
            "added": report.added,
            "removed": report.removed,
            "restartRequired": report.restart_required,
            "upgraded": report.upgraded,
            "upgradeRefused": report.upgrade_refused,
        }),
        Err(e) => json!({ "error": e.to_string() }),
    };
    InstallAnswer {
        installed,
        module,
        restart_required,
        message,
        rescan,
    }
}

async fn import(
    state: web::Data<AppState>,
    actor: Actor,
    body: JsonBody<ImportRequest>,
) -> Result<HttpResponse, StoreApiError> {
    let ImportRequest { template_id, name } = body.0;
    let template_id = template_id.trim().to_string();
    if template_id.is_empty() {
        return Err(ApiError::bad_field("templateId", "templateId is required").into());
    }
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_field("name", "name must not be empty").into());
    }
    let source = state.config.store.index.clone();
    let id = template_id.clone();
    let checked = web::block(move || {
        let loaded = LoadedIndex::load(&source)?;
        let (_, bytes) = fetch_template(&loaded, &id)?;
        Ok::<_, StoreError>(validate_json(&bytes))
    })
    .await
    .map_err(blocking)??;
    let template =
        checked.map_err(|problems| StoreApiError::invalid_template(&template_id, &problems))?;
    let options = ImportOptions {
        actor: actor.0,
        company_name: name,
    };
    let outcome = state
        .core
        .write(move |conn, hooks| import_template(conn, hooks, &template, &options, &mut |_| {}))
        .await
        .map_err(|e: CoreError| StoreApiError::from(ApiError::from(e)))?;
    let mut answer = serde_json::to_value(&outcome).unwrap_or_else(|_| json!({}));
    answer["templateId"] = json!(template_id);
    Ok(HttpResponse::Created().json(answer))
}

fn blocking(error: actix_web::error::BlockingError) -> StoreApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the store operation did not finish: {error}"),
    )
    .into()
}

/// A store error as JSON: `{"error", "code"}`, `problems` when there are several, `field` for
/// a bad request body.
#[derive(Debug)]
struct StoreApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    problems: Option<Value>,
}

impl StoreApiError {
    fn invalid_template(id: &str, problems: &[Problem]) -> StoreApiError {
        StoreApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_template",
            message: format!(
                "template `{id}` from the store is invalid ({} problem{})",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ),
            field: None,
            problems: serde_json::to_value(problems).ok(),
        }
    }
}

impl From<StoreError> for StoreApiError {
    fn from(error: StoreError) -> StoreApiError {
        let (status, code) = match &error {
            StoreError::Fetch { .. } => (StatusCode::BAD_GATEWAY, "store_unavailable"),
            StoreError::IndexJson { .. } | StoreError::IndexInvalid { .. } => {
                (StatusCode::BAD_GATEWAY, "invalid_index")
            }
            StoreError::UnknownModule { .. } => (StatusCode::NOT_FOUND, "unknown_module"),
            StoreError::UnknownTemplate { .. } => (StatusCode::NOT_FOUND, "unknown_template"),
            StoreError::NoBundle { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "no_bundle"),
            StoreError::Checksum { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "checksum"),
            StoreError::Archive(_) => (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_archive"),
            StoreError::UnsafeEntry { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unsafe_entry"),
            StoreError::InvalidBundle(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_bundle"),
            StoreError::Incompatible { .. } => (StatusCode::CONFLICT, "incompatible"),
            StoreError::NotApproved(_) => (StatusCode::CONFLICT, "not_approved"),
            StoreError::Unverified { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unverified"),
            StoreError::Busy(_) => (StatusCode::CONFLICT, "busy"),
            StoreError::FolderTaken { .. } => (StatusCode::CONFLICT, "folder_taken"),
            StoreError::Io { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "io"),
        };
        if status.is_server_error() {
            tracing::warn!(%error, "store operation failed");
        }
        let problems = match &error {
            StoreError::IndexInvalid { problems, .. } => Some(json!(problems)),
            _ => None,
        };
        StoreApiError {
            status,
            code,
            message: error.to_string(),
            field: None,
            problems,
        }
    }
}

impl From<ApiError> for StoreApiError {
    fn from(error: ApiError) -> StoreApiError {
        StoreApiError {
            status: error.status,
            code: if error.status == StatusCode::BAD_REQUEST {
                "bad_request"
            } else {
                "error"
            },
            message: error.message,
            field: error.field,
            problems: None,
        }
    }
}

impl std::fmt::Display for StoreApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for StoreApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({ "error": self.message, "code": self.code });
        if let Some(field) = &self.field {
            body["field"] = json!(field);
        }
        if let Some(problems) = &self.problems {
            body["problems"] = problems.clone();
        }
        HttpResponse::build(self.status).json(body)
    }
}
