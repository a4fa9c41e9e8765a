//! The module as the host drives it (through the SDK's test host): its subscriptions against
//! the manifest, rules firing on events, and the routes' answers to bad input.

use crate::Workflows;
use module_sdk::testing::{TestHost, TestModule};
use module_sdk::{Capability, Request};
use serde_json::{json, Value};

const MANIFEST: &str = include_str!("../paperclip.module.json");

/// The query of the hooks that have enabled rules (once, until a rule changes).
const HOOK_INDEX_QUERY: &str =
    "query 0 SELECT DISTINCT hook FROM mod_workflows_rules WHERE enabled = $1 [true]";

fn manifest() -> Value {
    serde_json::from_str(MANIFEST).unwrap()
}

fn module(host: &TestHost) -> TestModule<Workflows> {
    TestModule::<Workflows>::register(host, json!({})).unwrap()
}

/// The stored row of a rule (as a query answers it).
fn rule_row(hook: &str, conditions: Value, actions: Value) -> Value {
    json!({
        "id": "r1", "company_id": "c1", "name": "Follow up", "description": null, "hook": hook,
        "conditions": conditions.to_string(), "actions": actions.to_string(), "enabled": true,
        "created_at": 0, "updated_at": 0
    })
}

fn issue(status: &str) -> Value {
    json!({
        "id": "i1", "companyId": "c1", "identifier": "PC-7", "title": "Ship it", "status": status,
        "priority": "high", "createdAt": "t", "updatedAt": "t"
    })
}

#[test]
fn the_manifest_lists_exactly_the_hooks_and_capabilities_the_module_uses() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    let manifest = manifest();
    let mut listed: Vec<&str> = manifest["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let mut subscribed: Vec<&str> = module.hooks().iter().map(String::as_str).collect();
    listed.sort_unstable();
    subscribed.sort_unstable();
    assert_eq!(listed, subscribed);
    let capabilities: Vec<&str> = manifest["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // Every core write; `webhooks` (not a core write) is not one it needs.
    let core_writes: Vec<&str> = Capability::ALL
        .into_iter()
        .filter(|c| c.is_core_write())
        .map(Capability::as_str)
        .collect();
    assert_eq!(capabilities, core_writes);
    assert!(manifest["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["reason"].is_string()));
    assert_eq!(manifest["delivery"], "at-least-once");
    assert_eq!(module.services(), [("retention".to_owned(), 3_600_000)]);
}

#[test]
fn a_matching_event_claims_a_run_creates_the_issue_and_records_the_outcome() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    host.answer_queries(json!([rule_row(
        "issue:status_changed",
        json!([{"field": "to", "operator": "eq", "value": "done"}]),
        json!([{"type": "create_issue", "title": "Follow up on {{issue.identifier}}: {{issue.title}}", "parentId": "{{issue.id}}"}])
    )]));
    let created = json!({
        "id": "i2", "companyId": "c1", "identifier": "PC-8", "title": "Follow up on PC-7: Ship it",
        "status": "todo", "priority": "medium", "createdAt": "t", "updatedAt": "t"
    });
    host.answer_core(created);
    module
        .hook_json(
            "issue:status_changed",
            json!({"eventId": "e1", "issue": issue("done"), "from": "in_review", "to": "done",
                   "causedBy": {"eventId": "e0", "depth": 2, "module": "workflows"}}),
        )
        .unwrap();
    let mut calls = host.calls();
    assert_eq!(calls.remove(0), HOOK_INDEX_QUERY);
    assert_eq!(calls.len(), 4, "{calls:#?}");
    assert!(calls[0]
        .contains("FROM mod_workflows_rules WHERE hook = $1 AND company_id = $2 AND enabled = $3"));
    assert!(
        calls[0].ends_with(r#"["issue:status_changed","c1",true]"#),
        "{}",
        calls[0]
    );
    assert!(
        calls[1].starts_with("execute 0 INSERT INTO mod_workflows_runs"),
        "{}",
        calls[1]
    );
    assert!(
        calls[1].contains(r#","r1","c1","e1","issue:status_changed",2,"running","#),
        "{}",
        calls[1]
    );
    assert_eq!(
        calls[2],
        r#"core issues.create {"companyId":"c1","parentId":"i1","title":"Follow up on PC-7: Ship it"}"#
    );
    assert!(
        calls[3].starts_with("execute 0 UPDATE mod_workflows_runs SET status = $1"),
        "{}",
        calls[3]
    );
    assert!(
        calls[3].contains(r#"["succeeded","[{\"action\":0,\"type\":\"create_issue\",\"status\":\"ok\",\"result\":{\"identifier\":\"PC-8\",\"issueId\":\"i2\",\"title\":\"Follow up on PC-7: Ship it\"}}]",null,"#),
        "{}",
        calls[3]
    );
}

#[test]
fn an_event_whose_conditions_do_not_hold_fires_nothing() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    host.answer_queries(json!([rule_row(
        "issue:status_changed",
        json!([{"field": "to", "operator": "eq", "value": "done"}]),
        json!([{"type": "create_issue", "title": "x"}])
    )]));
    module
        .hook_json(
            "issue:status_changed",
            json!({"eventId": "e1", "issue": issue("todo"), "from": "backlog", "to": "todo"}),
        )
        .unwrap();
    assert_eq!(host.calls().len(), 2, "{:#?}", host.calls());
}

#[test]
fn an_action_that_cannot_be_rendered_fails_the_run_and_skips_the_rest() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    host.answer_queries(json!([rule_row(
        "issue:created",
        json!([]),
        json!([
            {"type": "pause_agent", "agentId": "{{issue.assigneeAgentId}}"},
            {"type": "create_issue", "title": "never"}
        ])
    )]));
    module
        .hook_json(
            "issue:created",
            json!({"eventId": "e1", "issue": issue("todo")}),
        )
        .unwrap();
    let calls = host.calls();
    assert_eq!(calls.len(), 4, "{calls:#?}");
    assert!(!calls.iter().any(|c| c.starts_with("core")), "{calls:#?}");
    assert!(calls[3].contains(r#"["failed","#), "{}", calls[3]);
    assert!(
        calls[3].contains(r#"\"status\":\"skipped\""#),
        "{}",
        calls[3]
    );
    assert!(host.logs()[0]
        .1
        .contains("rule `Follow up` (r1) failed on issue:created event e1"));
}

#[test]
fn events_of_no_company_are_ignored() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    host.answer_queries(json!([{"hook": "budget:threshold_crossed"}]));
    // The agent is unknown to the core: no company, no rule lookup.
    module
        .hook_json(
            "budget:threshold_crossed",
            json!({"agentId": "gone", "budget": 1, "spent": 1, "percent": 100}),
        )
        .unwrap();
    assert_eq!(
        host.calls(),
        [HOOK_INDEX_QUERY, r#"core agents.get {"id":"gone"}"#]
    );
}

#[test]
fn events_of_hooks_without_rules_cost_one_query_until_a_rule_changes() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    host.answer_queries(json!([{"hook": "issue:created"}]));
    let beat = json!({"agentId": "a1", "companyId": "c1", "timestamp": "2026-01-01T00:00:00Z"});
    module.hook_json("agent:heartbeat", beat.clone()).unwrap();
    module.hook_json("agent:heartbeat", beat.clone()).unwrap();
    assert_eq!(host.calls(), [HOOK_INDEX_QUERY]);
    // A rule stored through the routes: the hooks are read again.
    host.answer_core(json!(true));
    host.answer_queries(json!([{"id": "c1", "hook": "agent:heartbeat"}]));
    let created = module.request(
        Request::new("POST", "/rules").with_body(
            json!({
                "companyId": "c1", "name": "Beat",
                "trigger": {"hook": "agent:heartbeat"},
                "actions": [{"type": "resume_agent"}]
            })
            .to_string(),
        ),
    );
    assert_eq!(created.status, 201);
    module.hook_json("agent:heartbeat", beat).unwrap();
    let calls = host.calls();
    assert_eq!(
        calls.iter().filter(|c| *c == HOOK_INDEX_QUERY).count(),
        2,
        "{calls:#?}"
    );
    assert!(
        calls
            .last()
            .unwrap()
            .starts_with("query 0 SELECT id, company_id"),
        "{calls:#?}"
    );
}

#[test]
fn invalid_rules_are_refused_naming_the_field_and_nothing_is_written() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    let post =
        |body: Value| module.request(Request::new("POST", "/rules").with_body(body.to_string()));
    let response = post(json!({
        "companyId": "c1", "name": "Broken",
        "trigger": {"hook": "issue:status_changed", "conditions": [{"field": "to", "operator": "like", "value": "done"}]},
        "actions": [{"type": "create_issue", "title": "x"}]
    }));
    assert_eq!(response.status, 400);
    let body = response.body_json().unwrap();
    assert_eq!(body["field"], "trigger.conditions[0].operator");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("unknown operator `like`"),
        "{body}"
    );
    let response = module.request(Request::new("POST", "/rules").with_body("{not json"));
    assert_eq!(response.status, 400);
    assert!(host.calls().is_empty(), "{:#?}", host.calls());
}

#[test]
fn a_valid_rule_is_checked_against_the_database_then_stored() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    host.answer_queries(json!([{"id": "c1"}]));
    host.answer_core(json!(true));
    let response = module.request(Request::new("POST", "/rules").with_body(
        json!({
            "companyId": "c1", "name": "Pause at 90 %",
            "trigger": {"hook": "budget:threshold_crossed", "conditions": [{"field": "percent", "operator": "gte", "value": 90}]},
            "actions": [{"type": "pause_agent"}]
        })
        .to_string(),
    ));
    assert_eq!(response.status, 201, "{:?}", response.body_json());
    let rule = response.body_json().unwrap();
    assert_eq!(
        rule["actions"],
        json!([{"type": "pause_agent", "agentId": "{{agentId}}"}])
    );
    assert_eq!(rule["enabled"], true);
    let calls = host.calls();
    assert_eq!(
        calls[0],
        r#"query 0 SELECT id FROM companies WHERE id = $1 ["c1"]"#
    );
    assert_eq!(calls[1], r#"core module.enabledFor {"companyId":"c1"}"#);
    assert!(
        calls[2].starts_with("execute 0 INSERT INTO mod_workflows_rules"),
        "{}",
        calls[2]
    );
}

#[test]
fn a_dry_run_says_what_would_happen_and_writes_nothing() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    let response = module.request(Request::new("POST", "/rules/test").with_body(
        json!({
            "rule": {
                "companyId": "c1", "name": "Follow up",
                "trigger": {"hook": "issue:status_changed", "conditions": [
                    {"field": "to", "operator": "eq", "value": "done"},
                    {"field": "issue.priority", "operator": "in", "value": ["high", "urgent"]}
                ]},
                "actions": [{"type": "create_issue", "title": "Follow up on {{issue.identifier}}"}]
            },
            "payload": {"issue": issue("done"), "from": "in_review", "to": "done"}
        })
        .to_string(),
    ));
    assert_eq!(response.status, 200);
    let answer = response.body_json().unwrap();
    assert_eq!(answer["wouldFire"], true, "{answer}");
    assert_eq!(answer["conditions"][1]["actual"], "high");
    assert_eq!(answer["conditions"][1]["holds"], true);
    assert_eq!(
        answer["actions"][0]["write"],
        json!({"method": "issues.create", "args": {"companyId": "c1", "title": "Follow up on PC-7"}})
    );
    assert!(host.calls().is_empty(), "{:#?}", host.calls());

    let missing =
        module.request(Request::new("POST", "/rules/test").with_body(r#"{"payload": {}}"#));
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body_json().unwrap()["field"], "rule");
    let bad =
        module.request(Request::new("POST", "/rules/test").with_body(r#"{"rule": {"name": "x"}}"#));
    assert_eq!(bad.body_json().unwrap()["field"], "rule.companyId");
}

#[test]
fn the_catalog_lists_every_trigger_hook_with_a_sample() {
    let host = TestHost::new("workflows");
    let module = module(&host);
    let catalog = module
        .request(Request::new("GET", "/catalog"))
        .body_json()
        .unwrap();
    let hooks = catalog["hooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 12);
    assert!(hooks
        .iter()
        .all(|h| h["sample"].is_object() && h["fields"].is_array()));
    assert_eq!(catalog["operators"].as_array().unwrap().len(), 8);
    assert_eq!(
        catalog["actions"][2],
        json!({"type": "pause_agent", "capability": "agents.pause"})
    );
}

mod engine_with_a_scripted_host {
    use super::{issue, rule_row};
    use crate::config::WorkflowsConfig;
    use crate::engine::on_event;
    use crate::fake_host::FakeHost;
    use crate::hook_index::HookIndex;
    use crate::Workflows;
    use module_sdk::Hook;
    use serde_json::{json, Value};

    fn workflows() -> Workflows {
        Workflows {
            config: WorkflowsConfig::default(),
            hooks: HookIndex::default(),
        }
    }

    fn second_rule(mut row: Value) -> Value {
        row["id"] = json!("r2");
        row["name"] = json!("Second");
        row
    }

    #[test]
    fn an_event_delivered_again_does_not_fire_a_rule_twice() {
        let host = FakeHost::default();
        let ctx = host.context();
        let first = rule_row(
            "issue:created",
            json!([]),
            json!([{"type": "create_issue", "title": "Triage {{issue.identifier}}"}]),
        );
        host.rows(json!([first.clone(), second_rule(first)]));
        // r1 handled this event before (its claim affects no row); r2 did not.
        host.affected(&[0, 1]);
        host.core(vec![Ok(json!({
            "id": "i9", "companyId": "c1", "identifier": "PC-9", "title": "Triage PC-7",
            "status": "todo", "priority": "medium", "createdAt": "t", "updatedAt": "t"
        }))]);
        let payload = json!({"eventId": "e1", "issue": issue("todo")});
        on_event(&workflows(), &ctx, Hook::IssueCreated, payload).unwrap();
        let mut calls = host.calls();
        assert!(calls.remove(0).contains("SELECT DISTINCT hook"));
        assert_eq!(calls.len(), 5, "{calls:#?}");
        assert!(calls[1].contains(r#""r1","c1","e1""#), "{}", calls[1]);
        assert!(calls[2].contains(r#""r2","c1","e1""#), "{}", calls[2]);
        assert_eq!(
            calls
                .iter()
                .filter(|c| c.starts_with("core issues.create"))
                .count(),
            1,
            "{calls:#?}"
        );
        assert!(
            calls[4].starts_with("execute UPDATE mod_workflows_runs"),
            "{}",
            calls[4]
        );
    }

    #[test]
    fn a_refused_write_fails_the_run_with_the_hosts_reason_and_skips_the_rest() {
        let host = FakeHost::default();
        let ctx = host.context();
        host.rows(json!([rule_row(
            "budget:threshold_crossed",
            json!([{"field": "percent", "operator": "gte", "value": 90}]),
            json!([{"type": "pause_agent"}, {"type": "resume_agent"}])
        )]));
        let refusal = "the capability `agents.pause` is not granted to module `workflows`";
        host.core(vec![Err(refusal)]);
        let payload = json!({"eventId": "e1", "companyId": "c1", "agentId": "a1", "budget": 100, "spent": 90, "percent": 90});
        // The refusal is the rule's outcome, not the event's failure: no retry.
        on_event(&workflows(), &ctx, Hook::BudgetThresholdCrossed, payload).unwrap();
        let calls = host.calls();
        assert_eq!(calls[3], r#"core agents.pause {"id":"a1"}"#);
        assert!(
            !calls.iter().any(|c| c.starts_with("core agents.resume")),
            "{calls:#?}"
        );
        let finish = calls.last().unwrap();
        assert!(
            finish.starts_with("execute UPDATE mod_workflows_runs"),
            "{finish}"
        );
        let params: Value =
            serde_json::from_str(finish.split_once(" WHERE id = $5 ").unwrap().1).unwrap();
        assert_eq!(params[0], "failed");
        assert_eq!(params[2], refusal);
        let outcomes: Value = serde_json::from_str(params[1].as_str().unwrap()).unwrap();
        assert_eq!(
            outcomes,
            json!([
                {"action": 0, "type": "pause_agent", "status": "failed", "error": refusal},
                {"action": 1, "type": "resume_agent", "status": "skipped", "error": "not run: action 0 failed"}
            ])
        );
        assert!(host.logs()[0].contains(refusal), "{:?}", host.logs());
    }

    #[test]
    fn a_database_failure_fails_the_event_so_the_host_delivers_it_again() {
        let host = FakeHost::default();
        let ctx = host.context();
        host.rows(json!([rule_row(
            "issue:created",
            json!([]),
            json!([{"type": "create_issue", "title": "x"}])
        )]));
        host.fail_statements("INSERT INTO mod_workflows_runs", "database is locked");
        let payload = json!({"eventId": "e1", "issue": issue("todo")});
        let err = on_event(&workflows(), &ctx, Hook::IssueCreated, payload).unwrap_err();
        assert_eq!(err.message(), "database is locked");
        assert!(
            !host.calls().iter().any(|c| c.starts_with("core")),
            "{:#?}",
            host.calls()
        );
    }
}
