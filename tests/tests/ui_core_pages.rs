//! The web UI's core pages in headless Chromium: the org chart and an agent's heartbeats and
//! spend, the goal tree, projects, activity, and issues — created, listed, filtered, changed
//! in place and edited through the UI, with the results checked through the API.

mod ui_support;

use paperclip_e2e::{json, ServerOptions, StatusCode, TestBackend, TestServer};
use ui_support::Browser;

#[test]
fn org_chart_agent_detail_goals_projects_and_activity() {
    let server = TestServer::start(TestBackend::Sqlite, ServerOptions::new());
    let company = server.create_company("Tree Co");
    let ceo = server.create_agent(
        &company,
        json!({"name": "Cleo", "role": "ceo", "budgetMonthlyCents": 50_000}),
    );
    let cto = server.create_agent(
        &company,
        json!({"name": "Theo", "role": "cto", "reportsTo": ceo}),
    );
    server.create_agent(
        &company,
        json!({"name": "Dev", "reportsTo": cto, "budgetMonthlyCents": 1_000}),
    );
    let (status, body) = server.post(
        &format!("/api/agents/{cto}/heartbeat"),
        &json!({"meta": {"tokensUsed": 777, "costCents": 42, "model": "model-x", "latencyMs": 321}}),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let top = server.create_goal(&company, json!({"title": "Win the market"}));
    server.create_goal(
        &company,
        json!({"title": "Ship v1", "level": "team", "parentId": top}),
    );
    server.create_project(
        &company,
        json!({"name": "Launchpad", "description": "The launch site"}),
    );
    let Some(browser) = Browser::start("ui_core_pages", server.base_url()) else {
        return;
    };

    // Org chart: Dev under Theo under Cleo.
    browser.open("/agents");
    browser.wait_for_css("#org-chart");
    let chain = browser.eval(
        "const dev = [...document.querySelectorAll('#org-chart li')].find((li) => li.querySelector(':scope > .node strong').textContent === 'Dev');
         const names = [];
         for (let li = dev; li; li = li.parentElement.closest('li')) names.push(li.querySelector(':scope > .node strong').textContent);
         return names.join(' < ');",
    );
    assert_eq!(chain, "Dev < Theo < Cleo");

    // Agent detail: the heartbeat with its usage, the spend it caused, the manager link.
    browser.click(&format!("#org-chart li[data-agent-id='{cto}'] > .node a"));
    browser.wait_for_text("h1", "Theo");
    let heartbeats = browser.wait_for_text("#agent-heartbeats", "model-x");
    assert!(
        heartbeats.contains("777") && heartbeats.contains("$0.42") && heartbeats.contains("321 ms"),
        "{heartbeats}"
    );
    browser.wait_for_text("#agent-spend", "$0.42");
    browser.wait_for_text("#agent-profile", "Cleo");
    browser.wait_for_text("#agent-profile", "Dev");
    // Status change from the detail page.
    browser.choose("#agent-status", "paused");
    server_wait(&server, &format!("/api/agents/{cto}"), "status", "paused");

    // Goal tree: Ship v1 nested under Win the market.
    browser.click("a.nav-link[href='/goals']");
    browser.wait_for_css("#goal-tree");
    let nested = browser.eval(
        "const li = [...document.querySelectorAll('#goal-tree li li')].find((l) => l.textContent.includes('Ship v1'));
         return li ? li.parentElement.closest('li').querySelector(':scope > .node strong').textContent : null;",
    );
    assert_eq!(nested, "Win the market");

    // A goal created through the UI, under the top goal.
    browser.click("#new-goal");
    browser.fill(".dialog input[name='title']", "Hire well");
    browser.choose(".dialog select[name='parentId']", &top);
    browser.click(".dialog button[type='submit']");
    browser.wait_for_text("#goal-tree", "Hire well");
    let goals = server.items(&format!("/api/companies/{company}/goals?parentId={top}"));
    assert!(goals.iter().any(|g| g["title"] == "Hire well"), "{goals:?}");

    browser.click("a.nav-link[href='/projects']");
    browser.wait_for_text("#project-table", "Launchpad");
    browser.wait_for_text("#project-table", "The launch site");

    browser.click("a.nav-link[href='/activity']");
    browser.wait_for_text("#activity-table", "agent.heartbeat");
    browser.wait_for_text("#activity-table", "Theo checked in (777 tokens)");

    browser.assert_no_console_errors(&[]);
}

/// Waits until `GET path` has `field` equal to `value`.
fn server_wait(server: &TestServer, path: &str, field: &str, value: &str) {
    let deadline = std::time::Instant::now() + ui_support::WAIT;
    loop {
        let body = server.get_ok(path);
        if body[field] == value {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path}: {field} never became {value}: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn issues_are_created_listed_filtered_changed_and_edited_through_the_ui() {
    let server = TestServer::start(TestBackend::Sqlite, ServerOptions::new());
    let company = server.create_company("Issue Co");
    let dana = server.create_agent(&company, json!({"name": "Dana"}));
    server.create_project(&company, json!({"name": "Website"}));
    server.create_issue(&company, json!({"title": "Old bug", "status": "done"}));
    let Some(browser) = Browser::start("ui_issues", server.base_url()) else {
        return;
    };

    browser.open("/issues");
    browser.wait_for_text("#issue-table", "Old bug");

    // Create through the dialog.
    browser.click("#new-issue");
    browser.click(".dialog button[type='submit']");
    browser.wait_for_text(".dialog .field.invalid .field-error", "Title is required");
    browser.fill(".dialog input[name='title']", "Make the logo bigger");
    browser.choose(".dialog select[name='priority']", "high");
    browser.choose(".dialog select[name='status']", "todo");
    browser.choose(".dialog select[name='assigneeAgentId']", &dana);
    browser.fill(".dialog textarea[name='description']", "Twice as big.");
    browser.click(".dialog button[type='submit']");
    browser.wait_for_absent(".dialog");
    browser.wait_for_text("#issue-table", "Make the logo bigger");
    let created = server
        .items(&format!("/api/companies/{company}/issues?status=todo"))
        .into_iter()
        .find(|i| i["title"] == "Make the logo bigger")
        .expect("the issue was created");
    assert_eq!(created["priority"], "high");
    assert_eq!(created["assigneeAgentId"], dana.as_str());
    assert_eq!(created["description"], "Twice as big.");
    let id = created["id"].as_str().expect("id").to_string();
    let row = format!("#issue-table tr[data-issue-id='{id}']");
    assert!(browser.wait_for_text(&row, "Dana").contains("High"));

    // Filter by status: the URL carries it, only matching rows stay.
    browser.choose("#issue-filters select[data-filter='status']", "todo");
    browser.wait_for(
        "the filtered URL",
        "return location.search === '?status=todo';",
    );
    browser.wait_for_absent("#issue-table tr[data-identifier] + tr[data-identifier]");
    assert!(!browser.wait_for_css("#issue-table").contains("Old bug"));

    // Status change in place.
    browser.choose(&format!("{row} select.issue-status"), "in_progress");
    server_wait(
        &server,
        &format!("/api/issues/{id}"),
        "status",
        "in_progress",
    );

    // Edit on its page.
    browser.click(&format!("{row} a"));
    browser.wait_for_css("#issue-form");
    browser.fill(
        "#issue-form input[name='title']",
        "Make the logo much bigger",
    );
    browser.choose("#issue-form select[name='assigneeAgentId']", "");
    browser.click("#issue-form button[type='submit']");
    browser.wait_for_text(".ok-box", "Saved");
    browser.wait_for_text("h1", "Make the logo much bigger");
    let edited = server.get_ok(&format!("/api/issues/{id}"));
    assert_eq!(edited["title"], "Make the logo much bigger");
    assert!(edited["assigneeAgentId"].is_null(), "{edited}");
    assert_eq!(edited["status"], "in_progress");

    browser.assert_no_console_errors(&[]);
}
