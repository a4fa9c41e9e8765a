//! How the server serves the web UI, over plain HTTP: the embedded shell and its client-side
//! routes, caching and security headers, JSON 404s under `/api`, and module UI files — served
//! from the bundle's `ui/` folder only while the module runs, with path traversal refused.

use paperclip_e2e::{json, Method, ServerOptions, StatusCode, TestBackend, TestServer};
use std::io::{Read, Write};
use std::net::TcpStream;

/// Sends `GET <raw_path>` exactly as written (no client-side normalization of `..`), returns
/// the status code and the body.
fn raw_get(server: &TestServer, raw_path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    write!(
        stream,
        "GET {raw_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn header(response: &paperclip_e2e::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_shell_is_served_with_client_routes_caching_and_json_404s_under_api() {
    let server = TestServer::start(TestBackend::Sqlite, ServerOptions::new());

    let index = server.request(Method::GET, "/").send().expect("GET /");
    assert_eq!(index.status(), StatusCode::OK);
    assert!(header(&index, "content-type").starts_with("text/html"));
    assert!(header(&index, "content-security-policy").contains("script-src 'self'"));
    assert_eq!(header(&index, "x-content-type-options"), "nosniff");
    let html = index.text().expect("body");
    assert!(
        html.contains(r#"<script type="module" src="/js/main.js">"#),
        "{html}"
    );

    // Client-side routes answer the shell, so reloads and deep links work.
    for route in [
        "/agents",
        "/agents/0190c3f0-7a1b-7c3d-8e9f-0123456789ab",
        "/issues?status=todo",
        "/m/observability/observability",
        "/settings/modules",
    ] {
        let (status, body) = server.get_text(route);
        assert_eq!(status, StatusCode::OK, "{route}");
        assert_eq!(body, html, "{route} is not the shell");
    }

    // Assets with their content types and a revalidating ETag.
    let script = server
        .request(Method::GET, "/js/main.js")
        .send()
        .expect("GET main.js");
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        header(&script, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&script, "cache-control"), "no-cache");
    let etag = header(&script, "etag");
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let again = server
        .request(Method::GET, "/js/main.js")
        .header("If-None-Match", &etag)
        .send()
        .expect("revalidate");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let (status, css) = server.get_text("/app.css");
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains(".budget-mark"));

    // Missing files are 404s, not the shell.
    for missing in [
        "/missing.js",
        "/js/pages/missing.js",
        "/favicon.ico",
        "/modules/observability",
    ] {
        let (status, body) = server.get_text(missing);
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
        assert!(!body.contains("<html"), "{missing} answered the shell");
    }

    // Unknown API routes answer JSON 404s; only GET reaches the shell.
    let (status, body) = server.get("/api/no-such-route");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no API route GET /api/no-such-route");
    let (status, body) = server.post("/api/companies/x/nothing", &json!({}));
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = server.post("/agents", &json!({}));
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // The API still answers as before.
    assert_eq!(server.get_ok("/api/health")["status"], "ok");
}

#[test]
fn module_ui_files_are_served_only_while_the_module_runs() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().module("observability"),
    );
    let entry = "/modules/observability/ui/index.js";

    let response = server
        .request(Method::GET, entry)
        .send()
        .expect("GET entry");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert!(response
        .text()
        .expect("body")
        .contains("export function mountWidget"));
    // A version query (the shell's cache buster) does not matter.
    assert_eq!(
        server.get_text(&format!("{entry}?v=0.1.0")).0,
        StatusCode::OK
    );

    let (status, body) = server.post("/api/admin/modules/observability/disable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server.get_text(entry);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("module `observability` is disabled"),
        "{body}"
    );

    let (status, body) = server.post("/api/admin/modules/observability/enable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(server.get_text(entry).0, StatusCode::OK);

    let (status, body) = server.get_text("/modules/no-such-module/ui/index.js");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no module `no-such-module`"), "{body}");
    let (status, body) = server.get_text("/modules/observability/ui/missing.js");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("has no UI file missing.js"), "{body}");
}

#[test]
fn module_ui_paths_cannot_leave_the_ui_folder() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().module("observability"),
    );
    let ui = server.modules_dir().join("observability").join("ui");
    std::fs::write(ui.join(".hidden.js"), "export const secret = 1;").expect("hidden file");
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        server
            .modules_dir()
            .join("observability")
            .join("paperclip.module.json"),
        ui.join("leak.js"),
    )
    .expect("symlink");

    for (path, expected) in [
        ("/modules/observability/ui/../paperclip.module.json", 400),
        (
            "/modules/observability/ui/%2e%2e/paperclip.module.json",
            400,
        ),
        ("/modules/observability/ui/./index.js", 400),
        ("/modules/observability/ui/.hidden.js", 400),
        ("/modules/observability/ui/..%2fpaperclip.module.json", 400),
        (
            "/modules/observability/ui/%2e%2e%2f%2e%2e%2fpaperclip.config.json",
            400,
        ),
        ("/modules/observability/ui/..\\paperclip.module.json", 400),
        ("/modules/observability/ui/", 400),
    ] {
        let (status, body) = raw_get(&server, path);
        assert_eq!(status, expected, "{path}: {body}");
        assert!(
            !body.contains("\"library\""),
            "{path} leaked the manifest: {body}"
        );
        assert!(
            !body.contains("secret"),
            "{path} leaked a hidden file: {body}"
        );
    }
    #[cfg(unix)]
    {
        let (status, body) = raw_get(&server, "/modules/observability/ui/leak.js");
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("leads outside the ui/ folder"), "{body}");
    }
    // The real entry is still served.
    assert_eq!(
        raw_get(&server, "/modules/observability/ui/index.js").0,
        200
    );
}

#[test]
fn the_ui_itself_needs_no_key_but_its_api_does() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .module("observability")
            .api_key("serving-key"),
    );
    let anonymous = server.without_key();
    assert_eq!(anonymous.get_text("/").0, StatusCode::OK);
    assert_eq!(anonymous.get_text("/js/main.js").0, StatusCode::OK);
    // Module UI code holds no data; browsers cannot send a bearer key with import().
    assert_eq!(
        anonymous.get_text("/modules/observability/ui/index.js").0,
        StatusCode::OK
    );
    assert_eq!(anonymous.get("/api/companies").0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.get("/api/modules/observability/summary").0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous.get("/api/admin/modules").0,
        StatusCode::UNAUTHORIZED
    );
}
