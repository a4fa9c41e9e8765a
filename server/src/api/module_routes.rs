//! The HTTP adapter of module routes: the catch-all `/api/modules/{prefix}/…` route turns the
//! request into the module host's plain [`RouteCall`], lets
//! [`route_dispatcher::dispatch`] call the module, and copies the module's status, headers and
//! body into the response. Unknown or detached prefixes answer 404; a module error or panic
//! answers 500 and a time-out 504, all as JSON (`ApiError`).

use super::api_error::ApiError;
use super::json_body::MAX_BODY_BYTES;
use crate::module_host::route_dispatcher::{self, RouteAnswer, RouteCall, RouteFailure};
use crate::state::AppState;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

/// Registers the catch-all module routes. Called inside the authenticated `/api` scope
/// (`api::configure`), so the paths are relative to it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/modules/{prefix}", web::route().to(dispatch_module_route))
        .route(
            "/modules/{prefix}/{tail:.*}",
            web::route().to(dispatch_module_route),
        );
}

async fn dispatch_module_route(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let prefix = req.match_info().get("prefix").unwrap_or_default();
    let target = state.modules.route_target(prefix).map_err(api_error)?;
    let module = target.module_id.clone();
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let call = route_call(&req, body);
    let answer = route_dispatcher::dispatch(target, call, state.modules.route_timeout())
        .await
        .map_err(api_error)?;
    Ok(to_http(&module, answer))
}

fn api_error(failure: RouteFailure) -> ApiError {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::new(status, failure.message)
}

/// Reads the request body, refusing more than `limit` bytes with 413.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_field("body", format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The module's request: method, the path after the prefix (`/` for the prefix itself), raw
/// query, lower-case headers, body.
fn route_call(req: &HttpRequest, body: Vec<u8>) -> RouteCall {
    // The tail as the router matched it (the same spelling the prefix was matched in), not
    // the raw request path: `/%61pi/modules/x/items` reaches the module as `/items`.
    let tail = req.match_info().get("tail").unwrap_or_default();
    RouteCall {
        method: req.method().as_str().to_string(),
        path: format!("/{tail}"),
        query: req.query_string().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect(),
        body,
    }
}

/// The response; headers that are not valid HTTP are dropped (and logged).
fn to_http(module: &str, answer: RouteAnswer) -> HttpResponse {
    // `RouteAnswer::status` is 100–999, which `StatusCode` accepts.
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut http = HttpResponse::build(status);
    for (name, value) in &answer.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                http.append_header((name, value));
            }
            _ => tracing::warn!(
                module,
                header = %name,
                "module answered with an invalid header; dropped"
            ),
        }
    }
    http.body(answer.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_module_sees_the_path_after_its_prefix() {
        let req = TestRequest::post()
            .uri("/api/modules/metrics/agents/42/tokens?from=2026-01-01&x=%20")
            // What the router matched (the adapter reads the tail from it).
            .param("prefix", "metrics")
            .param("tail", "agents/42/tokens")
            .insert_header(("X-Trace", "abc"))
            .to_http_request();
        let call = route_call(&req, b"{}".to_vec());
        assert_eq!(call.method, "POST");
        assert_eq!(call.path, "/agents/42/tokens");
        assert_eq!(call.query, "from=2026-01-01&x=%20");
        assert!(call
            .headers
            .iter()
            .any(|(n, v)| n == "x-trace" && v == "abc"));
        assert_eq!(call.body, b"{}");

        let root = TestRequest::get()
            .uri("/api/modules/metrics")
            .to_http_request();
        assert_eq!(route_call(&root, Vec::new()).path, "/");
        let slash = TestRequest::get()
            .uri("/api/modules/metrics/")
            .param("tail", "")
            .to_http_request();
        assert_eq!(route_call(&slash, Vec::new()).path, "/");
    }

    #[test]
    fn module_answers_are_copied_and_invalid_headers_dropped() {
        let answer = RouteAnswer {
            status: 201,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-bad\n".into(), "v".into()),
                ("x-ok".into(), "bad\nvalue".into()),
            ],
            body: b"{\"ok\":true}".to_vec(),
        };
        let http = to_http("m", answer);
        assert_eq!(http.status(), StatusCode::CREATED);
        assert_eq!(
            http.headers().get("content-type").unwrap(),
            "application/json"
        );
        assert_eq!(http.headers().len(), 1);
    }
}
