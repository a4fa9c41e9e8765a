//! Observability module, end to end: heartbeats posted through the core API become metric rows
//! and show up with the right numbers in the summary, the series, the burn rate and the
//! Prometheus exposition. Needs the bundle: `scripts/build-modules.sh`.

mod observability_support;

use observability_support::{get, heartbeat, start, wait_for, wait_for_heartbeats, TestDb, BASE};
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use paperclip_e2e::{each_backend_and_level, json, StatusCode, TestServer};
use std::time::Duration;

/// A model name with every character the text format must escape in a label value.
const AWKWARD_MODEL: &str = "weird \"model\" \\ name\nline two";

struct Fixture {
    company_a: String,
    company_b: String,
    a1: String,
    a2: String,
    b1: String,
}

/// Two companies, three agents, six heartbeats (five with usage).
fn seed(server: &TestServer) -> Fixture {
    let company_a = server.create_company("Acme");
    let company_b = server.create_company("Bolt");
    let a1 = server.create_agent(
        &company_a,
        json!({"name": "Ada", "budgetMonthlyCents": 10_000}),
    );
    let a2 = server.create_agent(&company_a, json!({"name": "Bob"}));
    let b1 = server.create_agent(&company_b, json!({"name": "Cy", "budgetMonthlyCents": 500}));
    heartbeat(
        server,
        &a1,
        json!({"tokensUsed": 1000, "costCents": 25, "model": "gpt-4", "latencyMs": 200}),
    );
    heartbeat(
        server,
        &a1,
        json!({"tokensUsed": 500, "costCents": 10, "model": "gpt-4", "latencyMs": 400}),
    );
    heartbeat(server, &a1, json!({"tokensUsed": 300, "model": "claude"}));
    heartbeat(server, &a2, json!({"tokensUsed": 50}));
    // No usage reported: not a metric.
    heartbeat(server, &a2, json!({"status": "active"}));
    heartbeat(
        server,
        &b1,
        json!({"tokensUsed": 7, "costCents": 1, "model": AWKWARD_MODEL, "latencyMs": 30}),
    );
    Fixture {
        company_a,
        company_b,
        a1,
        a2,
        b1,
    }
}

#[test]
fn heartbeats_become_rows_and_reports() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, json!({}));
        observability_support::assert_active(&server);
        let f = seed(&server);
        let summary = wait_for_heartbeats(&server, 5);

        // Rows, checked in the database itself.
        let mut db = TestDb::open(&server);
        assert_eq!(db.count("mod_observability_token_metrics", ""), 5);
        assert_eq!(
            db.count(
                "mod_observability_token_metrics",
                &format!("agent_id = '{}' AND company_id = '{}'", f.a1, f.company_a)
            ),
            3
        );
        assert_eq!(
            db.count("mod_observability_token_metrics", &format!("agent_id = '{}' AND model = 'unknown' AND cost_cents = 0 AND latency_ms IS NULL", f.a2)),
            1,
            "a heartbeat without model, cost or latency is stored with the defaults"
        );

        // Summary over everything.
        assert_eq!(
            summary["totals"],
            json!({"tokens": 1857, "costCents": 36, "heartbeats": 5, "avgLatencyMs": 210.0})
        );
        let by_agent = summary["byAgent"].as_array().unwrap();
        assert_eq!(by_agent.len(), 3);
        assert_eq!(by_agent[0]["agentId"], f.a1.as_str(), "most tokens first");
        assert_eq!(by_agent[0]["agentName"], "Ada");
        assert_eq!(by_agent[0]["tokens"], 1800);
        assert_eq!(by_agent[0]["costCents"], 35);
        assert_eq!(by_agent[0]["heartbeats"], 3);
        assert_eq!(by_agent[0]["avgLatencyMs"], 300.0);
        assert_eq!(by_agent[2]["agentId"], f.b1.as_str());

        // One company, one agent, one model, an empty window.
        let acme = get(&server, &format!("/summary?companyId={}", f.company_a));
        assert_eq!(acme["totals"]["tokens"], 1850);
        let models: Vec<(&str, i64)> = acme["byModel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["model"].as_str().unwrap(), m["tokens"].as_i64().unwrap()))
            .collect();
        assert_eq!(models, [("gpt-4", 1500), ("claude", 300), ("unknown", 50)]);
        let bob = get(&server, &format!("/summary?agentId={}", f.a2));
        assert_eq!(
            bob["totals"],
            json!({"tokens": 50, "costCents": 0, "heartbeats": 1, "avgLatencyMs": null})
        );
        let gpt = get(&server, "/summary?model=gpt-4");
        assert_eq!(gpt["totals"]["tokens"], 1500);
        let future = get(&server, "/summary?since=2999-01-01T00:00:00Z");
        assert_eq!(future["totals"]["heartbeats"], 0);
        assert_eq!(future["byAgent"], json!([]));
        let past = get(&server, "/summary?until=2000-01-01T00:00:00Z");
        assert_eq!(past["totals"]["tokens"], 0);

        // Bad filters name the problem.
        for (query, needle) in [
            ("agentid=x", "`agentid`"),
            ("since=yesterday", "`since`"),
            ("since=2000&until=1000", "`since`"),
        ] {
            let (status, body) = server.get(&format!("{BASE}/summary?{query}"));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert!(
                body["error"].as_str().unwrap().contains(needle),
                "{query}: {body}"
            );
        }

        // Series: every heartbeat was just posted, so the buckets add up to the totals.
        for bucket in ["hour", "day"] {
            let series = get(
                &server,
                &format!("/series?bucket={bucket}&companyId={}", f.company_a),
            );
            assert_eq!(series["bucket"], bucket);
            let points = series["points"].as_array().unwrap();
            assert!(!points.is_empty() && points.len() <= 2, "{series}");
            let tokens: i64 = points.iter().map(|p| p["tokens"].as_i64().unwrap()).sum();
            let heartbeats: i64 = points
                .iter()
                .map(|p| p["heartbeats"].as_i64().unwrap())
                .sum();
            assert_eq!((tokens, heartbeats), (1850, 4), "{series}");
            let start = points[0]["start"].as_str().unwrap();
            assert!(
                start.ends_with(if bucket == "hour" {
                    ":00:00.000Z"
                } else {
                    "T00:00:00.000Z"
                }),
                "{start}"
            );
        }
        let (status, body) = server.get(&format!("{BASE}/series?bucket=week"));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        check_burn_rate(&server, &f);
        check_prometheus(&server, &f);
    });
}

fn check_burn_rate(server: &TestServer, f: &Fixture) {
    // Spend events arrive through their own hook; wait for both of Ada's.
    let burn = wait_for("Ada's spend events", Duration::from_secs(10), || {
        let burn = get(server, &format!("/burn-rate?agentId={}", f.a1));
        (burn["spentInWindowCents"] == 35).then_some(burn)
    });
    assert_eq!(burn["scope"], "agent");
    assert_eq!(burn["companyId"], f.company_a.as_str());
    assert_eq!(burn["windowDays"], 7);
    assert_eq!(burn["costPerDayCents"], 5.0);
    assert_eq!(burn["tokensInWindow"], 1800);
    assert_eq!(burn["budgetMonthlyCents"], 10_000);
    assert_eq!(burn["spentMonthlyCents"], 35);
    assert_eq!(burn["remainingCents"], 9965);
    assert_eq!(burn["daysUntilExhausted"], 1993.0);
    assert!(burn["exhaustsAt"].as_str().unwrap().ends_with('Z'));
    let daily = burn["daily"].as_array().unwrap();
    assert!(
        daily.len() == 8,
        "a 7-day window touches 8 UTC days: {burn}"
    );
    let daily_cost: i64 = daily.iter().map(|d| d["costCents"].as_i64().unwrap()).sum();
    assert_eq!(daily_cost, 35);

    let company = get(
        server,
        &format!("/burn-rate?companyId={}&windowDays=1", f.company_a),
    );
    assert_eq!(company["scope"], "company");
    assert_eq!(company["spentInWindowCents"], 35);
    assert_eq!(company["costPerDayCents"], 35.0);
    assert_eq!(company["tokensPerDay"], 1850.0);
    assert_eq!(company["budgetMonthlyCents"], 10_000);

    let (status, _) = server.get(&format!(
        "{BASE}/burn-rate?agentId=00000000-0000-0000-0000-000000000000"
    ));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get(&format!("{BASE}/burn-rate?companyId=nope"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    for query in ["", "?agentId=a&companyId=c", "?agentId=a&windowDays=0"] {
        let (status, body) = server.get(&format!("{BASE}/burn-rate{query}"));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }
}

/// Undoes the text format's label escaping.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of the sample of `family` whose labels include `labels` (summaries: their sum).
fn sample(
    expo: &MetricsExposition<PrometheusType, PrometheusValue>,
    family: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let family = expo.families.get(family)?;
    family.iter_samples().find_map(|s| {
        let set = s.get_labelset().ok()?;
        let matches = labels.iter().all(|(name, value)| {
            set.get_label_value(name).map(unescape).as_deref() == Some(*value)
        });
        matches.then(|| match &s.value {
            PrometheusValue::Counter(c) => c.value.as_f64(),
            PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
            PrometheusValue::Summary(s) => s.sum.map_or(f64::NAN, |n| n.as_f64()),
            PrometheusValue::Histogram(_) => f64::NAN,
        })
    })
}

/// Fetches and parses `GET /metrics`.
pub fn scrape(server: &TestServer) -> (String, MetricsExposition<PrometheusType, PrometheusValue>) {
    let response = server
        .request(paperclip_e2e::Method::GET, &format!("{BASE}/metrics"))
        .send()
        .expect("GET /metrics");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().unwrap();
    let expo = parse_prometheus(&text)
        .unwrap_or_else(|e| panic!("not valid Prometheus text ({e:?}):\n{text}"));
    (text, expo)
}

fn check_prometheus(server: &TestServer, f: &Fixture) {
    let issue = server.create_issue(&f.company_a, json!({"title": "Ship it"}));
    let (status, body) = server.patch(&format!("/api/issues/{issue}"), &json!({"status": "done"}));
    assert_eq!(status, StatusCode::OK, "{body}");

    let (text, expo) = wait_for(
        "the issue transition in /metrics",
        Duration::from_secs(10),
        || {
            let (text, expo) = scrape(server);
            let done = sample(
                &expo,
                "paperclip_issue_status_changes_total",
                &[("company_id", &f.company_a), ("status", "done")],
            );
            (done == Some(1.0)).then_some((text, expo))
        },
    );
    for (name, kind) in [
        ("paperclip_tokens_total", PrometheusType::Counter),
        ("paperclip_cost_cents_total", PrometheusType::Counter),
        ("paperclip_heartbeats_total", PrometheusType::Counter),
        (
            "paperclip_heartbeat_latency_milliseconds",
            PrometheusType::Summary,
        ),
        ("paperclip_agent_budget_cents", PrometheusType::Gauge),
        ("paperclip_agent_spent_cents", PrometheusType::Gauge),
        (
            "paperclip_issue_status_changes_total",
            PrometheusType::Counter,
        ),
        ("paperclip_alerts_firing", PrometheusType::Gauge),
        ("paperclip_hook_outbox_events", PrometheusType::Gauge),
        ("paperclip_module_hook_lag_events", PrometheusType::Gauge),
        (
            "paperclip_module_hook_oldest_undelivered_seconds",
            PrometheusType::Gauge,
        ),
        ("paperclip_module_hook_dead_letters", PrometheusType::Gauge),
        ("paperclip_module_hook_retrying", PrometheusType::Gauge),
    ] {
        let family = expo
            .families
            .get(name)
            .unwrap_or_else(|| panic!("no family {name} in:\n{text}"));
        assert_eq!(family.family_type, kind, "{name}");
        assert!(!family.help.is_empty(), "{name} has no HELP");
    }
    let a1 = f.a1.as_str();
    assert_eq!(
        sample(
            &expo,
            "paperclip_tokens_total",
            &[("agent_id", a1), ("model", "gpt-4")]
        ),
        Some(1500.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_tokens_total",
            &[("agent_id", a1), ("model", "claude")]
        ),
        Some(300.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_tokens_total",
            &[("agent_id", &f.a2), ("model", "unknown")]
        ),
        Some(50.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_cost_cents_total",
            &[("agent_id", a1), ("model", "gpt-4")]
        ),
        Some(35.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_heartbeats_total",
            &[("agent_id", a1), ("model", "gpt-4")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_heartbeat_latency_milliseconds",
            &[("agent_id", a1), ("model", "gpt-4")]
        ),
        Some(600.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_agent_budget_cents",
            &[("agent_id", a1), ("company_id", &f.company_a)]
        ),
        Some(10_000.0)
    );
    assert_eq!(
        sample(&expo, "paperclip_agent_spent_cents", &[("agent_id", a1)]),
        Some(35.0)
    );
    assert_eq!(
        sample(
            &expo,
            "paperclip_agent_spent_cents",
            &[("agent_id", &f.b1), ("company_id", &f.company_b)]
        ),
        Some(1.0)
    );
    assert_eq!(sample(&expo, "paperclip_alerts_firing", &[]), Some(0.0));
    // Hook delivery (the core call `hooks.delivery`): the outbox holds at least the events above,
    // and the module reports its own delivery under its id, with nothing failed.
    let outbox = sample(&expo, "paperclip_hook_outbox_events", &[]).expect("outbox size");
    assert!(outbox >= 6.0, "outbox {outbox}:\n{text}");
    let own = [("module", "observability")];
    for family in [
        "paperclip_module_hook_lag_events",
        "paperclip_module_hook_oldest_undelivered_seconds",
    ] {
        let value = sample(&expo, family, &own).unwrap_or_else(|| panic!("no {family}:\n{text}"));
        assert!(value >= 0.0, "{family} {value}");
    }
    for family in [
        "paperclip_module_hook_dead_letters",
        "paperclip_module_hook_retrying",
    ] {
        assert_eq!(sample(&expo, family, &own), Some(0.0), "{family}:\n{text}");
    }
    // The awkward model name survives escaping: the parser read it, and it reads back unchanged.
    assert_eq!(
        sample(
            &expo,
            "paperclip_tokens_total",
            &[("agent_id", &f.b1), ("model", AWKWARD_MODEL)]
        ),
        Some(7.0)
    );
    assert!(
        text.contains(r#"model="weird \"model\" \\ name\nline two""#),
        "{text}"
    );
}

#[test]
fn budget_thresholds_show_in_the_burn_rate() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, json!({}));
        let company = server.create_company("Acme");
        let agent = server.create_agent(&company, json!({"budgetMonthlyCents": 100}));
        heartbeat(&server, &agent, json!({"tokensUsed": 10, "costCents": 85}));
        let burn = wait_for("the 80 % threshold", Duration::from_secs(10), || {
            let burn = get(&server, &format!("/burn-rate?agentId={agent}"));
            (burn["thresholdsCrossed"].as_array().map_or(0, Vec::len) == 1).then_some(burn)
        });
        let crossed = &burn["thresholdsCrossed"][0];
        assert_eq!(crossed["agentId"], agent.as_str());
        assert_eq!(crossed["percent"], 80.0);
        assert_eq!(crossed["budgetCents"], 100);
        assert_eq!(crossed["spentCents"], 85);
        assert_eq!(burn["remainingCents"], 15);

        heartbeat(&server, &agent, json!({"tokensUsed": 10, "costCents": 20}));
        let burn = wait_for(
            "the 90 and 100 % thresholds",
            Duration::from_secs(10),
            || {
                let burn = get(&server, &format!("/burn-rate?agentId={agent}"));
                (burn["thresholdsCrossed"].as_array().map_or(0, Vec::len) == 3).then_some(burn)
            },
        );
        let percents: Vec<f64> = burn["thresholdsCrossed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["percent"].as_f64().unwrap())
            .collect();
        assert_eq!(percents, [80.0, 90.0, 100.0]);
        assert_eq!(burn["remainingCents"], 0);
        assert_eq!(burn["daysUntilExhausted"], 0.0, "{burn}");
    });
}
