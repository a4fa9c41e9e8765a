//! The 12 hooks the core emits, observed by a real subscriber on a real hook bus behind the
//! real actix app: each with its exact payload, none for a write that fails or rolls back, and
//! no request ever waiting for a slow or panicking subscriber.

#[macro_use]
mod common;

use common::{harnesses, Harness, PATIENCE};
use paperclip::core::{agent, issue, CoreError};
use paperclip::hooks::{Hook, HookEvent, HookSubscriber, SubscriptionOptions};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn id(value: &Value) -> String {
    value["id"].as_str().expect("id").to_string()
}

#[actix_web::test]
async fn every_core_hook_is_emitted_with_its_exact_payload() {
    for h in harnesses() {
        every_core_hook(&h).await;
    }
}

async fn every_core_hook(h: &Harness) {
    let app = app!(h);
    let company = send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201);
    let cid = id(&company);
    assert_eq!(h.drain(), vec![], "{}: companies emit no hook", h.label());

    // agent:created
    let ceo = send!(app, POST format!("/api/companies/{cid}/agents"),
        json!({"name": "Ada", "role": "ceo", "budgetMonthlyCents": 1000}))
    .expect(201);
    let ceo_id = id(&ceo);
    assert_eq!(
        h.drain(),
        vec![(Hook::AgentCreated, json!({ "agent": ceo }))]
    );
    let cto = send!(app, POST format!("/api/companies/{cid}/agents"),
        json!({"name": "Bob", "role": "cto", "reportsTo": ceo_id}))
    .expect(201);
    let cto_id = id(&cto);
    assert_eq!(
        h.drain(),
        vec![(Hook::AgentCreated, json!({ "agent": cto }))]
    );

    // agent:updated {agent, changes} and agent:status_changed {agent, from, to}
    let cto = send!(app, PATCH format!("/api/agents/{cto_id}"),
        json!({"title": "CTO", "status": "active"}))
    .expect(200);
    assert_eq!(
        h.drain(),
        vec![
            (
                Hook::AgentUpdated,
                json!({
                    "agent": cto,
                    "changes": {
                        "title": {"from": null, "to": "CTO"},
                        "status": {"from": "idle", "to": "active"},
                    },
                })
            ),
            (
                Hook::AgentStatusChanged,
                json!({"agent": cto, "from": "idle", "to": "active"})
            ),
        ]
    );

    // goal:created, goal:completed
    let goal = send!(app, POST format!("/api/companies/{cid}/goals"),
        json!({"title": "Ship v1", "level": "company"}))
    .expect(201);
    let goal_id = id(&goal);
    assert_eq!(
        h.drain(),
        vec![(Hook::GoalCreated, json!({ "goal": goal }))]
    );
    let goal =
        send!(app, PATCH format!("/api/goals/{goal_id}"), json!({"status": "active"})).expect(200);
    assert_eq!(goal["status"], "active");
    assert_eq!(
        h.drain(),
        vec![],
        "goal:completed only when it becomes completed"
    );
    let goal = send!(app, PATCH format!("/api/goals/{goal_id}"), json!({"status": "completed"}))
        .expect(200);
    assert_eq!(
        h.drain(),
        vec![(Hook::GoalCompleted, json!({ "goal": goal }))]
    );

    // Projects have no hook.
    let project = send!(app, POST format!("/api/companies/{cid}/projects"),
        json!({"name": "Core", "goalId": goal_id}))
    .expect(201);
    assert_eq!(h.drain(), vec![]);

    // issue:created then issue:assigned {issue, agent}
    let issue = send!(app, POST format!("/api/companies/{cid}/issues"), json!({
        "title": "Build it", "assigneeAgentId": cto_id, "projectId": id(&project),
    }))
    .expect(201);
    let issue_id = id(&issue);
    assert_eq!(
        h.drain(),
        vec![
            (Hook::IssueCreated, json!({ "issue": issue })),
            (Hook::IssueAssigned, json!({ "issue": issue, "agent": cto })),
        ]
    );

    // issue:status_changed {issue, from, to}
    let issue =
        send!(app, PATCH format!("/api/issues/{issue_id}"), json!({"status": "in_progress"}))
            .expect(200);
    assert_eq!(
        h.drain(),
        vec![(
            Hook::IssueStatusChanged,
            json!({"issue": issue, "from": "todo", "to": "in_progress"})
        )]
    );

    // issue:assigned on reassignment; nothing on unassignment or an unchanged patch.
    let issue =
        send!(app, PATCH format!("/api/issues/{issue_id}"), json!({"assigneeAgentId": ceo_id}))
            .expect(200);
    let ceo = send!(app, GET format!("/api/agents/{ceo_id}")).expect(200);
    assert_eq!(
        h.drain(),
        vec![(Hook::IssueAssigned, json!({ "issue": issue, "agent": ceo }))]
    );
    send!(app, PATCH format!("/api/issues/{issue_id}"), json!({"assigneeAgentId": null}))
        .expect(200);
    send!(app, PATCH format!("/api/issues/{issue_id}"), json!({"status": "in_progress"}))
        .expect(200);
    assert_eq!(h.drain(), vec![]);

    // agent:heartbeat {agentId, companyId, timestamp, meta} with meta as sent, then its cost's
    // budget:spend_recorded and the 80 % budget:threshold_crossed.
    let meta = json!({
        "tokensUsed": 1200, "costCents": 850, "model": "claude-x", "latencyMs": 420,
        "traceId": "abc", "nested": {"kept": [1, 2]},
    });
    let heartbeat =
        send!(app, POST format!("/api/agents/{ceo_id}/heartbeat"), json!({"meta": meta}))
            .expect(201);
    assert_eq!(heartbeat["agent"]["spentMonthlyCents"], 850);
    assert_eq!(
        h.drain(),
        vec![
            (
                Hook::AgentHeartbeat,
                json!({"agentId": ceo_id, "companyId": cid, "timestamp": heartbeat["createdAt"], "meta": meta})
            ),
            (
                Hook::BudgetSpendRecorded,
                json!({"agentId": ceo_id, "companyId": cid, "amount": 850, "total": 850})
            ),
            (
                Hook::BudgetThresholdCrossed,
                json!({"agentId": ceo_id, "companyId": cid, "budget": 1000, "spent": 850, "percent": 80})
            ),
        ]
    );

    // A cost event crossing 90 % and 100 %: both thresholds in order, then the pause.
    let cost = send!(app, POST format!("/api/companies/{cid}/cost-events"),
        json!({"agentId": ceo_id, "amountCents": 200, "description": "api call"}))
    .expect(201);
    let ceo = send!(app, GET format!("/api/agents/{ceo_id}")).expect(200);
    assert_eq!(ceo["status"], "paused");
    assert_eq!(ceo["spentMonthlyCents"], 1050);
    assert_eq!(cost["agent"], ceo);
    assert_eq!(
        h.drain(),
        vec![
            (
                Hook::BudgetSpendRecorded,
                json!({"agentId": ceo_id, "companyId": cid, "amount": 200, "total": 1050})
            ),
            (
                Hook::BudgetThresholdCrossed,
                json!({"agentId": ceo_id, "companyId": cid, "budget": 1000, "spent": 1050, "percent": 90})
            ),
            (
                Hook::BudgetThresholdCrossed,
                json!({"agentId": ceo_id, "companyId": cid, "budget": 1000, "spent": 1050, "percent": 100})
            ),
            (
                Hook::AgentStatusChanged,
                json!({"agent": ceo, "from": "idle", "to": "paused"})
            ),
        ]
    );

    // A heartbeat's status field changes the status with its hook.
    let heartbeat =
        send!(app, POST format!("/api/agents/{cto_id}/heartbeat"), json!({"status": "error"}))
            .expect(201);
    let cto = send!(app, GET format!("/api/agents/{cto_id}")).expect(200);
    assert_eq!(heartbeat["agent"], cto);
    assert_eq!(
        h.drain(),
        vec![
            (
                Hook::AgentHeartbeat,
                json!({"agentId": cto_id, "companyId": cid, "timestamp": heartbeat["createdAt"], "meta": {}})
            ),
            (
                Hook::AgentStatusChanged,
                json!({"agent": cto, "from": "active", "to": "error"})
            ),
        ]
    );

    // agent:deleted {agent} with the agent as it was.
    send!(app, DELETE format!("/api/agents/{cto_id}")).expect(204);
    assert_eq!(
        h.drain(),
        vec![(Hook::AgentDeleted, json!({ "agent": cto }))]
    );
}

#[actix_web::test]
async fn failed_writes_emit_nothing_and_change_nothing() {
    for h in harnesses() {
        failed_writes(&h).await;
    }
}

async fn failed_writes(h: &Harness) {
    let app = app!(h);
    let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
    let other = id(&send!(app, POST "/api/companies", json!({"name": "Other"})).expect(201));
    let boss = id(&send!(app, POST format!("/api/companies/{cid}/agents"),
        json!({"name": "Boss", "budgetMonthlyCents": 100}))
    .expect(201));
    let report = id(&send!(app, POST format!("/api/companies/{cid}/agents"),
        json!({"name": "Report", "reportsTo": boss}))
    .expect(201));
    let stranger = id(
        &send!(app, POST format!("/api/companies/{other}/agents"), json!({"name": "Stranger"}))
            .expect(201),
    );
    let goal = id(
        &send!(app, POST format!("/api/companies/{cid}/goals"), json!({"title": "G"})).expect(201),
    );
    let child_goal = id(&send!(app, POST format!("/api/companies/{cid}/goals"),
        json!({"title": "G2", "parentId": goal}))
    .expect(201));
    let issue = id(
        &send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "I"})).expect(201),
    );
    h.drain();
    let before = h.counts();
    let missing = uuid::Uuid::new_v4().to_string();

    let failures = vec![
        send!(app, POST format!("/api/companies/{cid}/agents"), json!({"role": "x"})),
        send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A", "status": "asleep"})),
        send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A", "reportsTo": missing})),
        send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A", "reportsTo": stranger})),
        send!(app, POST format!("/api/companies/{missing}/agents"), json!({"name": "A"})),
        send!(app, PATCH format!("/api/agents/{boss}"), json!({"reportsTo": report})),
        send!(app, PATCH format!("/api/agents/{boss}"), json!({"name": "New", "status": "bogus"})),
        send!(app, DELETE format!("/api/agents/{boss}")),
        send!(app, DELETE format!("/api/agents/{missing}")),
        send!(app, POST format!("/api/companies/{cid}/goals"), json!({"title": "G", "level": "galaxy"})),
        send!(app, PATCH format!("/api/goals/{goal}"), json!({"parentId": child_goal})),
        send!(app, PATCH format!("/api/goals/{goal}"), json!({"status": "completed", "ownerAgentId": stranger})),
        send!(app, DELETE format!("/api/goals/{goal}")),
        send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "I", "assigneeAgentId": stranger})),
        send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "I", "priority": "whenever"})),
        send!(app, PATCH format!("/api/issues/{issue}"), json!({"status": "done", "parentId": issue})),
        send!(app, PATCH format!("/api/issues/{issue}"), json!({"status": "done", "assigneeAgentId": missing})),
        send!(app, POST format!("/api/agents/{boss}/heartbeat"), json!({"meta": {"costCents": -5}})),
        send!(app, POST format!("/api/agents/{boss}/heartbeat"), json!({"meta": {"costCents": 500, "model": 7}})),
        send!(app, POST format!("/api/agents/{missing}/heartbeat"), json!({"meta": {"costCents": 500}})),
        send!(app, POST format!("/api/companies/{cid}/cost-events"), json!({"agentId": stranger, "amountCents": 500})),
        send!(app, POST format!("/api/companies/{cid}/cost-events"), json!({"agentId": boss, "amountCents": 0})),
    ];
    for (i, reply) in failures.iter().enumerate() {
        assert!(
            (400..500).contains(&reply.status),
            "{}: case {i} should fail: {reply:?}",
            h.label()
        );
    }
    assert_eq!(
        h.drain(),
        vec![],
        "{}: a failed write emitted hooks",
        h.label()
    );
    assert_eq!(
        h.counts(),
        before,
        "{}: a failed write changed rows",
        h.label()
    );

    // A transaction that queued hooks and then fails is rolled back: nothing written, nothing
    // emitted.
    let company = cid.clone();
    let result = h
        .core
        .write(move |conn, hooks| {
            let new_agent = serde_json::from_value(json!({"name": "Ghost"})).unwrap();
            let ghost = agent::create(conn, hooks, "test", &company, new_agent)?;
            let new_issue =
                serde_json::from_value(json!({"title": "Haunt", "assigneeAgentId": ghost.id}))
                    .unwrap();
            issue::create(conn, hooks, "test", &company, new_issue)?;
            assert_eq!(hooks.events().len(), 3);
            Err::<(), _>(CoreError::conflict("forced failure after the writes"))
        })
        .await;
    assert!(matches!(result, Err(CoreError::Conflict { .. })));
    assert_eq!(
        h.drain(),
        vec![],
        "{}: a rolled-back write emitted hooks",
        h.label()
    );
    assert_eq!(
        h.counts(),
        before,
        "{}: a rolled-back write left rows",
        h.label()
    );

    // The issue counter was rolled back too: the next issue takes the next number.
    let next = send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": "Next"}))
        .expect(201);
    assert_eq!(next["identifier"], "ACME-2");
}

/// Sleeps in every call.
struct Sleeper;

impl HookSubscriber for Sleeper {
    fn name(&self) -> &str {
        "sleeper"
    }

    fn deliver(&self, _: &HookEvent) -> Result<(), String> {
        std::thread::sleep(Duration::from_secs(2));
        Ok(())
    }
}

/// Panics in every call.
struct Panicker;

impl HookSubscriber for Panicker {
    fn name(&self) -> &str {
        "panicker"
    }

    fn deliver(&self, _: &HookEvent) -> Result<(), String> {
        panic!("subscriber panics on purpose");
    }
}

#[actix_web::test]
async fn slow_and_panicking_subscribers_do_not_slow_requests() {
    for h in harnesses() {
        let app = app!(h);
        h.bus.subscribe(
            Arc::new(Sleeper),
            &[Hook::IssueCreated, Hook::AgentCreated],
            SubscriptionOptions::default(),
        );
        let panicker = h.bus.subscribe(
            Arc::new(Panicker),
            &[Hook::IssueCreated, Hook::AgentCreated],
            SubscriptionOptions::default(),
        );
        let cid = id(&send!(app, POST "/api/companies", json!({"name": "Acme"})).expect(201));
        let started = Instant::now();
        send!(app, POST format!("/api/companies/{cid}/agents"), json!({"name": "A"})).expect(201);
        for n in 0..3 {
            send!(app, POST format!("/api/companies/{cid}/issues"), json!({"title": format!("I{n}")}))
                .expect(201);
        }
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(1),
            "{}: 4 writes took {elapsed:?} with a subscriber sleeping 2 s per event",
            h.label()
        );
        // Other subscribers still get every event.
        let hooks: Vec<Hook> = h.drain().into_iter().map(|(hook, _)| hook).collect();
        assert_eq!(
            hooks,
            vec![
                Hook::AgentCreated,
                Hook::IssueCreated,
                Hook::IssueCreated,
                Hook::IssueCreated
            ]
        );
        let deadline = Instant::now() + PATIENCE;
        while h.bus.stats(panicker).map(|s| s.panics) != Some(4) {
            assert!(
                Instant::now() < deadline,
                "panics not counted: {:?}",
                h.bus.stats(panicker)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
