//! Observability module, end to end: the `retention` service deletes exactly the rows older than
//! `retentionDays`, and nothing while the module is disabled. Back-dated rows cannot come through
//! the API (heartbeats are stamped by the core), so the test writes them into the server's
//! database directly. Needs the bundle: `scripts/build-modules.sh`.

mod observability_support;

use observability_support::{
    heartbeat, now_ms, start, wait_for, wait_for_heartbeats, TestDb, DAY_MS,
};
use paperclip_e2e::{each_backend_and_level, json, StatusCode};
use std::time::Duration;

const METRICS: &str = "mod_observability_token_metrics";
const SPEND: &str = "mod_observability_spend_events";

#[test]
fn retention_deletes_exactly_the_rows_older_than_the_configured_days() {
    each_backend_and_level(|backend, _level| {
        // Runs every second, so the test need not wait an hour.
        let server = start(
            backend,
            json!({"retentionDays": 30, "retentionIntervalSeconds": 1}),
        );
        let company = server.create_company("Acme");
        let agent = server.create_agent(&company, json!({"budgetMonthlyCents": 1000}));
        heartbeat(&server, &agent, json!({"tokensUsed": 5, "costCents": 2}));
        wait_for_heartbeats(&server, 1);

        let mut db = TestDb::open(&server);
        let now = now_ms();
        let old = db.insert_metric(&agent, &company, 100, now - 31 * DAY_MS);
        let just_old = db.insert_metric(&agent, &company, 100, now - 30 * DAY_MS - 60_000);
        let just_young = db.insert_metric(&agent, &company, 100, now - 30 * DAY_MS + 60_000);
        let young = db.insert_metric(&agent, &company, 100, now - 29 * DAY_MS);
        let old_spend = db.insert_spend(&agent, &company, 50, now - 40 * DAY_MS);
        let young_spend = db.insert_spend(&agent, &company, 50, now - DAY_MS);

        wait_for(
            "retention to delete the old rows",
            Duration::from_secs(15),
            || {
                (!db.exists(METRICS, &old)
                    && !db.exists(METRICS, &just_old)
                    && !db.exists(SPEND, &old_spend))
                .then_some(())
            },
        );
        // Give it two more runs: what is younger than 30 days stays.
        std::thread::sleep(Duration::from_millis(2500));
        assert!(db.exists(METRICS, &young), "a 29-day-old row was deleted");
        assert!(
            db.exists(METRICS, &just_young),
            "a row a minute short of 30 days was deleted"
        );
        assert!(
            db.exists(SPEND, &young_spend),
            "a 1-day-old spend event was deleted"
        );
        assert_eq!(
            db.count(METRICS, ""),
            3,
            "the fresh heartbeat and the two younger rows remain"
        );
        server.wait_for_log("retention deleted", Duration::from_secs(5));

        // The running totals (Prometheus counters) are not pruned.
        let (status, text) = server.get_text("/api/modules/observability/metrics");
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.contains(&format!(
                "paperclip_tokens_total{{agent_id=\"{agent}\",model=\"unknown\"}} 5"
            )),
            "{text}"
        );

        // A disabled module deletes nothing; enabled again, it catches up.
        let (status, body) = server.post("/api/admin/modules/observability/disable", &json!({}));
        assert!(status.is_success(), "{body}");
        let stale = db.insert_metric(&agent, &company, 100, now - 45 * DAY_MS);
        std::thread::sleep(Duration::from_millis(2500));
        assert!(
            db.exists(METRICS, &stale),
            "a disabled module deleted a row"
        );
        let (status, body) = server.post("/api/admin/modules/observability/enable", &json!({}));
        assert!(status.is_success(), "{body}");
        wait_for("retention after enable", Duration::from_secs(15), || {
            (!db.exists(METRICS, &stale)).then_some(())
        });
        assert!(db.exists(METRICS, &young));
    });
}
