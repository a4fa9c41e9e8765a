//! Settings → Modules in headless Chromium: a module that asks for capabilities shows them with
//! its reasons and waits for approval; ticking them and saving starts it; choosing the companies
//! it serves is saved and applied.

mod modules_support;
mod ui_support;

use modules_support::{module, wait_for, wait_for_status, ModulesDir};
use paperclip_e2e::{json, ServerOptions, TestBackend, TestServer};
use ui_support::Browser;

const PROBE: &str = "actor-probe";
const CARD: &str = "[data-module-id='actor-probe']";

#[test]
fn capabilities_are_granted_and_companies_chosen_from_the_modules_page() {
    let dir = ModulesDir::new();
    dir.add(PROBE);
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().config(dir.config(json!({}))),
    );
    wait_for_status(&server, PROBE, "awaiting_approval");
    let acme = server.create_company("Acme");
    server.create_company("Beta");
    let Some(browser) = Browser::start("ui_module_access", server.base_url()) else {
        return;
    };

    browser.open("/settings/modules");
    let access = browser.wait_for_text(&format!("{CARD} .module-access"), "Waiting for approval");
    assert!(
        access.contains("issues.create")
            && access.contains("creates the follow-up issue of every issue that is done")
            && access.contains("agents.pause")
            && access.contains("no reason given"),
        "{access}"
    );
    browser.click(&format!("{CARD} input[data-capability='issues.create']"));
    browser.click(&format!("{CARD} input[data-capability='agents.pause']"));
    browser.click(&format!("{CARD} button[data-action='save-grants']"));
    browser.wait_for_text(&format!("{CARD} .grants-result"), "is active");
    let view = wait_for_status(&server, PROBE, "active");
    assert_eq!(
        view["grants"]["granted"],
        json!(["issues.create", "agents.pause"])
    );
    browser.wait_for_text(&format!("{CARD} [data-stat='writes']"), "core writes");

    browser.click(&format!("{CARD} input[value='only']"));
    browser.wait_for_css(&format!("{CARD} input[data-company-id='{acme}']"));
    browser.click(&format!("{CARD} input[data-company-id='{acme}']"));
    browser.click(&format!("{CARD} button[data-action='save-companies']"));
    browser.wait_for_text(&format!("{CARD} .companies-result"), "1 company");
    wait_for("the scope saved", || {
        (module(&server, PROBE)["companies"] == json!({"mode": "only", "companyIds": [acme]}))
            .then_some(())
    });
    browser.assert_no_console_errors(&[]);
}
