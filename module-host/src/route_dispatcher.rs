//! Calling a module's HTTP routes, `/api/modules/{prefix}/…`, without HTTP types: the server's
//! HTTP adapter (`paperclip::api::module_routes`) looks the prefix up with
//! [`ModuleHost::route_target`](crate::ModuleHost::route_target), reads the body, and hands a
//! [`RouteCall`] to [`dispatch`], which calls the module's `handle_route` on a blocking thread
//! with the `routeTimeoutMs` limit and answers the module's status, headers and body
//! ([`RouteAnswer`]). Unknown or detached prefixes are 404; a module error or panic is 500 and a
//! time-out 504 ([`RouteFailure`]), all counted for the module.

use super::module_calls::describe_module_error;
use super::route_table::RouteTarget;
use abi_stable::std_types::{RString, RVec, Tuple2};
use module_sdk::abi::{RouteRequest, RouteResponse};
use std::sync::Arc;
use std::time::Duration;

/// Where module routes are mounted.
pub const MODULE_ROUTES_BASE: &str = "/api/modules";

/// 404: no active module serves the prefix.
pub const STATUS_NOT_FOUND: u16 = 404;
/// 500: the module failed, panicked or answered something that is not HTTP.
pub const STATUS_INTERNAL_ERROR: u16 = 500;
/// 504: the module did not answer within `routeTimeoutMs`.
pub const STATUS_TIMEOUT: u16 = 504;

/// Headers the server sets itself from the body it sends; a module's are dropped.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// One request to a module route.
#[derive(Debug, Clone, Default)]
pub struct RouteCall {
    /// The HTTP method (sent upper-case).
    pub method: String,
    /// The path after the prefix, as the router matched it (`/` for the prefix itself).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A module's answer. The status is a valid HTTP status (100–999); the framing headers
/// (`content-length`, `transfer-encoding`, `connection`) are already left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteAnswer {
    /// HTTP status.
    pub status: u16,
    /// Headers as the module sent them (names not checked as HTTP names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// A route call that produced no module answer: the HTTP status to answer and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFailure {
    /// [`STATUS_NOT_FOUND`], [`STATUS_INTERNAL_ERROR`] or [`STATUS_TIMEOUT`].
    pub status: u16,
    /// The message for the client (and the module's counters).
    pub message: String,
}

impl crate::ModuleHost {
    /// The module mounted at `prefix`, or 404.
    pub fn route_target(&self, prefix: &str) -> Result<Arc<RouteTarget>, RouteFailure> {
        self.routes().get(prefix).ok_or_else(|| RouteFailure {
            status: STATUS_NOT_FOUND,
            message: format!("no active module serves {MODULE_ROUTES_BASE}/{prefix}"),
        })
    }
}

/// Calls the module with `call` within `timeout`; counts the call and any failure.
pub async fn dispatch(
    target: Arc<RouteTarget>,
    call: RouteCall,
    timeout: Duration,
) -> Result<RouteAnswer, RouteFailure> {
    target.counters.route_called();
    let request = route_request(call);
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
            Err((STATUS_TIMEOUT, message))
        }
        Ok(Err(join_error)) => Err((
            STATUS_INTERNAL_ERROR,
            format!("module `{module}` route call failed: {join_error}"),
        )),
        Ok(Ok(Err(error))) => Err((
            STATUS_INTERNAL_ERROR,
            format!(
                "module `{module}` failed: {}",
                describe_module_error(&error)
            ),
        )),
        Ok(Ok(Ok(response))) => to_answer(module, response),
    };
    outcome.map_err(|(status, message)| {
        tracing::warn!(module = %module, %status, error = %message, "module route failed");
        target.counters.route_failed(message.clone());
        RouteFailure { status, message }
    })
}

/// The boundary request.
fn route_request(call: RouteCall) -> RouteRequest {
    RouteRequest {
        method: RString::from(call.method.to_ascii_uppercase()),
        path: RString::from(call.path),
        query: RString::from(call.query),
        headers: call
            .headers
            .into_iter()
            .map(|(name, value)| Tuple2(RString::from(name), RString::from(value)))
            .collect(),
        body: RVec::from(call.body),
    }
}

fn to_answer(module: &str, response: RouteResponse) -> Result<RouteAnswer, (u16, String)> {
    if !(100..1000).contains(&response.status) {
        return Err((
            STATUS_INTERNAL_ERROR,
            format!(
                "module `{module}` answered with an invalid HTTP status {}",
                response.status
            ),
        ));
    }
    let headers = response
        .headers
        .iter()
        .filter(|Tuple2(name, _)| !FRAMING_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|Tuple2(name, value)| (name.to_string(), value.to_string()))
        .collect();
    Ok(RouteAnswer {
        status: response.status,
        headers,
        body: response.body.into_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_module::{panic_error, FakeModule};
    use crate::module_counters::ModuleCounters;
    use abi_stable::std_types::RResult;
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
            headers: vec![
                Tuple2(RString::from("x-path"), request.path.clone()),
                Tuple2(RString::from("x-method"), request.method.clone()),
            ]
            .into(),
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

    fn call(path: &str, body: &[u8]) -> RouteCall {
        RouteCall {
            method: "post".into(),
            path: path.into(),
            body: body.to_vec(),
            ..RouteCall::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_errors_and_time_outs_are_counted() {
        let echo = target(FakeModule::new().handle_route(echo_route).build());
        let ok = dispatch(Arc::clone(&echo), call("/x", b"hi"), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(ok.status, 200);
        assert_eq!(
            ok.headers,
            vec![
                ("x-path".to_string(), "/x".to_string()),
                ("x-method".to_string(), "POST".to_string())
            ]
        );
        assert_eq!(ok.body, b"hi");
        assert_eq!(echo.counters.snapshot(None).route_calls, 1);
        assert_eq!(echo.counters.snapshot(None).route_errors, 0);

        let panicking = target(FakeModule::new().handle_route(panicking_route).build());
        let err = dispatch(
            Arc::clone(&panicking),
            call("/", b""),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status, STATUS_INTERNAL_ERROR);
        assert_eq!(
            err.message,
            "module `fake` failed: module panicked: route exploded"
        );
        assert_eq!(panicking.counters.snapshot(None).route_errors, 1);

        let slow = target(FakeModule::new().handle_route(slow_route).build());
        let started = std::time::Instant::now();
        let err = dispatch(Arc::clone(&slow), call("/", b""), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(400));
        assert_eq!(err.status, STATUS_TIMEOUT);
        assert_eq!(err.message, "module `fake` did not answer within 50 ms");
        assert_eq!(slow.counters.snapshot(None).route_errors, 1);
    }

    #[test]
    fn module_answers_are_copied_and_framing_headers_dropped() {
        let response = RouteResponse {
            status: 201,
            headers: vec![
                Tuple2(
                    RString::from("content-type"),
                    RString::from("application/json"),
                ),
                Tuple2(RString::from("Content-Length"), RString::from("999")),
                Tuple2(RString::from("Transfer-Encoding"), RString::from("chunked")),
            ]
            .into(),
            body: RVec::from(b"{\"ok\":true}".to_vec()),
        };
        let answer = to_answer("m", response).unwrap();
        assert_eq!(answer.status, 201);
        assert_eq!(
            answer.headers,
            vec![("content-type".to_string(), "application/json".to_string())]
        );
        assert_eq!(answer.body, b"{\"ok\":true}");

        for status in [42, 1000] {
            let invalid = RouteResponse {
                status,
                headers: RVec::new(),
                body: RVec::new(),
            };
            let (code, message) = to_answer("m", invalid).unwrap_err();
            assert_eq!(code, STATUS_INTERNAL_ERROR);
            assert_eq!(
                message,
                format!("module `m` answered with an invalid HTTP status {status}")
            );
        }
    }
}
