//! The HTTP-facing security rules, against the real binary over real HTTP (issue 11):
//!
//! - with API keys and a non-loopback bind, no spelling of a protected path (`%61pi`, `%2F`,
//!   `//`, upper case, `;`, dot segments, `%2e`) reaches a handler without a key: 401, or a
//!   404/405/HTML page that carries no data — and nothing is written;
//! - the `Host` header must name this server (DNS rebinding), state changes from a foreign
//!   `Origin` are refused, JSON endpoints need `Content-Type: application/json` (415), and
//!   every JSON route has one 16 MiB limit answering 413;
//! - a module configuration saved with `***` or without its `$ENV` field keeps the reference.
//!
//! Requests that reqwest would normalise are written by hand on a `TcpStream`.

use paperclip_e2e::{
    each_backend, json, raw_request as raw, ApiClient, Method, RawResponse, ServerOptions,
    StatusCode, TestServer, Value,
};

const KEY: &str = "k1";
const MODULE: &str = "kitchen-sink";
const SENTINEL: &str = "Sentinel Holdings";

/// The ways a path can be spelled so that a naive prefix check misses it while a router may
/// still match it. `path` starts with `/api/`; its query string is kept at the end.
fn spellings(path: &str) -> Vec<String> {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, format!("?{q}")),
        None => (path, String::new()),
    };
    let rest = path.strip_prefix("/api/").expect("an /api/ path");
    let first = rest.chars().next().expect("a non-empty rest");
    let encoded_first = format!("%{:02X}{}", first as u32, &rest[1..]);
    let spelled = [
        format!("/api/{rest}"),
        format!("/%61pi/{rest}"),
        format!("/%61%70%69/{rest}"),
        format!("/%41PI/{rest}"),
        format!("/api/{encoded_first}"),
        format!("/api%2F{rest}"),
        format!("/api%2f{rest}"),
        format!("//api/{rest}"),
        format!("/api//{rest}"),
        format!("/API/{rest}"),
        format!("/Api/{rest}"),
        format!("/api;/{rest}"),
        format!("/api;x=1/{rest}"),
        format!("/api/{rest};x"),
        format!("/api/./{rest}"),
        format!("/./api/{rest}"),
        format!("/api/../api/{rest}"),
        format!("/x/../api/{rest}"),
        format!("/api/%2e/{rest}"),
        format!("/api/%2E%2E/api/{rest}"),
        format!("/%2e/api/{rest}"),
        format!("/api/{rest}/"),
    ];
    spelled.into_iter().map(|p| format!("{p}{query}")).collect()
}

/// What the server holds, read with the key: every list the protected routes could change,
/// the module's state and its own table.
fn snapshot(api: &ApiClient, company: &str, agent: &str) -> Value {
    let list = |path: &str| api.get_ok(&format!("{path}?limit=500"));
    let module = api.get_ok(&format!("/api/admin/modules/{MODULE}"));
    json!({
        "companies": list("/api/companies"),
        "agents": list(&format!("/api/companies/{company}/agents")),
        "goals": list(&format!("/api/companies/{company}/goals")),
        "projects": list(&format!("/api/companies/{company}/projects")),
        "issues": list(&format!("/api/companies/{company}/issues")),
        "activity": list(&format!("/api/companies/{company}/activity")),
        "costs": list(&format!("/api/companies/{company}/cost-events")),
        "heartbeats": list(&format!("/api/agents/{agent}/heartbeats")),
        "module": [module["enabled"], module["status"], module["config"], module["configPending"]],
        "moduleItems": api.get_ok(&format!("/api/modules/{MODULE}/items")),
        "modules": api.get_ok("/api/admin/modules").as_array().map(Vec::len),
    })
}

/// Every protected route: method, path, JSON body (a valid one where it matters, so that a
/// handler reached by mistake would write).
fn protected_routes(ids: &Ids) -> Vec<(&'static str, String, Value)> {
    let Ids {
        company: c,
        agent: a,
        goal: g,
        project: p,
        issue: i,
    } = ids;
    let none = Value::Null;
    vec![
        ("GET", "/api/companies".into(), none.clone()),
        (
            "POST",
            "/api/companies".into(),
            json!({"name": "Evil Corp"}),
        ),
        ("GET", format!("/api/companies/{c}"), none.clone()),
        (
            "PATCH",
            format!("/api/companies/{c}"),
            json!({"name": "Evil"}),
        ),
        ("DELETE", format!("/api/companies/{c}"), none.clone()),
        ("GET", format!("/api/companies/{c}/agents"), none.clone()),
        (
            "POST",
            format!("/api/companies/{c}/agents"),
            json!({"name": "Evil", "role": "engineer"}),
        ),
        ("GET", format!("/api/agents/{a}"), none.clone()),
        ("PATCH", format!("/api/agents/{a}"), json!({"name": "Evil"})),
        ("DELETE", format!("/api/agents/{a}"), none.clone()),
        ("POST", format!("/api/agents/{a}/heartbeat"), json!({})),
        ("GET", format!("/api/agents/{a}/heartbeats"), none.clone()),
        ("GET", format!("/api/companies/{c}/goals"), none.clone()),
        (
            "POST",
            format!("/api/companies/{c}/goals"),
            json!({"title": "Evil", "level": "company"}),
        ),
        ("GET", format!("/api/goals/{g}"), none.clone()),
        ("PATCH", format!("/api/goals/{g}"), json!({"title": "Evil"})),
        ("DELETE", format!("/api/goals/{g}"), none.clone()),
        ("GET", format!("/api/companies/{c}/projects"), none.clone()),
        (
            "POST",
            format!("/api/companies/{c}/projects"),
            json!({"name": "Evil"}),
        ),
        ("GET", format!("/api/projects/{p}"), none.clone()),
        (
            "PATCH",
            format!("/api/projects/{p}"),
            json!({"name": "Evil"}),
        ),
        ("DELETE", format!("/api/projects/{p}"), none.clone()),
        ("GET", format!("/api/companies/{c}/issues"), none.clone()),
        (
            "POST",
            format!("/api/companies/{c}/issues"),
            json!({"title": "Evil"}),
        ),
        ("GET", format!("/api/issues/{i}"), none.clone()),
        (
            "PATCH",
            format!("/api/issues/{i}"),
            json!({"title": "Evil"}),
        ),
        ("DELETE", format!("/api/issues/{i}"), none.clone()),
        ("GET", format!("/api/companies/{c}/activity"), none.clone()),
        (
            "GET",
            format!("/api/companies/{c}/cost-events"),
            none.clone(),
        ),
        (
            "POST",
            format!("/api/companies/{c}/cost-events"),
            json!({"agentId": a, "amountCents": 5, "description": "evil"}),
        ),
        ("GET", "/api/admin/modules".into(), none.clone()),
        ("GET", format!("/api/admin/modules/{MODULE}"), none.clone()),
        (
            "POST",
            format!("/api/admin/modules/{MODULE}/disable"),
            none.clone(),
        ),
        (
            "POST",
            format!("/api/admin/modules/{MODULE}/enable"),
            none.clone(),
        ),
        (
            "PUT",
            format!("/api/admin/modules/{MODULE}/config"),
            json!({"greeting": "pwned"}),
        ),
        ("POST", "/api/admin/modules/rescan".into(), none.clone()),
        ("POST", "/api/templates/import".into(), template()),
        ("POST", "/api/templates/validate".into(), template()),
        (
            "GET",
            format!("/api/templates/export?companyId={c}"),
            none.clone(),
        ),
        ("GET", "/api/templates/schema".into(), none.clone()),
        ("GET", "/api/store".into(), none.clone()),
        ("GET", "/api/store/installs".into(), none.clone()),
        (
            "POST",
            "/api/store/install".into(),
            json!({"moduleId": "tiny"}),
        ),
        (
            "POST",
            "/api/store/import".into(),
            json!({"templateId": "startup-in-a-box"}),
        ),
        ("GET", format!("/api/modules/{MODULE}/items"), none.clone()),
        (
            "POST",
            format!("/api/modules/{MODULE}/items"),
            json!({"name": "evil", "qty": 1}),
        ),
        ("GET", format!("/api/modules/{MODULE}/config"), none.clone()),
        ("GET", "/api/no-such-route".into(), none),
    ]
}

/// A small valid company template.
fn template() -> Value {
    json!({
        "version": 1,
        "company": { "name": "Evil Template Co" },
        "agents": [{ "ref": "ceo", "name": "Evil CEO", "role": "ceo" }]
    })
}

struct Ids {
    company: String,
    agent: String,
    goal: String,
    project: String,
    issue: String,
}

fn seed(api: &ApiClient) -> Ids {
    let company = api.create_company(SENTINEL);
    let agent = api.create_agent(&company, json!({"name": "Sentinel Agent"}));
    let goal = api.create_goal(&company, json!({"title": "Sentinel Goal"}));
    let project = api.create_project(&company, json!({"name": "Sentinel Project"}));
    let issue = api.create_issue(&company, json!({"title": "Sentinel Issue"}));
    api.create(
        &format!("/api/modules/{MODULE}/items"),
        &json!({"name": "sentinel-item", "qty": 1}),
    );
    Ids {
        company,
        agent,
        goal,
        project,
        issue,
    }
}

fn keyed_server(backend: paperclip_e2e::TestBackend) -> TestServer {
    TestServer::start(
        backend,
        ServerOptions::new()
            .api_key(KEY)
            .bind("0.0.0.0")
            // Beyond loopback `modules.signatures: auto` requires a trusted signature.
            .trust_dev_signing_key()
            .module(MODULE),
    )
}

#[test]
fn no_spelling_of_a_protected_path_reaches_a_handler_without_a_key() {
    each_backend(|backend| {
        let server = keyed_server(backend);
        let ids = seed(&server);
        let before = snapshot(&server, &ids.company, &ids.agent);
        let mut checked = 0;
        let mut unauthorized = 0;
        for (method, path, body) in protected_routes(&ids) {
            let body = match &body {
                Value::Null => Vec::new(),
                body => body.to_string().into_bytes(),
            };
            let mut headers = vec![("Content-Type", "application/json")];
            if body.is_empty() {
                headers.clear();
            }
            for spelled in spellings(&path) {
                for auth in [None, Some("Bearer wrong-key"), Some("Bearer  ")] {
                    let mut headers = headers.clone();
                    if let Some(auth) = auth {
                        headers.push(("Authorization", auth));
                    }
                    let response = raw(server.port(), method, &spelled, &headers, &body);
                    let what = format!("{method} {spelled} (auth {auth:?})");
                    checked += 1;
                    // Every seeded row's name starts with "Sentinel" (ids may be echoed in
                    // a 404/405 message with the path, names never).
                    assert!(
                        !response.body.contains("Sentinel")
                            && !response.body.contains("sentinel-item"),
                        "{what} leaked data: {response:?}"
                    );
                    match response.status {
                        401 => {
                            unauthorized += 1;
                            let error: Value = serde_json::from_str(&response.body)
                                .unwrap_or_else(|_| panic!("{what}: 401 is JSON: {response:?}"));
                            assert!(
                                error["error"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .contains("API key")
                                    || error["error"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .contains("Authorization"),
                                "{what}: {error}"
                            );
                        }
                        // Spellings the router never matches to an API route: the UI shell
                        // (GET) or a refusal, never data.
                        200 => assert!(
                            method == "GET"
                                && response.body.trim_start().starts_with("<!doctype html>"),
                            "{what} answered 200 without a key: {response:?}"
                        ),
                        404 | 405 => {
                            assert!(!path_reached_api_handler(&response), "{what}: {response:?}")
                        }
                        other => panic!("{what} answered {other}: {response:?}"),
                    }
                }
            }
        }
        assert!(checked > 1_000, "{checked} requests");
        assert!(
            unauthorized * 2 >= checked,
            "{unauthorized} of {checked} were 401"
        );
        let after = snapshot(&server, &ids.company, &ids.agent);
        assert_eq!(before, after, "a request without a key changed something");
        assert_eq!(after["module"][0], true, "the module is still enabled");

        // The same odd spellings with the key do reach the handlers: the 401s above came from
        // the key check, not from a path the router never matched.
        let keyed = [("Authorization", "Bearer k1")];
        for spelled in [
            "/%61pi/companies",
            "/%61%70%69/companies",
            "/api/%63ompanies",
        ] {
            let response = raw(server.port(), "GET", spelled, &keyed, b"");
            assert_eq!(response.status, 200, "{spelled}: {response:?}");
            assert!(response.body.contains(SENTINEL), "{spelled}: {response:?}");
        }
        // Health stays public; the key is compared whole.
        assert_eq!(server.without_key().get("/api/health").0, StatusCode::OK);
        let (status, _) = server.with_key(Some("k1 ")).get("/api/companies");
        assert_eq!(status, StatusCode::OK, "surrounding spaces are trimmed");
        let (status, _) = server.with_key(Some("k")).get("/api/companies");
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = server.with_key(Some("k1k1")).get("/api/companies");
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    });
}

/// Whether the answer came from an API handler (a JSON body other than the router's "no API
/// route" 404).
fn path_reached_api_handler(response: &RawResponse) -> bool {
    let Ok(body) = serde_json::from_str::<Value>(&response.body) else {
        return false;
    };
    let error = body["error"].as_str().unwrap_or_default();
    !(error.starts_with("no API route") || error.is_empty() && body.is_null())
}

/// Companies as the keyless loopback server lists them.
fn company_names(server: &TestServer) -> Vec<String> {
    server
        .items("/api/companies?limit=500")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_host_header_must_name_this_server() {
    each_backend(|backend| {
        let server = TestServer::start(
            backend,
            ServerOptions::new().module(MODULE).config(
                json!({ "server": { "allowedHosts": ["paperclip.test", "Proxy.Test:8443"] } }),
            ),
        );
        let port = server.port();
        server.create_company(SENTINEL);
        let before = company_names(&server);
        let body = json!({"name": "Rebound"}).to_string();
        let json_type = ("Content-Type", "application/json");

        // A DNS-rebinding page: its name resolves to 127.0.0.1, the browser sends its Host.
        for host in [
            "evil.example",
            "evil.example:80",
            &format!("evil.example:{port}"),
            "localhost.evil.example",
            "10.1.2.3",
            "proxy.test:8444",
        ] {
            let read = raw(port, "GET", "/api/companies", &[("Host", host)], b"");
            assert_eq!(read.status, 403, "GET with Host {host}: {read:?}");
            assert!(!read.body.contains(SENTINEL));
            assert!(
                read.json()["error"].as_str().unwrap().contains("Host"),
                "{read:?}"
            );
            let write = raw(
                port,
                "POST",
                "/api/companies",
                &[("Host", host), json_type],
                body.as_bytes(),
            );
            assert_eq!(write.status, 403, "POST with Host {host}: {write:?}");
            let disable = raw(
                port,
                "POST",
                &format!("/api/admin/modules/{MODULE}/disable"),
                &[("Host", host)],
                b"",
            );
            assert_eq!(disable.status, 403, "{disable:?}");
            let ui = raw(port, "GET", "/", &[("Host", host)], b"");
            assert_eq!(ui.status, 403, "the UI too: {ui:?}");
        }
        assert_eq!(company_names(&server), before, "nothing was written");
        assert_eq!(
            server.get_ok(&format!("/api/admin/modules/{MODULE}"))["enabled"],
            true
        );

        // Loopback names with any port, and the configured names, are this server.
        let local = format!("localhost:{port}");
        let v4 = format!("127.0.0.1:{port}");
        let v6 = format!("[::1]:{port}");
        for host in [
            local.as_str(),
            "localhost",
            "LocalHost:1",
            v4.as_str(),
            "127.9.8.7:1",
            v6.as_str(),
            "paperclip.test",
            "paperclip.test:3100",
            "proxy.test:8443",
        ] {
            let read = raw(port, "GET", "/api/companies", &[("Host", host)], b"");
            assert_eq!(read.status, 200, "Host {host}: {read:?}");
            assert!(read.body.contains(SENTINEL));
        }
        let created = raw(
            port,
            "POST",
            "/api/companies",
            &[("Host", &local), json_type],
            body.as_bytes(),
        );
        assert_eq!(created.status, 201, "{created:?}");
    });
}

#[test]
fn state_changes_from_a_foreign_origin_are_refused() {
    each_backend(|backend| {
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module(MODULE)
                .config(json!({ "server": { "allowedOrigins": ["https://ops.example"] } })),
        );
        let port = server.port();
        let company = server.create_company(SENTINEL);
        let before = company_names(&server);
        let body = json!({"name": "Cross Site"}).to_string();
        let json_type = ("Content-Type", "application/json");
        let attacker = format!("http://127.0.0.1:{}", port + 1);
        let refused: Vec<Vec<(&str, &str)>> = vec![
            vec![("Origin", "http://evil.example"), json_type],
            vec![("Origin", &attacker), json_type],
            vec![("Origin", "null"), json_type],
            vec![("Origin", "http://localhost:1"), json_type],
            vec![("Sec-Fetch-Site", "cross-site"), json_type],
            vec![
                ("Origin", "http://evil.example"),
                ("Sec-Fetch-Site", "cross-site"),
                json_type,
            ],
        ];
        for headers in &refused {
            let post = raw(port, "POST", "/api/companies", headers, body.as_bytes());
            assert_eq!(post.status, 403, "{headers:?}: {post:?}");
            let error = post.json()["error"].as_str().unwrap().to_string();
            assert!(error.contains("refused"), "{error}");
            let patch = raw(
                port,
                "PATCH",
                &format!("/api/companies/{company}"),
                headers,
                br#"{"name":"x"}"#,
            );
            assert_eq!(patch.status, 403, "{patch:?}");
            let delete = raw(
                port,
                "DELETE",
                &format!("/api/companies/{company}"),
                &headers[..1],
                b"",
            );
            assert_eq!(delete.status, 403, "{delete:?}");
            let disable = raw(
                port,
                "POST",
                &format!("/api/admin/modules/{MODULE}/disable"),
                &headers[..1],
                b"",
            );
            assert_eq!(disable.status, 403, "{disable:?}");
            let item = raw(
                port,
                "POST",
                &format!("/api/modules/{MODULE}/items"),
                headers,
                br#"{"name":"x","qty":1}"#,
            );
            assert_eq!(item.status, 403, "module routes too: {item:?}");
            // Reads are not state changes (the page cannot read the answer without CORS).
            let read = raw(port, "GET", "/api/companies", &headers[..1], b"");
            assert_eq!(read.status, 200, "{read:?}");
        }
        assert_eq!(company_names(&server), before, "nothing was written");
        assert_eq!(
            server.get_ok(&format!("/api/admin/modules/{MODULE}"))["enabled"],
            true
        );
        let items = server.get_ok(&format!("/api/modules/{MODULE}/items"));
        assert_eq!(items["items"], json!([]), "{items}");

        // Same origin (the UI), a configured origin, and no Origin at all (curl) are fine.
        let own = format!("http://127.0.0.1:{port}");
        let own_localhost = format!("http://localhost:{port}");
        let host_localhost = format!("localhost:{port}");
        let accepted: Vec<Vec<(&str, &str)>> = vec![
            vec![
                ("Origin", &own),
                ("Sec-Fetch-Site", "same-origin"),
                json_type,
            ],
            vec![
                ("Origin", &own_localhost),
                ("Host", &host_localhost),
                json_type,
            ],
            vec![("Origin", "https://ops.example"), json_type],
            vec![json_type],
        ];
        for (n, headers) in accepted.iter().enumerate() {
            let body = json!({"name": format!("Allowed {n}")}).to_string();
            let post = raw(port, "POST", "/api/companies", headers, body.as_bytes());
            assert_eq!(post.status, 201, "{headers:?}: {post:?}");
        }
        let disable = raw(
            port,
            "POST",
            &format!("/api/admin/modules/{MODULE}/disable"),
            &[("Origin", &own)],
            b"",
        );
        assert_eq!(disable.status, 200, "{disable:?}");
        let enable = raw(
            port,
            "POST",
            &format!("/api/admin/modules/{MODULE}/enable"),
            &[],
            b"",
        );
        assert_eq!(
            enable.status, 200,
            "bodiless, like curl -X POST: {enable:?}"
        );
        assert_eq!(company_names(&server).len(), before.len() + accepted.len());
    });
}

#[test]
fn json_endpoints_need_a_json_content_type() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new().module(MODULE));
        let port = server.port();
        let company = server.create_company(SENTINEL);
        let agent = server.create_agent(&company, json!({}));
        let before = snapshot(&server, &company, &agent);
        let refused_types = [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "text/plain; application/json",
            "application/jsonp",
        ];
        let routes: Vec<(&str, String, String)> = vec![
            (
                "POST",
                "/api/companies".into(),
                json!({"name": "Plain"}).to_string(),
            ),
            (
                "PATCH",
                format!("/api/companies/{company}"),
                json!({"name": "Plain"}).to_string(),
            ),
            (
                "POST",
                format!("/api/companies/{company}/agents"),
                json!({"name": "Plain", "role": "engineer"}).to_string(),
            ),
            (
                "POST",
                format!("/api/companies/{company}/issues"),
                json!({"title": "Plain"}).to_string(),
            ),
            (
                "POST",
                format!("/api/agents/{agent}/heartbeat"),
                json!({}).to_string(),
            ),
            (
                "POST",
                "/api/templates/import".into(),
                template().to_string(),
            ),
            (
                "POST",
                "/api/templates/validate".into(),
                template().to_string(),
            ),
            (
                "POST",
                "/api/store/install".into(),
                json!({"moduleId": "tiny"}).to_string(),
            ),
            (
                "POST",
                "/api/store/import".into(),
                json!({"templateId": "startup-in-a-box"}).to_string(),
            ),
            (
                "PUT",
                format!("/api/admin/modules/{MODULE}/config"),
                json!({"greeting": "plain"}).to_string(),
            ),
            (
                "POST",
                format!("/api/admin/modules/{MODULE}/disable"),
                String::new(),
            ),
            (
                "POST",
                format!("/api/admin/modules/{MODULE}/disable"),
                "x=1".into(),
            ),
            ("POST", "/api/admin/modules/rescan".into(), String::new()),
        ];
        for (method, path, body) in &routes {
            for content_type in refused_types {
                let response = raw(
                    port,
                    method,
                    path,
                    &[("Content-Type", content_type)],
                    body.as_bytes(),
                );
                assert_eq!(
                    response.status, 415,
                    "{method} {path} as {content_type}: {response:?}"
                );
                let error = response.json()["error"].as_str().unwrap().to_string();
                assert!(error.contains("application/json"), "{error}");
            }
            if !body.is_empty() {
                // A body without any Content-Type is not JSON either.
                let response = raw(port, method, path, &[], body.as_bytes());
                assert_eq!(
                    response.status, 415,
                    "{method} {path} untyped: {response:?}"
                );
            }
        }
        assert_eq!(
            snapshot(&server, &company, &agent),
            before,
            "nothing was written"
        );

        // JSON with a charset is JSON; bodiless POSTs (curl -X POST, a bare check-in) work.
        let typed = raw(
            port,
            "POST",
            "/api/companies",
            &[("Content-Type", "Application/JSON; charset=utf-8")],
            br#"{"name":"Typed"}"#,
        );
        assert_eq!(typed.status, 201, "{typed:?}");
        let beat = raw(
            port,
            "POST",
            &format!("/api/agents/{agent}/heartbeat"),
            &[],
            b"",
        );
        assert_eq!(beat.status, 201, "{beat:?}");
        for action in ["disable", "enable"] {
            let response = raw(
                port,
                "POST",
                &format!("/api/admin/modules/{MODULE}/{action}"),
                &[],
                b"",
            );
            assert_eq!(response.status, 200, "{action}: {response:?}");
            let (status, body) =
                server.post(&format!("/api/admin/modules/{MODULE}/{action}"), &json!({}));
            assert_eq!(
                status,
                StatusCode::OK,
                "{action} with {{}} like the UI: {body}"
            );
        }
        let rescan = raw(port, "POST", "/api/admin/modules/rescan", &[], b"");
        assert_eq!(rescan.status, 200, "{rescan:?}");
    });
}

#[test]
fn every_json_route_has_one_limit_answering_413() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company(SENTINEL);
        let before = company_names(&server);
        let limit = 16 * 1024 * 1024;
        let huge = format!(r#"{{"name":"Huge","description":"{}"}}"#, "a".repeat(limit));
        for path in [
            "/api/companies",
            "/api/templates/import",
            "/api/templates/validate",
        ] {
            let (status, body) = server.post_raw(path, &huge);
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
            assert!(body["error"].as_str().unwrap().contains("16 MiB"), "{body}");
            // Without Content-Length (chunked), the limit holds while reading.
            let chunks = huge
                .clone()
                .into_bytes()
                .chunks(64 * 1024)
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>();
            let stream = std::io::Cursor::new(chunks.concat());
            let request = server
                .request(Method::POST, path)
                .header("content-type", "application/json")
                .body(reqwest::blocking::Body::new(stream));
            let (status, body) = server.send(request);
            assert_eq!(
                status,
                StatusCode::PAYLOAD_TOO_LARGE,
                "{path} chunked: {body}"
            );
        }
        let (status, body) = server.send(
            server
                .request(Method::PATCH, &format!("/api/companies/{company}"))
                .header("content-type", "application/json")
                .body(huge.clone()),
        );
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "PATCH: {body}");
        assert_eq!(company_names(&server), before, "nothing was written");

        // Above actix's 256 KiB default and under the limit, a body is read and judged on its
        // content, never refused for its size.
        let big = format!(
            r#"{{"name":"Big","description":"{}"}}"#,
            "b".repeat(1024 * 1024)
        );
        let (status, body) = server.post_raw("/api/companies", &big);
        assert!(
            status == StatusCode::CREATED
                || (status == StatusCode::BAD_REQUEST && body["field"] == "description"),
            "{status}: {body}"
        );
        let mut template = template();
        template["company"]["description"] = json!("c".repeat(1024 * 1024));
        let (status, body) = server.post_raw("/api/templates/validate", &template.to_string());
        assert_eq!(status, StatusCode::OK, "{body}");
    });
}

#[test]
fn a_saved_module_config_keeps_its_env_values() {
    each_backend(|backend| {
        let secret = "s3cr3t-from-env";
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module(MODULE)
                .env("PAPERCLIP_E2E_KS_SECRET", secret)
                .config(json!({ "modules": { "config": { MODULE: {
                    "greeting": "hi", "secret": "$PAPERCLIP_E2E_KS_SECRET"
                } } } })),
        );
        let view = |s: &TestServer| s.get_ok(&format!("/api/admin/modules/{MODULE}"));
        let whoami = |s: &TestServer| s.get_ok(&format!("/api/modules/{MODULE}/whoami"));
        let config_path = format!("/api/admin/modules/{MODULE}/config");
        let shown = view(&server)["config"].clone();
        assert_eq!(shown["secret"], "***", "{shown}");
        assert_eq!(whoami(&server)["secretLength"], secret.len());

        // The Modules page sends the form without the masked field.
        let (status, body) = server.put(&config_path, &json!({"greeting": "hey", "batchLimit": 5}));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["config"]["secret"], "***", "{body}");
        // An API client sends back what it was shown, `***` included.
        let mut edited = body["config"].clone();
        edited["greeting"] = json!("yo");
        assert_eq!(edited["secret"], "***");
        let (status, body) = server.put(&config_path, &edited);
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["config"]["secret"], "***", "{body}");
        assert_eq!(body["config"]["greeting"], "yo", "{body}");

        // A mask with nothing behind it is refused, naming the field; nothing changes.
        let (status, body) = server.put(&config_path, &json!({"greeting": "x", "extra": "***"}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "config.extra", "{body}");

        // Applied on the next enable: the module gets the secret from the environment, not
        // the mask (whose length would be 3), and the other saved values.
        server.post(&format!("/api/admin/modules/{MODULE}/disable"), &json!({}));
        let (status, body) =
            server.post(&format!("/api/admin/modules/{MODULE}/enable"), &json!({}));
        assert_eq!(status, StatusCode::OK, "{body}");
        let me = whoami(&server);
        assert_eq!(me["secretLength"], secret.len(), "{me}");
        assert_eq!(me["greeting"], "yo", "{me}");
        let applied = view(&server);
        assert_eq!(applied["config"]["secret"], "***", "{applied}");
        assert_eq!(applied["config"]["batchLimit"], 5, "{applied}");
        assert!(!applied.to_string().contains(secret), "{applied}");
    });
}
