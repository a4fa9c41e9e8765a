//! The web UI's dashboard in headless Chromium, with the observability module: core cards from
//! real data, the module's widget rendering real numbers after heartbeats, the module page
//! reached from the sidebar, and the module's page and widget disappearing without a reload
//! when it is disabled (from the settings page, and from outside while the dashboard is open).

mod ui_support;

use paperclip_e2e::{json, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use std::time::{Duration, Instant};
use ui_support::{artifacts_dir, digits, Browser};

const WIDGET: &str = "[data-module='observability'][data-widget='token-burn-rate']";
const MODULE_LINK: &str = "a.nav-link[data-module-page='observability/observability']";

/// A company with two agents (one reporting to the other) that sent heartbeats with usage:
/// 1,500 + 2,500 tokens, 300 + 1,200 cents. Returns the company id.
fn seed(server: &TestServer) -> String {
    let company = server.create_company("Acme Robotics");
    let ada = server.create_agent(
        &company,
        json!({"name": "Ada", "role": "ceo", "budgetMonthlyCents": 10_000}),
    );
    let bob = server.create_agent(
        &company,
        json!({"name": "Bob", "reportsTo": ada, "budgetMonthlyCents": 1_400}),
    );
    for (agent, tokens, cents) in [(&ada, 1_500, 300), (&bob, 2_500, 1_200)] {
        let (status, body) = server.post(
            &format!("/api/agents/{agent}/heartbeat"),
            &json!({"meta": {"tokensUsed": tokens, "costCents": cents, "model": "m-1", "latencyMs": 500}}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    server.create_issue(
        &company,
        json!({"title": "Ship it", "status": "in_progress"}),
    );
    server.create_issue(&company, json!({"title": "Plan it", "status": "todo"}));
    server.create_issue(&company, json!({"title": "Done already", "status": "done"}));
    // The module records heartbeats from its hook queue: wait until both are in.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let summary = server.get_ok("/api/modules/observability/summary");
        if summary["totals"]["tokens"] == 4_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the module did not record the heartbeats: {summary}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    company
}

fn module_status(server: &TestServer) -> Value {
    server.get_ok("/api/admin/modules/observability")["status"].clone()
}

#[test]
fn dashboard_widget_module_page_and_disabling_the_module() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().module("observability"),
    );
    assert_eq!(module_status(&server), "active");
    seed(&server);
    let Some(browser) = Browser::start("ui_dashboard", server.base_url()) else {
        return;
    };

    // Dashboard: core cards from the API.
    browser.open("/");
    browser.wait_for_text("h1", "Acme Robotics");
    browser.wait_for_text("#dashboard-agents", "Bob");
    assert_eq!(
        digits(&browser.wait_for_text("#dashboard-agents .stat b", "2")),
        "2"
    );
    // One budget bar per agent, each with the 80/90/100 % marks; Bob is at 85 %.
    browser.wait_for_css("#dashboard-budgets .budget");
    assert_eq!(browser.count("#dashboard-budgets .budget"), 2);
    assert_eq!(browser.count("#dashboard-budgets .budget-mark"), 6);
    let bob_bar = browser.wait_for_text("#dashboard-budgets", "$14.00");
    assert!(
        bob_bar.contains("86 %") || bob_bar.contains("85 %"),
        "{bob_bar}"
    );
    assert_eq!(
        browser.count("#dashboard-budgets .budget-fill.at-80"),
        1,
        "Bob's bar is past the 80 % mark"
    );
    // Open issues by status: done is not open.
    browser.wait_for_text("#dashboard-issues", "open issues");
    let counts = browser.texts("#dashboard-issues .count-bar");
    assert!(
        counts
            .iter()
            .any(|t| t.contains("In progress") && t.ends_with('1')),
        "{counts:?}"
    );
    assert!(
        counts
            .iter()
            .any(|t| t.contains("Todo") && t.ends_with('1')),
        "{counts:?}"
    );
    assert_eq!(
        digits(&browser.wait_for_css("#dashboard-issues .stat b")),
        "2"
    );
    browser.wait_for_text("#dashboard-activity", "Bob checked in");

    // The observability widget renders the real numbers: 4,000 tokens and $15.00 in 24 h.
    browser.wait_for_css(&format!("{WIDGET} .pc-obs-card"));
    let cards = browser.texts(&format!("{WIDGET} .pc-obs-card"));
    assert!(
        cards
            .iter()
            .any(|c| c.contains("tokens this hour") && digits(c) == "4000"),
        "widget cards: {cards:?}"
    );
    assert!(
        cards
            .iter()
            .any(|c| c.contains("cost, 24 h") && c.contains("$15.00")),
        "widget cards: {cards:?}"
    );
    browser.screenshot(&artifacts_dir().join("dashboard.png"));
    // Marks the document: it must survive everything below (no page reload).
    browser.eval("window.__noReload = 'still here'; return true;");

    // The module page, from the sidebar.
    browser.click(MODULE_LINK);
    browser.wait_for(
        "the module page URL",
        "return location.pathname === '/m/observability/observability';",
    );
    browser.wait_for_text(".module-page-slot .pc-obs h2", "Observability");
    browser.wait_for_css(".module-page-slot .pc-obs-card");
    let page_cards = browser.texts(".module-page-slot .pc-obs-card");
    assert!(
        page_cards
            .iter()
            .any(|c| c.contains("tokens") && digits(c) == "4000"),
        "page cards: {page_cards:?}"
    );
    browser.wait_for_text(".module-page-slot table", "Bob");
    assert!(
        browser
            .eval("return document.querySelector(\"a.nav-link[aria-current='page']\").textContent")
            .as_str()
            == Some("Observability")
    );

    // Disabled from outside while its page is open: the page and its link go, no reload;
    // enabled again, both come back.
    let (status, body) = server.post("/api/admin/modules/observability/disable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.wait_for_text("#module-page-gone", "not running");
    browser.wait_for_absent(MODULE_LINK);
    let (status, body) = server.post("/api/admin/modules/observability/enable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.wait_for_css(MODULE_LINK);
    browser.wait_for_css(".module-page-slot .pc-obs-card");

    // Disable it in Settings → Modules: its sidebar link goes.
    browser.click("a.nav-link[href='/settings/modules']");
    browser.wait_for_text("[data-module-id='observability'] .module-status", "Active");
    browser.wait_for_text("#config-apply-note", "applies the configuration at once");
    browser.click("[data-module-id='observability'] button[data-action='disable']");
    browser.wait_for_text(
        "[data-module-id='observability'] .module-status",
        "Disabled",
    );
    browser.wait_for_absent(MODULE_LINK);
    assert_eq!(module_status(&server), "disabled");
    browser.wait_for_text("#module-nav", "No module pages");

    // Back on the dashboard the widget is gone.
    browser.click("a.nav-link[href='/']");
    browser.wait_for_text("h1", "Acme Robotics");
    browser.wait_for_css("#no-widgets");
    assert_eq!(browser.count("[data-widget]"), 0);

    // Enabled again from outside (API): the widget comes back on the open dashboard; disabled
    // from outside: it goes, all without a reload.
    let (status, body) = server.post("/api/admin/modules/observability/enable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.wait_for_css(&format!("{WIDGET} .pc-obs-card"));
    browser.wait_for_css(MODULE_LINK);
    let (status, body) = server.post("/api/admin/modules/observability/disable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.wait_for_absent(WIDGET);
    browser.wait_for_absent(MODULE_LINK);
    assert_eq!(
        browser.eval("return window.__noReload || null"),
        "still here"
    );

    browser.assert_no_console_errors(&[]);
}
