//! Shared helpers of the analytics tests and bench: a server with the analytics bundle (built
//! into `plugins-dist/analytics/` by `scripts/build-modules.sh`), time buckets computed here
//! independently of the module, and back-dated hook events.
//!
//! The core stamps heartbeats, spend and status changes with the current time and its API
//! cannot back-date them. Back-dated activity (days and weeks of it) therefore enters through
//! the core's own delivery path: events shaped exactly like the core's (payload, `eventId` as a
//! UUIDv7 of the event's time) are inserted into the hook outbox (`hook_outbox`) while the
//! server is stopped, and the module's at-least-once reader delivers them from its saved cursor
//! when the server starts again — the module's real ingestion path, hook handler included.

#![allow(dead_code)] // Each test binary uses its own subset.

use chrono::{DateTime, SecondsFormat, Utc};
use paperclip_e2e::{
    json, wait_until, DirectDb, ServerOptions, StatusCode, TestBackend, TestServer, Value,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where the module's routes are served.
pub const BASE: &str = "/api/modules/analytics";
/// How long asynchronous effects (hook delivery) may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// One week in milliseconds.
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// Server options with the analytics bundle.
pub fn options() -> ServerOptions {
    ServerOptions::new().module("analytics")
}

/// Starts a server with the analytics module and waits until it is active.
pub fn start(backend: TestBackend) -> TestServer {
    let server = TestServer::start(backend, options());
    wait_active(&server);
    server
}

/// Waits until the module is active.
pub fn wait_active(server: &TestServer) {
    wait_until("the analytics module active", WAIT, || {
        (server.get_ok("/api/admin/modules/analytics")["status"] == "active").then_some(())
    });
}

/// `GET /api/modules/analytics<path>`, asserting 200.
pub fn get(server: &TestServer, path: &str) -> Value {
    let (status, body) = server.get(&format!("{BASE}{path}"));
    assert_eq!(status, StatusCode::OK, "GET {BASE}{path} answered {body}");
    body
}

/// `GET /api/modules/analytics<path>`, asserting `status` and an error containing `needle`.
pub fn refused(server: &TestServer, path: &str, status: StatusCode, needle: &str) -> Value {
    let (got, body) = server.get(&format!("{BASE}{path}"));
    assert_eq!(got, status, "GET {BASE}{path} answered {body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(needle),
        "GET {BASE}{path}: error {error:?} does not mention {needle:?}"
    );
    body
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Unix milliseconds of an RFC 3339 timestamp.
pub fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?}: {e}"))
        .timestamp_millis()
}

/// Unix milliseconds as RFC 3339 (millisecond precision, `Z`), as the core writes them.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .expect("a time in range")
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Start of the UTC hour of `ms`.
pub fn hour_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(HOUR_MS)
}

/// Start of the UTC day of `ms`.
pub fn day_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(DAY_MS)
}

/// Start of the week (Monday 00:00 UTC) of `ms`: 1970-01-01 was a Thursday, so Mondays are 4
/// days after a multiple of 7 days.
pub fn week_of(ms: i64) -> i64 {
    let monday_offset = 4 * DAY_MS;
    ms - (ms - monday_offset).rem_euclid(WEEK_MS)
}

/// Nearest-rank percentile: the value at rank ⌈p/100 · n⌉ of the sorted values.
pub fn percentile(values: &[i64], p: usize) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len()) as f64 / 100.0).ceil().max(1.0) as usize;
    Some(sorted[rank - 1])
}

/// The mean of `values`, `None` when empty.
pub fn mean(values: &[i64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<i64>() as f64 / values.len() as f64)
}

/// A fresh UUIDv7 whose time is `ms` (its first 48 bits), as the core's `eventId`s are.
pub fn uuid_v7(ms: i64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    format!(
        "{:08x}-{:04x}-7{:03x}-8{:03x}-{:012x}",
        (ms >> 16) & 0xffff_ffff,
        ms & 0xffff,
        n & 0xfff,
        (random >> 12) & 0xfff,
        (random >> 16) & 0xffff_ffff_ffff
    )
}

/// A hook event as the core records it in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    /// Its `eventId`.
    pub event_id: String,
    /// The hook's wire name.
    pub hook: &'static str,
    /// The payload, with `eventId`.
    pub payload: Value,
}

/// An `agent:heartbeat` at `at`, as `POST /api/agents/{id}/heartbeat` emits it.
pub fn heartbeat_event(company: &str, agent: &str, at: i64) -> OutboxEvent {
    event(
        "agent:heartbeat",
        at,
        json!({"agentId": agent, "companyId": company, "timestamp": rfc3339(at), "meta": {}}),
    )
}

/// A `budget:spend_recorded` of `cents` at `at` (its time is its `eventId`'s).
pub fn spend_event(company: &str, agent: &str, cents: i64, at: i64) -> OutboxEvent {
    event(
        "budget:spend_recorded",
        at,
        json!({"agentId": agent, "companyId": company, "amount": cents, "total": cents}),
    )
}

/// An `issue:status_changed` of issue `issue` to `to` at `at`.
pub fn issue_event(
    company: &str,
    issue: &str,
    assignee: Option<&str>,
    from: &str,
    to: &str,
    at: i64,
) -> OutboxEvent {
    let issue = json!({
        "id": issue, "companyId": company, "identifier": "BK-1", "title": "Back-dated",
        "status": to, "priority": "medium", "assigneeAgentId": assignee,
        "createdAt": rfc3339(at - 30 * DAY_MS), "updatedAt": rfc3339(at)
    });
    event(
        "issue:status_changed",
        at,
        json!({"issue": issue, "from": from, "to": to}),
    )
}

/// A `goal:completed` of goal `goal` at `at`.
pub fn goal_event(company: &str, goal: &str, owner: Option<&str>, at: i64) -> OutboxEvent {
    let goal = json!({
        "id": goal, "companyId": company, "title": "Back-dated goal", "level": "company",
        "status": "completed", "ownerAgentId": owner,
        "createdAt": rfc3339(at - 30 * DAY_MS), "updatedAt": rfc3339(at)
    });
    event("goal:completed", at, json!({ "goal": goal }))
}

fn event(hook: &'static str, at: i64, mut payload: Value) -> OutboxEvent {
    let event_id = uuid_v7(at);
    payload["eventId"] = json!(event_id);
    OutboxEvent {
        event_id,
        hook,
        payload,
    }
}

/// Inserts `events` into the server's hook outbox (the server must be stopped: the module's
/// reader picks them up from its cursor at the next start). An event already in the outbox is
/// replaced by a new row (a higher `seq`), so it is delivered again: a redelivery.
pub fn inject(db: &mut DirectDb, events: &[OutboxEvent]) {
    for chunk in events.chunks(200) {
        let ids: Vec<String> = chunk.iter().map(|e| format!("'{}'", e.event_id)).collect();
        db.run(&format!(
            "DELETE FROM hook_outbox WHERE event_id IN ({})",
            ids.join(", ")
        ))
        .expect("deleting outbox rows");
        let rows: Vec<String> = chunk
            .iter()
            .map(|e| {
                let payload = e.payload.to_string().replace('\'', "''");
                format!(
                    "('{}', '{}', '{payload}', CURRENT_TIMESTAMP)",
                    e.event_id, e.hook
                )
            })
            .collect();
        db.run(&format!(
            "INSERT INTO hook_outbox (event_id, hook, payload, created_at) VALUES {}",
            rows.join(", ")
        ))
        .expect("inserting outbox rows");
    }
}

/// The newest `seq` of the outbox.
pub fn newest_seq(db: &mut DirectDb) -> i64 {
    db.count("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS n FROM hook_outbox")
}

/// Waits until the module's reader has delivered every event up to `seq`.
pub fn wait_delivered(db: &mut DirectDb, seq: i64) {
    wait_delivered_within(db, seq, WAIT);
}

/// [`wait_delivered`] with another time limit.
pub fn wait_delivered_within(db: &mut DirectDb, seq: i64, timeout: Duration) {
    wait_until(
        &format!("the analytics reader past seq {seq}"),
        timeout,
        || {
            let delivered = db.count(
            "SELECT CAST(delivered_seq AS BIGINT) AS n FROM hook_readers WHERE reader = 'analytics'",
        );
            (delivered >= seq).then_some(())
        },
    );
}

/// Sets an agent's creation time (the API cannot), so it counts for back-dated utilisation.
pub fn backdate_agent(db: &mut DirectDb, agent: &str, at: i64) {
    let text = DateTime::<Utc>::from_timestamp_millis(at)
        .expect("a time in range")
        .format("%Y-%m-%d %H:%M:%S");
    db.run(&format!(
        "UPDATE agents SET created_at = '{text}' WHERE id = '{agent}'"
    ))
    .expect("back-dating an agent");
}
