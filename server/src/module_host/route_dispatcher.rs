//! The one catch-all route for module HTTP routes, `/api/modules/{prefix}/…`: looks the prefix
//! up in the live [`RouteTable`], hands the request to the module's `handle_route` on a
//! blocking thread with the `routeTimeoutMs` limit, and copies the module's status, headers and
//! body into the response. Unknown or detached prefixes answer 404; a module error or panic
//! answers 500 and a time-out 504, all as JSON and all counted for the module.

use super::module_calls::describe_module_error;
use super::route_table::RouteTarget;
use crate::api::api_error::ApiError;
use crate::api::json_body::MAX_BODY_BYTES;
use crate::app::AppState;
use abi_stable::std_types::{RString, RVec, Tuple2};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use module_sdk::abi::{RouteRequest, RouteResponse};
use std::sync::Arc;
use std::time::Duration;

/// Where module routes are mounted.
pub const MODULE_ROUTES_BASE: &str = "/api/modules";

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
    let prefix = req
        .match_info()
        .get("prefix")
        .unwrap_or_default()
        .to_string();
    let routes = state.modules.routes();
    let Some(target) = routes.get(&prefix) else {
        return Err(ApiError::not_found(format!(
            "no active module serves {MODULE_ROUTES_BASE}/{prefix}"
        )));
    };
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let request = route_request(&req, body);
    dispatch(target, request, state.modules.route_timeout()).await
}

/// Calls the module with `request` and turns its answer into an HTTP response.
async fn dispatch(
    target: Arc<RouteTarget>,
    request: RouteRequest,
    timeout: Duration,
) -> Result<HttpResponse, ApiError> {
    target.counters.route_called();
    let call_target = Arc::clone(&target);
    let call = tokio::task::spawn_blocking(move || {
        let handle_route = call_target.root.handle_route();
        handle_route(&request).into_result()
    });
    let module = &target.module_id;
    let outcome = match tokio::time::timeout(timeout, call).await {
        Err(_) => {
            let message = format!(
                "module `{module}` did not answer within {} ms",
                timeout.as_millis()
            );
            Err((StatusCode::GATEWAY_TIMEOUT, message))
        }
        Ok(Err(join_error)) => Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("module `{module}` route call failed: {join_error}"),
        )),
        Ok(Ok(Err(error))) => Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "module `{module}` failed: {}",
                describe_module_error(&error)
            ),
        )),
        Ok(Ok(Ok(response))) => to_http(module, response),
    };
    outcome.map_err(|(status, message)| {
        tracing::warn!(module = %module, %status, error = %message, "module route failed");
        target.counters.route_failed(message.clone());
        ApiError::new(status, message)
    })
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

/// The boundary request: method, the path after the prefix (`/` for the prefix itself), raw
/// query, lower-case headers, body.
fn route_request(req: &HttpRequest, body: Vec<u8>) -> RouteRequest {
    // The tail as the router matched it (the same spelling the prefix was matched in), not
    // the raw request path: `/%61pi/modules/x/items` reaches the module as `/items`.
    let tail = req.match_info().get("tail").unwrap_or_default();
    let headers: RVec<Tuple2<RString, RString>> = req
        .headers()
        .iter()
        .map(|(name, value)| {
            Tuple2(
                RString::from(name.as_str()),
                RString::from(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            )
        })
        .collect();
    RouteRequest {
        method: RString::from(req.method().as_str().to_ascii_uppercase()),
        path: RString::from(format!("/{tail}")),
        query: RString::from(req.query_string()),
        headers,
        body: RVec::from(body),
    }
}

/// Headers the server sets itself from the body it sends.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

fn to_http(module: &str, response: RouteResponse) -> Result<HttpResponse, (StatusCode, String)> {
    let status = StatusCode::from_u16(response.status).map_err(|_| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "module `{module}` answered with an invalid HTTP status {}",
                response.status
            ),
        )
    })?;
    let mut http = HttpResponse::build(status);
    for Tuple2(name, value) in response.headers.iter() {
        let name = name.as_str();
        if FRAMING_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value.as_str()),
        ) {
            (Ok(name), Ok(value)) => {
                http.append_header((name, value));
            }
            _ => tracing::warn!(
                module,
                header = name,
                "module answered with an invalid header; dropped"
            ),
        }
    }
    Ok(http.body(response.body.into_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module_host::fake_module::{panic_error, FakeModule};
    use crate::module_host::module_counters::ModuleCounters;
    use abi_stable::std_types::RResult;
    use actix_web::test::TestRequest;
    use module_sdk::abi::ModuleError;

    extern "C" fn slow_route(_: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
        std::thread::sleep(Duration::from_millis(500));
        RResult::ROk(RouteResponse {
            status: 200,
            headers: RVec::new(),
            body: RVec::new(),
        })
    }

    extern "C" fn panicking_route(_: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
        RResult::RErr(panic_error("route exploded"))
    }

    extern "C" fn echo_route(request: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
        RResult::ROk(RouteResponse {
            status: 200,
            headers: vec![Tuple2(RString::from("x-path"), request.path.clone())].into(),
            body: request.body.clone(),
        })
    }

    fn target(root: module_sdk::abi::ModuleRoot_Ref) -> Arc<RouteTarget> {
        Arc::new(RouteTarget {
            module_id: "fake".into(),
            root,
            counters: Arc::new(ModuleCounters::default()),
        })
    }

    fn request(path: &str, body: &[u8]) -> RouteRequest {
        RouteRequest {
            method: "POST".into(),
            path: path.into(),
            query: RString::new(),
            headers: RVec::new(),
            body: RVec::from(body.to_vec()),
        }
    }

    #[actix_web::test]
    async fn answers_errors_and_time_outs_are_counted() {
        let echo = target(FakeModule::new().handle_route(echo_route).build());
        let ok = dispatch(
            Arc::clone(&echo),
            request("/x", b"hi"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers().get("x-path").unwrap(), "/x");
        assert_eq!(echo.counters.snapshot(None).route_calls, 1);
        assert_eq!(echo.counters.snapshot(None).route_errors, 0);

        let panicking = target(FakeModule::new().handle_route(panicking_route).build());
        let err = dispatch(
            Arc::clone(&panicking),
            request("/", b""),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            err.message,
            "module `fake` failed: module panicked: route exploded"
        );
        assert_eq!(panicking.counters.snapshot(None).route_errors, 1);

        let slow = target(FakeModule::new().handle_route(slow_route).build());
        let started = std::time::Instant::now();
        let err = dispatch(
            Arc::clone(&slow),
            request("/", b""),
            Duration::from_millis(50),
        )
        .await
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(400));
        assert_eq!(err.status, StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(err.message, "module `fake` did not answer within 50 ms");
        assert_eq!(slow.counters.snapshot(None).route_errors, 1);
    }

    #[test]
    fn the_module_sees_the_path_after_its_prefix() {
        let req = TestRequest::post()
            .uri("/api/modules/metrics/agents/42/tokens?from=2026-01-01&x=%20")
            // What the router matched (the dispatcher reads the tail from it).
            .param("prefix", "metrics")
            .param("tail", "agents/42/tokens")
            .insert_header(("X-Trace", "abc"))
            .to_http_request();
        let request = route_request(&req, b"{}".to_vec());
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.path.as_str(), "/agents/42/tokens");
        assert_eq!(request.query.as_str(), "from=2026-01-01&x=%20");
        assert!(request
            .headers
            .iter()
            .any(|Tuple2(n, v)| n.as_str() == "x-trace" && v.as_str() == "abc"));
        assert_eq!(request.body.as_slice(), b"{}");

        let root = TestRequest::get()
            .uri("/api/modules/metrics")
            .to_http_request();
        assert_eq!(route_request(&root, Vec::new()).path.as_str(), "/");
        let slash = TestRequest::get()
            .uri("/api/modules/metrics/")
            .param("tail", "")
            .to_http_request();
        assert_eq!(route_request(&slash, Vec::new()).path.as_str(), "/");
    }

    #[test]
    fn module_responses_are_copied_and_framing_headers_dropped() {
        let response = RouteResponse {
            status: 201,
            headers: vec![
                Tuple2(
                    RString::from("content-type"),
                    RString::from("application/json"),
                ),
                Tuple2(RString::from("Content-Length"), RString::from("999")),
                Tuple2(RString::from("x-bad\n"), RString::from("v")),
            ]
            .into(),
            body: RVec::from(b"{\"ok\":true}".to_vec()),
        };
        let http = to_http("m", response).unwrap();
        assert_eq!(http.status(), StatusCode::CREATED);
        assert_eq!(
            http.headers().get("content-type").unwrap(),
            "application/json"
        );
        assert!(http.headers().get("content-length").is_none());
        assert_eq!(http.headers().len(), 1);

        let invalid = RouteResponse {
            status: 42,
            headers: RVec::new(),
            body: RVec::new(),
        };
        let (status, message) = to_http("m", invalid).unwrap_err();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            message,
            "module `m` answered with an invalid HTTP status 42"
        );
    }
}
