//! Issue creation throughput with the Workflow Automation module active and one rule matching
//! every created issue (each creates a follow-up issue), against a server without the module,
//! in alternating rounds on the real `paperclipai` binary (release; SQLite, and PostgreSQL when
//! `PAPERCLIP_TEST_DATABASE_URL` is set). Reports writes/s of both (user-created issues; the
//! workflow server also writes one follow-up per issue) and the rule's trigger → action latency:
//! from an issue's creation to its follow-up's (both `createdAt`, millisecond timestamps).
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server &&
//! cargo bench -p paperclip-e2e --bench workflow_rules` (`PAPERCLIP_BENCH_SECS` changes the
//! measured time, default 10 s per server).

use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{
    copy_dir, find_bundle, json, server_binary, test_backends, ServerOptions, TestBackend,
    TestServer, Value,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const ROUNDS: u32 = 5;
const GRANTS: [&str; 4] = [
    "issues.create",
    "issues.update",
    "agents.pause",
    "agents.resume",
];

/// One server under load.
struct Contender {
    label: &'static str,
    server: TestServer,
    company: String,
    url: String,
    created: usize,
    errors: usize,
    elapsed: Duration,
    latency: LatencyStats,
    _modules: tempfile::TempDir,
}

impl Contender {
    fn start(backend: TestBackend, label: &'static str, workflows: bool) -> Contender {
        let modules = tempfile::tempdir().expect("temporary folder");
        if workflows {
            copy_dir(&find_bundle("workflows"), &modules.path().join("workflows"));
        }
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .config(json!({"modules": {
                    "dir": modules.path().to_string_lossy(),
                    "grants": {"workflows": GRANTS},
                }}))
                .env("PAPERCLIP_LOG", "warn"),
        );
        let company = server.create_company("Bench Corp");
        if workflows {
            let (status, rule) = server.post(
                "/api/modules/workflows/rules",
                &json!({
                    "companyId": company,
                    "name": "Follow up every new issue",
                    "trigger": {
                        "hook": "issue:created",
                        // Issues a person created (a follow-up has a cause): no chain.
                        "conditions": [{"field": "causedBy.depth", "operator": "eq", "value": null}]
                    },
                    "actions": [{"type": "create_issue", "title": "Follow up: {{issue.title}}"}]
                }),
            );
            assert!(status.is_success(), "rule created: {status} {rule}");
        }
        let url = server.url(&format!("/api/companies/{company}/issues"));
        Contender {
            label,
            server,
            company,
            url,
            created: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latency: LatencyStats::new(),
            _modules: modules,
        }
    }
}

fn main() {
    println!("paperclipai binary: {}", server_binary().display());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before the run: {}", load.trim());
    }
    let duration = bench_duration(Duration::from_secs(10));
    for backend in test_backends() {
        bench_backend(backend, duration);
    }
}

fn bench_backend(backend: TestBackend, duration: Duration) {
    let name = backend.name();
    let mut contenders = [
        Contender::start(backend.clone(), "workflows + rule", true),
        Contender::start(backend, "no module", false),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let round = duration / ROUNDS;
    for r in 0..ROUNDS {
        let order: [usize; 2] = if r % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let contender = &mut contenders[i];
            let (created, errors, latency) = runtime.block_on(run_clients(&contender.url, round));
            contender.created += created;
            contender.errors += errors;
            contender.elapsed += round;
            contender.latency.merge(latency);
        }
    }

    let mut rates = Vec::new();
    for contender in &contenders {
        let rate = contender.created as f64 / contender.elapsed.as_secs_f64();
        rates.push(rate);
        println!(
            "workflow_rules [{name}, {}] {CLIENTS} clients, {ROUNDS} rounds: {rate:.0} issues/s created over HTTP ({} errors), p50 {} p99 {}",
            contender.label,
            contender.errors,
            millis(contender.latency.percentile(50.0)),
            millis(contender.latency.percentile(99.0)),
        );
    }
    println!(
        "workflow_rules [{name}]: with/without = {:.3}",
        rates[0] / rates[1]
    );
    let with = &contenders[0];
    let trigger_to_action = follow_up_latencies(with, "Bench ");
    report(
        name,
        "under the full load above (includes the backlog)",
        &trigger_to_action,
    );
    // Paced: one issue every 20 ms (50/s), the rule's latency without a backlog.
    for n in 0..PACED {
        let (status, body) = with.server.post(
            &format!("/api/companies/{}/issues", with.company),
            &json!({"title": format!("Paced {n}")}),
        );
        assert!(status.is_success(), "{body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let paced = follow_up_latencies(with, "Paced ");
    report(name, "paced at 50 issues/s", &paced);
}

/// Issues created one by one at 50/s for the paced measurement.
const PACED: usize = 250;

fn report(name: &str, how: &str, stats: &LatencyStats) {
    println!(
        "workflow_rules [{name}]: trigger → action (issue created → follow-up created) {how}, {} follow-ups: p50 {} p90 {} p99 {} max {}",
        stats.count(),
        millis(stats.percentile(50.0)),
        millis(stats.percentile(90.0)),
        millis(stats.percentile(99.0)),
        millis(stats.max()),
    );
}

/// For every issue of the workflow server whose title starts with `prefix` and that got its
/// follow-up: the time between the two `createdAt`s. Waits until every such issue has one.
fn follow_up_latencies(contender: &Contender, prefix: &str) -> LatencyStats {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let issues = all_issues(&contender.server, &contender.company);
        let originals: HashMap<String, String> = issues
            .iter()
            .filter(|i| i["title"].as_str().unwrap_or("").starts_with(prefix))
            .map(|i| {
                (
                    i["title"].as_str().unwrap().to_string(),
                    i["createdAt"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let follow_ups: HashMap<String, String> = issues
            .iter()
            .filter_map(|i| {
                let title = i["title"].as_str()?.strip_prefix("Follow up: ")?;
                if !title.starts_with(prefix) {
                    return None;
                }
                Some((title.to_string(), i["createdAt"].as_str()?.to_string()))
            })
            .collect();
        if follow_ups.len() >= originals.len() || Instant::now() > deadline {
            let mut stats = LatencyStats::new();
            for (title, created) in &originals {
                if let Some(followed) = follow_ups.get(title) {
                    stats.record(between(created, followed));
                }
            }
            if follow_ups.len() < originals.len() {
                println!(
                    "  only {} of {} issues got their follow-up within 2 minutes",
                    follow_ups.len(),
                    originals.len()
                );
            }
            return stats;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Every issue of `company`.
fn all_issues(server: &TestServer, company: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let page = server.get_ok(&format!(
            "/api/companies/{company}/issues?limit=500&offset={}",
            all.len()
        ));
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let done = items.is_empty()
            || all.len() + items.len() >= page["total"].as_u64().unwrap_or(0) as usize;
        all.extend(items);
        if done {
            return all;
        }
    }
}

/// `to - from` for two RFC 3339 timestamps with milliseconds, `…THH:MM:SS.mmmZ` (zero when
/// `to` is not later; both are the same day in a benchmark run, or close to midnight).
fn between(from: &str, to: &str) -> Duration {
    let millis_of_day = |t: &str| -> i64 {
        let time = t.split('T').nth(1).unwrap_or("").trim_end_matches('Z');
        let mut parts = time.split(':');
        let h: i64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let m: i64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let s: f64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0.0);
        (h * 3600 + m * 60) * 1000 + (s * 1000.0).round() as i64
    };
    let day = 24 * 3600 * 1000;
    let diff = (millis_of_day(to) - millis_of_day(from)).rem_euclid(day);
    Duration::from_millis(diff as u64)
}

/// `CLIENTS` concurrent create loops against `url` for `duration`: created, errors, latency.
async fn run_clients(url: &str, duration: Duration) -> (usize, usize, LatencyStats) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + duration;
    let tasks = (0..CLIENTS).map(|worker| {
        let client = client.clone();
        let url = url.to_string();
        async move {
            let mut latency = LatencyStats::new();
            let (mut created, mut errors, mut n) = (0, 0, 0usize);
            while Instant::now() < deadline {
                n += 1;
                let body = json!({"title": format!("Bench {worker}-{n}-{}", uuid::Uuid::new_v4())});
                let sent = Instant::now();
                match client.post(&url).json(&body).send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                        let _ = response.bytes().await;
                        latency.record(sent.elapsed());
                        created += 1;
                    }
                    _ => errors += 1,
                }
            }
            (created, errors, latency)
        }
    });
    let mut total = (0, 0, LatencyStats::new());
    for (created, errors, latency) in futures_util::future::join_all(tasks).await {
        total.0 += created;
        total.1 += errors;
        total.2.merge(latency);
    }
    total
}
