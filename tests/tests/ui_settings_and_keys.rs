//! Settings in headless Chromium: a module's isolation badge and Execution section (level, where
//! it was chosen, executor numbers), the module configuration form generated from the
//! observability module's `configSchema` (client-side validation messages, saving, "applies on
//! next enable", then applied by a disable/enable from the UI, and back to defaults), and the
//! API-key prompt of a server that requires keys (kept in localStorage).

mod ui_support;

use paperclip_e2e::{ServerOptions, TestBackend, TestServer};
use ui_support::Browser;

const CARD: &str = "[data-module-id='observability']";

#[test]
fn the_config_form_validates_saves_and_applies_at_once() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().module("observability"),
    );
    let Some(browser) = Browser::start("ui_settings_config", server.base_url()) else {
        return;
    };
    let view = || server.get_ok("/api/admin/modules/observability");

    browser.open("/settings/modules");
    let card = browser.wait_for_text(CARD, "hook calls");
    assert!(
        card.contains("0.1.0")
            && card.contains("observability")
            && card.contains("/api/modules/observability/"),
        "{card}"
    );
    // Its isolation level (the default, threaded) as a badge, and the Execution section with
    // where the level came from and the executor's numbers.
    browser.wait_for_text(&format!("{CARD} .module-isolation .badge"), "threaded");
    let execution = browser.wait_for_text(&format!("{CARD} .module-execution"), "in flight");
    assert!(
        execution.contains("Execution")
            && execution.contains("default")
            && execution.contains("modules.isolation.observability")
            && execution.contains("rejected (503)"),
        "{execution}"
    );
    let days = format!("{CARD} input[data-config-field='retentionDays']");
    let interval = format!("{CARD} input[data-config-field='retentionIntervalSeconds']");
    assert_eq!(
        browser.eval(&format!("return document.querySelector(\"{days}\").value")),
        "30"
    );
    assert!(browser.wait_for_css(CARD).contains("Default: 3600."));
    browser.wait_for_text(
        &format!("{CARD} .config-form"),
        "applies the configuration at once",
    );

    // Invalid values are refused in the browser, each with its message; nothing is saved.
    browser.fill(&days, "0");
    browser.fill(&interval, "2.5");
    browser.click(&format!("{CARD} .config-form button[type='submit']"));
    let errors = browser.wait_for_text(&format!("{CARD} .config-result .error-box"), "Not saved");
    assert!(
        errors.contains("retentionDays must be at least 1."),
        "{errors}"
    );
    assert!(
        errors.contains("retentionIntervalSeconds must be a whole number."),
        "{errors}"
    );
    assert_eq!(browser.count(&format!("{CARD} .field.invalid")), 2);
    assert_eq!(view()["configPending"], false);

    // Valid values are saved and applied to the running module at once.
    browser.fill(&days, "45");
    browser.fill(&interval, "600");
    browser.click(&format!("{CARD} .config-form button[type='submit']"));
    let saved = browser.wait_for_text(&format!("{CARD} .config-result .ok-box"), "Saved.");
    assert!(saved.contains("applied"), "{saved}");
    let applied = view();
    assert_eq!(applied["status"], "active", "{applied}");
    assert_eq!(applied["config"]["retentionDays"], 45, "{applied}");
    assert_eq!(
        applied["config"]["retentionIntervalSeconds"], 600,
        "{applied}"
    );
    assert_eq!(applied["configPending"], false, "{applied}");
    browser.wait_for(
        "the form to show the applied value",
        &format!("return document.querySelector(\"{days}\").value === '45';"),
    );

    // Back to the defaults.
    browser.click(&format!("{CARD} .config-form button[type='button']"));
    browser.wait_for_text(&format!("{CARD} .config-result .ok-box"), "Saved.");
    assert_eq!(
        browser.eval(&format!("return document.querySelector(\"{days}\").value")),
        "30"
    );

    browser.assert_no_console_errors(&[]);
}

#[test]
fn a_server_that_requires_keys_asks_for_one_and_remembers_it() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().api_key("ui-secret-key"),
    );
    server.create_company("Keyed Co");
    let Some(browser) = Browser::start("ui_api_key", server.base_url()) else {
        return;
    };

    browser.open("/");
    browser.wait_for_css("#api-key-input");
    browser.wait_for_text(".content", "needs an API key");

    // A wrong key: asked again, with the server's answer.
    browser.fill("#api-key-input", "not-the-key");
    browser.click("#api-key-save");
    browser.wait_for_text(".dialog", "invalid API key");
    browser.fill("#api-key-input", "ui-secret-key");
    browser.click("#api-key-save");
    browser.wait_for_absent(".dialog");
    browser.wait_for_text("h1", "Keyed Co");
    assert_eq!(
        browser.eval("return localStorage.getItem('paperclip.apiKey')"),
        "ui-secret-key"
    );

    // A new page load uses the stored key at once.
    browser.open("/agents");
    browser.wait_for_text("h1", "Agents");
    assert_eq!(browser.count(".dialog"), 0);

    // Only the requests made before the key was entered were refused.
    browser.assert_no_console_errors(&["the server responded with a status of 401"]);
}
