//! Monthly budgets through the real API: spend totals, the 80/90/100 % thresholds announced
//! once per month, pausing at 100 %, the month roll-over, and concurrent spends.

#[macro_use]
mod common;

use common::harnesses;
use diesel::prelude::*;
use paperclip::core::cost_event::{self, NewCostEvent};
use paperclip::db::schema::agents;
use paperclip::hooks::Hook;
use serde_json::{json, Value};

fn id(value: &Value) -> String {
    value["id"].as_str().expect("id").to_string()
}

/// `(company id, agent id)` of the agent an event is about.
type Who<'a> = (&'a str, &'a str);

fn spent((company_id, agent_id): Who<'_>, amount: i64, total: i64) -> (Hook, Value) {
    (
        Hook::BudgetSpendRecorded,
        json!({"agentId": agent_id, "companyId": company_id, "amount": amount, "total": total}),
    )
}

fn crossed(
    (company_id, agent_id): Who<'_>,
    budget: i64,
    spent: i64,
    percent: i64,
) -> (Hook, Value) {
    (
        Hook::BudgetThresholdCrossed,
        json!({
            "agentId": agent_id, "companyId": company_id,
            "budget": budget, "spent": spent, "percent": percent
        }),
    )
}

/// `setup!(h, app, budget)`: a company with one agent of `budget` cents, hooks drained;
/// evaluates to `(company_id, agent_id)`.
macro_rules! setup {
    ($h:expr, $app:expr, $budget:expr) => {{
        let company = send!($app, POST "/api/companies", json!({"name": "Acme"})).expect(201);
        let cid = id(&company);
        let agent = send!($app, POST format!("/api/companies/{cid}/agents"),
            json!({"name": "Spender", "budgetMonthlyCents": $budget}))
        .expect(201);
        $h.drain();
        (cid, id(&agent))
    }};
}

/// `spend!(app, company, agent, cents)`: posts a cost event, evaluates to the reply body.
macro_rules! spend {
    ($app:expr, $cid:expr, $agent:expr, $cents:expr) => {
        send!($app, POST format!("/api/companies/{}/cost-events", $cid),
            json!({"agentId": $agent, "amountCents": $cents}))
        .expect(201)
    };
}

#[actix_web::test]
async fn crossing_80_percent_from_79_emits_one_threshold() {
    for h in harnesses() {
        let app = app!(h);
        let (cid, a) = setup!(h, app, 1000);
        spend!(app, cid, a, 790);
        assert_eq!(
            h.drain(),
            vec![spent((&cid, &a), 790, 790)],
            "{}",
            h.label()
        );
        let reply = spend!(app, cid, a, 20);
        assert_eq!(
            h.drain(),
            vec![
                spent((&cid, &a), 20, 810),
                crossed((&cid, &a), 1000, 810, 80)
            ],
            "{}",
            h.label()
        );
        assert_eq!(reply["agent"]["status"], "idle");
        assert_eq!(reply["agent"]["spentMonthlyCents"], 810);
        assert_eq!(reply["amountCents"], 20);
        assert_eq!(reply["source"], "api");
    }
}

#[actix_web::test]
async fn jumping_from_70_to_105_percent_emits_three_thresholds_and_pauses() {
    for h in harnesses() {
        let app = app!(h);
        let (cid, a) = setup!(h, app, 1000);
        spend!(app, cid, a, 700);
        assert_eq!(h.drain(), vec![spent((&cid, &a), 700, 700)]);
        spend!(app, cid, a, 350);
        let agent = send!(app, GET format!("/api/agents/{a}")).expect(200);
        assert_eq!(agent["status"], "paused");
        assert_eq!(agent["spentMonthlyCents"], 1050);
        assert_eq!(
            h.drain(),
            vec![
                spent((&cid, &a), 350, 1050),
                crossed((&cid, &a), 1000, 1050, 80),
                crossed((&cid, &a), 1000, 1050, 90),
                crossed((&cid, &a), 1000, 1050, 100),
                (
                    Hook::AgentStatusChanged,
                    json!({"agent": agent, "from": "idle", "to": "paused"})
                ),
            ],
            "{}",
            h.label()
        );
        // The activity log tells the story, newest first.
        let log = send!(app, GET format!("/api/companies/{cid}/activity?limit=5")).expect(200);
        let actions: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec![
                "agent.status_changed",
                "budget.threshold_crossed",
                "budget.threshold_crossed",
                "budget.threshold_crossed",
                "cost_event.created",
            ]
        );
        assert_eq!(
            log["items"][0]["details"],
            json!({"from": "idle", "to": "paused", "reason": "monthly budget exhausted"})
        );
    }
}

#[actix_web::test]
async fn each_threshold_is_announced_once_per_month() {
    for h in harnesses() {
        let app = app!(h);
        let (cid, a) = setup!(h, app, 1000);
        spend!(app, cid, a, 1000);
        assert_eq!(h.drain().len(), 5, "spend, three thresholds, pause");

        // Resumed by hand, it keeps running: the 100 % threshold has acted this month.
        send!(app, PATCH format!("/api/agents/{a}"), json!({"status": "active"})).expect(200);
        h.drain();
        let reply = spend!(app, cid, a, 100);
        assert_eq!(
            h.drain(),
            vec![spent((&cid, &a), 100, 1100)],
            "{}",
            h.label()
        );
        assert_eq!(reply["agent"]["status"], "active");

        // A raised budget crossed again in the same month announces nothing either.
        send!(app, PATCH format!("/api/agents/{a}"), json!({"budgetMonthlyCents": 2000}))
            .expect(200);
        h.drain();
        spend!(app, cid, a, 700);
        assert_eq!(
            h.drain(),
            vec![spent((&cid, &a), 700, 1800)],
            "{}",
            h.label()
        );
    }
}

#[actix_web::test]
async fn a_new_month_resets_spend_and_thresholds() {
    for h in harnesses() {
        let app = app!(h);
        let (cid, a) = setup!(h, app, 1000);
        spend!(app, cid, a, 950);
        assert_eq!(h.drain().len(), 3, "spend, 80 %, 90 %");

        // Pretend that spend happened in an earlier month.
        let agent_id = a.clone();
        h.with_conn(|conn| {
            diesel::update(agents::table.find(&agent_id))
                .set(agents::spend_month.eq("2000-01"))
                .execute(conn)
                .unwrap()
        });
        let agent = send!(app, GET format!("/api/agents/{a}")).expect(200);
        assert_eq!(
            agent["spentMonthlyCents"], 0,
            "last month's spend is not this month's"
        );

        spend!(app, cid, a, 850);
        assert_eq!(
            h.drain(),
            vec![
                spent((&cid, &a), 850, 850),
                crossed((&cid, &a), 1000, 850, 80)
            ],
            "{}: the month starts from zero with every threshold armed again",
            h.label()
        );
        let (month, alerts): (String, i32) = h.with_conn(|conn| {
            agents::table
                .find(&a)
                .select((agents::spend_month, agents::budget_alerts_sent))
                .first(conn)
                .unwrap()
        });
        assert_eq!(month, chrono::Utc::now().format("%Y-%m").to_string());
        assert_eq!(alerts, 1);
    }
}

#[actix_web::test]
async fn concurrent_spends_lose_nothing_and_cross_each_threshold_once() {
    for h in harnesses() {
        let app = app!(h);
        let (cid, a) = setup!(h, app, 50);
        let writes = (0..10).map(|_| {
            let (cid, a) = (cid.clone(), a.clone());
            h.core.write(move |conn, hooks| {
                let input = NewCostEvent {
                    agent_id: a,
                    amount_cents: 10,
                    description: None,
                };
                cost_event::create(conn, hooks, "test", &cid, input)
            })
        });
        for result in futures_util::future::join_all(writes).await {
            result.expect("concurrent spend");
        }
        let agent = send!(app, GET format!("/api/agents/{a}")).expect(200);
        assert_eq!(
            agent["spentMonthlyCents"],
            100,
            "{}: a spend was lost",
            h.label()
        );
        assert_eq!(agent["status"], "paused");
        assert_eq!(h.counts()["cost_events"], 10);

        let events = h.drain();
        let mut totals: Vec<i64> = events
            .iter()
            .filter(|(hook, _)| *hook == Hook::BudgetSpendRecorded)
            .map(|(_, p)| p["total"].as_i64().unwrap())
            .collect();
        totals.sort_unstable();
        assert_eq!(totals, (1..=10).map(|n| n * 10).collect::<Vec<_>>());
        let mut percents: Vec<i64> = events
            .iter()
            .filter(|(hook, _)| *hook == Hook::BudgetThresholdCrossed)
            .map(|(_, p)| p["percent"].as_i64().unwrap())
            .collect();
        // Each crossed once. Concurrent writes emit their hooks after their own commits, on
        // their own threads, so the order between two writes' events is not fixed.
        percents.sort_unstable();
        assert_eq!(percents, vec![80, 90, 100], "{}", h.label());
        let pauses = events
            .iter()
            .filter(|(hook, _)| *hook == Hook::AgentStatusChanged)
            .count();
        assert_eq!(pauses, 1);
    }
}

#[actix_web::test]
async fn heartbeat_costs_are_spend_and_no_budget_means_no_thresholds() {
    for h in harnesses() {
        let app = app!(h);
        let (cid, a) = setup!(h, app, 0);
        // No cost: no spend.
        send!(app, POST format!("/api/agents/{a}/heartbeat"), json!({"meta": {"costCents": 0}}))
            .expect(201);
        let hooks: Vec<Hook> = h.drain().into_iter().map(|(hook, _)| hook).collect();
        assert_eq!(hooks, vec![Hook::AgentHeartbeat]);
        assert_eq!(h.counts()["cost_events"], 0);

        // A cost far beyond any budget: recorded, but no budget means no thresholds.
        let reply = send!(app, POST format!("/api/agents/{a}/heartbeat"),
            json!({"meta": {"costCents": 300, "model": "m1"}}))
        .expect(201);
        assert_eq!(reply["agent"]["spentMonthlyCents"], 300);
        let events = h.drain();
        assert_eq!(events[1], spent((&cid, &a), 300, 300));
        assert_eq!(events.len(), 2);

        let costs =
            send!(app, GET format!("/api/companies/{cid}/cost-events?agentId={a}")).expect(200);
        assert_eq!(costs["total"], 1);
        assert_eq!(costs["items"][0]["source"], "heartbeat");
        assert_eq!(costs["items"][0]["amountCents"], 300);
        assert_eq!(costs["items"][0]["description"], "m1");
    }
}
