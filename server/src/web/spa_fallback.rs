//! What the server answers when no route matched: the shell's files, `index.html` for the
//! shell's client-side routes, and errors that say what was wrong everywhere else.

use super::embedded_assets::{self, INDEX_HTML};
use crate::api::api_error::ApiError;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

/// The app's default service: see the module documentation.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        let message = format!("no API route {} {path}", req.method());
        return ApiError::new(StatusCode::NOT_FOUND, message).error_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .body(format!("{} is not allowed on {path}", req.method()));
    }
    let relative = path.trim_start_matches('/');
    if relative.is_empty() {
        return shell(&req);
    }
    if let Some(response) = embedded_assets::serve(&req, relative) {
        return response;
    }
    if is_client_route(relative) {
        return shell(&req);
    }
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body(format!("not found: {path}"))
}

/// Whether `path` (no leading `/`) is one of the shell's own routes rather than a missing
/// file: its last segment has no file extension, and it is not under `/modules/` (module UI
/// files that are not served must not turn into an HTML page a module's `import()` chokes on).
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    !last.contains('.') && !path.starts_with("modules/")
}

/// `index.html`, which is always embedded.
fn shell(req: &HttpRequest) -> HttpResponse {
    embedded_assets::serve(req, INDEX_HTML).unwrap_or_else(|| {
        HttpResponse::InternalServerError().body("the web UI was not embedded in this build")
    })
}

#[cfg(test)]
mod tests {
    use super::is_client_route;

    #[test]
    fn client_routes_have_no_extension() {
        assert!(is_client_route("agents"));
        assert!(is_client_route(
            "agents/0190c3f0-7a1b-7c3d-8e9f-0123456789ab"
        ));
        assert!(is_client_route("m/observability/observability"));
        assert!(!is_client_route("favicon.ico"));
        assert!(!is_client_route("js/missing.js"));
        assert!(!is_client_route("modules/observability"));
    }
}
