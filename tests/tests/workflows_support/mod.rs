//! Shared helpers of the workflows tests: a server with the workflows bundle (built into
//! `plugins-dist/workflows/` by `scripts/build-modules.sh`) and the capabilities it is granted,
//! rules through its routes, runs waited for, and the core entities the rules act on.

#![allow(dead_code)] // Each test binary uses its own subset.

use paperclip_e2e::{json, wait_until, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use std::time::Duration;

/// Where the module's routes are served.
pub const BASE: &str = "/api/modules/workflows";

/// Every capability the module asks for.
pub const ALL_GRANTS: [&str; 4] = [
    "issues.create",
    "issues.update",
    "agents.pause",
    "agents.resume",
];

/// How long asynchronous effects (hooks, rule actions) may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// Server options: the workflows bundle, `grants` granted through `modules.grants.workflows`,
/// and `modules` merged into the config's `modules` section.
pub fn options(grants: &[&str], modules: Value) -> ServerOptions {
    let mut config = json!({ "modules": { "grants": { "workflows": grants } } });
    if let Value::Object(settings) = modules {
        for (key, value) in settings {
            config["modules"][key] = value;
        }
    }
    ServerOptions::new().module("workflows").config(config)
}

/// Starts a server with the module granted `grants`.
pub fn start(backend: TestBackend, grants: &[&str]) -> TestServer {
    TestServer::start(backend, options(grants, json!({})))
}

/// The module as `GET /api/admin/modules/workflows` shows it.
pub fn module_view(server: &TestServer) -> Value {
    server.get_ok("/api/admin/modules/workflows")
}

/// Waits until the module is `status`; returns its view.
pub fn wait_for_status(server: &TestServer, status: &str) -> Value {
    wait_until(&format!("module status {status}"), WAIT, || {
        let view = module_view(server);
        (view["status"] == status).then_some(view)
    })
}

/// `POST /rules` with `body`, asserting 201; returns the rule.
pub fn create_rule(server: &TestServer, body: Value) -> Value {
    let (status, rule) = server.post(&format!("{BASE}/rules"), &body);
    assert_eq!(
        status,
        StatusCode::CREATED,
        "POST {BASE}/rules {body} answered {rule}"
    );
    rule
}

/// Asserts a 400 naming `field` whose error contains `needle`.
pub fn assert_refused((status, body): (StatusCode, Value), field: &str, needle: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], field, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(needle),
        "error {error:?} does not mention {needle:?}"
    );
}

/// The runs of rule `rule_id`, newest first.
pub fn runs(server: &TestServer, rule_id: &str) -> Vec<Value> {
    server.items(&format!("{BASE}/runs?ruleId={rule_id}&limit=500"))
}

/// Waits until rule `rule_id` has `count` finished runs (none `running`); returns them, newest
/// first.
pub fn wait_for_runs(server: &TestServer, rule_id: &str, count: usize) -> Vec<Value> {
    wait_until(
        &format!("{count} finished runs of rule {rule_id}"),
        WAIT,
        || {
            let runs = runs(server, rule_id);
            (runs.len() >= count && runs.iter().all(|r| r["status"] != "running")).then_some(runs)
        },
    )
}

/// Changes an issue's status through the REST API.
pub fn set_issue_status(server: &TestServer, issue: &str, status: &str) -> Value {
    let (code, body) = server.patch(
        &format!("/api/issues/{issue}"),
        &json!({ "status": status }),
    );
    assert_eq!(code, StatusCode::OK, "{body}");
    body
}

/// The issues of `company`, oldest first.
pub fn issues(server: &TestServer, company: &str) -> Vec<Value> {
    let mut items = server.items(&format!("/api/companies/{company}/issues?limit=500"));
    items.sort_by(|a, b| a["createdAt"].as_str().cmp(&b["createdAt"].as_str()));
    items
}

/// Records a cost of `cents` for `agent` through the REST API.
pub fn spend(server: &TestServer, company: &str, agent: &str, cents: i64) {
    server.create(
        &format!("/api/companies/{company}/cost-events"),
        &json!({ "agentId": agent, "amountCents": cents }),
    );
}

/// The agent's current status.
pub fn agent_status(server: &TestServer, agent: &str) -> String {
    server.get_ok(&format!("/api/agents/{agent}"))["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The rule "when an issue moves to done, create a follow-up" for `company`.
pub fn follow_up_rule(company: &str) -> Value {
    json!({
        "companyId": company,
        "name": "Follow up on done issues",
        "trigger": {
            "hook": "issue:status_changed",
            "conditions": [{ "field": "to", "operator": "eq", "value": "done" }]
        },
        "actions": [{
            "type": "create_issue",
            "title": "Follow up on {{issue.identifier}}: {{issue.title}}",
            "description": "{{issue.identifier}} moved from {{from}} to {{to}}.",
            "priority": "high",
            "parentId": "{{issue.id}}",
            "assigneeAgentId": "{{issue.assigneeAgentId}}"
        }]
    })
}

/// The rule "when an agent's spend reaches 90 % of its budget, pause it" for `company`.
pub fn pause_at_90_rule(company: &str) -> Value {
    json!({
        "companyId": company,
        "name": "Pause at 90 %",
        "trigger": {
            "hook": "budget:threshold_crossed",
            "conditions": [{ "field": "percent", "operator": "gte", "value": 90 }]
        },
        "actions": [{ "type": "pause_agent" }]
    })
}
