//! Bad input is refused with 400 `{"error", "field"}` naming the field, and changes nothing:
//! missing fields, wrong types, unknown enum values, unknown fields, dangling references
//! (also to another company), `reportsTo` and parent cycles — on every backend.

use paperclip_e2e::{each_backend, json, ApiClient, ServerOptions, StatusCode, TestServer, Value};

const UNKNOWN_ID: &str = "7d1e8f0a-0000-4000-8000-000000000000";

/// Two companies with a few entities each, to refer to (and across) in bad requests.
struct World {
    server: TestServer,
    company: String,
    other: String,
    /// `ceo` ← `cto` ← `dev` (reportsTo chain) in `company`.
    ceo: String,
    cto: String,
    dev: String,
    /// An agent of `other`.
    stranger: String,
    /// `goal` ← `subgoal` ← `leaf_goal` (parent chain) in `company`.
    goal: String,
    subgoal: String,
    leaf_goal: String,
    project: String,
    issue: String,
    sub_issue: String,
    other_goal: String,
    other_project: String,
    other_issue: String,
}

impl World {
    fn build(server: TestServer) -> World {
        let company = server.create_company("Acme");
        let other = server.create_company("Globex");
        let ceo = server.create_agent(
            &company,
            json!({"name": "Ceo", "budgetMonthlyCents": 10_000}),
        );
        let cto = server.create_agent(&company, json!({"name": "Cto", "reportsTo": ceo}));
        let dev = server.create_agent(&company, json!({"name": "Dev", "reportsTo": cto}));
        let stranger = server.create_agent(&other, json!({"name": "Stranger"}));
        let goal = server.create_goal(&company, json!({"title": "Top"}));
        let subgoal = server.create_goal(
            &company,
            json!({"title": "Sub", "level": "team", "parentId": goal}),
        );
        let leaf_goal = server.create_goal(
            &company,
            json!({"title": "Leaf", "level": "agent", "parentId": subgoal}),
        );
        let project = server.create_project(&company, json!({"goalId": goal}));
        let issue =
            server.create_issue(&company, json!({"title": "Parent", "assigneeAgentId": dev}));
        let sub_issue = server.create_issue(&company, json!({"title": "Child", "parentId": issue}));
        let other_goal = server.create_goal(&other, json!({}));
        let other_project = server.create_project(&other, json!({}));
        let other_issue = server.create_issue(&other, json!({}));
        World {
            server,
            company,
            other,
            ceo,
            cto,
            dev,
            stranger,
            goal,
            subgoal,
            leaf_goal,
            project,
            issue,
            sub_issue,
            other_goal,
            other_project,
            other_issue,
        }
    }

    fn start(backend: paperclip_e2e::TestBackend) -> World {
        World::build(TestServer::start(backend, ServerOptions::new()))
    }

    fn api(&self) -> &ApiClient {
        &self.server
    }

    /// Everything observable through the API: every list of both companies (with activity)
    /// and every agent's heartbeats.
    fn snapshot(&self) -> Value {
        let api = self.api();
        let mut state = serde_json::Map::new();
        state.insert(
            "companies".into(),
            json!(api.items("/api/companies?limit=500")),
        );
        for company in [&self.company, &self.other] {
            for list in ["agents", "goals", "projects", "issues", "activity"] {
                let path = format!("/api/companies/{company}/{list}?limit=500");
                state.insert(path.clone(), json!(api.items(&path)));
            }
        }
        for agent in [&self.ceo, &self.cto, &self.dev, &self.stranger] {
            let path = format!("/api/agents/{agent}/heartbeats?limit=500");
            state.insert(path.clone(), json!(api.items(&path)));
        }
        Value::Object(state)
    }

    /// Sends `method path body`, expects 400 naming `field`, and checks that nothing changed.
    fn refused(&self, method: &str, path: &str, body: Value, field: &str) {
        let before = self.snapshot();
        let (status, answer) = match method {
            "POST" => self.api().post(path, &body),
            "PATCH" => self.api().patch(path, &body),
            other => panic!("unsupported method {other}"),
        };
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{method} {path} {body} answered {answer}"
        );
        assert_eq!(
            answer["field"], field,
            "{method} {path} {body}: wrong field in {answer}"
        );
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty(),
            "{method} {path}: no error message in {answer}"
        );
        let after = self.snapshot();
        assert!(
            before == after,
            "{method} {path} {body} was refused but changed the database:\nbefore {before}\nafter  {after}"
        );
    }
}

#[test]
fn companies() {
    each_backend(|backend| {
        let w = World::start(backend);
        let path = "/api/companies";
        w.refused("POST", path, json!({}), "name");
        w.refused("POST", path, json!({"name": 5}), "name");
        w.refused("POST", path, json!({"name": "   "}), "name");
        w.refused(
            "POST",
            path,
            json!({"name": "X", "colour": "red"}),
            "colour",
        );
        w.refused(
            "POST",
            path,
            json!({"name": "X", "issuePrefix": "acme-1"}),
            "issuePrefix",
        );
        let item = format!("/api/companies/{}", w.company);
        w.refused("PATCH", &item, json!({"status": "deleted"}), "status");
        w.refused("PATCH", &item, json!({"name": ""}), "name");
        w.refused("PATCH", &item, json!({"issuePrefix": "NEW"}), "issuePrefix");
        w.refused("PATCH", &item, json!({"name": null}), "name");
    });
}

#[test]
fn agents() {
    each_backend(|backend| {
        let w = World::start(backend);
        let path = format!("/api/companies/{}/agents", w.company);
        w.refused("POST", &path, json!({"role": "engineer"}), "name");
        w.refused("POST", &path, json!({"name": 42}), "name");
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "budgetMonthlyCents": "lots"}),
            "budgetMonthlyCents",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "budgetMonthlyCents": 1.5}),
            "budgetMonthlyCents",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "budgetMonthlyCents": -1}),
            "budgetMonthlyCents",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "status": "sleeping"}),
            "status",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "favouriteColour": "blue"}),
            "favouriteColour",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "spentMonthlyCents": 0}),
            "spentMonthlyCents",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "reportsTo": UNKNOWN_ID}),
            "reportsTo",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "reportsTo": w.stranger}),
            "reportsTo",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "reportsTo": "not-a-uuid"}),
            "reportsTo",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "A", "metadata": [1, 2]}),
            "metadata",
        );

        let ceo = format!("/api/agents/{}", w.ceo);
        // ceo ← cto ← dev: making the ceo report to dev (or to itself) would close a cycle.
        w.refused("PATCH", &ceo, json!({"reportsTo": w.dev}), "reportsTo");
        w.refused("PATCH", &ceo, json!({"reportsTo": w.cto}), "reportsTo");
        w.refused("PATCH", &ceo, json!({"reportsTo": w.ceo}), "reportsTo");
        w.refused("PATCH", &ceo, json!({"reportsTo": w.stranger}), "reportsTo");
        w.refused("PATCH", &ceo, json!({"status": "zombie"}), "status");
        w.refused("PATCH", &ceo, json!({"companyId": w.other}), "companyId");
        w.refused(
            "PATCH",
            &ceo,
            json!({"budgetMonthlyCents": "x"}),
            "budgetMonthlyCents",
        );
        // A refused field spoils the whole patch: the valid field beside it is not applied.
        w.refused(
            "PATCH",
            &ceo,
            json!({"title": "Boss", "status": "zombie"}),
            "status",
        );
    });
}

#[test]
fn goals() {
    each_backend(|backend| {
        let w = World::start(backend);
        let path = format!("/api/companies/{}/goals", w.company);
        w.refused("POST", &path, json!({"level": "company"}), "title");
        w.refused("POST", &path, json!({"title": ["G"]}), "title");
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "level": "galaxy"}),
            "level",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "status": "done"}),
            "status",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "priority": "high"}),
            "priority",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "parentId": UNKNOWN_ID}),
            "parentId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "parentId": w.other_goal}),
            "parentId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "ownerAgentId": UNKNOWN_ID}),
            "ownerAgentId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "G", "ownerAgentId": w.stranger}),
            "ownerAgentId",
        );

        let top = format!("/api/goals/{}", w.goal);
        // goal ← subgoal ← leaf_goal: the top goal under its own descendants is a cycle.
        w.refused("PATCH", &top, json!({"parentId": w.leaf_goal}), "parentId");
        w.refused("PATCH", &top, json!({"parentId": w.subgoal}), "parentId");
        w.refused("PATCH", &top, json!({"parentId": w.goal}), "parentId");
        w.refused("PATCH", &top, json!({"parentId": w.other_goal}), "parentId");
        w.refused("PATCH", &top, json!({"level": "division"}), "level");
        w.refused(
            "PATCH",
            &top,
            json!({"ownerAgentId": w.stranger}),
            "ownerAgentId",
        );
    });
}

#[test]
fn projects() {
    each_backend(|backend| {
        let w = World::start(backend);
        let path = format!("/api/companies/{}/projects", w.company);
        w.refused("POST", &path, json!({"description": "no name"}), "name");
        w.refused("POST", &path, json!({"name": 1}), "name");
        w.refused(
            "POST",
            &path,
            json!({"name": "P", "status": "paused"}),
            "status",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "P", "goalId": UNKNOWN_ID}),
            "goalId",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "P", "goalId": w.other_goal}),
            "goalId",
        );
        w.refused(
            "POST",
            &path,
            json!({"name": "P", "ownerId": w.ceo}),
            "ownerId",
        );
        let item = format!("/api/projects/{}", w.project);
        w.refused("PATCH", &item, json!({"status": "shipped"}), "status");
        w.refused("PATCH", &item, json!({"goalId": w.other_goal}), "goalId");
        w.refused("PATCH", &item, json!({"name": null}), "name");
    });
}

#[test]
fn issues() {
    each_backend(|backend| {
        let w = World::start(backend);
        let path = format!("/api/companies/{}/issues", w.company);
        w.refused("POST", &path, json!({"description": "untitled"}), "title");
        w.refused("POST", &path, json!({"title": true}), "title");
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "status": "wip"}),
            "status",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "priority": "critical"}),
            "priority",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "priority": 3}),
            "priority",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "severity": "high"}),
            "severity",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "identifier": "ACME-99"}),
            "identifier",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "assigneeAgentId": UNKNOWN_ID}),
            "assigneeAgentId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "assigneeAgentId": w.stranger}),
            "assigneeAgentId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "projectId": UNKNOWN_ID}),
            "projectId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "projectId": w.other_project}),
            "projectId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "goalId": w.other_goal}),
            "goalId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "parentId": UNKNOWN_ID}),
            "parentId",
        );
        w.refused(
            "POST",
            &path,
            json!({"title": "I", "parentId": w.other_issue}),
            "parentId",
        );

        let item = format!("/api/issues/{}", w.issue);
        w.refused(
            "PATCH",
            &item,
            json!({"assigneeAgentId": w.stranger}),
            "assigneeAgentId",
        );
        w.refused("PATCH", &item, json!({"status": "closed"}), "status");
        w.refused("PATCH", &item, json!({"priority": "p0"}), "priority");
        w.refused(
            "PATCH",
            &item,
            json!({"identifier": "ACME-7"}),
            "identifier",
        );
        w.refused(
            "PATCH",
            &item,
            json!({"title": "Renamed", "projectId": w.other_project}),
            "projectId",
        );
        // issue ← sub_issue: the parent cannot become its child's child.
        w.refused("PATCH", &item, json!({"parentId": w.sub_issue}), "parentId");
        w.refused("PATCH", &item, json!({"parentId": w.issue}), "parentId");
    });
}

#[test]
fn heartbeats_and_cost_events() {
    each_backend(|backend| {
        let w = World::start(backend);
        let beat = format!("/api/agents/{}/heartbeat", w.dev);
        w.refused(
            "POST",
            &beat,
            json!({"meta": {"tokensUsed": "many"}}),
            "meta.tokensUsed",
        );
        w.refused(
            "POST",
            &beat,
            json!({"meta": {"costCents": -5}}),
            "meta.costCents",
        );
        w.refused(
            "POST",
            &beat,
            json!({"meta": {"latencyMs": "slow"}}),
            "meta.latencyMs",
        );
        w.refused("POST", &beat, json!({"meta": {"model": 7}}), "meta.model");
        w.refused("POST", &beat, json!({"meta": "hello"}), "meta");
        w.refused("POST", &beat, json!({"pulse": 1}), "pulse");

        let costs = format!("/api/companies/{}/cost-events", w.company);
        w.refused("POST", &costs, json!({"amountCents": 5}), "agentId");
        w.refused("POST", &costs, json!({"agentId": w.dev}), "amountCents");
        w.refused(
            "POST",
            &costs,
            json!({"agentId": w.dev, "amountCents": 0}),
            "amountCents",
        );
        w.refused(
            "POST",
            &costs,
            json!({"agentId": w.dev, "amountCents": -5}),
            "amountCents",
        );
        w.refused(
            "POST",
            &costs,
            json!({"agentId": w.dev, "amountCents": "5"}),
            "amountCents",
        );
        w.refused(
            "POST",
            &costs,
            json!({"agentId": w.stranger, "amountCents": 5}),
            "agentId",
        );
        w.refused(
            "POST",
            &costs,
            json!({"agentId": UNKNOWN_ID, "amountCents": 5}),
            "agentId",
        );
        w.refused(
            "POST",
            &costs,
            json!({"agentId": w.dev, "amountCents": 5, "currency": "EUR"}),
            "currency",
        );
    });
}

#[test]
fn malformed_bodies_and_paging() {
    each_backend(|backend| {
        let w = World::start(backend);
        let path = format!("/api/companies/{}/issues", w.company);
        let before = w.snapshot();
        for raw in ["{not json", "", "[1, 2]", "\"text\"", "{\"title\": \"x\""] {
            let (status, body) = w.api().post_raw(&path, raw);
            assert_eq!(status, StatusCode::BAD_REQUEST, "body {raw:?}: {body}");
            assert!(body["error"].is_string(), "body {raw:?}: {body}");
        }
        assert!(
            before == w.snapshot(),
            "malformed bodies changed the database"
        );
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=ten", "limit"),
            ("offset=-1", "offset"),
        ] {
            let (status, body) = w.api().get(&format!("{path}?{query}"));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(body["field"], field, "{query}: {body}");
        }
    });
}
