//! Module UI failures stay in their slot: a widget whose `mountWidget` throws and a page whose
//! code throws later (from a timer) each show an error card, while the observability widget, a
//! working widget of the same module (calling its own route through `api`) and the shell keep
//! working. Uses the `tiny` test module with a UI bundle written by the test.

mod ui_support;

use paperclip_e2e::{ServerOptions, TestBackend, TestServer, Value};
use ui_support::Browser;

/// The tiny module's UI: a broken widget, a working one calling `GET /ping` through `api`, and
/// a page that throws from a timer after it rendered.
const TINY_UI: &str = r#"
export function mountWidget(el, { widgetId, api, moduleId }) {
  if (widgetId === "broken") throw new Error("tiny widget exploded");
  el.textContent = "pinging";
  api("/ping").then((answer) => {
    el.innerHTML = "";
    const p = document.createElement("p");
    p.id = "tiny-pong";
    p.textContent = `${moduleId} answered pong=${answer.pong}`;
    el.appendChild(p);
  });
  return () => { el.textContent = ""; };
}

export function mountPage(el) {
  el.innerHTML = '<p id="tiny-page">Tiny page</p>';
  const timer = setTimeout(() => { throw new Error("tiny page failed later"); }, 300);
  return () => clearTimeout(timer);
}
"#;

/// Gives the installed tiny bundle a UI: manifest `ui` section and `ui/index.js`.
fn add_tiny_ui(server: &TestServer) {
    let bundle = server.modules_dir().join("tiny");
    let manifest_path = bundle.join("paperclip.module.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("manifest"))
            .expect("JSON");
    manifest["ui"] = serde_json::json!({
        "pages": [{ "path": "/tiny", "label": "Tiny", "entry": "ui/index.js" }],
        "widgets": [
            { "id": "broken", "label": "Broken widget", "placement": "dashboard", "entry": "ui/index.js" },
            { "id": "pong", "label": "Pong widget", "placement": "dashboard", "entry": "ui/index.js" }
        ]
    });
    std::fs::write(&manifest_path, manifest.to_string()).expect("write manifest");
    std::fs::create_dir_all(bundle.join("ui")).expect("ui dir");
    std::fs::write(bundle.join("ui").join("index.js"), TINY_UI).expect("write ui");
}

#[test]
fn a_module_ui_that_throws_shows_an_error_card_and_the_rest_keeps_working() {
    let mut server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().module("observability").module("tiny"),
    );
    server.stop();
    add_tiny_ui(&server);
    server.restart();
    let tiny = server.get_ok("/api/admin/modules/tiny");
    assert_eq!(tiny["status"], "active", "{tiny}");
    assert!(tiny["ui"]["widgets"].is_array(), "{tiny}");
    server.create_company("Robust Co");
    let Some(browser) = Browser::start("ui_module_errors", server.base_url()) else {
        return;
    };

    browser.open("/");
    let card = browser.wait_for_text(
        "[data-widget='broken'] .module-error",
        "tiny widget exploded",
    );
    assert!(
        card.contains("Broken widget") && card.contains("Retry"),
        "{card}"
    );
    browser.wait_for_text("[data-widget='pong'] #tiny-pong", "tiny answered pong=true");
    browser.wait_for_css("[data-widget='token-burn-rate'] .pc-obs-card");
    browser.wait_for_text("#dashboard-agents", "agents");

    // Retrying a widget that still throws shows the card again.
    browser.click("[data-widget='broken'] .module-error button");
    browser.wait_for_text(
        "[data-widget='broken'] .module-error",
        "tiny widget exploded",
    );

    // The page renders, then its timer throws: the error replaces the page, nothing else.
    browser.click("a.nav-link[data-module-page='tiny/tiny']");
    browser.wait_for_text("#tiny-page", "Tiny page");
    browser.wait_for_text(".module-page-slot .module-error", "tiny page failed later");
    browser.click("a.nav-link[href='/agents']");
    browser.wait_for_text("h1", "Agents");
    browser.click("a.nav-link[data-module-page='observability/observability']");
    browser.wait_for_css(".module-page-slot .pc-obs-cards");

    // The failures were reported as warnings, not as uncaught errors.
    browser.assert_no_console_errors(&[]);
}
