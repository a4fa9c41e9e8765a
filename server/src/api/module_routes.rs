//! The HTTP adapter of module routes: the `/api/modules/{prefix}/…` routes turn the request
//! into the boundary [`RouteRequest`](module_sdk::abi::RouteRequest) (one copy of each part),
//! let [`route_dispatcher::dispatch`] call the module through its executor, and copy the
//! module's status, headers and body into the response. Unknown or detached prefixes answer
//! 404; a module error or panic 500; a full queue, a restarting module process or a failed
//! module 503 (with `Retry-After` when it may get over it); a time-out 504; all as JSON
//! (`ApiError`).

use super::api_error::ApiError;
use super::json_body::MAX_BODY_BYTES;
use crate::module_host::route_dispatcher::{self, route_request, RouteAnswer, RouteFailure};
use crate::state::AppState;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use module_sdk::webhook::is_reserved_path;

/// Registers the module routes. Called first inside the authenticated `/api` scope
/// (`api::configure`), so the paths are relative to it and the router tries them before the
/// core's resources.
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
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    // The tail as the router matched it (the same spelling the prefix was matched in), not
    // the raw request path: `/%61pi/modules/x/items` reaches the module as `/items`.
    let tail = req.match_info().get("tail").unwrap_or_default();
    let mut path = String::with_capacity(tail.len() + 1);
    path.push('/');
    path.push_str(tail);
    // A first segment starting with `.` is reserved (`/.webhooks/<key>` is how the SDK receives
    // a webhook delivery): only `POST /webhooks/<module-id>/<key>` may call it, never a route.
    if is_reserved_path(&path) {
        return Err(ApiError::not_found(format!(
            "no route for {path}: module paths starting with `.` are reserved"
        )));
    }
    let request = route_request(
        req.method().as_str(),
        &path,
        req.query_string(),
        req.headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
        body,
    );
    let answer = route_dispatcher::dispatch(&target, request)
        .await
        .map_err(api_error)?;
    Ok(to_http(&target.module_id, answer))
}

/// The HTTP error of a module call that produced no answer (with `Retry-After` when the module
/// may get over it).
pub(super) fn api_error(failure: RouteFailure) -> ApiError {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error = ApiError::new(status, failure.message);
    match failure.retry_after {
        // Whole seconds, at least 1 (`Retry-After` has no fractions).
        Some(after) => error.with_retry_after(after.as_secs_f64().ceil().max(1.0) as u64),
        None => error,
    }
}

/// Reads the request body, refusing more than `limit` bytes with 413.
async fn read_body(payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    read_body_counted(payload, limit)
        .await
        .map_err(|(error, _)| error)
}

/// Reads the request body, refusing more than `limit` bytes with 413; an error comes with the
/// number of bytes read until then.
pub(super) async fn read_body_counted(
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, (ApiError, usize)> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            (
                ApiError::bad_field("body", format!("cannot read body: {e}")),
                body.len(),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err((
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body is larger than {limit} bytes"),
                ),
                body.len() + chunk.len(),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The response; headers that are not valid HTTP are dropped (and logged).
pub(super) fn to_http(module: &str, answer: RouteAnswer) -> HttpResponse {
    // `RouteAnswer::status` is 100–999, which `StatusCode` accepts.
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut http = HttpResponse::build(status);
    for (name, value) in answer.headers() {
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
    http.body(web::Bytes::copy_from_slice(answer.body()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_stable::std_types::{RString, RVec, Tuple2};
    use module_sdk::abi::RouteResponse;

    #[test]
    fn module_answers_are_copied_and_invalid_headers_dropped() {
        let header = |name: &str, value: &str| Tuple2(RString::from(name), RString::from(value));
        let answer = RouteAnswer::new(RouteResponse {
            status: 201,
            headers: vec![
                header("content-type", "application/json"),
                header("x-bad\n", "v"),
                header("x-ok", "bad\nvalue"),
            ]
            .into(),
            body: RVec::from(b"{\"ok\":true}".to_vec()),
        })
        .unwrap();
        let http = to_http("m", answer);
        assert_eq!(http.status(), StatusCode::CREATED);
        assert_eq!(
            http.headers().get("content-type").unwrap(),
            "application/json"
        );
        assert_eq!(http.headers().len(), 1);
    }
}
