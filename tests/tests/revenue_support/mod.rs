//! Shared helpers of the revenue tests: a server with the revenue bundle (built into
//! `plugins-dist/revenue/` by `scripts/build-modules.sh`), granted `webhooks`, with a Stripe
//! endpoint secret from the environment; manual income; Stripe deliveries signed with the
//! webhook tests' signer (the `hmac` crate directly, not the SDK's helper); and the P&L computed
//! independently of the module (calendar arithmetic with chrono).

#![allow(dead_code)] // Each test binary uses its own subset.

use super::webhooks_support::stripe_signature;
use chrono::{DateTime, Datelike, Duration as Days, NaiveDate, Utc};
use paperclip_e2e::{json, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the module's routes are served.
pub const BASE: &str = "/api/modules/revenue";

/// Where Stripe posts.
pub const STRIPE_WEBHOOK: &str = "/webhooks/revenue/stripe";

/// The endpoint secret the server reads from `RV_TEST_STRIPE_SECRET`.
pub const SECRET: &str = "whsec_revenue_e2e_0123456789";

/// How long asynchronous effects (hooks) may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// Server options: the revenue bundle granted `webhooks`, its secret given as
/// `$RV_TEST_STRIPE_SECRET`, `config` merged over the module config.
pub fn options(config: Value) -> ServerOptions {
    let mut module_config = json!({ "stripeWebhookSecret": "$RV_TEST_STRIPE_SECRET" });
    for (key, value) in config.as_object().expect("a config object") {
        module_config[key] = value.clone();
    }
    ServerOptions::new()
        .module("revenue")
        .config(json!({ "modules": {
            "grants": { "revenue": ["webhooks"] },
            "config": { "revenue": module_config }
        }}))
        .env("RV_TEST_STRIPE_SECRET", SECRET)
}

/// Starts a server with the revenue module active.
pub fn start(backend: TestBackend, options: ServerOptions) -> TestServer {
    let server = TestServer::start(backend, options);
    let view = server.get_ok("/api/admin/modules/revenue");
    assert_eq!(view["status"], "active", "module not active: {view}");
    server
}

/// `POST /income`, asserting 201; returns the entry.
pub fn add_income(server: &TestServer, body: Value) -> Value {
    let (status, entry) = server.post(&format!("{BASE}/income"), &body);
    assert_eq!(status, StatusCode::CREATED, "POST {body} answered {entry}");
    entry
}

/// Asserts a 400 naming `field`.
pub fn assert_refused((status, body): (StatusCode, Value), field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], field, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(field),
        "error {error:?} does not name {field}"
    );
}

/// `GET /pnl` with these parameters, asserting 200.
pub fn pnl(server: &TestServer, company: &str, from: &str, to: &str, granularity: &str) -> Value {
    server.get_ok(&format!(
        "{BASE}/pnl?companyId={company}&from={from}&to={to}&granularity={granularity}"
    ))
}

/// Posts `body` to the Stripe webhook with `signature` (none: no header), with the server's
/// default client (it sends the API key, if any) or `client`.
pub fn deliver(
    client: &paperclip_e2e::ApiClient,
    body: &str,
    signature: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = client
        .request(paperclip_e2e::Method::POST, STRIPE_WEBHOOK)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    client.send(request)
}

/// Posts `event` signed now with [`SECRET`].
pub fn deliver_signed(client: &paperclip_e2e::ApiClient, event: &Value) -> (StatusCode, Value) {
    let body = event.to_string();
    let signature = stripe_signature(body.as_bytes(), SECRET, Utc::now().timestamp());
    deliver(client, &body, Some(&signature))
}

/// A Stripe event of `kind` about `object`, created at `created` (Unix seconds).
pub fn stripe_event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2024-06-20", "type": kind,
        "created": created, "livemode": false, "pending_webhooks": 1,
        "data": { "object": object }
    })
}

/// Unix milliseconds of an RFC 3339 time.
pub fn ms(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_millis()
}

/// RFC 3339 (milliseconds, `Z`) of Unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One expected P&L period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// `2026-11-03`, `2026-W45`, `2026-11`.
    pub period: String,
    /// Start and end (Unix ms), cut to the range.
    pub start: i64,
    /// End (exclusive).
    pub end: i64,
    /// Income in the P&L's currency.
    pub income: i64,
    /// Cost.
    pub cost: i64,
}

/// The P&L of `[from, to)` (Unix ms) computed here: calendar periods from chrono (weeks from
/// Monday), the first and last cut to the range, each money item `(time ms, cents)` added to
/// the period whose span holds it.
pub fn expected_pnl(
    from: i64,
    to: i64,
    granularity: &str,
    income: &[(i64, i64)],
    cost: &[(i64, i64)],
) -> Vec<Expected> {
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    let date = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .unwrap()
            .date_naive()
    };
    let mut starts: BTreeMap<i64, String> = BTreeMap::new();
    let mut day = date(from);
    while midnight(day) < to {
        let (start, label) = match granularity {
            "day" => (day, day.format("%Y-%m-%d").to_string()),
            "week" => {
                let monday = day - Days::days(i64::from(day.weekday().num_days_from_monday()));
                let week = day.iso_week();
                (monday, format!("{}-W{:02}", week.year(), week.week()))
            }
            "month" => (day.with_day(1).unwrap(), day.format("%Y-%m").to_string()),
            other => panic!("granularity {other}"),
        };
        starts.insert(midnight(start).max(from), label);
        day += Days::days(1);
    }
    let bounds: Vec<i64> = starts.keys().copied().chain([to]).collect();
    let sum = |items: &[(i64, i64)], start: i64, end: i64| {
        items
            .iter()
            .filter(|(at, _)| (start..end).contains(at))
            .map(|(_, cents)| cents)
            .sum::<i64>()
    };
    starts
        .values()
        .zip(bounds.windows(2))
        .map(|(label, span)| Expected {
            period: label.clone(),
            start: span[0],
            end: span[1],
            income: sum(income, span[0], span[1]),
            cost: sum(cost, span[0], span[1]),
        })
        .collect()
}

/// Asserts that `answer` (a `GET /pnl` body) has exactly the `expected` periods and their totals.
pub fn assert_pnl(answer: &Value, expected: &[Expected]) {
    let periods = answer["periods"].as_array().expect("periods");
    let got: Vec<Expected> = periods
        .iter()
        .map(|p| {
            assert_eq!(
                p["marginCents"].as_i64().unwrap(),
                p["incomeCents"].as_i64().unwrap() - p["costCents"].as_i64().unwrap(),
                "{p}"
            );
            Expected {
                period: p["period"].as_str().unwrap().to_owned(),
                start: ms(p["start"].as_str().unwrap()),
                end: ms(p["end"].as_str().unwrap()),
                income: p["incomeCents"].as_i64().unwrap(),
                cost: p["costCents"].as_i64().unwrap(),
            }
        })
        .collect();
    assert_eq!(got, expected, "granularity {}", answer["granularity"]);
    let income: i64 = expected.iter().map(|e| e.income).sum();
    let cost: i64 = expected.iter().map(|e| e.cost).sum();
    assert_eq!(
        answer["totals"],
        json!({"incomeCents": income, "costCents": cost, "marginCents": income - cost})
    );
}
