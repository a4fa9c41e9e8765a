//! The Workflows page in headless Chromium: create a rule in the editor (after a dry run of the
//! draft), see a refused rule's error naming the field, see the run of the rule after an issue
//! moved to done through the API, and switch the rule off — with no console error beyond the
//! one 400 the refused rule caused.

mod ui_support;
mod workflows_support;

use paperclip_e2e::{json, wait_until, TestBackend, TestServer};
use ui_support::Browser;
use workflows_support::{
    issues, options, set_issue_status, wait_for_status, ALL_GRANTS, BASE, WAIT,
};

#[test]
fn the_workflows_page_creates_tests_and_shows_the_runs_of_a_rule() {
    let server = TestServer::start(TestBackend::Sqlite, options(&ALL_GRANTS, json!({})));
    wait_for_status(&server, "active");
    let company = server.create_company("Browser Co");
    let issue = server.create_issue(&company, json!({"title": "Ship from the browser"}));
    let Some(browser) = Browser::start("ui_workflows", server.base_url()) else {
        return;
    };

    browser.open("/");
    browser.click("a.nav-link[data-module-page='workflows/workflows']");
    browser.wait_for_css("#wf-no-rules");
    browser.wait_for_css("#wf-no-runs");

    // A refused rule: the editor shows the error naming the field.
    browser.click("#wf-new-rule");
    browser.fill("#wf-editor input[name='name']", "Broken");
    browser.fill("#wf-editor .wf-action input[name='title']", " ");
    browser.click("#wf-save");
    browser.wait_for_text("#wf-editor-error", "actions[0].title");

    // The default draft: a follow-up when an issue is done. Its dry run would fire.
    browser.click("#wf-cancel");
    browser.click("#wf-new-rule");
    browser.fill(
        "#wf-editor input[name='name']",
        "Follow up from the browser",
    );
    browser.click("#wf-test-draft");
    browser.wait_for_text("#wf-test-result .wf-verdict", "would fire");
    browser.wait_for_text("#wf-test-result", "issues.create");
    browser.click("#wf-save");
    browser.wait_for_text(".wf-rule-row", "Follow up from the browser");
    let rules = server.items(&format!("{BASE}/rules?companyId={company}"));
    assert_eq!(rules.len(), 1, "{rules:?}");
    let rule_id = rules[0]["id"].as_str().unwrap().to_string();
    assert!(
        server
            .items(&format!("/api/companies/{company}/issues"))
            .len()
            == 1
    );

    // The rule fires on a change made elsewhere; its run shows up on the page.
    set_issue_status(&server, &issue, "done");
    wait_until("the follow-up issue", WAIT, || {
        (issues(&server, &company).len() == 2).then_some(())
    });
    browser.click(".wf-rule-row button[data-action='runs']");
    let run = browser.wait_for_text(".wf-run-row", "succeeded");
    assert!(run.contains("Follow up on"), "{run}");

    // A stored rule's dry run, then switching it off.
    browser.click(".wf-rule-row button[data-action='test']");
    browser.wait_for_text("#wf-test-result .wf-verdict", "would fire");
    browser.click(".wf-rule-row input[type='checkbox']");
    wait_until("the rule switched off", WAIT, || {
        let rule = server.get_ok(&format!("{BASE}/rules/{rule_id}"));
        (rule["enabled"] == false).then_some(())
    });
    browser.wait_for(
        "the checkbox to show the rule off",
        "const box = document.querySelector(\".wf-rule-row input[type='checkbox']\"); return box && !box.checked && !box.disabled;",
    );

    // The stored rule opens in the editor as it was saved.
    browser.click(".wf-rule-row button[data-action='edit']");
    browser.wait_for_text("#wf-editor h3", "Edit “Follow up from the browser”");
    let title = browser
        .eval("return document.querySelector(\"#wf-editor .wf-action input[name='title']\").value");
    assert_eq!(title, "Follow up on {{issue.identifier}}: {{issue.title}}");

    browser.assert_no_console_errors(&["the server responded with a status of 400"]);
}
