//! Monthly budgets seen from outside: spend from cost events and heartbeats raises
//! `spentMonthlyCents`; crossing 80/90/100 % is logged once per threshold per month
//! (`budget.threshold_crossed` activity rows), and 100 % pauses the agent. (The hook payloads
//! themselves are tested in-process in the server crate.)

use paperclip_e2e::{each_backend, json, ApiClient, ServerOptions, StatusCode, TestServer, Value};

/// Adds `cents` of spend to `agent` through the cost-events endpoint.
fn spend(api: &ApiClient, company: &str, agent: &str, cents: i64) -> Value {
    let (status, body) = api.post(
        &format!("/api/companies/{company}/cost-events"),
        &json!({"agentId": agent, "amountCents": cents, "description": "model usage"}),
    );
    assert_eq!(status, StatusCode::CREATED, "spend {cents}: {body}");
    body
}

/// Adds `cents` of spend to `agent` through a heartbeat's `meta.costCents`.
fn heartbeat_spend(api: &ApiClient, agent: &str, cents: i64) {
    let (status, body) = api.post(
        &format!("/api/agents/{agent}/heartbeat"),
        &json!({"meta": {"tokensUsed": 1000, "costCents": cents, "model": "m", "latencyMs": 10}}),
    );
    assert_eq!(
        status,
        StatusCode::CREATED,
        "heartbeat costing {cents}: {body}"
    );
}

/// The percents of the agent's `budget.threshold_crossed` activity rows, oldest first.
fn crossings(api: &ApiClient, company: &str, agent: &str) -> Vec<i64> {
    let rows = api.items(&format!(
        "/api/companies/{company}/activity?action=budget.threshold_crossed&entityId={agent}&limit=500"
    ));
    let mut percents: Vec<i64> = rows
        .iter()
        .map(|row| {
            assert_eq!(row["entityType"], "agent", "{row}");
            row["details"]["percent"]
                .as_i64()
                .unwrap_or_else(|| panic!("no details.percent in {row}"))
        })
        .collect();
    // Rows of one write share a timestamp, so list order is not crossing order.
    percents.sort_unstable();
    percents
}

fn agent(api: &ApiClient, id: &str) -> Value {
    api.get_ok(&format!("/api/agents/{id}"))
}

/// How many `agent:status_changed`-style activity rows the agent has (pauses by the budget).
fn status_changes(api: &ApiClient, company: &str, agent: &str) -> Vec<Value> {
    api.items(&format!(
        "/api/companies/{company}/activity?action=agent.status_changed&entityId={agent}&limit=500"
    ))
}

#[test]
fn from_79_to_81_percent_crosses_one_threshold() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(
            &company,
            json!({"name": "Ada", "budgetMonthlyCents": 10_000, "status": "active"}),
        );

        spend(&server, &company, &ada, 7_900);
        assert_eq!(agent(&server, &ada)["spentMonthlyCents"], 7_900);
        assert_eq!(
            crossings(&server, &company, &ada),
            Vec::<i64>::new(),
            "79 % crosses nothing"
        );

        spend(&server, &company, &ada, 200);
        let after = agent(&server, &ada);
        assert_eq!(after["spentMonthlyCents"], 8_100);
        assert_eq!(after["status"], "active", "80 % does not pause");
        assert_eq!(crossings(&server, &company, &ada), vec![80]);
        let row = &server.items(&format!(
            "/api/companies/{company}/activity?action=budget.threshold_crossed&entityId={ada}"
        ))[0];
        assert_eq!(row["details"]["budgetMonthlyCents"], 10_000, "{row}");
        assert_eq!(row["details"]["spentMonthlyCents"], 8_100, "{row}");

        // Staying between 80 and 90 % crosses nothing new.
        spend(&server, &company, &ada, 400);
        assert_eq!(crossings(&server, &company, &ada), vec![80]);
        assert_eq!(agent(&server, &ada)["spentMonthlyCents"], 8_500);
    });
}

#[test]
fn from_70_to_105_percent_crosses_three_and_pauses() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(
            &company,
            json!({"name": "Ada", "budgetMonthlyCents": 1_000, "status": "active"}),
        );
        let bystander = server.create_agent(
            &company,
            json!({"name": "Bob", "budgetMonthlyCents": 1_000, "status": "active"}),
        );

        spend(&server, &company, &ada, 700);
        assert_eq!(crossings(&server, &company, &ada), Vec::<i64>::new());
        spend(&server, &company, &ada, 350);
        let after = agent(&server, &ada);
        assert_eq!(after["spentMonthlyCents"], 1_050);
        assert_eq!(after["status"], "paused", "100 % pauses the agent");
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90, 100]);
        let changes = status_changes(&server, &company, &ada);
        assert_eq!(changes.len(), 1, "one status change: {changes:?}");

        // A second crossing in the same month announces nothing and changes no status.
        spend(&server, &company, &ada, 500);
        assert_eq!(agent(&server, &ada)["spentMonthlyCents"], 1_550);
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90, 100]);
        assert_eq!(status_changes(&server, &company, &ada).len(), 1);

        // Resumed by hand, the agent is not paused again by more spend this month.
        let (status, body) =
            server.patch(&format!("/api/agents/{ada}"), &json!({"status": "active"}));
        assert_eq!(status, StatusCode::OK, "{body}");
        spend(&server, &company, &ada, 100);
        assert_eq!(agent(&server, &ada)["status"], "active");
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90, 100]);

        // Nobody else was touched.
        let bob = agent(&server, &bystander);
        assert_eq!(bob["spentMonthlyCents"], 0);
        assert_eq!(bob["status"], "active");
        assert_eq!(crossings(&server, &company, &bystander), Vec::<i64>::new());
    });
}

#[test]
fn exactly_reaching_a_threshold_crosses_it() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(&company, json!({"budgetMonthlyCents": 1_000}));
        spend(&server, &company, &ada, 800);
        assert_eq!(crossings(&server, &company, &ada), vec![80]);
        spend(&server, &company, &ada, 100);
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90]);
        assert_ne!(agent(&server, &ada)["status"], "paused");
        spend(&server, &company, &ada, 100);
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90, 100]);
        assert_eq!(agent(&server, &ada)["status"], "paused");
    });
}

#[test]
fn heartbeat_cost_counts_as_spend() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(
            &company,
            json!({"name": "Ada", "budgetMonthlyCents": 10_000, "status": "active"}),
        );

        heartbeat_spend(&server, &ada, 7_900);
        assert_eq!(agent(&server, &ada)["spentMonthlyCents"], 7_900);
        assert_eq!(crossings(&server, &company, &ada), Vec::<i64>::new());
        heartbeat_spend(&server, &ada, 200);
        assert_eq!(agent(&server, &ada)["spentMonthlyCents"], 8_100);
        assert_eq!(crossings(&server, &company, &ada), vec![80]);

        // Heartbeats and cost events add up in one monthly total.
        spend(&server, &company, &ada, 1_000);
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90]);
        heartbeat_spend(&server, &ada, 1_000);
        let after = agent(&server, &ada);
        assert_eq!(after["spentMonthlyCents"], 10_100);
        assert_eq!(after["status"], "paused");
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90, 100]);
        let beats = server.total(&format!("/api/agents/{ada}/heartbeats"));
        assert_eq!(beats, 3, "every heartbeat is recorded");
    });
}

#[test]
fn no_budget_means_no_thresholds() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(&company, json!({"status": "active"}));
        assert_eq!(agent(&server, &ada)["budgetMonthlyCents"], 0);
        spend(&server, &company, &ada, 123_456);
        let after = agent(&server, &ada);
        assert_eq!(after["spentMonthlyCents"], 123_456);
        assert_eq!(after["status"], "active");
        assert_eq!(crossings(&server, &company, &ada), Vec::<i64>::new());
    });
}

#[test]
fn raising_the_budget_does_not_reannounce() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Acme");
        let ada = server.create_agent(
            &company,
            json!({"budgetMonthlyCents": 1_000, "status": "active"}),
        );
        spend(&server, &company, &ada, 850);
        assert_eq!(crossings(&server, &company, &ada), vec![80]);
        let (status, body) = server.patch(
            &format!("/api/agents/{ada}"),
            &json!({"budgetMonthlyCents": 2_000}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["spentMonthlyCents"], 850,
            "a budget change keeps the spend"
        );
        // 1,700 of 2,000 is 85 %: 80 % was already announced this month.
        spend(&server, &company, &ada, 850);
        assert_eq!(crossings(&server, &company, &ada), vec![80]);
        spend(&server, &company, &ada, 100);
        assert_eq!(crossings(&server, &company, &ada), vec![80, 90]);
    });
}
