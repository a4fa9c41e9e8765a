//! CRUD round trips of every core entity over HTTP, on every backend: create, get, list with
//! filters and paging, patch, delete; unknown ids answer 404.

use paperclip_e2e::{each_backend, json, ApiClient, ServerOptions, StatusCode, TestServer, Value};
use std::collections::BTreeSet;

const UNKNOWN_ID: &str = "7d1e8f0a-0000-4000-8000-000000000000";

/// Pages through `path` (which has no query string yet) two items at a time and checks the
/// paging fields, that pages do not overlap and that together they hold `expected` ids.
fn assert_pages(api: &ApiClient, path: &str, expected: &BTreeSet<String>) {
    let total = api.total(path);
    assert_eq!(total as usize, expected.len(), "total of {path}");
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    while offset < expected.len() {
        let page = api.get_ok(&format!("{path}?limit=2&offset={offset}"));
        assert_eq!(page["limit"], 2, "{page}");
        assert_eq!(page["offset"], offset, "{page}");
        assert_eq!(page["total"], total, "{page}");
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 2.min(expected.len() - offset), "{page}");
        for item in items {
            let id = item["id"].as_str().expect("id").to_string();
            assert!(seen.insert(id.clone()), "{id} on two pages of {path}");
        }
        offset += 2;
    }
    assert_eq!(&seen, expected, "pages of {path}");
    let beyond = api.get_ok(&format!("{path}?limit=2&offset={}", expected.len()));
    assert_eq!(beyond["items"], json!([]), "past the end: {beyond}");
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn assert_timestamp(value: &Value, what: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no timestamp in {value}"));
    assert!(
        text.ends_with('Z') && text.contains('T'),
        "{what}: RFC 3339 UTC expected, got {text}"
    );
}

fn assert_uuid(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("no id in {value}"));
    assert!(uuid::Uuid::parse_str(text).is_ok(), "not a UUID: {text}");
}

/// `GET`, `PATCH` and `DELETE` of an unknown id under `/api/<kind>/` answer 404 with a JSON
/// error.
fn assert_unknown_item(api: &ApiClient, kind: &str) {
    let path = format!("/api/{kind}/{UNKNOWN_ID}");
    for (method, (status, body)) in [
        ("GET", api.get(&path)),
        ("PATCH", api.patch(&path, &json!({}))),
        ("DELETE", api.delete(&path)),
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
}

#[test]
fn companies() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let created = server.create(
            "/api/companies",
            &json!({"name": "Acme Corp", "description": "Makes anvils"}),
        );
        assert_uuid(&created["id"]);
        assert_eq!(created["name"], "Acme Corp");
        assert_eq!(created["description"], "Makes anvils");
        assert_eq!(created["issuePrefix"], "ACME");
        assert_eq!(created["status"], "active");
        assert_timestamp(&created["createdAt"], "createdAt");
        assert_timestamp(&created["updatedAt"], "updatedAt");
        let id = created["id"].as_str().unwrap().to_string();
        let path = format!("/api/companies/{id}");
        assert_eq!(server.get_ok(&path), created);

        let beta = server.create_company("Beta");
        let gamma = server.create_company("Gamma");
        assert_pages(&server, "/api/companies", &set(&[&id, &beta, &gamma]));

        let (status, patched) = server.patch(
            &path,
            &json!({"name": "Acme Inc", "description": null, "status": "archived"}),
        );
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["name"], "Acme Inc");
        assert_eq!(patched["description"], Value::Null);
        assert_eq!(patched["status"], "archived");
        assert_eq!(patched["issuePrefix"], "ACME", "the prefix never changes");
        assert_eq!(server.get_ok(&path), patched);

        let (status, body) = server.delete(&path);
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND);
        assert_pages(&server, "/api/companies", &set(&[&beta, &gamma]));
        assert_unknown_item(&server, "companies");
    });
}

#[test]
fn agents() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let created = server.create(
            &format!("/api/companies/{company}/agents"),
            &json!({
                "name": "Ada", "role": "ceo", "title": "Chief Executive",
                "budgetMonthlyCents": 50_000, "metadata": {"model": "large", "tags": ["a"]}
            }),
        );
        assert_uuid(&created["id"]);
        assert_eq!(created["companyId"], company);
        assert_eq!(created["name"], "Ada");
        assert_eq!(created["role"], "ceo");
        assert_eq!(created["title"], "Chief Executive");
        assert_eq!(created["status"], "idle", "default status");
        assert_eq!(created["reportsTo"], Value::Null);
        assert_eq!(created["budgetMonthlyCents"], 50_000);
        assert_eq!(created["spentMonthlyCents"], 0);
        assert_eq!(created["lastHeartbeatAt"], Value::Null);
        assert_eq!(
            created["metadata"],
            json!({"model": "large", "tags": ["a"]})
        );
        let ada = created["id"].as_str().unwrap().to_string();
        assert_eq!(server.get_ok(&format!("/api/agents/{ada}")), created);

        let bob = server.create_agent(
            &company,
            json!({"name": "Bob", "reportsTo": ada, "status": "active"}),
        );
        let cy = server.create_agent(&company, json!({"name": "Cy", "reportsTo": ada}));
        let list = format!("/api/companies/{company}/agents");
        assert_pages(&server, &list, &set(&[&ada, &bob, &cy]));
        let reports: BTreeSet<String> = server
            .item_ids(&format!("{list}?reportsTo={ada}"))
            .into_iter()
            .collect();
        assert_eq!(reports, set(&[&bob, &cy]));
        assert_eq!(
            server.item_ids(&format!("{list}?status=active")),
            vec![bob.clone()]
        );
        assert_eq!(
            server.total(&format!("{list}?status=active&reportsTo={ada}")),
            1
        );
        assert_eq!(server.total(&format!("{list}?status=paused")), 0);

        // Another company sees none of them.
        let other = server.create_company("Other");
        assert_eq!(server.total(&format!("/api/companies/{other}/agents")), 0);

        let path = format!("/api/agents/{bob}");
        let (status, patched) = server.patch(
            &path,
            &json!({"title": "CTO", "status": "paused", "budgetMonthlyCents": 9_000,
                    "reportsTo": null, "metadata": {"k": 1}}),
        );
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["title"], "CTO");
        assert_eq!(patched["status"], "paused");
        assert_eq!(patched["budgetMonthlyCents"], 9_000);
        assert_eq!(patched["reportsTo"], Value::Null);
        assert_eq!(patched["metadata"], json!({"k": 1}));
        assert_eq!(patched["name"], "Bob", "fields not in the patch stay");
        assert_eq!(server.get_ok(&path), patched);
        assert_eq!(server.total(&format!("{list}?reportsTo={ada}")), 1);

        let (status, body) = server.delete(&format!("/api/agents/{cy}"));
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(
            server.get(&format!("/api/agents/{cy}")).0,
            StatusCode::NOT_FOUND
        );
        assert_pages(&server, &list, &set(&[&ada, &bob]));
        assert_unknown_item(&server, "agents");

        // Every write above is in the activity log.
        let actions: Vec<String> = server
            .activity(&company)
            .iter()
            .filter(|a| a["entityType"] == "agent")
            .map(|a| a["action"].as_str().unwrap_or_default().to_string())
            .collect();
        for action in ["agent.created", "agent.updated", "agent.deleted"] {
            assert!(
                actions.iter().any(|a| a == action),
                "{action} missing from {actions:?}"
            );
        }
    });
}

#[test]
fn heartbeats() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let agent = server.create_agent(
            &company,
            json!({"name": "Ada", "budgetMonthlyCents": 10_000}),
        );
        let meta =
            json!({"tokensUsed": 1200, "costCents": 25, "model": "claude", "latencyMs": 850});
        let (status, body) = server.post(
            &format!("/api/agents/{agent}/heartbeat"),
            &json!({"meta": meta}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let after = server.get_ok(&format!("/api/agents/{agent}"));
        assert_timestamp(&after["lastHeartbeatAt"], "lastHeartbeatAt");
        assert_eq!(
            after["spentMonthlyCents"], 25,
            "a heartbeat's costCents is spend"
        );

        let (status, body) = server.post(
            &format!("/api/agents/{agent}/heartbeat"),
            &json!({"meta": {"tokensUsed": 10}}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let beats = server.items(&format!("/api/agents/{agent}/heartbeats"));
        assert_eq!(beats.len(), 2, "{beats:?}");
        let first = beats
            .iter()
            .find(|b| b["model"] == "claude")
            .unwrap_or_else(|| panic!("the first heartbeat is listed: {beats:?}"));
        assert_eq!(first["agentId"], agent);
        assert_eq!(first["tokensUsed"], 1200);
        assert_eq!(first["costCents"], 25);
        assert_eq!(first["latencyMs"], 850);
        assert_timestamp(&first["createdAt"], "heartbeat createdAt");
        assert_eq!(
            server.total(&format!("/api/agents/{agent}/heartbeats?limit=1")),
            2
        );
        assert_eq!(
            server.get_ok(&format!("/api/agents/{agent}"))["spentMonthlyCents"],
            25,
            "a heartbeat without costCents spends nothing"
        );

        let path = format!("/api/agents/{UNKNOWN_ID}/heartbeats");
        assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND, "GET {path}");
        let (status, body) = server.post(
            &format!("/api/agents/{UNKNOWN_ID}/heartbeat"),
            &json!({"meta": {}}),
        );
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    });
}

#[test]
fn cost_events() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let agent = server.create_agent(&company, json!({"budgetMonthlyCents": 100_000}));
        let path = format!("/api/companies/{company}/cost-events");
        let (status, body) = server.post(
            &path,
            &json!({"agentId": agent, "amountCents": 150, "description": "tokens"}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        server.create(&path, &json!({"agentId": agent, "amountCents": 50}));
        assert_eq!(
            server.get_ok(&format!("/api/agents/{agent}"))["spentMonthlyCents"],
            200
        );
        let logged = server.total(&format!(
            "/api/companies/{company}/activity?action=cost_event.created"
        ));
        assert_eq!(logged, 2, "each cost event is in the activity log");
    });
}

#[test]
fn goals() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let owner = server.create_agent(&company, json!({"name": "Ada"}));
        let created = server.create(
            &format!("/api/companies/{company}/goals"),
            &json!({"title": "Ship v1", "description": "All of it", "level": "company", "ownerAgentId": owner}),
        );
        assert_uuid(&created["id"]);
        assert_eq!(created["companyId"], company);
        assert_eq!(created["title"], "Ship v1");
        assert_eq!(created["description"], "All of it");
        assert_eq!(created["level"], "company");
        assert_eq!(created["status"], "planned", "default status");
        assert_eq!(created["parentId"], Value::Null);
        assert_eq!(created["ownerAgentId"], owner);
        assert_timestamp(&created["createdAt"], "createdAt");
        let top = created["id"].as_str().unwrap().to_string();
        assert_eq!(server.get_ok(&format!("/api/goals/{top}")), created);

        let team = server.create_goal(
            &company,
            json!({"title": "Backend", "level": "team", "parentId": top}),
        );
        let mine = server.create_goal(
            &company,
            json!({"title": "API", "level": "agent", "parentId": team, "status": "active"}),
        );
        let list = format!("/api/companies/{company}/goals");
        assert_pages(&server, &list, &set(&[&top, &team, &mine]));

        let path = format!("/api/goals/{mine}");
        let (status, patched) = server.patch(
            &path,
            &json!({"status": "completed", "title": "API done", "ownerAgentId": owner}),
        );
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["status"], "completed");
        assert_eq!(patched["title"], "API done");
        assert_eq!(patched["ownerAgentId"], owner);
        assert_eq!(patched["parentId"], team);
        assert_eq!(server.get_ok(&path), patched);
        let (status, patched) =
            server.patch(&path, &json!({"parentId": top, "ownerAgentId": null}));
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["parentId"], top);
        assert_eq!(patched["ownerAgentId"], Value::Null);

        let (status, body) = server.delete(&path);
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND);
        assert_pages(&server, &list, &set(&[&top, &team]));
        assert_unknown_item(&server, "goals");
    });
}

#[test]
fn projects() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let goal = server.create_goal(&company, json!({"title": "Ship"}));
        let created = server.create(
            &format!("/api/companies/{company}/projects"),
            &json!({"name": "Website", "description": "New site", "status": "planned", "goalId": goal}),
        );
        assert_uuid(&created["id"]);
        assert_eq!(created["companyId"], company);
        assert_eq!(created["name"], "Website");
        assert_eq!(created["description"], "New site");
        assert_eq!(created["status"], "planned");
        assert_eq!(created["goalId"], goal);
        assert_timestamp(&created["createdAt"], "createdAt");
        let web = created["id"].as_str().unwrap().to_string();
        assert_eq!(server.get_ok(&format!("/api/projects/{web}")), created);

        let app = server.create_project(&company, json!({"name": "App"}));
        let status = server.get_ok(&format!("/api/projects/{app}"))["status"].clone();
        assert!(
            ["planned", "active"].contains(&status.as_str().unwrap_or_default()),
            "default status {status}"
        );
        let list = format!("/api/companies/{company}/projects");
        assert_pages(&server, &list, &set(&[&web, &app]));

        let path = format!("/api/projects/{web}");
        let (status, patched) = server.patch(
            &path,
            &json!({"status": "archived", "goalId": null, "name": "Site"}),
        );
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["status"], "archived");
        assert_eq!(patched["goalId"], Value::Null);
        assert_eq!(patched["name"], "Site");
        assert_eq!(patched["description"], "New site");
        assert_eq!(server.get_ok(&path), patched);

        let (status, body) = server.delete(&path);
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND);
        assert_pages(&server, &list, &set(&[&app]));
        assert_unknown_item(&server, "projects");
    });
}

#[test]
fn issues() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(&company, json!({"name": "Ada"}));
        let bob = server.create_agent(&company, json!({"name": "Bob"}));
        let goal = server.create_goal(&company, json!({"title": "Ship"}));
        let project = server.create_project(&company, json!({"name": "Site", "goalId": goal}));

        let created = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({
                "title": "Build the landing page", "description": "Hero and footer",
                "status": "todo", "priority": "high", "assigneeAgentId": ada,
                "projectId": project, "goalId": goal
            }),
        );
        assert_uuid(&created["id"]);
        assert_eq!(created["companyId"], company);
        assert_eq!(created["identifier"], "ACME-1");
        assert_eq!(created["title"], "Build the landing page");
        assert_eq!(created["description"], "Hero and footer");
        assert_eq!(created["status"], "todo");
        assert_eq!(created["priority"], "high");
        assert_eq!(created["assigneeAgentId"], ada);
        assert_eq!(created["projectId"], project);
        assert_eq!(created["goalId"], goal);
        assert_eq!(created["parentId"], Value::Null);
        assert_timestamp(&created["createdAt"], "createdAt");
        let first = created["id"].as_str().unwrap().to_string();
        assert_eq!(server.get_ok(&format!("/api/issues/{first}")), created);

        let defaults = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "Write copy", "parentId": first}),
        );
        assert_eq!(defaults["identifier"], "ACME-2");
        assert_eq!(defaults["priority"], "medium", "default priority");
        assert!(
            ["backlog", "todo"].contains(&defaults["status"].as_str().unwrap_or_default()),
            "default status: {defaults}"
        );
        assert_eq!(defaults["parentId"], first);
        assert_eq!(defaults["assigneeAgentId"], Value::Null);
        let second = defaults["id"].as_str().unwrap().to_string();
        let third = server.create_issue(
            &company,
            json!({"title": "Fix bug", "status": "in_progress", "priority": "urgent", "assigneeAgentId": bob, "goalId": goal}),
        );
        let fourth = server.create_issue(
            &company,
            json!({"title": "Review", "status": "in_review", "assigneeAgentId": ada}),
        );

        // Identifiers are per company.
        let other = server.create_company("Globex");
        let theirs = server.create(
            &format!("/api/companies/{other}/issues"),
            &json!({"title": "Theirs"}),
        );
        assert_eq!(theirs["identifier"], "GLOB-1");

        let list = format!("/api/companies/{company}/issues");
        assert_pages(&server, &list, &set(&[&first, &second, &third, &fourth]));
        let filtered = |query: &str| -> BTreeSet<String> {
            server
                .item_ids(&format!("{list}?{query}"))
                .into_iter()
                .collect()
        };
        assert_eq!(
            filtered(&format!("assigneeAgentId={ada}")),
            set(&[&first, &fourth])
        );
        assert_eq!(filtered(&format!("assigneeAgentId={bob}")), set(&[&third]));
        assert_eq!(filtered("status=in_progress"), set(&[&third]));
        assert_eq!(filtered("status=done"), set(&[]));
        assert_eq!(filtered(&format!("projectId={project}")), set(&[&first]));
        assert_eq!(filtered(&format!("goalId={goal}")), set(&[&first, &third]));
        assert_eq!(filtered("priority=urgent"), set(&[&third]));
        assert_eq!(
            filtered(&format!("priority=high&assigneeAgentId={ada}")),
            set(&[&first])
        );
        let page = server.get_ok(&format!("{list}?assigneeAgentId={ada}&limit=1&offset=1"));
        assert_eq!(page["total"], 2, "{page}");
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");

        let path = format!("/api/issues/{second}");
        let (status, patched) = server.patch(
            &path,
            &json!({"status": "done", "priority": "low", "assigneeAgentId": bob,
                    "title": "Write the copy", "parentId": null, "projectId": project}),
        );
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["status"], "done");
        assert_eq!(patched["priority"], "low");
        assert_eq!(patched["assigneeAgentId"], bob);
        assert_eq!(patched["title"], "Write the copy");
        assert_eq!(patched["parentId"], Value::Null);
        assert_eq!(patched["projectId"], project);
        assert_eq!(
            patched["identifier"], "ACME-2",
            "the identifier never changes"
        );
        assert_eq!(server.get_ok(&path), patched);
        assert_eq!(filtered("status=done"), set(&[&second]));
        let (status, patched) = server.patch(&path, &json!({"assigneeAgentId": null}));
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["assigneeAgentId"], Value::Null);

        let (status, body) = server.delete(&path);
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND);
        assert_pages(&server, &list, &set(&[&first, &third, &fourth]));
        // Numbers are not reused after a delete.
        let fifth = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "Next"}),
        );
        assert_eq!(fifth["identifier"], "ACME-5");
        assert_unknown_item(&server, "issues");
    });
}

#[test]
fn collections_of_an_unknown_company_are_404() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        for collection in ["agents", "goals", "projects", "issues", "activity"] {
            let path = format!("/api/companies/{UNKNOWN_ID}/{collection}");
            let (status, body) = server.get(&path);
            assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body}");
        }
        let bodies = [
            ("agents", json!({"name": "A", "role": "r"})),
            ("goals", json!({"title": "G", "level": "company"})),
            ("projects", json!({"name": "P"})),
            ("issues", json!({"title": "I"})),
            (
                "cost-events",
                json!({"agentId": UNKNOWN_ID, "amountCents": 1}),
            ),
        ];
        for (collection, body) in bodies {
            let path = format!("/api/companies/{UNKNOWN_ID}/{collection}");
            let (status, answer) = server.post(&path, &body);
            assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {answer}");
        }
    });
}

#[test]
fn deleting_a_company_deletes_everything_in_it() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let keep = server.create_company("Keep");
        let agent = server.create_agent(&company, json!({}));
        let goal = server.create_goal(&company, json!({"ownerAgentId": agent}));
        let project = server.create_project(&company, json!({"goalId": goal}));
        let issue = server.create_issue(
            &company,
            json!({"assigneeAgentId": agent, "projectId": project, "goalId": goal}),
        );
        let kept_agent = server.create_agent(&keep, json!({}));

        let (status, body) = server.delete(&format!("/api/companies/{company}"));
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        for path in [
            format!("/api/agents/{agent}"),
            format!("/api/goals/{goal}"),
            format!("/api/projects/{project}"),
            format!("/api/issues/{issue}"),
            format!("/api/companies/{company}/activity"),
        ] {
            assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND, "GET {path}");
        }
        assert_eq!(
            server.get(&format!("/api/agents/{kept_agent}")).0,
            StatusCode::OK
        );
    });
}

#[test]
fn activity_lists_writes_with_filters() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let agent = server.create_agent(&company, json!({"name": "Ada"}));
        let issue = server.create_issue(&company, json!({"title": "One"}));
        server.patch(
            &format!("/api/issues/{issue}"),
            &json!({"status": "in_progress"}),
        );

        let all = server.activity(&company);
        assert!(
            all.len() >= 4,
            "company, agent, issue, issue update: {all:?}"
        );
        for row in &all {
            assert_eq!(row["companyId"], company, "{row}");
            assert_uuid(&row["id"]);
            assert!(
                row["actor"].is_string() && row["action"].is_string(),
                "{row}"
            );
            assert_timestamp(&row["createdAt"], "activity createdAt");
        }
        let base = format!("/api/companies/{company}/activity");
        let for_issue = server.items(&format!("{base}?entityType=issue&entityId={issue}"));
        assert!(
            for_issue.len() >= 2,
            "create and update of the issue: {for_issue:?}"
        );
        assert!(
            for_issue.iter().all(|r| r["entityId"] == issue),
            "{for_issue:?}"
        );
        let created = server.items(&format!("{base}?action=agent.created"));
        assert_eq!(created.len(), 1, "{created:?}");
        assert_eq!(created[0]["entityId"], agent);
        assert_eq!(created[0]["entityType"], "agent");
        let page = server.get_ok(&format!("{base}?limit=1"));
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(page["total"], all.len());
    });
}
