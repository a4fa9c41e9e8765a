//! Workflow Automation module, end to end through the REST API, on SQLite and PostgreSQL (the
//! module's own routes, the core's, and the admin API's grants and companies):
//!
//! - an issue moved to done gets a follow-up issue titled from the rule's template, logged as
//!   `module:workflows`, and the run lists it; a dry run writes nothing;
//! - an agent whose spend reaches 90 % of its budget is paused by a rule;
//! - a module asking for a capability not granted waits for approval; a capability withdrawn
//!   from the running module makes the rule do nothing, and its run says why;
//! - two rules that trigger each other stop at the host's causation depth limit, and the run
//!   log shows the refusal;
//! - a company the module is not enabled for: no rule may be made for it, and its events fire
//!   nothing;
//! - invalid rules are refused with the field named, and change nothing.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server -p
//! paperclip-module-runner --bins` first.

mod workflows_support;

use paperclip_e2e::{each_backend, each_backend_and_level, json, wait_until, StatusCode, Value};
use std::time::Duration;
use workflows_support::*;

#[test]
fn an_issue_moved_to_done_gets_a_follow_up_issue() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, &ALL_GRANTS);
        wait_for_status(&server, "active");
        let company = server.create_company("Acme");
        let ada = server.create_agent(&company, json!({"name": "Ada"}));
        let shipped = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "Ship the release", "assigneeAgentId": ada}),
        );
        let issue = shipped["id"].as_str().unwrap().to_string();
        let identifier = shipped["identifier"].as_str().unwrap().to_string();

        let rule = create_rule(&server, follow_up_rule(&company));
        let rule_id = rule["id"].as_str().unwrap().to_string();
        assert_eq!(rule["enabled"], true);
        assert_eq!(rule["trigger"]["hook"], "issue:status_changed");
        assert_eq!(server.get_ok(&format!("{BASE}/rules/{rule_id}")), rule);
        let listed = server.items(&format!("{BASE}/rules?companyId={company}"));
        assert_eq!(listed, std::slice::from_ref(&rule));

        // A dry run says what would happen and writes nothing.
        let (status, dry) = server.post(
            &format!("{BASE}/rules/{rule_id}/test"),
            &json!({"payload": {"issue": shipped, "from": "in_review", "to": "done"}}),
        );
        assert_eq!(status, StatusCode::OK, "{dry}");
        assert_eq!(dry["wouldFire"], true, "{dry}");
        assert_eq!(
            dry["actions"][0]["write"]["args"]["title"],
            format!("Follow up on {identifier}: Ship the release")
        );
        let (_, not_done) = server.post(
            &format!("{BASE}/rules/{rule_id}/test"),
            &json!({"payload": {"issue": shipped, "from": "todo", "to": "in_progress"}}),
        );
        assert_eq!(not_done["wouldFire"], false, "{not_done}");
        assert_eq!(not_done["conditions"][0]["actual"], "in_progress");

        // A move that is not to done fires nothing; done fires the rule once.
        set_issue_status(&server, &issue, "in_progress");
        set_issue_status(&server, &issue, "done");
        let created = wait_until("the follow-up issue", WAIT, || {
            let all = issues(&server, &company);
            (all.len() == 2).then(|| all.into_iter().find(|i| i["id"] != issue.as_str()).unwrap())
        });
        assert_eq!(
            created["title"],
            format!("Follow up on {identifier}: Ship the release")
        );
        assert_eq!(
            created["description"],
            format!("{identifier} moved from in_progress to done.")
        );
        assert_eq!(created["parentId"], issue.as_str());
        assert_eq!(created["assigneeAgentId"], ada.as_str());
        assert_eq!(created["priority"], "high");
        assert_eq!(created["status"], "todo");

        // The activity names the module as the actor.
        let follow_up = created["id"].as_str().unwrap();
        let logged = server
            .activity(&company)
            .into_iter()
            .find(|a| a["entityId"] == follow_up && a["action"] == "issue.created")
            .unwrap_or_else(|| panic!("no issue.created activity for {follow_up}"));
        assert_eq!(logged["actor"], "module:workflows", "{logged}");

        // The run: what fired it and what it did.
        let runs = wait_for_runs(&server, &rule_id, 1);
        assert_eq!(runs.len(), 1, "{runs:#?}");
        let run = &runs[0];
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(run["ruleName"], "Follow up on done issues");
        assert_eq!(run["hook"], "issue:status_changed");
        assert_eq!(run["companyId"], company.as_str());
        assert_eq!(run["depth"], 0);
        assert!(
            run["eventId"].as_str().is_some_and(|id| !id.is_empty()),
            "{run}"
        );
        assert!(run["firedAt"].as_str().is_some() && run["finishedAt"].as_str().is_some());
        assert_eq!(run["outcomes"][0]["status"], "ok");
        assert_eq!(run["outcomes"][0]["result"]["issueId"], follow_up);
        assert_eq!(
            run["outcomes"][0]["result"]["identifier"],
            created["identifier"]
        );
        assert_eq!(
            server.items(&format!("{BASE}/runs?companyId={company}")),
            runs
        );

        // Nothing else fires: the follow-up's own events do not match.
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(issues(&server, &company).len(), 2);
        assert_eq!(runs_of(&server, &rule_id), 1);
    });
}

fn runs_of(server: &paperclip_e2e::TestServer, rule_id: &str) -> usize {
    runs(server, rule_id).len()
}

#[test]
fn an_agent_at_90_percent_of_its_budget_is_paused() {
    each_backend(|backend| {
        let server = start(backend, &ALL_GRANTS);
        wait_for_status(&server, "active");
        let company = server.create_company("Acme");
        let ada = server.create_agent(
            &company,
            json!({"name": "Ada", "budgetMonthlyCents": 10_000}),
        );
        let rule = create_rule(&server, pause_at_90_rule(&company));
        let rule_id = rule["id"].as_str().unwrap().to_string();
        assert_eq!(
            rule["actions"],
            json!([{"type": "pause_agent", "agentId": "{{agentId}}"}])
        );

        // 85 %: the 80 % crossing does not match.
        spend(&server, &company, &ada, 5_000);
        spend(&server, &company, &ada, 3_500);
        std::thread::sleep(Duration::from_millis(500));
        assert_ne!(agent_status(&server, &ada), "paused");
        assert!(runs(&server, &rule_id).is_empty());

        // 90 %: paused by the rule (the core itself pauses only at 100 %).
        spend(&server, &company, &ada, 500);
        wait_until("the agent paused", WAIT, || {
            (agent_status(&server, &ada) == "paused").then_some(())
        });
        let agent = server.get_ok(&format!("/api/agents/{ada}"));
        assert_eq!(agent["spentMonthlyCents"], 9_000);
        let paused = server
            .activity(&company)
            .into_iter()
            .find(|a| a["entityId"] == ada.as_str() && a["action"] == "agent.status_changed")
            .expect("the agent's status change is logged");
        assert_eq!(paused["actor"], "module:workflows", "{paused}");

        let runs = wait_for_runs(&server, &rule_id, 1);
        assert_eq!(runs.len(), 1, "{runs:#?}");
        assert_eq!(runs[0]["status"], "succeeded");
        assert_eq!(runs[0]["hook"], "budget:threshold_crossed");
        assert_eq!(runs[0]["outcomes"][0]["result"]["status"], "paused");
        assert_eq!(runs[0]["outcomes"][0]["result"]["agentId"], ada.as_str());
    });
}

#[test]
fn a_capability_not_granted_does_nothing_and_the_run_says_why() {
    each_backend(|backend| {
        // Asking for a capability the operator has not granted: the module waits.
        let server = start(
            backend,
            &["issues.create", "issues.update", "agents.resume"],
        );
        let view = wait_for_status(&server, "awaiting_approval");
        assert!(view.to_string().contains("agents.pause"), "{view}");
        let grants = server.get_ok("/api/admin/modules/workflows/grants");
        assert_eq!(grants["missing"], json!(["agents.pause"]), "{grants}");
        assert!(grants["requested"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["reason"].as_str().is_some_and(|r| !r.is_empty())));
        let (status, _) = server.get(&format!("{BASE}/rules"));
        assert_ne!(
            status,
            StatusCode::OK,
            "a module waiting for approval serves no route"
        );

        // Granted: it starts. Then the operator withdraws agents.pause from the running module.
        let (status, body) = server.put(
            "/api/admin/modules/workflows/grants",
            &json!({"granted": ALL_GRANTS}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        wait_for_status(&server, "active");
        let company = server.create_company("Acme");
        let ada = server.create_agent(
            &company,
            json!({"name": "Ada", "budgetMonthlyCents": 1_000}),
        );
        let rule = create_rule(&server, pause_at_90_rule(&company));
        let rule_id = rule["id"].as_str().unwrap().to_string();
        let (status, body) = server.put(
            "/api/admin/modules/workflows/grants",
            &json!({"granted": ["issues.create", "issues.update", "agents.resume"]}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(module_view(&server)["status"], "active");

        spend(&server, &company, &ada, 950);
        let runs = wait_for_runs(&server, &rule_id, 1);
        assert_eq!(runs[0]["status"], "failed", "{runs:#?}");
        let error = runs[0]["error"].as_str().unwrap();
        assert!(
            error.contains("agents.pause") && error.contains("not granted"),
            "{error}"
        );
        assert_eq!(runs[0]["outcomes"][0]["status"], "failed");
        assert_eq!(runs[0]["outcomes"][0]["error"], error);
        assert_ne!(agent_status(&server, &ada), "paused");
        let counts = &server.get_ok("/api/admin/modules/workflows/grants")["counts"];
        assert!(counts["refusedCapability"].as_u64() >= Some(1), "{counts}");
        assert!(server
            .activity(&company)
            .iter()
            .all(|a| a["actor"] != "module:workflows"));
    });
}

#[test]
fn rules_that_trigger_each_other_stop_at_the_causation_depth_limit() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, &ALL_GRANTS);
        wait_for_status(&server, "active");
        let company = server.create_company("Acme");
        let issue = server.create_issue(&company, json!({"title": "Ping-pong"}));
        let rule = |name: &str, when: &str, then: &str| {
            create_rule(
                &server,
                json!({
                    "companyId": company, "name": name,
                    "trigger": {"hook": "issue:status_changed",
                                "conditions": [{"field": "to", "operator": "eq", "value": when}]},
                    "actions": [{"type": "update_issue", "status": then}]
                }),
            )["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let back = rule("Back to todo", "in_progress", "todo");
        let forth = rule("Forth to in progress", "todo", "in_progress");

        // A person starts it (depth 0); each rule's write is one deeper; the write that would
        // be 5 deep (modules.maxCausationDepth is 4) is refused.
        set_issue_status(&server, &issue, "in_progress");
        let failed = wait_until("the refused run", WAIT, || {
            runs(&server, &back)
                .into_iter()
                .chain(runs(&server, &forth))
                .find(|r| r["status"] == "failed")
        });
        let error = failed["error"].as_str().unwrap();
        assert!(error.contains("causation depth"), "{error}");
        assert_eq!(failed["depth"], 4, "{failed}");
        assert_eq!(failed["ruleId"], back.as_str());

        // The chain stopped: five runs, depths 0 to 4, and nothing after.
        std::thread::sleep(Duration::from_millis(800));
        let mut all: Vec<Value> = runs(&server, &back)
            .into_iter()
            .chain(runs(&server, &forth))
            .collect();
        all.sort_by_key(|r| r["depth"].as_i64());
        let depths: Vec<i64> = all.iter().map(|r| r["depth"].as_i64().unwrap()).collect();
        assert_eq!(depths, [0, 1, 2, 3, 4], "{all:#?}");
        let statuses: Vec<&str> = all.iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(
            statuses,
            ["succeeded", "succeeded", "succeeded", "succeeded", "failed"]
        );
        let current = server.get_ok(&format!("/api/issues/{issue}"));
        assert_eq!(current["status"], "in_progress");
        let counts = &server.get_ok("/api/admin/modules/workflows/grants")["counts"];
        assert_eq!(counts["refusedDepth"], 1, "{counts}");
    });
}

#[test]
fn a_company_the_module_is_not_enabled_for_gets_no_rules_and_fires_nothing() {
    each_backend(|backend| {
        let server = start(backend, &ALL_GRANTS);
        wait_for_status(&server, "active");
        let served = server.create_company("Served Co");
        let other = server.create_company("Other Co");
        let triage = |company: &str| {
            json!({
                "companyId": company, "name": "Triage urgent issues",
                "trigger": {"hook": "issue:created",
                            "conditions": [{"field": "issue.priority", "operator": "eq", "value": "urgent"}]},
                "actions": [{"type": "create_issue", "title": "Triage {{issue.identifier}}"}]
            })
        };
        // Made while the module serves every company; then it is restricted to one.
        let other_rule = create_rule(&server, triage(&other));
        let other_rule_id = other_rule["id"].as_str().unwrap().to_string();
        let served_rule = create_rule(&server, triage(&served));
        let (status, body) = server.put(
            "/api/admin/modules/workflows/companies",
            &json!({"mode": "only", "companyIds": [served]}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");

        // No new rule for the other company, and no change to its rule but switching it off.
        assert_refused(
            server.post(&format!("{BASE}/rules"), &triage(&other)),
            "companyId",
            "not enabled for company",
        );
        assert_refused(
            server.patch(
                &format!("{BASE}/rules/{other_rule_id}"),
                &json!({"name": "Renamed"}),
            ),
            "companyId",
            "not enabled for company",
        );
        let (status, body) = server.get(&format!("{BASE}/rules?companyId={other}"));
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["field"], "companyId");
        let (status, _) = server.get(&format!("{BASE}/runs?companyId={other}"));
        assert_eq!(status, StatusCode::FORBIDDEN);
        let listed: Vec<Value> = server.items(&format!("{BASE}/rules"));
        assert_eq!(
            listed,
            std::slice::from_ref(&served_rule),
            "only the served company's rules"
        );
        let companies = server.items(&format!("{BASE}/companies"));
        assert_eq!(companies, [json!({"id": served, "name": "Served Co"})]);

        // Its events fire nothing; the served company's do.
        server.create_issue(&other, json!({"title": "Outage", "priority": "urgent"}));
        server.create_issue(&served, json!({"title": "Outage", "priority": "urgent"}));
        let served_rule_id = served_rule["id"].as_str().unwrap();
        wait_for_runs(&server, served_rule_id, 1);
        wait_until("the served company's triage issue", WAIT, || {
            (issues(&server, &served).len() == 2).then_some(())
        });
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(issues(&server, &other).len(), 1);
        assert!(runs(&server, &other_rule_id).is_empty());
        let counts = &server.get_ok("/api/admin/modules/workflows/grants")["counts"];
        assert!(counts["eventsSkipped"].as_u64() >= Some(1), "{counts}");

        let (status, disabled) = server.patch(
            &format!("{BASE}/rules/{other_rule_id}"),
            &json!({"enabled": false}),
        );
        assert_eq!(status, StatusCode::OK, "{disabled}");
        assert_eq!(disabled["enabled"], false);
    });
}

#[test]
fn invalid_rules_are_refused_with_the_field_named_and_change_nothing() {
    each_backend(|backend| {
        let server = start(backend, &ALL_GRANTS);
        wait_for_status(&server, "active");
        let company = server.create_company("Acme");
        let elsewhere = server.create_company("Elsewhere");
        let stranger = server.create_agent(&elsewhere, json!({"name": "Stranger"}));
        let with = |path: &[&str], value: Value| {
            let mut body = follow_up_rule(&company);
            let mut target = &mut body;
            for key in &path[..path.len() - 1] {
                target = if let Ok(i) = key.parse::<usize>() {
                    &mut target[i]
                } else {
                    &mut target[*key]
                };
            }
            target[path[path.len() - 1]] = value;
            server.post(&format!("{BASE}/rules"), &body)
        };
        assert_refused(
            with(&["trigger", "hook"], json!("issue:exploded")),
            "trigger.hook",
            "unknown hook",
        );
        assert_refused(
            with(&["trigger", "conditions", "0", "operator"], json!("like")),
            "trigger.conditions[0].operator",
            "unknown operator `like`",
        );
        assert_refused(
            with(
                &["trigger", "conditions", "0", "field"],
                json!("issue.priorty"),
            ),
            "trigger.conditions[0].field",
            "not a field of `issue:status_changed`",
        );
        assert_refused(
            with(&["actions", "0", "title"], Value::Null),
            "actions[0].title",
            "required",
        );
        assert_refused(
            with(&["actions", "0", "type"], json!("send_email")),
            "actions[0].type",
            "unknown action type",
        );
        assert_refused(
            with(&["actions", "0", "assigneeAgentId"], json!(stranger)),
            "actions[0].assigneeAgentId",
            "another company",
        );
        assert_refused(
            with(
                &["companyId"],
                json!("00000000-0000-0000-0000-000000000000"),
            ),
            "companyId",
            "no company",
        );
        assert_refused(with(&["colour"], json!("red")), "colour", "unknown field");
        assert!(server.items(&format!("{BASE}/rules")).is_empty());

        // A bad patch leaves the rule as it was; a good one changes it; delete removes it.
        let rule = create_rule(&server, follow_up_rule(&company));
        let id = rule["id"].as_str().unwrap();
        assert_refused(
            server.patch(
                &format!("{BASE}/rules/{id}"),
                &json!({"trigger": {"hook": "budget:threshold_crossed"}}),
            ),
            "actions[0].title",
            "not a field of `budget:threshold_crossed`",
        );
        assert_eq!(server.get_ok(&format!("{BASE}/rules/{id}")), rule);
        let (status, renamed) = server.patch(
            &format!("{BASE}/rules/{id}"),
            &json!({"name": "Renamed", "enabled": false}),
        );
        assert_eq!(status, StatusCode::OK, "{renamed}");
        assert_eq!(
            (renamed["name"].as_str(), renamed["enabled"].as_bool()),
            (Some("Renamed"), Some(false))
        );
        assert_eq!(renamed["actions"], rule["actions"]);
        let (status, _) = server.get(&format!("{BASE}/runs?ruleid={id}"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = server.delete(&format!("{BASE}/rules/{id}"));
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = server.get(&format!("{BASE}/rules/{id}"));
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
}
