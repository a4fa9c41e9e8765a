//! CRUD round trips of every core entity through the real actix app on a real database:
//! create (201), read, list with filters and paging, patch, delete (204), plus the activity
//! log, heartbeat and cost-event lists, issue identifiers and 404s for unknown ids.

#[macro_use]
mod common;

use common::harnesses;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn id(value: &Value) -> String {
    value["id"].as_str().expect("id").to_string()
}

/// The values of `key` in a page's items.
fn column(page: &Value, key: &str) -> Vec<Value> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item[key].clone())
        .collect()
}

fn is_rfc3339_utc(value: &Value) -> bool {
    value
        .as_str()
        .and_then(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|_| s.ends_with('Z'))
        })
        .unwrap_or(false)
}

#[actix_web::test]
async fn agents_round_trip() {
    for h in harnesses() {
        let app = app!(h);
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
        let ceo = send!(app, POST format!("/api/companies/{cid}/agents"), json!({
            "name": "Ada", "role": "ceo", "title": "Chief", "budgetMonthlyCents": 5000,
            "metadata": {"model": "big", "tags": ["a"]},
        }))
        .expect(201);
        let ceo_id = id(&ceo);
        assert!(uuid::Uuid::parse_str(&ceo_id).is_ok());
        assert_eq!(ceo["companyId"], cid);
        assert_eq!(ceo["status"], "idle", "default status");
        assert_eq!(ceo["reportsTo"], Value::Null);
        assert_eq!(ceo["spentMonthlyCents"], 0);
        assert_eq!(ceo["lastHeartbeatAt"], Value::Null);
        assert_eq!(ceo["metadata"], json!({"model": "big", "tags": ["a"]}));
        assert!(is_rfc3339_utc(&ceo["createdAt"]) && is_rfc3339_utc(&ceo["updatedAt"]));

        let eng = send!(app, POST format!("/api/companies/{cid}/agents"),
            json!({"name": "Bob", "reportsTo": ceo_id, "status": "active"}))
        .expect(201);
        let eng_id = id(&eng);
        assert_eq!(eng["role"], "general", "default role");
        assert_eq!(eng["budgetMonthlyCents"], 0);
        assert_eq!(eng["metadata"], json!({}));

        assert_eq!(
            send!(app, GET format!("/api/agents/{ceo_id}")).expect(200),
            ceo
        );

        let all = send!(app, GET format!("/api/companies/{cid}/agents")).expect(200);
        assert_eq!(all["total"], 2);
        assert_eq!(
            (all["limit"].clone(), all["offset"].clone()),
            (json!(50), json!(0))
        );
        assert_eq!(column(&all, "name"), vec![json!("Ada"), json!("Bob")]);
        let reports =
            send!(app, GET format!("/api/companies/{cid}/agents?reportsTo={ceo_id}")).expect(200);
        assert_eq!(column(&reports, "id"), vec![json!(eng_id)]);
        let active =
            send!(app, GET format!("/api/companies/{cid}/agents?status=active")).expect(200);
        assert_eq!(column(&active, "id"), vec![json!(eng_id)]);
        let page =
            send!(app, GET format!("/api/companies/{cid}/agents?limit=1&offset=1")).expect(200);
        assert_eq!(
            (page["total"].clone(), column(&page, "name")),
            (json!(2), vec![json!("Bob")])
        );

        let patched = send!(app, PATCH format!("/api/agents/{eng_id}"), json!({
            "title": "Engineer", "reportsTo": null, "budgetMonthlyCents": 700,
            "metadata": {"k": 1}, "role": "engineer",
        }))
        .expect(200);
        assert_eq!(patched["title"], "Engineer");
        assert_eq!(patched["reportsTo"], Value::Null);
        assert_eq!(patched["budgetMonthlyCents"], 700);
        assert_eq!(patched["metadata"], json!({"k": 1}));
        assert_eq!(patched["role"], "engineer");
        assert_eq!(patched["name"], "Bob", "absent fields unchanged");
        assert_eq!(
            send!(app, GET format!("/api/agents/{eng_id}")).expect(200),
            patched
        );
        let title_cleared =
            send!(app, PATCH format!("/api/agents/{eng_id}"), json!({"title": null})).expect(200);
        assert_eq!(title_cleared["title"], Value::Null);
        // Re-parent back under the CEO: a tree, not a cycle.
        send!(app, PATCH format!("/api/agents/{eng_id}"), json!({"reportsTo": ceo_id})).expect(200);

        // The manager cannot go while someone reports to it.
        let refused = send!(app, DELETE format!("/api/agents/{ceo_id}"));
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body["error"]
            .as_str()
            .unwrap()
            .contains("direct report"));
        send!(app, DELETE format!("/api/agents/{eng_id}")).expect(204);
        send!(app, GET format!("/api/agents/{eng_id}")).expect(404);
        send!(app, DELETE format!("/api/agents/{ceo_id}")).expect(204);
        let none = send!(app, GET format!("/api/companies/{cid}/agents")).expect(200);
        assert_eq!(none["total"], 0);
        send!(app, PATCH format!("/api/agents/{ceo_id}"), json!({"name": "x"})).expect(404);
    }
}

#[actix_web::test]
async fn goals_round_trip() {
    for h in harnesses() {
        let app = app!(h);
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
        let owner = id(
            &send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "O"}))
                .expect(201),
        );
        let top = send!(app, POST format!("/api/companies/{cid}/goals"),
            json!({"title": "Win", "description": "the market", "level": "company"}))
        .expect(201);
        let top_id = id(&top);
        assert_eq!(top["status"], "planned", "default status");
        assert_eq!(top["description"], "the market");
        let team = send!(app, POST format!("/api/companies/{cid}/goals"), json!({
            "title": "Ship", "level": "team", "parentId": top_id, "ownerAgentId": owner,
            "status": "active",
        }))
        .expect(201);
        let team_id = id(&team);
        assert_eq!(team["parentId"], top_id);
        assert_eq!(team["ownerAgentId"], owner);
        assert_eq!(
            send!(app, GET format!("/api/goals/{team_id}")).expect(200),
            team
        );

        let list = send!(app, GET format!("/api/companies/{cid}/goals")).expect(200);
        assert_eq!(column(&list, "id"), vec![json!(top_id), json!(team_id)]);
        for (query, expected) in [
            ("level=team", vec![json!(team_id)]),
            ("status=planned", vec![json!(top_id)]),
            (&format!("parentId={top_id}") as &str, vec![json!(team_id)]),
        ] {
            let page = send!(app, GET format!("/api/companies/{cid}/goals?{query}")).expect(200);
            assert_eq!(column(&page, "id"), expected, "{query}");
        }

        let patched = send!(app, PATCH format!("/api/goals/{team_id}"),
            json!({"title": "Ship it", "ownerAgentId": null, "level": "agent", "description": "now"}))
        .expect(200);
        assert_eq!(patched["title"], "Ship it");
        assert_eq!(patched["ownerAgentId"], Value::Null);
        assert_eq!(patched["level"], "agent");
        assert_eq!(patched["parentId"], top_id);

        // The parent cannot go while it has sub-goals.
        assert_eq!(
            send!(app, DELETE format!("/api/goals/{top_id}")).status,
            409
        );
        send!(app, DELETE format!("/api/goals/{team_id}")).expect(204);
        send!(app, DELETE format!("/api/goals/{top_id}")).expect(204);
        send!(app, GET format!("/api/goals/{top_id}")).expect(404);
    }
}

#[actix_web::test]
async fn projects_round_trip() {
    for h in harnesses() {
        let app = app!(h);
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
        let goal = id(
            &send!(app, POST format!("/api/companies/{cid}/goals"), json!({"title": "G"}))
                .expect(201),
        );
        let web = send!(app, POST format!("/api/companies/{cid}/projects"),
            json!({"name": "Web", "description": "site", "goalId": goal}))
        .expect(201);
        let web_id = id(&web);
        assert_eq!(web["status"], "active", "default status");
        assert_eq!(web["goalId"], goal);
        let app_project = send!(app, POST format!("/api/companies/{cid}/projects"),
            json!({"name": "App", "status": "planned"}))
        .expect(201);
        let app_id = id(&app_project);
        assert_eq!(
            send!(app, GET format!("/api/projects/{web_id}")).expect(200),
            web
        );

        let by_goal =
            send!(app, GET format!("/api/companies/{cid}/projects?goalId={goal}")).expect(200);
        assert_eq!(column(&by_goal, "id"), vec![json!(web_id)]);
        let planned =
            send!(app, GET format!("/api/companies/{cid}/projects?status=planned")).expect(200);
        assert_eq!(column(&planned, "id"), vec![json!(app_id)]);

        let patched = send!(app, PATCH format!("/api/projects/{web_id}"),
            json!({"status": "archived", "goalId": null, "description": null}))
        .expect(200);
        assert_eq!(
            (
                patched["status"].clone(),
                patched["goalId"].clone(),
                patched["description"].clone()
            ),
            (json!("archived"), Value::Null, Value::Null)
        );
        send!(app, DELETE format!("/api/projects/{web_id}")).expect(204);
        send!(app, GET format!("/api/projects/{web_id}")).expect(404);
        let left = send!(app, GET format!("/api/companies/{cid}/projects")).expect(200);
        assert_eq!(left["total"], 1);
    }
}

#[actix_web::test]
async fn issues_round_trip() {
    for h in harnesses() {
        let app = app!(h);
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme Corp"})).expect(201));
        let agent = id(
            &send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A"}))
                .expect(201),
        );
        let project = id(
            &send!(app, POST format!("/api/companies/{cid}/projects"), json!({"name": "P"}))
                .expect(201),
        );
        let goal = id(
            &send!(app, POST format!("/api/companies/{cid}/goals"), json!({"title": "G"}))
                .expect(201),
        );

        let first =
            send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "First"}))
                .expect(201);
        let first_id = id(&first);
        assert_eq!(first["identifier"], "ACME-1");
        assert_eq!(first["number"], 1);
        assert_eq!(
            (first["status"].clone(), first["priority"].clone()),
            (json!("todo"), json!("medium"))
        );
        let second = send!(app, POST format!("/api/companies/{cid}/issues"), json!({
            "title": "Second", "description": "details", "status": "backlog", "priority": "urgent",
            "assigneeAgentId": agent, "projectId": project, "goalId": goal, "parentId": first_id,
        }))
        .expect(201);
        let second_id = id(&second);
        assert_eq!(second["identifier"], "ACME-2");
        assert_eq!(second["assigneeAgentId"], agent);
        assert_eq!(second["projectId"], project);
        assert_eq!(second["goalId"], goal);
        assert_eq!(second["parentId"], first_id);
        assert_eq!(
            send!(app, GET format!("/api/issues/{second_id}")).expect(200),
            second
        );

        // Newest first; every filter.
        let all = send!(app, GET format!("/api/companies/{cid}/issues")).expect(200);
        assert_eq!(
            column(&all, "identifier"),
            vec![json!("ACME-2"), json!("ACME-1")]
        );
        for query in [
            "status=backlog".to_string(),
            "priority=urgent".to_string(),
            format!("assigneeAgentId={agent}"),
            format!("projectId={project}"),
            format!("goalId={goal}"),
            format!("status=backlog&priority=urgent&assigneeAgentId={agent}"),
        ] {
            let page = send!(app, GET format!("/api/companies/{cid}/issues?{query}")).expect(200);
            assert_eq!(column(&page, "id"), vec![json!(second_id)], "{query}");
        }
        let none = send!(app, GET format!("/api/companies/{cid}/issues?status=done")).expect(200);
        assert_eq!(none["total"], 0);

        let patched = send!(app, PATCH format!("/api/issues/{second_id}"), json!({
            "status": "in_review", "priority": "low", "assigneeAgentId": null,
            "parentId": null, "title": "Second!",
        }))
        .expect(200);
        assert_eq!(patched["status"], "in_review");
        assert_eq!(patched["assigneeAgentId"], Value::Null);
        assert_eq!(patched["parentId"], Value::Null);
        assert_eq!(patched["identifier"], "ACME-2", "identifier never changes");

        // A deleted issue's number is not reused; children lose their parent.
        let child = id(&send!(app, POST format!("/api/companies/{cid}/issues"),
            json!({"title": "Child", "parentId": first_id}))
        .expect(201));
        send!(app, DELETE format!("/api/issues/{first_id}")).expect(204);
        send!(app, GET format!("/api/issues/{first_id}")).expect(404);
        let orphan = send!(app, GET format!("/api/issues/{child}")).expect(200);
        assert_eq!(orphan["parentId"], Value::Null);
        let next =
            send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "Next"}))
                .expect(201);
        assert_eq!(next["identifier"], "ACME-4");

        // Deleting the assignee unassigns, deleting the project unlinks.
        send!(app, PATCH format!("/api/issues/{second_id}"), json!({"assigneeAgentId": agent}))
            .expect(200);
        send!(app, DELETE format!("/api/agents/{agent}")).expect(204);
        send!(app, DELETE format!("/api/projects/{project}")).expect(204);
        let after = send!(app, GET format!("/api/issues/{second_id}")).expect(200);
        assert_eq!(
            (after["assigneeAgentId"].clone(), after["projectId"].clone()),
            (Value::Null, Value::Null)
        );
    }
}

#[actix_web::test]
async fn concurrent_issue_creations_get_distinct_numbers() {
    for h in harnesses() {
        let cid = {
            let app = app!(h);
            id(
                &send!(app, POST "/api/companies", json!({"name": "Zeta", "issuePrefix": "ZT"}))
                    .expect(201),
            )
        };
        let writes = (0..20).map(|n| {
            let cid = cid.clone();
            h.core.write(move |conn, hooks| {
                let input = serde_json::from_value(json!({"title": format!("Issue {n}")})).unwrap();
                paperclip::core::issue::create(conn, hooks, "test", &cid, input)
            })
        });
        let identifiers: BTreeSet<String> = futures_util::future::join_all(writes)
            .await
            .into_iter()
            .map(|issue| issue.expect("create issue").identifier)
            .collect();
        let expected: BTreeSet<String> = (1..=20).map(|n| format!("ZT-{n}")).collect();
        assert_eq!(identifiers, expected, "{}", h.label());
    }
}

#[actix_web::test]
async fn activity_log_records_every_write() {
    for h in harnesses() {
        let app = app!(h);
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
        let agent = id(
            &send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A"}))
                .expect(201),
        );
        let issue = id(
            &send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "I"}))
                .expect(201),
        );
        send!(app, PATCH format!("/api/issues/{issue}"), json!({"status": "done"})).expect(200);
        let goal = id(
            &send!(app, POST format!("/api/companies/{cid}/goals"), json!({"title": "G"}))
                .expect(201),
        );
        send!(app, PATCH format!("/api/goals/{goal}"), json!({"status": "completed"})).expect(200);
        let project = id(
            &send!(app, POST format!("/api/companies/{cid}/projects"), json!({"name": "P"}))
                .expect(201),
        );
        send!(app, PATCH format!("/api/projects/{project}"), json!({"name": "Q"})).expect(200);
        send!(app, DELETE format!("/api/projects/{project}")).expect(204);
        send!(app, PATCH format!("/api/agents/{agent}"), json!({"title": "T"})).expect(200);
        send!(app, DELETE format!("/api/agents/{agent}")).expect(204);

        let log = send!(app, GET format!("/api/companies/{cid}/activity?limit=100")).expect(200);
        let actions: Vec<Value> = column(&log, "action");
        let expected: Vec<Value> = [
            "agent.deleted",
            "agent.updated",
            "project.deleted",
            "project.updated",
            "project.created",
            "goal.completed",
            "goal.created",
            "issue.status_changed",
            "issue.updated",
            "issue.created",
            "agent.created",
            "company.created",
        ]
        .into_iter()
        .map(Value::from)
        .collect();
        assert_eq!(actions, expected, "{}: newest first", h.label());
        assert!(column(&log, "actor").iter().all(|a| a == "user"));
        let status_entry = &log["items"][7];
        assert_eq!(status_entry["entityType"], "issue");
        assert_eq!(status_entry["entityId"], issue);
        assert_eq!(
            status_entry["details"],
            json!({"identifier": "ACME-1", "from": "todo", "to": "done"})
        );
        assert_eq!(
            log["items"][8]["details"]["changes"],
            json!({"status": {"from": "todo", "to": "done"}})
        );

        let issue_log = send!(app, GET format!("/api/companies/{cid}/activity?entityType=issue&entityId={issue}")).expect(200);
        assert_eq!(issue_log["total"], 3);
        let created = send!(app, GET format!("/api/companies/{cid}/activity?action=goal.created"))
            .expect(200);
        assert_eq!(column(&created, "entityId"), vec![json!(goal)]);
        let paged =
            send!(app, GET format!("/api/companies/{cid}/activity?limit=2&offset=10")).expect(200);
        assert_eq!(
            column(&paged, "action"),
            vec![json!("agent.created"), json!("company.created")]
        );
    }
}

#[actix_web::test]
async fn heartbeats_and_cost_events_are_listed_newest_first() {
    for h in harnesses() {
        let app = app!(h);
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
        let agent = id(
            &send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A"}))
                .expect(201),
        );
        for n in 1..=3 {
            let beat = send!(app, POST format!("/api/agents/{agent}/heartbeat"), json!({
                "meta": {"tokensUsed": n * 100, "costCents": n, "model": "m", "latencyMs": 5, "seq": n},
            }))
            .expect(201);
            assert_eq!(beat["agentId"], agent);
            assert_eq!(beat["tokensUsed"], n * 100);
            assert_eq!(beat["meta"]["seq"], n, "extra meta fields are kept");
            assert_eq!(beat["agent"]["lastHeartbeatAt"], beat["createdAt"]);
        }
        // A bare check-in with no body at all.
        let bare = send!(app, POST format!("/api/agents/{agent}/heartbeat")).expect(201);
        assert_eq!(bare["meta"], json!({}));
        assert_eq!(bare["costCents"], Value::Null);

        let beats = send!(app, GET format!("/api/agents/{agent}/heartbeats?limit=3")).expect(200);
        assert_eq!(beats["total"], 4);
        assert_eq!(
            column(&beats, "tokensUsed"),
            vec![Value::Null, json!(300), json!(200)]
        );
        let agent_now = send!(app, GET format!("/api/agents/{agent}")).expect(200);
        assert_eq!(agent_now["lastHeartbeatAt"], bare["createdAt"]);
        assert_eq!(agent_now["spentMonthlyCents"], 6);

        send!(app, POST format!("/api/companies/{cid}/cost-events"),
            json!({"agentId": agent, "amountCents": 40, "description": "tool use"}))
        .expect(201);
        let costs = send!(app, GET format!("/api/companies/{cid}/cost-events")).expect(200);
        assert_eq!(
            column(&costs, "amountCents"),
            vec![json!(40), json!(3), json!(2), json!(1)]
        );
        assert_eq!(costs["items"][0]["description"], "tool use");
        send!(app, GET format!("/api/agents/{}/heartbeats", uuid::Uuid::new_v4())).expect(404);
    }
}

#[actix_web::test]
async fn unknown_companies_and_ids_answer_404() {
    for h in harnesses() {
        let app = app!(h);
        let missing = uuid::Uuid::new_v4();
        for collection in [
            "agents",
            "goals",
            "projects",
            "issues",
            "activity",
            "cost-events",
        ] {
            let reply = send!(app, GET format!("/api/companies/{missing}/{collection}"));
            assert_eq!(reply.status, 404, "GET {collection}: {}", reply.body);
            assert!(reply.body["error"].as_str().unwrap().contains("not found"));
        }
        for (collection, body) in [
            ("agents", json!({"name": "A"})),
            ("goals", json!({"title": "G"})),
            ("projects", json!({"name": "P"})),
            ("issues", json!({"title": "I"})),
            ("cost-events", json!({"agentId": missing, "amountCents": 1})),
        ] {
            let reply = send!(app, POST format!("/api/companies/{missing}/{collection}"), body);
            assert_eq!(reply.status, 404, "POST {collection}: {}", reply.body);
        }
        for item in ["agents", "goals", "projects", "issues"] {
            send!(app, GET format!("/api/{item}/{missing}")).expect(404);
            send!(app, PATCH format!("/api/{item}/{missing}"), json!({})).expect(404);
            send!(app, DELETE format!("/api/{item}/{missing}")).expect(404);
            send!(app, GET format!("/api/{item}/not-a-uuid")).expect(404);
        }
        send!(app, POST format!("/api/agents/{missing}/heartbeat"), json!({})).expect(404);
    }
}
