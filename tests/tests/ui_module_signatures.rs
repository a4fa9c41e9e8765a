//! Settings → Modules in headless Chromium: each module card shows its bundle signature — a
//! badge beside the status and a Signature row with the key, the policy and what is wrong —
//! for a verified bundle, one signed by a key nobody trusts, and one changed after signing
//! (loaded under `warn`), without a console error.

mod modules_support;
mod ui_support;

use modules_support::{copy_bundle_as, wait_for_status};
use paperclip_bundle_signing::{sign_folder, SecretKey};
use paperclip_e2e::{json, ServerOptions, TestBackend, TestServer};
use ui_support::{artifacts_dir, Browser};

#[test]
fn the_modules_page_shows_each_bundle_signature() {
    let key = SecretKey::generate().expect("a key");
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .config(json!({ "modules": { "signatures": "warn" } }))
            .trust_key(key.key_id(), key.public_key().to_string()),
    );
    let modules = server.modules_dir();
    for id in ["tiny-signed", "tiny-changed"] {
        let dir = copy_bundle_as("tiny", &modules.join(id), id, |_| {});
        sign_folder(&dir, &key).expect("signing");
    }
    std::fs::write(
        modules.join("tiny-changed/notes.txt"),
        "added after signing",
    )
    .unwrap();
    // Signed by build-modules.sh's development key, which this server does not trust.
    copy_bundle_as("tiny", &modules.join("tiny-dev"), "tiny-dev", |_| {});
    let (status, body) = server.post("/api/admin/modules/rescan", &json!({}));
    assert!(status.is_success(), "rescan answered {status}: {body}");
    for id in ["tiny-signed", "tiny-changed", "tiny-dev"] {
        wait_for_status(&server, id, "active");
    }
    let Some(browser) = Browser::start("ui_module_signatures", server.base_url()) else {
        return;
    };
    browser.open("/settings/modules");
    let card = |id: &str| format!("[data-module-id='{id}']");

    browser.wait_for_css(&format!(
        "{} [data-signature='verified']",
        card("tiny-signed")
    ));
    let row = browser.wait_for_text(
        &format!("{} .module-signature", card("tiny-signed")),
        "verified",
    );
    assert!(
        row.contains(&key.key_id()) && row.contains("policy warn"),
        "{row}"
    );

    browser.wait_for_css(&format!(
        "{} [data-signature='invalid']",
        card("tiny-changed")
    ));
    browser.wait_for_text(
        &format!("{} [data-signature-problem]", card("tiny-changed")),
        "file notes.txt is not listed in the signed manifest",
    );
    // The dev-key copy's manifest was edited by the copy, so it no longer matches its
    // signature either way; what matters is that the card says it is not verified.
    let badge = browser.wait_for_css(&format!(
        "{} .module-status [data-signature]",
        card("tiny-dev")
    ));
    assert!(badge == "untrusted" || badge == "invalid", "{badge}");
    browser.screenshot(&artifacts_dir().join("module-signatures.png"));
    browser.assert_no_console_errors(&[]);
}
