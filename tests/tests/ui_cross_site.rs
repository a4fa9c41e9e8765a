//! Cross-site requests in real headless Chromium (issue 11): a page served from another origin
//! (a tiny HTTP server on another port, the "attacker") auto-submits plain HTML forms and
//! `no-cors` `text/plain` fetches to the keyless loopback server's admin, store, template and
//! core routes. Nothing is written and the module stays enabled — once from
//! `http://127.0.0.1:<other port>` (same site, other origin) and once from
//! `http://localhost:<other port>` (cross-site). The server's own UI keeps working: a goal
//! created through it, a module disabled and enabled from the Modules page, and its
//! configuration saved from the form without losing the value that comes from `$ENV`.

mod ui_support;

use paperclip_e2e::{json, ServerOptions, TestBackend, TestServer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use ui_support::Browser;

const MODULE: &str = "kitchen-sink";
const CARD: &str = "[data-module-id='kitchen-sink']";

/// The attacker's page: every request it can make without the server's consent.
fn attack_page(target: &str) -> String {
    let template = json!({
        "version": 1,
        "company": { "name": "Evil Template Co" },
        "agents": [{ "ref": "ceo", "name": "Evil CEO", "role": "ceo" }]
    });
    let fetches = [
        ("/api/store/install", json!({"moduleId": "tiny"})),
        ("/api/templates/import", template),
        ("/api/companies", json!({"name": "Evil Fetch Co"})),
        (
            &format!("/api/admin/modules/{MODULE}/config") as &str,
            json!({"greeting": "pwned"}),
        ),
    ];
    let fetch_calls: Vec<String> = fetches
        .iter()
        .map(|(path, body)| {
            format!(
                "fetch({url:?}, {{method: 'POST', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, body: {body:?}}}).then(() => 'sent', e => 'error: ' + e)",
                url = format!("{target}{path}"),
                body = body.to_string()
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html><head><title>Totally harmless</title></head><body>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe><iframe name="f4"></iframe>
<form id="disable" method="POST" target="f1" action="{target}/api/admin/modules/{MODULE}/disable"></form>
<form id="company" method="POST" target="f2" enctype="text/plain" action="{target}/api/companies">
  <input name='{{"name": "Evil Form Co", "x": "' value='"}}'>
</form>
<form id="rescan" method="POST" target="f3" action="{target}/api/admin/modules/rescan"><input name="a" value="b"></form>
<form id="put" method="POST" target="f4" action="{target}/api/admin/modules/{MODULE}/config?_method=PUT"></form>
<script>
  let loaded = 0;
  for (const frame of document.querySelectorAll("iframe")) frame.addEventListener("load", () => {{ loaded += 1; }});
  for (const form of document.querySelectorAll("form")) form.submit();
  Promise.all([{fetches}]).then((results) => {{
    const wait = () => (loaded >= 4 ? (window.attackDone = results) : setTimeout(wait, 50));
    wait();
  }});
</script>
</body></html>"#,
        fetches = fetch_calls.join(",\n    ")
    )
}

/// Serves `page` for every request on a free loopback port, in a thread; returns the port.
fn serve_attacker(page: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("attacker port");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                page.len(),
                page
            );
        }
    });
    port
}

#[test]
fn pages_of_other_origins_change_nothing_and_the_ui_still_works() {
    let secret = "from-the-environment";
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .module(MODULE)
            .env("PAPERCLIP_E2E_UI_SECRET", secret)
            .config(json!({ "modules": { "config": { MODULE: {
                "secret": "$PAPERCLIP_E2E_UI_SECRET"
            } } } })),
    );
    let company = server.create_company("Home Co");
    let before_companies = server.items("/api/companies");
    let before_modules = server.get_ok("/api/admin/modules");
    let target = server.base_url().to_string();
    let attacker = serve_attacker(attack_page(&target));
    let Some(browser) = Browser::start("ui_cross_site", server.base_url()) else {
        return;
    };

    for origin in [
        format!("http://127.0.0.1:{attacker}"),
        format!("http://localhost:{attacker}"),
    ] {
        eprintln!("opening {origin} at {:?}", std::time::Instant::now());
        browser.open_url(&format!("{origin}/attack.html"));
        let results = browser.wait_for("the attack page to finish", "return window.attackDone");
        assert_eq!(results, json!(["sent", "sent", "sent", "sent"]), "{origin}");
        assert_eq!(
            server.items("/api/companies"),
            before_companies,
            "{origin}: no company was created"
        );
        let module = server.get_ok(&format!("/api/admin/modules/{MODULE}"));
        assert_eq!(module["enabled"], true, "{origin}: {module}");
        assert_eq!(module["status"], "active", "{origin}: {module}");
        assert_eq!(module["configPending"], false, "{origin}: {module}");
        assert_eq!(
            server.get_ok("/api/admin/modules").as_array().map(Vec::len),
            before_modules.as_array().map(Vec::len),
            "{origin}: nothing was installed"
        );
        assert_eq!(server.get_ok("/api/store/installs"), json!({}), "{origin}");
    }
    // The browser got a 403 for each of them: refused by the server, not lost on the way.
    let refused: Vec<String> = browser
        .console_errors()
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .filter(|m| m.contains("403 (Forbidden)"))
        .collect();
    for path in [
        "/api/store/install",
        "/api/templates/import",
        "/api/companies",
        "/api/admin/modules/kitchen-sink/disable",
        "/api/admin/modules/rescan",
    ] {
        assert!(
            refused
                .iter()
                .any(|m| m.contains(&format!("{target}{path} "))),
            "{path} was not refused with 403: {refused:#?}"
        );
    }
    browser.assert_no_console_errors(&["403 (Forbidden)"]);
    eprintln!("attack checked at {:?}", std::time::Instant::now());
    let log = server.stderr_log();
    assert!(log.contains("request refused"), "the refusals are logged");

    // The server's own UI: a goal created through the page …
    browser.open("/goals");
    browser.click("#new-goal");
    browser.fill(".dialog input[name='title']", "Still works");
    browser.click(".dialog button[type='submit']");
    browser.wait_for_text("#goal-tree", "Still works");
    let goals = server.items(&format!("/api/companies/{company}/goals"));
    assert!(
        goals.iter().any(|g| g["title"] == "Still works"),
        "{goals:?}"
    );

    // … the module's configuration saved from the form (the `$ENV` field is shown masked and
    // left out) and applied at once, secret kept.
    browser.open("/settings/modules");
    browser.wait_for_text(CARD, "hook calls");
    browser.fill(
        &format!("{CARD} input[data-config-field='greeting']"),
        "hello from the UI",
    );
    browser.click(&format!("{CARD} .config-form button[type='submit']"));
    browser.wait_for_text(&format!("{CARD} .config-result .ok-box"), "applied");
    browser.wait_for_text(&format!("{CARD} .module-status"), "Active");
    let me = server.get_ok(&format!("/api/modules/{MODULE}/whoami"));
    assert_eq!(me["greeting"], "hello from the UI", "{me}");
    assert_eq!(
        me["secretLength"],
        secret.len(),
        "the secret survived: {me}"
    );
    browser.assert_no_console_errors(&[]);
}
