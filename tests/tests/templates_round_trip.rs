//! Export and import are inverse on every backend: import → export → import gives an
//! isomorphic company (same entities, fields and links), and export → import → export gives
//! the same JSON, byte for byte, for a company built by hand through the API with everything
//! that makes ordering and naming tricky (duplicate names, names without letters, a manager
//! created after its report, an issue whose parent came later, non-default statuses, nested
//! metadata).

mod templates_support;

use paperclip_e2e::{each_backend, json, ApiClient, ServerOptions, StatusCode, TestServer, Value};
use templates_support::{
    company_of, company_view, export, import_ok, startup_template, without_company_name,
};

/// `GET /api/templates/export` as raw text, asserting `200`.
fn export_text(api: &ApiClient, company: &str) -> String {
    let (status, text) = api.get_text(&format!("/api/templates/export?companyId={company}"));
    assert_eq!(status, StatusCode::OK, "{text}");
    text
}

fn patch_ok(api: &ApiClient, path: &str, body: Value) {
    let (status, answer) = api.patch(path, &body);
    assert_eq!(status, StatusCode::OK, "PATCH {path} {body}: {answer}");
}

/// A company built through the API, with the cases that make exports hard.
fn build_company_by_hand(api: &ApiClient) -> String {
    let company = api.create_company("Hand Made Inc");
    api.patch(
        &format!("/api/companies/{company}"),
        &json!({"description": "Built one call at a time"}),
    );
    // The report exists before its manager; the manager is attached afterwards.
    let report = api.create_agent(
        &company,
        json!({"name": "Engineer", "role": "engineer", "budgetMonthlyCents": 12_345,
               "metadata": {"skills": ["rust", "sql"], "level": {"n": 2}}}),
    );
    let twin = api.create_agent(&company, json!({"name": "Engineer", "title": "Twin"}));
    let boss = api.create_agent(
        &company,
        json!({"name": "Chief Überboss", "role": "ceo", "title": "CEO"}),
    );
    let odd = api.create_agent(&company, json!({"name": "!!!", "reportsTo": boss}));
    patch_ok(
        api,
        &format!("/api/agents/{report}"),
        json!({"reportsTo": boss}),
    );
    patch_ok(
        api,
        &format!("/api/agents/{twin}"),
        json!({"reportsTo": report}),
    );

    let top = api.create_goal(
        &company,
        json!({"title": "Win", "level": "company", "ownerAgentId": boss, "status": "active"}),
    );
    let child = api.create_goal(
        &company,
        json!({"title": "Win", "level": "team", "parentId": top, "description": "Same title"}),
    );
    let done = api.create_goal(
        &company,
        json!({"title": "Ship v0", "level": "agent", "parentId": child, "ownerAgentId": odd}),
    );
    patch_ok(
        api,
        &format!("/api/goals/{done}"),
        json!({"status": "completed"}),
    );

    let project = api.create_project(&company, json!({"name": "Core", "goalId": child}));
    let archived = api.create_project(
        &company,
        json!({"name": "Old stuff", "description": "Retired", "status": "archived"}),
    );

    let first = api.create_issue(
        &company,
        json!({"title": "Child before parent", "projectId": project, "assigneeAgentId": twin}),
    );
    let parent = api.create_issue(
        &company,
        json!({"title": "Umbrella", "priority": "urgent", "goalId": top,
               "description": "Groups the work"}),
    );
    patch_ok(
        api,
        &format!("/api/issues/{first}"),
        json!({"parentId": parent}),
    );
    let sibling = api.create_issue(
        &company,
        json!({"title": "Umbrella", "parentId": parent, "projectId": archived}),
    );
    patch_ok(
        api,
        &format!("/api/issues/{sibling}"),
        json!({"status": "done", "assigneeAgentId": boss}),
    );
    api.create_issue(&company, json!({"title": "Loose end", "status": "backlog"}));
    company
}

#[test]
fn import_export_import_gives_an_isomorphic_company() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let first = company_of(&import_ok(&server, &startup_template(), None));
        let exported = export(&server, &first);
        let second = company_of(&import_ok(&server, &exported, Some("Startup Copy")));
        assert_ne!(first, second);
        assert_eq!(
            company_view(&server, &first),
            company_view(&server, &second)
        );
    });
}

#[test]
fn export_import_export_gives_the_same_json() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let original = build_company_by_hand(&server);
        let first = export_text(&server, &original);
        // The same company exports to the same bytes every time.
        assert_eq!(export_text(&server, &original), first);

        let document: Value = serde_json::from_str(&first).expect("the export is JSON");
        assert_eq!(document["id"], "hand-made-inc");
        let refs: Vec<&str> = document["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["ref"].as_str().unwrap())
            .collect();
        assert_eq!(refs, ["engineer", "engineer-2", "chief-berboss", "agent"]);
        let goal_refs: Vec<&str> = document["goals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["ref"].as_str().unwrap())
            .collect();
        assert_eq!(goal_refs, ["win", "win-2", "ship-v0"]);

        // Imported under the same name, the copy exports to exactly the same bytes.
        let copy = company_of(&import_ok(&server, &document, None));
        assert_eq!(export_text(&server, &copy), first);
        // Under another name, the same document apart from the company's id and name.
        let renamed = company_of(&import_ok(&server, &document, Some("Other Name")));
        let again = export(&server, &renamed);
        assert_eq!(again["name"], "Other Name");
        assert_eq!(
            without_company_name(&again),
            without_company_name(&document)
        );

        // And the copies are isomorphic to the hand-made company (agent statuses included:
        // nobody was paused).
        assert_eq!(
            company_view(&server, &copy),
            company_view(&server, &original)
        );
    });
}

#[test]
fn exporting_an_unknown_company_is_a_404() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let (status, body) =
            server.get("/api/templates/export?companyId=7d1e8f0a-0000-4000-8000-000000000000");
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = server.get("/api/templates/export");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "companyId");
    });
}
