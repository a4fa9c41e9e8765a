//! Hot upgrade of the observability module while its routes are called non-stop: from "a new
//! version is on disk" to "the new version serves" (the `POST /api/admin/modules/rescan` that
//! finds it, copies and loads its library, runs its migrations, registers it and swaps it in),
//! and the longest pause of its routes during the swap, against their latency between swaps —
//! one real `paperclipai` binary (release, SQLite), `ROUNDS` upgrades in a row (each a new
//! version number of the same bundle, so a new library copy each time).
//!
//! Goal: the longest route pause during a swap < 50 ms.
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server &&
//! cargo bench -p paperclip-e2e --bench module_hot_upgrade` (`PAPERCLIP_BENCH_ROUNDS` sets the
//! number of upgrades, default 20).

mod module_bench_support;

use module_bench_support::load_average;
use paperclip_e2e::bench_support::{millis, LatencyStats};
use paperclip_e2e::{copy_dir, find_bundle, json, server_binary, ServerOptions, TestBackend};
use paperclip_e2e::{TestServer, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const ROUTE: &str = "/api/modules/observability/summary";

/// One route call: when it started, how long it took, its status.
struct Call {
    started: Instant,
    took: Duration,
    status: u16,
}

fn main() {
    println!("load average before: {}", load_average());
    println!("paperclipai binary: {}", server_binary().display());
    let rounds: usize = std::env::var("PAPERCLIP_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let modules = tempfile::tempdir().expect("temporary folder");
    let bundle = modules.path().join("observability");
    copy_dir(&find_bundle("observability"), &bundle);
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .config(json!({"modules": {"dir": modules.path().to_string_lossy()}}))
            .env("PAPERCLIP_LOG", "error"),
    );
    let (status, company) = server.post("/api/companies", &json!({"name": "Bench Co"}));
    assert!(status.is_success(), "company created: {status} {company}");

    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(Mutex::new(Vec::<Call>::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, stop, calls) = (server.client().clone(), stop.clone(), calls.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let (status, _) = client.get(ROUTE);
                    mine.push(Call {
                        started,
                        took: started.elapsed(),
                        status: status.as_u16(),
                    });
                }
                calls.lock().unwrap().extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    let mut to_serving = LatencyStats::new();
    let mut handovers = LatencyStats::new();
    let mut windows = Vec::new();
    for round in 1..=rounds {
        let version = format!("0.2.{round}");
        set_version(&bundle, &version);
        let began = Instant::now();
        let (status, report) = server.post("/api/admin/modules/rescan", &json!({}));
        let took = began.elapsed();
        assert!(status.is_success(), "rescan: {report}");
        assert_eq!(report["upgraded"], json!(["observability"]), "{report}");
        let view = server.get_ok("/api/admin/modules/observability");
        assert_eq!(view["version"], version.as_str(), "{view}");
        to_serving.record(took);
        let handover = view["lastUpgrade"]["handoverMs"].as_f64().unwrap_or(0.0);
        handovers.record(Duration::from_secs_f64(handover / 1000.0));
        windows.push((began, began + took));
        std::thread::sleep(Duration::from_millis(250));
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("a client");
    }

    let mut calls = calls.lock().unwrap();
    calls.sort_by_key(|c| c.started + c.took);
    // The longest time without any answer (all clients together), inside a swap window and
    // outside: a pause of the routes shows as a gap no client got an answer in.
    let (mut gap_during, mut gap_between) = (Duration::ZERO, Duration::ZERO);
    for pair in calls.windows(2) {
        let (a, b) = (
            pair[0].started + pair[0].took,
            pair[1].started + pair[1].took,
        );
        let gap = b - a;
        if windows.iter().any(|(from, to)| a < *to && b > *from) {
            gap_during = gap_during.max(gap);
        } else {
            gap_between = gap_between.max(gap);
        }
    }
    let mut during = LatencyStats::new();
    let mut between = LatencyStats::new();
    let mut failed: std::collections::BTreeMap<u16, usize> = Default::default();
    for call in calls.iter() {
        if call.status != 200 {
            *failed.entry(call.status).or_default() += 1;
        }
        let ended = call.started + call.took;
        let overlaps = windows
            .iter()
            .any(|(from, to)| call.started < *to && ended > *from);
        if overlaps {
            during.record(call.took);
        } else {
            between.record(call.took);
        }
    }
    println!(
        "module_hot_upgrade [sqlite] observability, {rounds} upgrades, {CLIENTS} clients on GET {ROUTE}"
    );
    println!(
        "  new version available → serving (rescan): median {}, p90 {}, max {}",
        millis(to_serving.percentile(50.0)),
        millis(to_serving.percentile(90.0)),
        millis(to_serving.max())
    );
    println!(
        "  hook hand-over (events wait): median {}, max {}",
        millis(handovers.percentile(50.0)),
        millis(handovers.max())
    );
    println!(
        "  route calls overlapping a swap: {} — p50 {}, p99 {}, longest {} (goal < 50 ms)",
        during.count(),
        millis(during.percentile(50.0)),
        millis(during.percentile(99.0)),
        millis(during.max())
    );
    println!(
        "  route calls between swaps: {} — p50 {}, p99 {}, longest {}",
        between.count(),
        millis(between.percentile(50.0)),
        millis(between.percentile(99.0)),
        millis(between.max())
    );
    println!(
        "  longest time without any answer: during swaps {}, between swaps {} (the routes' pause)",
        millis(gap_during),
        millis(gap_between)
    );
    println!("  non-200 answers by status: {failed:?}");
    println!("load average after: {}", load_average());
}

/// Rewrites the bundle's manifest version (a new version of the same library).
fn set_version(bundle: &Path, version: &str) {
    let path = bundle.join("paperclip.module.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("JSON");
    manifest["version"] = json!(version);
    std::fs::write(&path, manifest.to_string()).expect("manifest written");
}
