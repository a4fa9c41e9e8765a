//! The Store page in headless Chromium: the index's modules and templates are listed; an
//! install refused by the server (wrong sha256) shows the server's message and writes nothing;
//! an install shows its download progress (the bundle is served slowly) and then the module's
//! state; a template imports as the new, selected company.

mod modules_support;
mod store_support;
mod ui_support;

use paperclip_e2e::{find_bundle, json, ServerOptions, TestBackend, TestServer};
use std::time::Duration;
use store_support::{module_entry, snapshot, startup_entry, Store};
use ui_support::Browser;

#[test]
fn the_store_page_installs_with_progress_shows_refusals_and_imports() {
    let store = Store::new();
    let tiny = store.pack(&find_bundle("tiny"));
    let bad = store.pack_variant("tiny", "bad-digest", "0.1.0", |_| {});
    store.write_index(
        "index.json",
        vec![
            module_entry("tiny", "0.1.0", tiny.index_bundle()),
            module_entry(
                "bad-digest",
                "0.1.0",
                json!({"url": format!("bundles/{}", bad.file_name), "sha256": "f".repeat(64)}),
            ),
        ],
        vec![startup_entry()],
    );
    // About two seconds for the download, so the page polls its progress a few times.
    let size = std::fs::metadata(&tiny.path).expect("the bundle").len() as usize;
    store.http.slow_down(
        &format!("bundles/{}", tiny.file_name),
        (size / 40).max(1),
        Duration::from_millis(50),
    );
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().config(json!({ "store": { "index": store.index_url() } })),
    );
    let Some(browser) = Browser::start("store_ui", server.base_url()) else {
        return;
    };

    browser.open("/");
    browser.click("a.nav-link[href='/store']");
    browser.wait_for_css("[data-module-id='tiny']");
    assert_eq!(browser.count(".store-module"), 2);
    assert_eq!(browser.count(".store-template"), 1);
    let source = browser.wait_for_css("#store-source");
    assert!(source.contains(&store.index_url()), "{source}");

    // Refused: the server's message, nothing written.
    let before = snapshot(&server.modules_dir());
    browser.click("[data-install='bad-digest']");
    let refused = browser.wait_for_text(
        "[data-module-id='bad-digest'] .error-box",
        "Not installed: sha256 mismatch",
    );
    assert!(refused.contains(&"f".repeat(64)), "{refused}");
    assert_eq!(snapshot(&server.modules_dir()), before);

    // Installed, with progress on the way.
    browser.click("[data-install='tiny']");
    // The first poll may come before the size is known ("Downloading 0 KiB"); wait for the
    // line with the total.
    let progress = browser.wait_for_text("[data-module-id='tiny'] .store-progress", "KiB of");
    assert!(progress.contains("Downloading"), "{progress}");
    let done = browser.wait_for_text("#store-install-done", "tiny 0.1.0 installed and active");
    assert!(!done.is_empty());
    let card = browser.wait_for_text("[data-module-id='tiny']", "Installed: 0.1.0");
    assert!(card.contains("Active"), "{card}");
    assert_eq!(server.get_ok("/api/modules/tiny/ping")["pong"], true);

    // A template, imported under another name.
    browser.fill("[data-template-id='startup-in-a-box'] input", "Browser Co");
    browser.click("[data-import='startup-in-a-box']");
    browser.wait_for_text(
        "#store-import-done",
        "Imported “Startup in a Box” as a new company",
    );
    let companies = server.items("/api/companies");
    assert_eq!(companies.len(), 1);
    assert_eq!(companies[0]["name"], "Browser Co");
    let selected = browser.eval("return document.querySelector('#company-switcher').value");
    assert_eq!(
        selected, companies[0]["id"],
        "the imported company is selected"
    );

    // The refused install's 422 is the only console error.
    browser.assert_no_console_errors(&["422"]);
}
