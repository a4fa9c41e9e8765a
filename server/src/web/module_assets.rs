//! `GET /modules/<id>/ui/<file>`: a module's UI files, read from the `ui/` folder of its bundle.
//! Served only while the module runs (active or degraded): a disabled, failed or unknown module
//! answers 404, so its UI disappears with it. The file path is checked segment by segment
//! ([`safe_segments`]) and, after symlinks are resolved, must still lie inside `ui/`. Under
//! `modules.signatures: required` a file is served only while its bytes are the ones signed in
//! the bundle the running module was loaded from (409 otherwise): a UI file changed on disk
//! after the load never reaches a browser.

use super::content_type::content_type_for;
use super::safe_path::safe_segments;
use crate::module_host::ModuleStatus;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use std::path::{Path, PathBuf};

/// Registers the module UI route: a manifest's `entry: "ui/index.js"` is fetched from
/// `/modules/<id>/ui/index.js`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/modules/{id}/ui/{file:.*}",
        web::get().to(serve_module_file),
    );
}

/// Why a module UI file is not served, with the status it answers.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// 400 for an unsafe path, 404 otherwise.
    pub status: StatusCode,
    /// What is wrong, for the response body.
    pub message: String,
}

impl Refusal {
    fn not_found(message: String) -> Refusal {
        Refusal {
            status: StatusCode::NOT_FOUND,
            message,
        }
    }
}

async fn serve_module_file(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, file) = path.into_inner();
    let state = state.into_inner();
    let outcome = web::block(move || {
        let ui_dir = running_module_ui_dir(&state, &id)?;
        let target = resolve_ui_file(&ui_dir, &id, &file)?;
        let bytes = std::fs::read(&target)
            .map_err(|e| Refusal::not_found(format!("cannot read {file} of module `{id}`: {e}")))?;
        check_signed(&state, &id, &file, &bytes)?;
        Ok::<_, Refusal>((content_type_for(&file), bytes))
    })
    .await;
    match outcome {
        Ok(Ok((content_type, bytes))) => {
            let mut response = HttpResponse::Ok().content_type(content_type).body(bytes);
            let headers = response.headers_mut();
            // A module can be upgraded or disabled at any time: never serve it from a cache
            // without asking.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Ok(Err(refusal)) => HttpResponse::build(refusal.status)
            .content_type("text/plain; charset=utf-8")
            .body(refusal.message),
        Err(e) => HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(format!("reading the module UI file did not finish: {e}")),
    }
}

/// The `ui/` folder of module `id`'s bundle, when the module runs.
fn running_module_ui_dir(state: &AppState, id: &str) -> Result<PathBuf, Refusal> {
    let view = state
        .modules
        .get(id)
        .ok_or_else(|| Refusal::not_found(format!("no module `{id}`")))?;
    match view.status {
        ModuleStatus::Active | ModuleStatus::Degraded => {
            Ok(state.modules.settings().dir.join(&view.bundle).join("ui"))
        }
        status => Err(Refusal::not_found(format!(
            "module `{id}` is {status}: its UI is served only while it runs"
        ))),
    }
}

/// Under `modules.signatures: required`, refuses bytes of `ui/<file>` that are not the ones the
/// running module's verified bundle lists.
fn check_signed(state: &AppState, id: &str, file: &str, bytes: &[u8]) -> Result<(), Refusal> {
    let relative = format!("ui/{}", safe_segments(file).unwrap_or_default().join("/"));
    let Some(expected) = state.modules.required_file_digest(id, &relative) else {
        return Ok(());
    };
    let actual = paperclip_bundle_signing::file_digests::digest_bytes(bytes);
    match expected {
        Some(signed) if signed == actual => Ok(()),
        Some(_) => Err(Refusal {
            status: StatusCode::CONFLICT,
            message: format!(
                "UI file {relative} of module `{id}` changed after signing; it is not served while modules.signatures is required"
            ),
        }),
        None => Err(Refusal {
            status: StatusCode::CONFLICT,
            message: format!(
                "UI file {relative} of module `{id}` is not listed in its signed manifest; it is not served while modules.signatures is required"
            ),
        }),
    }
}

/// The file `file` (a `/`-separated path from the URL) inside `ui_dir`, refusing unsafe paths,
/// missing files, folders, and anything a symlink leads outside `ui_dir`.
pub fn resolve_ui_file(ui_dir: &Path, id: &str, file: &str) -> Result<PathBuf, Refusal> {
    let segments = safe_segments(file).map_err(|why| Refusal {
        status: StatusCode::BAD_REQUEST,
        message: format!("refused module UI path {file:?}: {why}"),
    })?;
    let missing = || Refusal::not_found(format!("module `{id}` has no UI file {file}"));
    let root = ui_dir.canonicalize().map_err(|_| missing())?;
    let target = segments
        .iter()
        .fold(root.clone(), |path, segment| path.join(segment))
        .canonicalize()
        .map_err(|_| missing())?;
    if !target.starts_with(&root) {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            message: format!("refused module UI path {file:?}: it leads outside the ui/ folder"),
        });
    }
    if !target.is_file() {
        return Err(missing());
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("ui/charts")).expect("ui dir");
        std::fs::write(dir.path().join("ui/index.js"), "export {}").expect("index.js");
        std::fs::write(dir.path().join("ui/charts/bar.js"), "export {}").expect("bar.js");
        std::fs::write(dir.path().join("paperclip.module.json"), "{}").expect("manifest");
        dir
    }

    #[test]
    fn files_inside_ui_are_found() {
        let dir = bundle();
        let ui = dir.path().join("ui");
        let found = resolve_ui_file(&ui, "m", "charts/bar.js").expect("found");
        assert!(found.ends_with("ui/charts/bar.js"));
    }

    #[test]
    fn traversal_and_missing_files_are_refused() {
        let dir = bundle();
        let ui = dir.path().join("ui");
        let refused = resolve_ui_file(&ui, "m", "../paperclip.module.json").unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        let missing = resolve_ui_file(&ui, "m", "nope.js").unwrap_err();
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let folder = resolve_ui_file(&ui, "m", "charts").unwrap_err();
        assert_eq!(folder.status, StatusCode::NOT_FOUND);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_ui_are_refused() {
        let dir = bundle();
        let ui = dir.path().join("ui");
        std::os::unix::fs::symlink(dir.path().join("paperclip.module.json"), ui.join("m.js"))
            .expect("symlink");
        let refused = resolve_ui_file(&ui, "m", "m.js").unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    }
}
