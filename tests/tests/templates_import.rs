//! Importing company templates through `POST /api/templates/import` on every backend: Startup
//! in a Box builds the org chart, goal tree, projects and linked issues it describes, with an
//! activity row per entity; the company name can be overridden; a large generated template
//! (deep and wide org chart, several insert batches per table) comes back unchanged through
//! export.

mod templates_support;

use paperclip_e2e::{each_backend, json, ServerOptions, StatusCode, TestServer, Value};
use std::collections::{BTreeMap, BTreeSet};
use templates_support::{
    all_items, company_of, export, generate_template, import, import_ok, startup_template, Db, Size,
};

/// The id a ref of `kind` became, from an import answer.
fn id(answer: &Value, kind: &str, reference: &str) -> String {
    answer["refs"][kind][reference]
        .as_str()
        .unwrap_or_else(|| panic!("no {kind} ref {reference} in {answer}"))
        .to_string()
}

#[test]
fn startup_in_a_box_builds_the_company_it_describes() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let template = startup_template();
        let answer = import_ok(&server, &template, None);
        let company = company_of(&answer);

        let found = server.get_ok(&format!("/api/companies/{company}"));
        assert_eq!(found["name"], "Startup in a Box");
        assert_eq!(found["description"], template["description"]);

        // The answer maps every ref to the id it became.
        let keys = |kind: &str| -> BTreeSet<String> {
            answer["refs"][kind]
                .as_object()
                .unwrap_or_else(|| panic!("no {kind} refs in {answer}"))
                .keys()
                .cloned()
                .collect()
        };
        let refs_of = |kind: &str| -> BTreeSet<String> {
            template[kind]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["ref"].as_str().map(String::from))
                .collect()
        };
        for kind in ["agents", "goals", "projects", "issues"] {
            assert_eq!(keys(kind), refs_of(kind), "{kind} refs");
        }

        // Org chart: CEO at the top, engineering under the lead, design and ops under the CEO.
        let agent = |r: &str| server.get_ok(&format!("/api/agents/{}", id(&answer, "agents", r)));
        let ceo = agent("ceo");
        assert_eq!(ceo["reportsTo"], Value::Null);
        assert_eq!(ceo["role"], "pm");
        assert_eq!(ceo["budgetMonthlyCents"], 100_000);
        assert_eq!(ceo["status"], "idle");
        assert_eq!(
            ceo["metadata"],
            json!({"responsibilities": "Strategy, fundraising, hiring"})
        );
        for (reference, manager) in [
            ("eng-lead", "ceo"),
            ("eng-1", "eng-lead"),
            ("designer", "ceo"),
            ("ops", "ceo"),
        ] {
            assert_eq!(
                agent(reference)["reportsTo"],
                id(&answer, "agents", manager),
                "{reference} reports to {manager}"
            );
        }
        assert_eq!(agent("eng-1")["title"], "Software Engineer");
        assert_eq!(agent("ops")["role"], "devops");

        // Goal tree with owners; status defaults to planned.
        let goals: BTreeMap<String, Value> = template["goals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["ref"].as_str().unwrap().to_string(), g.clone()))
            .collect();
        for (reference, spec) in &goals {
            let goal = server.get_ok(&format!("/api/goals/{}", id(&answer, "goals", reference)));
            assert_eq!(goal["title"], spec["title"], "{reference}");
            assert_eq!(goal["level"], spec["level"], "{reference}");
            assert_eq!(
                goal["status"],
                spec.get("status").cloned().unwrap_or(json!("planned"))
            );
            let parent = spec["parentRef"].as_str().map(|p| id(&answer, "goals", p));
            assert_eq!(goal["parentId"], json!(parent), "parent of {reference}");
            let owner = spec["ownerRef"].as_str().map(|o| id(&answer, "agents", o));
            assert_eq!(goal["ownerAgentId"], json!(owner), "owner of {reference}");
        }

        // Projects serve their goals; status defaults to active.
        for spec in template["projects"].as_array().unwrap() {
            let reference = spec["ref"].as_str().unwrap();
            let project = server.get_ok(&format!(
                "/api/projects/{}",
                id(&answer, "projects", reference)
            ));
            assert_eq!(project["name"], spec["name"]);
            assert_eq!(
                project["status"],
                spec.get("status").cloned().unwrap_or(json!("active"))
            );
            assert_eq!(
                project["goalId"],
                id(&answer, "goals", spec["goalRef"].as_str().unwrap())
            );
        }

        // Issues numbered in template order with their links resolved.
        let mut issues = all_items(&server, &format!("/api/companies/{company}/issues"));
        issues.sort_by_key(|i| i["number"].as_i64());
        let specs = template["issues"].as_array().unwrap();
        assert_eq!(issues.len(), specs.len());
        let link = |spec: &Value, field: &str, kind: &str| -> Value {
            json!(spec[field].as_str().map(|r| id(&answer, kind, r)))
        };
        for (at, (issue, spec)) in issues.iter().zip(specs).enumerate() {
            let n = at + 1;
            assert_eq!(issue["number"], n);
            assert_eq!(issue["identifier"], format!("STAR-{n}"));
            assert_eq!(issue["title"], spec["title"]);
            assert_eq!(issue["status"], spec["status"]);
            assert_eq!(issue["priority"], spec["priority"]);
            assert_eq!(
                issue["assigneeAgentId"],
                link(spec, "assigneeRef", "agents")
            );
            assert_eq!(issue["projectId"], link(spec, "projectRef", "projects"));
            assert_eq!(issue["goalId"], link(spec, "goalRef", "goals"));
            assert_eq!(issue["parentId"], link(spec, "parentRef", "issues"));
        }
        let landing = issues
            .iter()
            .find(|i| i["title"] == "Design landing page")
            .unwrap();
        assert_eq!(landing["parentId"], id(&answer, "issues", "marketing-site"));

        // The issue counter continues after the imported issues.
        let next = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "After the import"}),
        );
        assert_eq!(next["identifier"], format!("STAR-{}", specs.len() + 1));

        // One activity row per created entity, plus the company's creation and the import.
        let activity = all_items(&server, &format!("/api/companies/{company}/activity"));
        let mut actions: BTreeMap<String, usize> = BTreeMap::new();
        let mut logged: BTreeSet<String> = BTreeSet::new();
        for row in &activity {
            *actions
                .entry(row["action"].as_str().unwrap().to_string())
                .or_default() += 1;
            logged.insert(row["entityId"].as_str().unwrap().to_string());
        }
        assert_eq!(actions["company.created"], 1);
        assert_eq!(actions["company.imported"], 1);
        assert_eq!(actions["agent.created"], 5);
        assert_eq!(actions["goal.created"], goals.len());
        assert_eq!(actions["project.created"], 3);
        assert_eq!(actions["issue.created"], specs.len() + 1);
        for kind in ["agents", "goals", "projects"] {
            for entity_id in answer["refs"][kind].as_object().unwrap().values() {
                assert!(
                    logged.contains(entity_id.as_str().unwrap()),
                    "no activity for {entity_id}"
                );
            }
        }
        for issue in &issues {
            assert!(
                logged.contains(issue["id"].as_str().unwrap()),
                "no activity for {issue}"
            );
        }
        let imported = activity
            .iter()
            .find(|a| a["action"] == "company.imported")
            .unwrap();
        assert_eq!(imported["details"]["template"], "startup-in-a-box");
        assert_eq!(imported["actor"], "user");
    });
}

#[test]
fn the_company_name_can_be_overridden() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let answer = import_ok(&server, &startup_template(), Some("Acme Robotics"));
        let company = company_of(&answer);
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "Acme Robotics"
        );
        let issues = all_items(&server, &format!("/api/companies/{company}/issues"));
        assert!(issues
            .iter()
            .all(|i| i["identifier"].as_str().unwrap().starts_with("ACME-")));

        // A blank name is refused, naming the parameter, and writes nothing.
        let mut db = Db::open(&server);
        let before = db.counts();
        let (status, body) = import(&server, &startup_template(), Some("   "));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "name", "{body}");
        assert_eq!(db.counts(), before);

        // So is an unknown query parameter.
        let (status, body) = server.send(
            server
                .request(paperclip_e2e::Method::POST, "/api/templates/import?nmae=x")
                .json(&startup_template()),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "nmae", "{body}");
        assert_eq!(db.counts(), before);
    });
}

#[test]
fn a_large_template_with_deep_and_wide_trees_imports_exactly() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        // Enough issues and activity rows for several insert statements per table.
        let template = generate_template(Size {
            agents: 400,
            goals: 300,
            projects: 20,
            issues: 3_600,
        });
        let answer = import_ok(&server, &template, None);
        let company = company_of(&answer);
        let mut db = Db::open(&server);
        let counts = db.counts();
        assert_eq!(counts["agents"], 400);
        assert_eq!(counts["goals"], 300);
        assert_eq!(counts["projects"], 20);
        assert_eq!(counts["issues"], 3_600);
        assert_eq!(counts["activity"], 400 + 300 + 20 + 3_600 + 2);

        // The bottom of the 80-deep chain reports to the agent above it.
        let bottom = server.get_ok(&format!(
            "/api/agents/{}",
            id(&answer, "agents", "agent-80")
        ));
        assert_eq!(bottom["reportsTo"], id(&answer, "agents", "agent-79"));

        // The export names every entity as the template did (refs come from names), in the
        // template's order, so it is the template itself apart from the generated id.
        let mut exported = export(&server, &company);
        let mut expected = template.clone();
        exported.as_object_mut().unwrap().remove("id");
        expected.as_object_mut().unwrap().remove("id");
        assert!(
            exported == expected,
            "export differs from the imported template"
        );
    });
}
