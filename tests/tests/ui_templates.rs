//! The Templates page in headless Chromium: importing Startup in a Box from a file (the new
//! company selected and on the dashboard), a broken template listing every problem with its
//! JSON path and writing nothing, and exporting the selected company.

mod ui_support;

use paperclip_e2e::{json, workspace_root, ServerOptions, TestBackend, TestServer};
use ui_support::Browser;

#[test]
fn startup_in_a_box_imports_through_the_ui_and_problems_are_listed_with_paths() {
    let server = TestServer::start(TestBackend::Sqlite, ServerOptions::new());
    let Some(browser) = Browser::start("ui_templates", server.base_url()) else {
        return;
    };
    let template_path = workspace_root()
        .join("templates")
        .join("startup-in-a-box.json");
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&template_path).expect("the template"))
            .expect("JSON");

    // No company yet: the dashboard says so and points at templates.
    browser.open("/");
    browser.wait_for_text(".card", "No company yet");
    browser.click("a.nav-link[href='/templates']");

    // A broken copy: two problems, each shown with its path; nothing is written.
    let mut broken = template.clone();
    broken["agents"][0]["name"] = json!(123);
    broken["issues"][0]["assignee"] = json!("nobody");
    let dir = tempfile::tempdir().expect("temp dir");
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, broken.to_string()).expect("write");
    browser.upload("#template-file", &broken_path);
    browser.click("#template-import");
    let problems = browser.wait_for_text("#template-import-result .error-box", "2 problems");
    assert!(
        problems.contains("agents[0].name: expected string"),
        "{problems}"
    );
    assert!(
        problems.contains("issues[0].assignee: unknown field"),
        "{problems}"
    );
    assert_eq!(browser.count("#template-import-result li"), 2);
    assert_eq!(
        server.total("/api/companies"),
        0,
        "a broken template wrote something"
    );

    // Startup in a Box, as shipped.
    browser.upload("#template-file", &template_path);
    browser.click("#template-import");
    let done = browser.wait_for_text("#template-imported", "Imported");
    let agents = template["agents"].as_array().map_or(0, Vec::len);
    let issues = template["issues"].as_array().map_or(0, Vec::len);
    assert!(
        done.contains(&format!("{agents} agents")) && done.contains(&format!("{issues} issues")),
        "{done}"
    );
    let companies = server.items("/api/companies");
    assert_eq!(companies.len(), 1);
    let company = companies[0]["id"].as_str().expect("id").to_string();
    assert_eq!(
        server.total(&format!("/api/companies/{company}/agents")),
        agents as i64
    );
    assert_eq!(
        server.total(&format!("/api/companies/{company}/issues")),
        issues as i64
    );
    let selected = browser.eval("return document.querySelector('#company-switcher').value");
    assert_eq!(
        selected,
        company.as_str(),
        "the imported company is selected"
    );

    // Its dashboard shows the imported agents.
    browser.click("#template-imported a");
    browser.wait_for_text("#dashboard-agents", "CEO Agent");

    // Export the selected company.
    browser.click("a.nav-link[href='/templates']");
    browser.click("#template-export");
    let exported = browser.wait_for_text("#template-export-result", "Exported");
    assert!(exported.contains(&format!("{agents} agents")), "{exported}");
    let link = browser
        .eval("return document.querySelector('#template-download').getAttribute('download')");
    assert!(
        link.as_str()
            .is_some_and(|name| name.ends_with(".template.json")),
        "{link}"
    );

    // The failed import answered 400, which the browser logs as a failed request.
    browser.assert_no_console_errors(&["/api/templates/import - Failed to load resource: the server responded with a status of 400"]);
}
