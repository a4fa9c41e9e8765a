//! Start-up with 50 modules: the real `paperclipai` binary (release) on SQLite with 50 copies of
//! the `tiny` module (release build; ids `tiny-01` … `tiny-50`, each its own library file, each
//! with one migration) in its modules folder. Measures the time from spawning the process to
//! its "listening on" line, and to all 50 modules reported `active` by the admin API:
//!
//! - **cold**: a fresh database, so the host loads 50 libraries and applies 50 migrations;
//! - **warm**: a restart on that database (load only, nothing to migrate);
//! - **baseline**: the same server with an empty modules folder.
//!
//! Each is repeated and the median reported, with the host's own `took_ms` from its log.
//! Goal: cold start < 1 s on SQLite.
//!
//! Run: `cargo build --release -p paperclip-server -p tiny && cargo bench -p paperclip-e2e
//! --bench module_startup_50` (`PAPERCLIP_BENCH_REPEAT` sets the repetitions, default 5).

mod module_bench_support;

use module_bench_support::{load_average, tiny_bundle};
use paperclip_e2e::bench_support::millis;
use paperclip_e2e::{json, server_binary, ServerOptions, TestBackend, TestServer, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const COPIES: usize = 50;
const DEFAULT_REPEAT: usize = 5;

fn main() {
    println!("load average before: {}", load_average());
    println!("paperclipai binary: {}", server_binary().display());
    let repeat = std::env::var("PAPERCLIP_BENCH_REPEAT")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(DEFAULT_REPEAT);
    let modules = tempfile::tempdir().expect("temporary folder");
    for i in 1..=COPIES {
        tiny_bundle(modules.path(), &format!("tiny-{i:02}"));
    }
    let empty = tempfile::tempdir().expect("temporary folder");

    let mut baseline = Vec::new();
    let mut cold_listen = Vec::new();
    let mut cold_active = Vec::new();
    let mut cold_host = Vec::new();
    let mut warm_listen = Vec::new();
    let mut warm_active = Vec::new();
    let mut warm_host = Vec::new();
    for _ in 0..repeat {
        let (_, listen) = start(empty.path());
        baseline.push(listen);

        let (mut server, listen) = start(modules.path());
        cold_listen.push(listen);
        cold_active.push(listen + wait_all_active(&server));
        cold_host.extend(host_took(&server.stderr_log()).last());

        server.stop();
        let before = server.stderr_log();
        let started = Instant::now();
        server.restart();
        let listen = started.elapsed();
        warm_listen.push(listen);
        warm_active.push(listen + wait_all_active(&server));
        let log = server.stderr_log();
        warm_host.extend(host_took(&log[before.len()..]).last());
    }

    println!("module_startup_50 [sqlite] {COPIES} copies of tiny, median of {repeat} starts");
    println!(
        "  baseline (no modules)  : {} to listening",
        median(&baseline)
    );
    println!(
        "  cold (load + migrate)  : {} to listening, {} to all active; host start {} (goal < 1 s)",
        median(&cold_listen),
        median(&cold_active),
        median(&cold_host)
    );
    println!(
        "  warm (load, restart)   : {} to listening, {} to all active; host start {}",
        median(&warm_listen),
        median(&warm_active),
        median(&warm_host)
    );
}

/// Starts a server on a fresh SQLite database with `modules_dir`; returns it and the time from
/// spawning to its "listening on" line (the harness's own work before spawning is a few files).
fn start(modules_dir: &Path) -> (TestServer, Duration) {
    let options = ServerOptions::new()
        .config(json!({"modules": {"dir": modules_dir.to_string_lossy()}}))
        .env("PAPERCLIP_LOG", "info");
    let started = Instant::now();
    let server = TestServer::start(TestBackend::Sqlite, options);
    (server, started.elapsed())
}

/// Waits until the admin API reports all [`COPIES`] modules active; returns how long that took
/// after the call.
fn wait_all_active(server: &TestServer) -> Duration {
    let started = Instant::now();
    loop {
        let list = server.get_ok("/api/admin/modules");
        let modules = list.as_array().cloned().unwrap_or_default();
        let active = modules.iter().filter(|m| m["status"] == "active").count();
        if active == COPIES {
            return started.elapsed();
        }
        let stuck: Vec<&Value> = modules
            .iter()
            .filter(|m| m["status"] != "active" && !m["reason"].is_null())
            .collect();
        assert!(stuck.is_empty(), "modules failed to start: {stuck:?}");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {active} of {COPIES} modules active after 60 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The `took_ms` values of the host's "module host started" log lines in `log`.
fn host_took(log: &str) -> Vec<Duration> {
    log.lines()
        .filter(|line| line.contains("module host started"))
        .filter_map(|line| {
            let value = line.split("took_ms=").nth(1)?;
            let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok().map(Duration::from_millis)
        })
        .collect()
}

fn median(samples: &[Duration]) -> String {
    if samples.is_empty() {
        return "n/a".to_string();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    millis(sorted[sorted.len() / 2])
}
