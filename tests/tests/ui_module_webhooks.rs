//! Settings → Modules in headless Chromium: a module with inbound webhooks shows each endpoint's
//! public URL, off until `webhooks` (an optional capability) is granted in its Access section,
//! and its recent deliveries with their status and error.

mod modules_support;
mod ui_support;
mod webhooks_support;

use modules_support::wait_for_status;
use paperclip_e2e::{StatusCode, TestBackend};
use ui_support::Browser;
use webhooks_support::{post_signed, raw_body, start_probe, PROBE, STRIPE};

const CARD: &str = "[data-module-id='webhook-probe']";

#[test]
fn webhooks_are_shown_granted_and_their_deliveries_listed_on_the_modules_page() {
    let (_dir, server) = start_probe(TestBackend::Sqlite, false);
    let (status, _) = post_signed(&server, STRIPE, &raw_body());
    assert_eq!(status, StatusCode::NOT_FOUND, "not granted yet");
    let Some(browser) = Browser::start("ui_module_webhooks", server.base_url()) else {
        return;
    };

    browser.open("/settings/modules");
    let section = browser.wait_for_text(
        &format!("{CARD} .module-webhooks"),
        "/webhooks/webhook-probe/stripe",
    );
    assert!(
        section.contains("grant `webhooks` in Access")
            && section.contains("Stripe-style signed events"),
        "{section}"
    );
    browser.wait_for_css(&format!("{CARD} .module-webhooks tr[data-status='404']"));
    let error = browser.texts(&format!("{CARD} .module-webhooks tr[data-status='404'] td"));
    assert!(
        error
            .iter()
            .any(|cell| cell.contains("not granted the `webhooks` capability")),
        "{error:?}"
    );
    let access = browser.wait_for_text(&format!("{CARD} .module-access"), "webhooks");
    assert!(access.contains("optional"), "{access}");
    assert!(!access.contains("Waiting for approval"), "{access}");

    browser.click(&format!("{CARD} input[data-capability='webhooks']"));
    browser.click(&format!("{CARD} button[data-action='save-grants']"));
    browser.wait_for_text(&format!("{CARD} .grants-result"), "is active");
    wait_for_status(&server, PROBE, "active");
    browser.wait_for_css(&format!(
        "{CARD} .module-webhook-endpoints li[data-webhook-key='stripe'][data-enabled='true']"
    ));

    let (status, answer) = post_signed(&server, STRIPE, &raw_body());
    assert_eq!(status, StatusCode::OK, "{answer}");
    browser.click(&format!("{CARD} button[data-action='webhooks-refresh']"));
    browser.wait_for_css(&format!("{CARD} .module-webhooks tr[data-status='200']"));
    assert_eq!(
        browser.count(&format!("{CARD} .module-webhook-deliveries tbody tr")),
        2
    );
    browser.assert_no_console_errors(&[]);
}
