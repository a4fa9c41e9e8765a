//! Settings → Modules in headless Chromium: a module's Hook delivery section (mode, cursor, lag,
//! failed events), its dead letters listed on demand and one replayed with the Replay button —
//! then delivered, and gone from the list.

mod modules_support;
mod ui_support;

use modules_support::{wait_for, wait_for_status, ModulesDir};
use paperclip_e2e::{json, ServerOptions, TestBackend, TestServer};
use ui_support::Browser;

const PROBE: &str = "delivery-probe";
const CARD: &str = "[data-module-id='delivery-probe']";

#[test]
fn a_dead_letter_is_shown_and_replayed_from_the_modules_page() {
    let dir = ModulesDir::new();
    dir.add(PROBE);
    let mut config = dir.config(json!({}));
    config["modules"]["maxAttempts"] = json!(2);
    config["modules"]["retryBackoffMs"] = json!(50);
    let server = TestServer::start(TestBackend::Sqlite, ServerOptions::new().config(config));
    wait_for_status(&server, PROBE, "active");
    let Some(browser) = Browser::start("ui_hook_delivery", server.base_url()) else {
        return;
    };
    let company = server.create_company("Poison");
    server.create_issue(&company, json!({ "title": "poison pill" }));
    server.create_issue(&company, json!({ "title": "fine" }));
    wait_for("the poisoned event dead-lettered", || {
        (server.get_ok(&format!("/api/admin/modules/{PROBE}"))["delivery"]["deadLetters"] == 1)
            .then_some(())
    });

    browser.open("/settings/modules");
    let section = browser.wait_for_text(&format!("{CARD} .module-delivery"), "at-least-once");
    assert!(
        section.contains("Hook delivery") && section.contains("events behind"),
        "{section}"
    );
    browser.wait_for_text(&format!("{CARD} [data-stat='deadLetters'] b"), "1");

    browser.click(&format!("{CARD} button[data-action='dead-letters']"));
    let table = browser.wait_for_text(
        &format!("{CARD} .module-dead-letters table"),
        "poisoned event",
    );
    assert!(
        table.contains("issue:created") && table.contains("dead"),
        "{table}"
    );

    server.post(&format!("/api/modules/{PROBE}/heal"), &json!({}));
    browser.click(&format!("{CARD} button[data-action='replay']"));
    browser.wait_for_text(&format!("{CARD} .module-dead-letters"), "No failed events.");
    let received = server.get_ok(&format!("/api/modules/{PROBE}/received"));
    assert_eq!(received["events"], 2, "{received}");
    browser.assert_no_console_errors(&[]);
}
