//! Routes of a module: method + path patterns with `:param` segments, mounted by the host under
//! `/api/modules/<prefix>`. Unknown path → 404, known path with another method → 405 (JSON).

use crate::abi::{RouteRequest, RouteResponse};
use crate::context::ModuleContext;
use crate::error::{Error, Result};
use abi_stable::std_types::{RString, RVec, Tuple2};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// An HTTP request to a module route.
///
/// ```
/// use module_sdk::Request;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Body { name: String }
///
/// let req = Request::new("post", "/notes")
///     .with_query("tag=a%20b&tag=c&limit=10")
///     .with_header("X-Trace", "t1")
///     .with_body(r#"{"name":"n"}"#);
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.query("tag").as_deref(), Some("a b")); // the first value, decoded
/// assert_eq!(req.query_pairs().len(), 3);
/// assert_eq!(req.header("x-trace"), Some("t1"));
/// assert_eq!(req.json::<Body>().unwrap().name, "n");
/// assert!(Request::new("POST", "/").with_body("{").json::<Body>().is_err()); // → 400
/// ```
#[derive(Debug, Clone, Default)]
pub struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    params: HashMap<String, String>,
}

impl Request {
    /// Builds a request (the SDK does this from the host's `RouteRequest`; handy in tests).
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            ..Self::default()
        }
    }

    /// Sets the raw query string (without `?`).
    pub fn with_query(mut self, query: &str) -> Self {
        self.query = query.to_owned();
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The same headers and body as a delivery to webhook `key` (`POST /.webhooks/<key>`).
    pub(crate) fn into_webhook_delivery(self, key: &str) -> Self {
        Self {
            method: "POST".into(),
            path: crate::webhook::webhook_path(key),
            ..self
        }
    }

    /// Upper-case method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path after the module prefix, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The value of the `:name` segment of the matched pattern.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// All path parameters.
    pub fn params(&self) -> &HashMap<String, String> {
        &self.params
    }

    /// The raw query string.
    pub fn query_string(&self) -> &str {
        &self.query
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// All query parameters in order, percent-decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The company the request is about, when it names one: the `:companyId` path parameter,
    /// else the `companyId` query parameter, else the body's top-level `"companyId"`. Check it
    /// with [`crate::Core::enabled_for`] before answering: a module enabled for some companies
    /// only should not serve the others (the host refuses its core calls about them anyway).
    pub fn company_id(&self) -> Option<String> {
        if let Some(id) = self.param("companyId") {
            return Some(id.to_string());
        }
        if let Some(id) = self.query("companyId") {
            return Some(id);
        }
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("companyId")?
            .as_str()
            .map(str::to_string)
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body parsed as JSON into `T`; failure is a `BadRequest` error (answered with 400).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::bad_request(format!("invalid JSON body: {e}")))
    }
}

impl From<&RouteRequest> for Request {
    fn from(r: &RouteRequest) -> Self {
        Self {
            method: r.method.as_str().to_ascii_uppercase(),
            path: r.path.as_str().to_owned(),
            query: r.query.as_str().to_owned(),
            headers: r
                .headers
                .iter()
                .map(|t| (t.0.as_str().to_ascii_lowercase(), t.1.as_str().to_owned()))
                .collect(),
            body: r.body.to_vec(),
            params: HashMap::new(),
        }
    }
}

/// An HTTP response from a module route.
///
/// ```
/// use module_sdk::Response;
/// use serde_json::json;
///
/// assert_eq!(Response::ok(&json!({ "n": 1 })).body, br#"{"n":1}"#);
/// assert_eq!(Response::json(201, &[1, 2]).status, 201);
/// let missing = Response::error(404, "no such note");
/// assert_eq!(missing.body_json().unwrap(), json!({ "error": "no such note" }));
/// assert!(Response::status(204).body.is_empty());
/// let csv = Response::text(200, "a,b\n").with_header("content-disposition", "attachment");
/// assert_eq!(csv.headers.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response with `status`.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            },
            Err(e) => Self::error(500, &format!("response is not serializable: {e}")),
        }
    }

    /// A 200 JSON response.
    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Self {
        Self::json(200, value)
    }

    /// An empty response with `status` (e.g. 204).
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON error `{"error": message}` with `status`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "error": message }))
    }

    /// A plain-text response.
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body parsed as JSON (handy in tests).
    pub fn body_json(&self) -> Result<serde_json::Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

impl From<Response> for RouteResponse {
    fn from(r: Response) -> Self {
        RouteResponse {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(k, v)| Tuple2(RString::from(k), RString::from(v)))
                .collect::<RVec<_>>(),
            body: RVec::from(r.body),
        }
    }
}

/// What a route handler may return: a [`Response`], or a `Result` whose error becomes a JSON
/// error response (400 for `BadRequest`, 500 otherwise).
///
/// ```
/// use module_sdk::{Error, IntoResponse, Response, Result};
///
/// let bad: Result<Response> = Err(Error::bad_request("limit must be a number"));
/// assert_eq!(bad.into_response().status, 400);
/// let failed: Result<Response> = Err(Error::msg("disk full"));
/// assert_eq!(failed.into_response().status, 500);
/// ```
pub trait IntoResponse {
    /// Converts into the response sent to the client.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Result<Response> {
    fn into_response(self) -> Response {
        self.unwrap_or_else(|e| {
            let status = if e.kind() == crate::abi::ErrorKind::BadRequest {
                400
            } else {
                500
            };
            Response::error(status, e.message())
        })
    }
}

pub(crate) type RouteHandler<M> =
    Box<dyn Fn(&M, &ModuleContext, &Request) -> Response + Send + Sync>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

struct Route<M> {
    method: String,
    pattern: Vec<Segment>,
    handler: RouteHandler<M>,
}

/// A set of routes. Handlers get the module instance, its context and the request.
///
/// Patterns are matched segment by segment: `/agents/:id/metrics` matches `/agents/42/metrics`
/// with `id = "42"`. A trailing slash is ignored. The first matching route wins.
///
/// ```
/// use module_sdk::testing::TestHost;
/// use module_sdk::{Request, Response, Router};
/// use serde_json::json;
///
/// let router = Router::<()>::new()
///     .get("/agents/:id/metrics", |_, _, req: &Request| {
///         Response::ok(&json!({ "id": req.param("id"), "window": req.query("window") }))
///     })
///     .delete("/agents/:id", |_, _, _| Response::status(204));
/// let ctx = TestHost::default().context(json!({}));
///
/// let answer = router.handle(&(), &ctx, Request::new("GET", "/agents/42/metrics/").with_query("window=1h"));
/// assert_eq!(answer.body_json().unwrap(), json!({ "id": "42", "window": "1h" }));
/// assert_eq!(router.handle(&(), &ctx, Request::new("GET", "/agents/42")).status, 405);
/// assert_eq!(router.handle(&(), &ctx, Request::new("GET", "/nowhere")).status, 404);
/// ```
pub struct Router<M> {
    routes: Vec<Route<M>>,
}

impl<M> Default for Router<M> {
    fn default() -> Self {
        Self { routes: Vec::new() }
    }
}

impl<M> Router<M> {
    /// An empty router (every request answers 404).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route for `method` and `pattern`.
    pub fn route<R, F>(mut self, method: &str, pattern: &str, handler: F) -> Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        self.routes.push(Route {
            method: method.to_ascii_uppercase(),
            pattern: split(pattern)
                .map(|s| match s.strip_prefix(':') {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                })
                .collect(),
            handler: Box::new(move |m, ctx, req| handler(m, ctx, req).into_response()),
        });
        self
    }

    /// Adds a `GET` route.
    pub fn get<R, F>(self, pattern: &str, handler: F) -> Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        self.route("GET", pattern, handler)
    }

    /// Adds a `POST` route.
    pub fn post<R, F>(self, pattern: &str, handler: F) -> Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        self.route("POST", pattern, handler)
    }

    /// Adds a `PUT` route.
    pub fn put<R, F>(self, pattern: &str, handler: F) -> Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        self.route("PUT", pattern, handler)
    }

    /// Adds a `PATCH` route.
    pub fn patch<R, F>(self, pattern: &str, handler: F) -> Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        self.route("PATCH", pattern, handler)
    }

    /// Adds a `DELETE` route.
    pub fn delete<R, F>(self, pattern: &str, handler: F) -> Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        self.route("DELETE", pattern, handler)
    }

    /// Appends `other`'s routes after these.
    pub fn extend(&mut self, other: Router<M>) {
        self.routes.extend(other.routes);
    }

    /// Whether no route was added.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The patterns whose first segment starts with `.`: reserved for the host (webhooks are
    /// delivered under `/.webhooks/<key>`), so a router may not serve them.
    pub(crate) fn reserved_patterns(&self) -> Vec<String> {
        self.routes
            .iter()
            .filter(|route| {
                matches!(route.pattern.first(), Some(Segment::Literal(first)) if first.starts_with('.'))
            })
            .map(|route| {
                let segments: Vec<String> = route
                    .pattern
                    .iter()
                    .map(|segment| match segment {
                        Segment::Literal(lit) => lit.clone(),
                        Segment::Param(name) => format!(":{name}"),
                    })
                    .collect();
                format!("{} /{}", route.method, segments.join("/"))
            })
            .collect()
    }

    /// Dispatches `request`: the first route whose method and pattern match handles it (its
    /// `:params` filled in); otherwise 405 when some pattern matches with another method, else 404.
    pub fn handle(&self, module: &M, ctx: &ModuleContext, mut request: Request) -> Response {
        let path: Vec<&str> = split(&request.path).collect();
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            let Some(params) = match_pattern(&route.pattern, &path) else {
                continue;
            };
            if route.method == request.method {
                request.params = params;
                return (route.handler)(module, ctx, &request);
            }
            if !allowed.contains(&route.method.as_str()) {
                allowed.push(&route.method);
            }
        }
        if allowed.is_empty() {
            Response::error(
                404,
                &format!("no route for {} {}", request.method, request.path),
            )
        } else {
            Response::error(
                405,
                &format!("method {} not allowed for {}", request.method, request.path),
            )
            .with_header("allow", &allowed.join(", "))
        }
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn match_pattern(pattern: &[Segment], path: &[&str]) -> Option<HashMap<String, String>> {
    if pattern.len() != path.len() {
        return None;
    }
    let mut params = HashMap::new();
    for (segment, actual) in pattern.iter().zip(path) {
        match segment {
            Segment::Literal(lit) if lit == actual => {}
            Segment::Literal(_) => return None,
            Segment::Param(name) => {
                params.insert(name.clone(), percent_decode(actual));
            }
        }
    }
    Some(params)
}

/// Decodes `%XX` escapes and `+` (as space); invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;

    fn ctx() -> ModuleContext {
        ModuleContext::new(TestHost::default().handle(), json!({}))
    }

    fn router() -> Router<()> {
        Router::new()
            .get("/agents", |_, _, _| Response::ok(&json!(["all"])))
            .get("/agents/:id", |_, _, req| {
                Response::ok(&json!({ "id": req.param("id") }))
            })
            .get("/agents/:id/metrics/:metric", |_, _, req| {
                Response::ok(&json!({ "id": req.param("id"), "metric": req.param("metric") }))
            })
            .post("/agents", |_, _, req| -> Result<Response> {
                let body: serde_json::Value = req.json()?;
                Ok(Response::json(201, &body))
            })
            .delete("/agents/:id", |_, _, _| Response::status(204))
    }

    fn call(req: Request) -> Response {
        router().handle(&(), &ctx(), req)
    }

    #[test]
    fn literal_and_param_segments_match() {
        assert_eq!(
            call(Request::new("GET", "/agents")).body_json().unwrap(),
            json!(["all"])
        );
        assert_eq!(
            call(Request::new("get", "/agents/a%201/"))
                .body_json()
                .unwrap(),
            json!({ "id": "a 1" })
        );
        assert_eq!(
            call(Request::new("GET", "/agents/7/metrics/tokens"))
                .body_json()
                .unwrap(),
            json!({ "id": "7", "metric": "tokens" })
        );
        assert_eq!(call(Request::new("DELETE", "/agents/7")).status, 204);
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405_in_json() {
        let missing = call(Request::new("GET", "/agents/7/other"));
        assert_eq!(missing.status, 404);
        assert_eq!(
            missing.body_json().unwrap(),
            json!({ "error": "no route for GET /agents/7/other" })
        );
        let wrong = call(Request::new("PUT", "/agents/7"));
        assert_eq!(wrong.status, 405);
        assert!(wrong
            .headers
            .contains(&("allow".into(), "GET, DELETE".into())));
        assert!(wrong.body_json().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("PUT"));
        assert_eq!(
            Router::<()>::new()
                .handle(&(), &ctx(), Request::new("GET", "/"))
                .status,
            404
        );
    }

    #[test]
    fn json_bodies_parse_and_bad_ones_are_400() {
        let ok = call(Request::new("POST", "/agents").with_body(r#"{"name":"x"}"#));
        assert_eq!(ok.status, 201);
        assert_eq!(ok.body_json().unwrap(), json!({ "name": "x" }));
        let bad = call(Request::new("POST", "/agents").with_body("{nope"));
        assert_eq!(bad.status, 400);
        assert!(bad.body_json().unwrap()["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON body"));
    }

    #[test]
    fn handler_errors_other_than_bad_request_are_500() {
        let r = Router::<()>::new().get("/x", |_, _, _| -> Result<Response> {
            Err(Error::msg("disk full"))
        });
        let resp = r.handle(&(), &ctx(), Request::new("GET", "/x"));
        assert_eq!(resp.status, 500);
        assert_eq!(resp.body_json().unwrap(), json!({ "error": "disk full" }));
    }

    #[test]
    fn the_company_comes_from_the_path_the_query_or_the_body() {
        let query = Request::new("GET", "/rules").with_query("companyId=c%201");
        assert_eq!(query.company_id().as_deref(), Some("c 1"));
        let body = Request::new("POST", "/rules").with_body(r#"{"companyId":"c2","x":1}"#);
        assert_eq!(body.company_id().as_deref(), Some("c2"));
        assert_eq!(Request::new("GET", "/rules").company_id(), None);
        let mut path = Request::new("GET", "/companies/c3/rules").with_query("companyId=c4");
        path.params.insert("companyId".into(), "c3".into());
        assert_eq!(path.company_id().as_deref(), Some("c3"));
    }

    #[test]
    fn query_and_headers_are_read() {
        let req = Request::new("GET", "/")
            .with_query("q=a+b%21&limit=10&flag&bad=%zz")
            .with_header("X-Trace", "t1");
        assert_eq!(req.query("q").as_deref(), Some("a b!"));
        assert_eq!(req.query("limit").as_deref(), Some("10"));
        assert_eq!(req.query("flag").as_deref(), Some(""));
        assert_eq!(req.query("bad").as_deref(), Some("%zz"));
        assert_eq!(req.query("missing"), None);
        assert_eq!(req.header("x-trace"), Some("t1"));
    }

    #[test]
    fn abi_requests_and_responses_convert() {
        use abi_stable::std_types::Tuple2;
        let abi = RouteRequest {
            method: "post".into(),
            path: "/agents".into(),
            query: "a=1".into(),
            headers: vec![Tuple2("Content-Type".into(), "application/json".into())].into(),
            body: b"{}".to_vec().into(),
        };
        let req = Request::from(&abi);
        assert_eq!(req.method(), "POST");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.query("a").as_deref(), Some("1"));
        let out: RouteResponse = Response::error(418, "teapot").into();
        assert_eq!(out.status, 418);
        assert_eq!(out.body.as_slice(), br#"{"error":"teapot"}"#);
        assert_eq!(out.headers[0].0.as_str(), "content-type");
    }
}
