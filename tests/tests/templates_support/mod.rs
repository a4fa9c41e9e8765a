//! Helpers shared by the company-template tests (`templates_*.rs`) and the `template_import`
//! bench: the shipped templates, import/export over HTTP, row counts read straight from the
//! server's database, an id-free view of a company for isomorphism checks, and a generator of
//! large templates.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use paperclip_e2e::{
    json, workspace_root, ApiClient, DirectDb, Method, StatusCode, TestServer, Value,
};
use std::collections::{BTreeMap, HashMap};

/// Every core table; "nothing written" means none of their counts changed.
pub const CORE_TABLES: &[&str] = &[
    "companies",
    "agents",
    "goals",
    "projects",
    "issues",
    "activity",
    "heartbeats",
    "cost_events",
];

/// `templates/startup-in-a-box.json` as shipped.
pub fn startup_template() -> Value {
    let path = workspace_root().join("templates/startup-in-a-box.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("startup-in-a-box.json is JSON")
}

/// `POST /api/templates/import[?name=…]` with `template` as the body.
pub fn import(api: &ApiClient, template: &Value, name: Option<&str>) -> (StatusCode, Value) {
    let mut request = api
        .request(Method::POST, "/api/templates/import")
        .json(template);
    if let Some(name) = name {
        request = request.query(&[("name", name)]);
    }
    api.send(request)
}

/// Imports `template`, asserting `201`; returns the answer (`{companyId, refs}`).
pub fn import_ok(api: &ApiClient, template: &Value, name: Option<&str>) -> Value {
    let (status, body) = import(api, template, name);
    assert_eq!(status, StatusCode::CREATED, "import answered {body}");
    body
}

/// The company id of an import answer.
pub fn company_of(answer: &Value) -> String {
    answer["companyId"]
        .as_str()
        .unwrap_or_else(|| panic!("no companyId in {answer}"))
        .to_string()
}

/// `GET /api/templates/export?companyId=…`, asserting `200`.
pub fn export(api: &ApiClient, company: &str) -> Value {
    api.get_ok(&format!("/api/templates/export?companyId={company}"))
}

/// `document` without the fields that name the company (`id`, `name`), for comparing exports
/// of companies that differ only in name.
pub fn without_company_name(document: &Value) -> Value {
    let mut document = document.clone();
    if let Some(map) = document.as_object_mut() {
        map.remove("id");
        map.remove("name");
    }
    document
}

/// Every item of a list endpoint (`path` without a query string), paging through it.
pub fn all_items(api: &ApiClient, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    loop {
        let page = api.get_ok(&format!("{path}?limit=500&offset={}", items.len()));
        let batch = page["items"].as_array().cloned().unwrap_or_default();
        let total = page["total"].as_u64().unwrap_or(0) as usize;
        let done = batch.is_empty();
        items.extend(batch);
        if done || items.len() >= total {
            return items;
        }
    }
}

/// A company as seen through the core API with every id replaced by the position of the
/// entity it names: two companies with equal views are isomorphic (same entities, same
/// fields, same links). Agents, goals and projects are in list order (creation order),
/// issues by number.
pub fn company_view(api: &ApiClient, company: &str) -> Value {
    let agents = all_items(api, &format!("/api/companies/{company}/agents"));
    let goals = all_items(api, &format!("/api/companies/{company}/goals"));
    let projects = all_items(api, &format!("/api/companies/{company}/projects"));
    let mut issues = all_items(api, &format!("/api/companies/{company}/issues"));
    issues.sort_by_key(|i| i["number"].as_i64());
    let positions = |list: &[Value]| -> HashMap<String, usize> {
        list.iter()
            .enumerate()
            .map(|(at, item)| (item["id"].as_str().unwrap_or_default().to_string(), at))
            .collect()
    };
    let (a, g, p, i) = (
        positions(&agents),
        positions(&goals),
        positions(&projects),
        positions(&issues),
    );
    let link = |map: &HashMap<String, usize>, value: &Value| match value.as_str() {
        Some(id) => json!(map
            .get(id)
            .copied()
            .unwrap_or_else(|| panic!("link to unknown {id}"))),
        None => Value::Null,
    };
    json!({
        "agents": agents.iter().map(|x| json!({
            "name": x["name"], "role": x["role"], "title": x["title"], "status": x["status"],
            "reportsTo": link(&a, &x["reportsTo"]),
            "budgetMonthlyCents": x["budgetMonthlyCents"], "metadata": x["metadata"],
        })).collect::<Vec<_>>(),
        "goals": goals.iter().map(|x| json!({
            "title": x["title"], "description": x["description"], "level": x["level"],
            "status": x["status"], "parent": link(&g, &x["parentId"]),
            "owner": link(&a, &x["ownerAgentId"]),
        })).collect::<Vec<_>>(),
        "projects": projects.iter().map(|x| json!({
            "name": x["name"], "description": x["description"], "status": x["status"],
            "goal": link(&g, &x["goalId"]),
        })).collect::<Vec<_>>(),
        "issues": issues.iter().map(|x| json!({
            "number": x["number"], "title": x["title"], "description": x["description"],
            "status": x["status"], "priority": x["priority"],
            "assignee": link(&a, &x["assigneeAgentId"]), "project": link(&p, &x["projectId"]),
            "goal": link(&g, &x["goalId"]), "parent": link(&i, &x["parentId"]),
        })).collect::<Vec<_>>(),
    })
}

/// A direct connection to a test server's database, to count rows and to install the
/// trigger that injects a failure, without going through the server.
pub struct Db(DirectDb);

impl Db {
    /// Connects to the database `server` uses.
    pub fn open(server: &TestServer) -> Db {
        Db(DirectDb::open(server))
    }

    /// Runs statements (no result).
    pub fn execute(&mut self, sql: &str) {
        self.0.run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `SELECT COUNT(*) FROM table` (`table` is one of [`CORE_TABLES`]).
    pub fn count(&mut self, table: &str) -> i64 {
        assert!(CORE_TABLES.contains(&table), "not a core table: {table}");
        self.0.count(&format!("SELECT COUNT(*) AS n FROM {table}"))
    }

    /// The row count of every core table.
    pub fn counts(&mut self) -> BTreeMap<&'static str, i64> {
        CORE_TABLES.iter().map(|t| (*t, self.count(t))).collect()
    }

    /// Makes every insert of an issue titled `title` fail inside the database, like a
    /// constraint the template validation cannot see (a real trigger, raising an error).
    pub fn reject_issue_title(&mut self, title: &str) {
        assert!(
            title.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '),
            "plain titles only"
        );
        match self.0 {
            DirectDb::Sqlite(_) => self.execute(&format!(
                "CREATE TRIGGER reject_poisoned_issue BEFORE INSERT ON issues \
                 WHEN NEW.title = '{title}' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure: poisoned issue'); END"
            )),
            DirectDb::Postgres(_) => {
                self.execute(&format!(
                    "CREATE FUNCTION reject_poisoned_issue() RETURNS trigger AS $$ BEGIN \
                     IF NEW.title = '{title}' THEN \
                     RAISE EXCEPTION 'injected failure: poisoned issue'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql"
                ));
                self.execute(
                    "CREATE TRIGGER reject_poisoned_issue BEFORE INSERT ON issues \
                     FOR EACH ROW EXECUTE FUNCTION reject_poisoned_issue()",
                );
            }
        }
    }
}

/// Seeds a company with a few entities through the API, so that "nothing written" is checked
/// against tables that are not empty.
pub fn seed_company(api: &ApiClient) -> String {
    let company = api.create_company("Existing Co");
    let boss = api.create_agent(&company, json!({"name": "Boss"}));
    api.create_agent(&company, json!({"name": "Worker", "reportsTo": boss}));
    let goal = api.create_goal(&company, json!({"title": "Grow"}));
    let project = api.create_project(&company, json!({"name": "Growth", "goalId": goal}));
    api.create_issue(&company, json!({"title": "First", "projectId": project}));
    company
}

/// Size of a generated template.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Agents.
    pub agents: usize,
    /// Goals.
    pub goals: usize,
    /// Projects.
    pub projects: usize,
    /// Issues.
    pub issues: usize,
}

/// A valid template of `size`, the same every time: the org chart is a chain (deep: a fifth
/// of the agents, one below the other) plus an 8-ary tree (wide) under the CEO; goals form a
/// 5-ary tree; every 100th issue is a parent of the next four. Entities are listed in a
/// scrambled order (children before their parents), so the import must sort them.
pub fn generate_template(size: Size) -> Value {
    let chain = size.agents / 5;
    let agent_parent = |i: usize| -> Option<usize> {
        if i == 0 {
            None
        } else if i <= chain {
            Some(i - 1)
        } else if i <= chain + 8 {
            Some(0)
        } else {
            Some(chain + 1 + (i - chain - 9) / 8)
        }
    };
    let agents: Vec<Value> = scrambled(size.agents)
        .map(|i| {
            let mut agent = json!({
                "ref": format!("agent-{i}"),
                "name": format!("Agent {i}"),
                "role": (["engineer", "pm", "designer", "devops"][i % 4]),
                "budgetCents": (i as i64 % 7) * 10_000,
            });
            if let Some(parent) = agent_parent(i) {
                agent["reportsTo"] = json!(format!("agent-{parent}"));
            }
            if i % 10 == 0 {
                agent["title"] = json!(format!("Lead {i}"));
                agent["metadata"] = json!({"index": i, "tags": ["generated"]});
            }
            agent
        })
        .collect();
    let goals: Vec<Value> = scrambled(size.goals)
        .map(|i| {
            let mut goal = json!({
                "ref": format!("goal-{i}"),
                "title": format!("Goal {i}"),
                "level": if i == 0 { "company" } else if i <= 5 { "team" } else { "agent" },
                "status": (["planned", "active", "completed", "cancelled"][i % 4]),
                "ownerRef": format!("agent-{}", i % size.agents.max(1)),
            });
            if i > 0 {
                goal["parentRef"] = json!(format!("goal-{}", (i - 1) / 5));
            }
            if i % 3 == 0 {
                goal["description"] = json!(format!("Why goal {i} matters"));
            }
            goal
        })
        .collect();
    let projects: Vec<Value> = (0..size.projects)
        .map(|i| {
            json!({
                "ref": format!("project-{i}"),
                "name": format!("Project {i}"),
                "status": (["planned", "active", "completed", "archived"][i % 4]),
                "goalRef": format!("goal-{}", (i * 10) % size.goals.max(1)),
            })
        })
        .collect();
    let issues: Vec<Value> = (0..size.issues)
        .map(|i| {
            let mut issue = json!({
                "title": format!("Issue {i}"),
                "status": (["backlog", "todo", "in_progress", "in_review", "done", "cancelled"][i % 6]),
                "priority": (["low", "medium", "high", "urgent"][i % 4]),
            });
            if size.projects > 0 {
                issue["projectRef"] = json!(format!("project-{}", i % size.projects));
            }
            if size.agents > 0 && i % 5 != 4 {
                issue["assigneeRef"] = json!(format!("agent-{}", i % size.agents));
            }
            if size.goals > 0 && i % 2 == 0 {
                issue["goalRef"] = json!(format!("goal-{}", i % size.goals));
            }
            if i % 100 == 0 {
                issue["ref"] = json!(format!("issue-{i}"));
            } else if i % 100 < 5 {
                issue["parentRef"] = json!(format!("issue-{}", i - i % 100));
            }
            if i % 3 == 0 {
                issue["description"] = json!(format!("Details of issue {i}"));
            }
            issue
        })
        .collect();
    json!({
        "id": "generated",
        "name": "Generated Co",
        "description": "A generated template",
        "version": "1.0.0",
        "agents": agents,
        "goals": goals,
        "projects": projects,
        "issues": issues,
    })
}

/// `0..n` in a fixed scrambled order: the reverse of the natural order, then interleaved, so
/// that most children come before their parents.
fn scrambled(n: usize) -> impl Iterator<Item = usize> {
    let reversed: Vec<usize> = (0..n).rev().collect();
    let (even, odd): (Vec<_>, Vec<_>) =
        reversed.iter().enumerate().partition(|(at, _)| at % 2 == 0);
    odd.into_iter()
        .chain(even)
        .map(|(_, &i)| i)
        .collect::<Vec<_>>()
        .into_iter()
}
