//! Protection against other web pages, for every request the server answers (API, module
//! routes and the web UI), with or without API keys:
//!
//! - **DNS rebinding**: a request whose `Host` is not a loopback name (`localhost`, `127.x.y.z`,
//!   `[::1]`, any port), not the bound address (any IP address when bound to `0.0.0.0`/`::`)
//!   and not in `server.allowedHosts` answers 403. A page of `evil.example` whose name now
//!   resolves to 127.0.0.1 sends `Host: evil.example` and is refused. A request without `Host`
//!   (not a browser) passes.
//! - **Cross-site requests**: a state-changing request (any method but `GET`, `HEAD`,
//!   `OPTIONS`, `TRACE`) whose `Origin` is `null` or not the same origin as its `Host` (nor in
//!   `server.allowedOrigins`), or whose `Sec-Fetch-Site` is `cross-site`, answers 403. Requests
//!   without `Origin` (curl, scripts) pass; browsers send `Origin` on every cross-origin POST.
//!
//! Together with the JSON content-type rule of [`super::json_body`], a plain HTML form or a
//! `no-cors` fetch from another site changes nothing. Refusals are `{"error": …}` naming why.

use super::api_error::ApiError;
use crate::config::ServerConfig;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HOST, ORIGIN};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;
use std::net::{IpAddr, Ipv4Addr};

/// The `Host` names and `Origin`s the server accepts, built once at start.
#[derive(Debug, Clone)]
pub struct BrowserGuard {
    bound: IpAddr,
    any_host: bool,
    allowed_hosts: Vec<String>,
    any_origin: bool,
    allowed_origins: Vec<String>,
}

impl Default for BrowserGuard {
    /// Loopback only: bound to 127.0.0.1, nothing configured.
    fn default() -> BrowserGuard {
        BrowserGuard::new(IpAddr::V4(Ipv4Addr::LOCALHOST), &ServerConfig::default())
    }
}

impl BrowserGuard {
    /// The guard of a server bound to `bound` with the `server` config section.
    pub fn new(bound: IpAddr, config: &ServerConfig) -> BrowserGuard {
        let normalized =
            |list: &[String]| -> Vec<String> { list.iter().map(|v| normalize(v)).collect() };
        BrowserGuard {
            bound,
            any_host: config.allowed_hosts.iter().any(|h| h.trim() == "*"),
            allowed_hosts: normalized(&config.allowed_hosts),
            any_origin: config.allowed_origins.iter().any(|o| o.trim() == "*"),
            allowed_origins: normalized(&config.allowed_origins),
        }
    }

    /// `Ok` when a request with this method and these headers may go on; else why not.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), String> {
        let host = match headers.get(HOST) {
            None => None,
            Some(value) => {
                let text = value.to_str().map_err(|_| "the Host header is not text")?;
                if !self.host_allowed(text) {
                    return Err(format!(
                        "Host `{text}` is not allowed: this server answers loopback names, its \
                         bound address and the names in server.allowedHosts (protection against \
                         DNS rebinding)"
                    ));
                }
                Some(text)
            }
        };
        if !changes_state(method) || self.any_origin {
            return Ok(());
        }
        let origin = match headers.get(ORIGIN) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| "the Origin header is not text")?,
            ),
        };
        let listed = origin.is_some_and(|o| self.allowed_origins.contains(&normalize(o)));
        if listed {
            return Ok(());
        }
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if fetch_site.eq_ignore_ascii_case("cross-site") {
            return Err(format!(
                "cross-site {method} refused (Sec-Fetch-Site: cross-site, Origin: {}): pages of \
                 other sites may not change this server; add the origin to server.allowedOrigins \
                 to allow it",
                origin.unwrap_or("none")
            ));
        }
        match origin {
            None => Ok(()),
            Some(origin) if origin.trim() == "null" => Err(format!(
                "{method} with `Origin: null` refused: a sandboxed page, file or redirect may not \
                 change this server"
            )),
            Some(origin) if host.is_some_and(|h| same_origin(origin, h)) => Ok(()),
            Some(origin) => Err(format!(
                "cross-origin {method} refused: Origin `{origin}` is not this server (Host `{}`); \
                 add the origin to server.allowedOrigins to allow it",
                host.unwrap_or("none")
            )),
        }
    }

    /// Whether a `Host` header value names this server.
    fn host_allowed(&self, value: &str) -> bool {
        if self.any_host {
            return true;
        }
        let Some((name, port)) = split_host(value) else {
            return false;
        };
        if name == "localhost" {
            return true;
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            // An IP literal cannot be a rebinding (the page's origin is then that address);
            // still, only loopback and the bound address are ours, or any when bound to all.
            if ip.is_loopback() || ip == self.bound || self.bound.is_unspecified() {
                return true;
            }
        }
        let with_port = match port {
            Some(port) => format!("{name}:{port}"),
            None => name.clone(),
        };
        self.allowed_hosts
            .iter()
            .any(|allowed| *allowed == name || *allowed == with_port)
    }
}

/// Middleware (the outermost one of the app): refuses with 403 what [`BrowserGuard::check`]
/// refuses.
pub async fn guard_browser_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let verdict = match req.app_data::<web::Data<BrowserGuard>>() {
        Some(guard) => guard.check(req.method(), req.headers()),
        None => BrowserGuard::default().check(req.method(), req.headers()),
    };
    match verdict {
        Ok(()) => next.call(req).await.map(|r| r.map_into_boxed_body()),
        Err(reason) => {
            tracing::warn!(method = %req.method(), path = req.path(), %reason, "request refused");
            Err(ApiError::new(StatusCode::FORBIDDEN, reason).into())
        }
    }
}

/// Methods that cannot change anything (by HTTP semantics and in this server).
fn changes_state(method: &Method) -> bool {
    ![Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method)
}

/// Lower case, without a trailing `/` or `.` (`https://Example.com/` → `https://example.com`).
fn normalize(value: &str) -> String {
    value
        .trim()
        .trim_end_matches('/')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Splits `host[:port]` / `[v6][:port]` into the lower-case name (IPv6 without brackets, no
/// trailing dot) and the port; `None` when malformed.
fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim();
    let (name, port) = if let Some(rest) = value.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            after => Some(after.strip_prefix(':')?),
        };
        (name, port)
    } else {
        match value.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (value, None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return None;
    }
    Some((name, port))
}

/// Whether `origin` (`scheme://host[:port]`) is the origin of a request sent with `host`.
/// Ports are compared when known (the scheme's default port stands for an absent one on the
/// origin; an absent `Host` port accepts the origin's).
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.trim().split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    let (Some((origin_name, origin_port)), Some((host_name, host_port))) =
        (split_host(authority), split_host(host))
    else {
        return false;
    };
    let origin_port = origin_port.unwrap_or(default_port);
    origin_name == host_name && host_port.is_none_or(|port| port == origin_port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn guard(hosts: &[&str], origins: &[&str]) -> BrowserGuard {
        let config = ServerConfig {
            allowed_hosts: hosts.iter().map(|s| s.to_string()).collect(),
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
        };
        BrowserGuard::new("127.0.0.1".parse().unwrap(), &config)
    }

    #[test]
    fn loopback_bound_and_listed_hosts_pass_others_are_refused() {
        let g = guard(&["paperclip.internal", "Proxy.Example:8443"], &[]);
        for ok in [
            "localhost",
            "LOCALHOST:3100",
            "127.0.0.1:3100",
            "127.8.9.10",
            "[::1]:3100",
            "[::1]",
            "paperclip.internal:9",
            "proxy.example:8443",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:3100",
            "localhost.evil.example",
            "10.0.0.5",
            "proxy.example:8444",
            "proxy.example",
            "[::1",
            "127.0.0.1:x",
            "",
            "a b",
        ] {
            assert!(!g.host_allowed(refused), "{refused}");
        }
        assert!(guard(&["*"], &[]).host_allowed("evil.example"));
        let all = BrowserGuard::new("0.0.0.0".parse().unwrap(), &ServerConfig::default());
        assert!(all.host_allowed("10.0.0.5:3100"));
        assert!(!all.host_allowed("evil.example"));
    }

    #[test]
    fn state_changes_from_other_origins_are_refused() {
        let g = guard(&[], &["https://ui.example"]);
        let post = Method::POST;
        let host = ("host", "127.0.0.1:3100");
        assert!(g.check(&post, &headers(&[host])).is_ok());
        assert!(g
            .check(
                &post,
                &headers(&[host, ("origin", "http://127.0.0.1:3100")])
            )
            .is_ok());
        assert!(g
            .check(
                &post,
                &headers(&[host, ("origin", "http://127.0.0.1:3101")])
            )
            .is_err());
        assert!(g
            .check(&post, &headers(&[host, ("origin", "http://evil.example")]))
            .is_err());
        assert!(g
            .check(&post, &headers(&[host, ("origin", "null")]))
            .is_err());
        assert!(g
            .check(&post, &headers(&[host, ("sec-fetch-site", "cross-site")]))
            .is_err());
        assert!(g
            .check(&post, &headers(&[host, ("origin", "https://ui.example/")]))
            .is_ok());
        // Reads are not state changes.
        assert!(g
            .check(
                &Method::GET,
                &headers(&[host, ("origin", "http://evil.example")])
            )
            .is_ok());
        // A refused Host is refused for reads too.
        assert!(g
            .check(&Method::GET, &headers(&[("host", "evil.example")]))
            .is_err());
    }

    #[test]
    fn origins_compare_name_and_port() {
        assert!(same_origin("http://localhost:3100", "localhost:3100"));
        assert!(same_origin("http://LOCALHOST:3100", "localhost:3100"));
        assert!(same_origin("https://p.example", "p.example"));
        assert!(same_origin("http://p.example", "p.example:80"));
        assert!(same_origin("http://[::1]:3100", "[::1]:3100"));
        assert!(!same_origin("http://localhost:3101", "localhost:3100"));
        assert!(!same_origin("http://127.0.0.1:3100", "localhost:3100"));
        assert!(!same_origin("ftp://localhost:3100", "localhost:3100"));
        assert!(!same_origin("localhost:3100", "localhost:3100"));
    }
}
