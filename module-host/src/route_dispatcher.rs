//! Calling a module's HTTP routes, `/api/modules/{prefix}/…`, without HTTP types: the server's
//! HTTP adapter (`paperclip::api::module_routes`) looks the prefix up with
//! [`ModuleHost::route_target`](crate::ModuleHost::route_target), builds the boundary request
//! with [`route_request`] (one copy of each part), and hands it to [`dispatch`], which calls the
//! module through its executor (inline, threaded or process, with the `routeTimeoutMs` limit)
//! and answers the module's status, headers and body ([`RouteAnswer`]). Unknown or detached
//! prefixes are 404; a module error or panic is 500; a full queue, a restarting process or a
//! failed module 503; a time-out 504 ([`RouteFailure`]), all counted for the module.

use super::executor::CallRefusal;
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
/// 503: the module cannot take the call now (queue full, process restarting) or has failed.
pub const STATUS_UNAVAILABLE: u16 = 503;
/// 504: the module did not answer within `routeTimeoutMs`.
pub const STATUS_TIMEOUT: u16 = 504;

/// Headers the server sets itself from the body it sends; a module's are dropped.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// A module's answer, as the module sent it (not copied again): a valid HTTP status
/// (100–999), its headers without the framing ones (`content-length`, `transfer-encoding`,
/// `connection`), its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteAnswer {
    response: RouteResponse,
}

impl RouteAnswer {
    /// The module's answer, when its status is valid HTTP (100–999).
    pub fn new(response: RouteResponse) -> Option<RouteAnswer> {
        (100..1000)
            .contains(&response.status)
            .then_some(RouteAnswer { response })
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.response.status
    }

    /// The headers as the module sent them (names not checked as HTTP names), framing headers
    /// left out.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.response
            .headers
            .iter()
            .map(|Tuple2(name, value)| (name.as_str(), value.as_str()))
            .filter(|(name, _)| {
                !FRAMING_HEADERS
                    .iter()
                    .any(|framing| name.eq_ignore_ascii_case(framing))
            })
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.response.body
    }
}

/// A route call that produced no module answer: the HTTP status to answer and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFailure {
    /// [`STATUS_NOT_FOUND`], [`STATUS_INTERNAL_ERROR`], [`STATUS_UNAVAILABLE`] or
    /// [`STATUS_TIMEOUT`].
    pub status: u16,
    /// The message for the client (and the module's counters).
    pub message: String,
    /// For a 503 the module may get over: when to try again (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl crate::ModuleHost {
    /// The module mounted at `prefix`, or 404.
    pub fn route_target(&self, prefix: &str) -> Result<Arc<RouteTarget>, RouteFailure> {
        self.routes().get(prefix).ok_or_else(|| RouteFailure {
            status: STATUS_NOT_FOUND,
            message: format!("no active module serves {MODULE_ROUTES_BASE}/{prefix}"),
            retry_after: None,
        })
    }
}

/// The boundary request: `method` upper-cased, `path` after the prefix (`/` for the prefix
/// itself), the raw `query`, headers with lower-case names (values not UTF-8 are read lossily).
pub fn route_request<'a>(
    method: &str,
    path: &str,
    query: &str,
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    body: Vec<u8>,
) -> RouteRequest {
    let method = if method.bytes().any(|b| b.is_ascii_lowercase()) {
        RString::from(method.to_ascii_uppercase())
    } else {
        RString::from(method)
    };
    RouteRequest {
        method,
        path: RString::from(path),
        query: RString::from(query),
        headers: headers
            .map(|(name, value)| {
                let value = match std::str::from_utf8(value) {
                    Ok(text) => RString::from(text),
                    Err(_) => RString::from(String::from_utf8_lossy(value).into_owned()),
                };
                Tuple2(RString::from(name), value)
            })
            .collect(),
        body: RVec::from(body),
    }
}

/// When to try again after a call raced its instance being replaced.
const RETRY_AFTER_REPLACED: Duration = Duration::from_secs(1);

/// Calls the module with `request` through its executor; counts the call and any failure (a
/// 503 refusal is counted by the executor instead).
pub async fn dispatch(
    target: &RouteTarget,
    request: RouteRequest,
) -> Result<RouteAnswer, RouteFailure> {
    target.counters.route_called();
    let module = &target.module_id;
    let outcome = match target.executor.call_route(request).await {
        Ok(response) => to_answer(module, response).map_err(|(status, message)| RouteFailure {
            status,
            message,
            retry_after: None,
        }),
        // A call that raced its instance going away (a hot upgrade or live configuration
        // retired it, or a disable) fails because that instance was shut down: the client may
        // try again — the route table already points at the successor, if any.
        Err(CallRefusal::Failed(message)) if target.executor.is_closed() => Err(RouteFailure {
            status: STATUS_UNAVAILABLE,
            message: format!(
                "module `{module}` was replaced or stopped while this call ran; try again ({message})"
            ),
            retry_after: Some(RETRY_AFTER_REPLACED),
        }),
        Err(refusal) => Err(failure_of(refusal)),
    };
    outcome.inspect_err(|failure| {
        // A 503 is a refusal, not a module error: counted by the executor (`rejected`).
        if failure.status != STATUS_UNAVAILABLE {
            tracing::warn!(module = %module, status = failure.status, error = %failure.message, "module route failed");
            target.counters.route_failed(failure.message.clone());
        }
    })
}

fn failure_of(refusal: CallRefusal) -> RouteFailure {
    let (status, message, retry_after) = match refusal {
        CallRefusal::Unavailable {
            message,
            retry_after,
        } => (STATUS_UNAVAILABLE, message, Some(retry_after)),
        CallRefusal::ModuleFailed(message) => (STATUS_UNAVAILABLE, message, None),
        CallRefusal::TimedOut(message) => (STATUS_TIMEOUT, message, None),
        CallRefusal::Failed(message) => (STATUS_INTERNAL_ERROR, message, None),
    };
    RouteFailure {
        status,
        message,
        retry_after,
    }
}

fn to_answer(module: &str, response: RouteResponse) -> Result<RouteAnswer, (u16, String)> {
    let status = response.status;
    RouteAnswer::new(response).ok_or_else(|| {
        (
            STATUS_INTERNAL_ERROR,
            format!("module `{module}` answered with an invalid HTTP status {status}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::{ExecutorSettings, ModuleExecutor};
    use crate::fake_module::{panic_error, FakeModule};
    use crate::module_counters::ModuleCounters;
    use crate::module_entry::LibraryEntry;
    use abi_stable::std_types::RResult;
    use module_sdk::abi::ModuleError;
    use paperclip_core::isolation_level::IsolationLevel;

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

    fn target(root: module_sdk::abi::ModuleRoot_Ref, timeout: Duration) -> RouteTarget {
        let counters = Arc::new(ModuleCounters::default());
        let executor = ModuleExecutor::new(
            "fake",
            Arc::new(LibraryEntry::new(root)),
            IsolationLevel::Threaded,
            ExecutorSettings {
                route_timeout: timeout,
                ..ExecutorSettings::default()
            },
            Arc::clone(&counters),
        );
        RouteTarget {
            module_id: "fake".into(),
            executor,
            counters,
        }
    }

    fn call(path: &str, body: &[u8]) -> RouteRequest {
        route_request("post", path, "", std::iter::empty(), body.to_vec())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_errors_and_time_outs_are_counted() {
        let echo = target(
            FakeModule::new().handle_route(echo_route).build(),
            Duration::from_secs(5),
        );
        let ok = dispatch(&echo, call("/x", b"hi")).await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(
            ok.headers().collect::<Vec<_>>(),
            vec![("x-path", "/x"), ("x-method", "POST")]
        );
        assert_eq!(ok.body(), b"hi");
        assert_eq!(echo.counters.snapshot(None).route_calls, 1);
        assert_eq!(echo.counters.snapshot(None).route_errors, 0);

        let panicking = target(
            FakeModule::new().handle_route(panicking_route).build(),
            Duration::from_secs(5),
        );
        let err = dispatch(&panicking, call("/", b"")).await.unwrap_err();
        assert_eq!(err.status, STATUS_INTERNAL_ERROR);
        assert_eq!(
            err.message,
            "module `fake` failed: module panicked: route exploded"
        );
        assert_eq!(panicking.counters.snapshot(None).route_errors, 1);

        let slow = target(
            FakeModule::new().handle_route(slow_route).build(),
            Duration::from_millis(50),
        );
        let started = std::time::Instant::now();
        let err = dispatch(&slow, call("/", b"")).await.unwrap_err();
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
        assert_eq!(answer.status(), 201);
        assert_eq!(
            answer.headers().collect::<Vec<_>>(),
            vec![("content-type", "application/json")]
        );
        assert_eq!(answer.body(), b"{\"ok\":true}");

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
