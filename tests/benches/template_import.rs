//! Import of a generated company template: 1,000 agents (an org chart with a 200-deep chain
//! and a wide 8-ary tree), 1,000 goals (5-ary tree), 100 projects and 5,000 issues (with
//! parent links), listed children-before-parents. Goal: < 2 s on SQLite.
//!
//! Measured two ways, 3 runs each:
//! - **in-process**: validation and the one-transaction import through the library on a fresh
//!   SQLite file, with this process's peak memory (VmHWM, reset before each run through
//!   `/proc/self/clear_refs`);
//! - **over HTTP**: `POST /api/templates/import` on the real `paperclipai` binary (SQLite;
//!   also PostgreSQL when `PAPERCLIP_TEST_DATABASE_URL` is set), wall time from the client
//!   and the server process's peak memory.
//!
//! Run: `cargo build --release -p paperclip-server && cargo bench -p paperclip-e2e --bench
//! template_import`.

#[path = "../tests/templates_support/mod.rs"]
mod templates_support;

use paperclip::core::Core;
use paperclip::hooks::HookBus;
use paperclip::templates::{import_template, validate_json, ImportOptions};
use paperclip_e2e::{
    server_binary, test_backends, ServerOptions, StatusCode, TestBackend, TestServer,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use templates_support::{company_of, generate_template, import, Size};

const RUNS: usize = 3;
const SIZE: Size = Size {
    agents: 1_000,
    goals: 1_000,
    projects: 100,
    issues: 5_000,
};

fn main() {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before the run: {}", load.trim());
    }
    let template = generate_template(SIZE);
    let bytes = serde_json::to_vec(&template).expect("the template serializes");
    println!(
        "template_import: {} agents, {} goals, {} projects, {} issues, {:.2} MB of JSON",
        SIZE.agents,
        SIZE.goals,
        SIZE.projects,
        SIZE.issues,
        bytes.len() as f64 / 1e6
    );
    in_process(&bytes);
    println!("paperclipai binary: {}", server_binary().display());
    for backend in test_backends() {
        over_http(backend, &template);
    }
}

/// `VmHWM` (peak resident memory) of a process, in MB.
fn peak_mb(pid: &str) -> f64 {
    status_kb(pid, "VmHWM:") / 1024.0
}

/// `VmRSS` (current resident memory) of a process, in MB.
fn rss_mb(pid: &str) -> f64 {
    status_kb(pid, "VmRSS:") / 1024.0
}

fn status_kb(pid: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(f64::NAN)
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn in_process(bytes: &[u8]) {
    for run in 1..=RUNS {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = dir
            .path()
            .join("paperclip.db")
            .to_string_lossy()
            .into_owned();
        let db = paperclip::app::open_database(&url).expect("the database opens");
        let core = Core::new(db, Arc::new(HookBus::new()));
        // Reset the peak so it measures this run only (Linux: "5" resets VmHWM to VmRSS).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let rss_before = rss_mb("self");

        let started = Instant::now();
        let valid = validate_json(bytes).expect("the generated template is valid");
        let validated = started.elapsed();
        let options = ImportOptions {
            actor: "bench".to_string(),
            company_name: None,
        };
        let outcome = core
            .write_blocking(|conn, hooks| {
                import_template(conn, hooks, &valid, &options, &mut |_| {})
            })
            .expect("the import succeeds");
        let total = started.elapsed();
        assert_eq!(outcome.refs.agents.len(), SIZE.agents);
        println!(
            "template_import [in-process sqlite] run {run}: validate {}, insert {}, total {} | \
             RSS before {:.1} MB, peak {:.1} MB (+{:.1} MB)",
            secs(validated),
            secs(total - validated),
            secs(total),
            rss_before,
            peak_mb("self"),
            peak_mb("self") - rss_before,
        );
    }
}

fn over_http(backend: TestBackend, template: &serde_json::Value) {
    let name = backend.name();
    let server = TestServer::start(backend, ServerOptions::new().env("PAPERCLIP_LOG", "warn"));
    let pid = server.pid().expect("the server runs").to_string();
    // A warm-up request so connection set-up and lazy initialisation are not measured.
    server.get_ok("/api/health");
    let idle = rss_mb(&pid);
    let mut times = Vec::new();
    for run in 1..=RUNS {
        let started = Instant::now();
        let (status, answer) = import(&server, template, Some(&format!("Bench {run}")));
        let elapsed = started.elapsed();
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let company = company_of(&answer);
        assert_eq!(
            server.total(&format!("/api/companies/{company}/issues?limit=1")),
            SIZE.issues as i64
        );
        println!(
            "template_import [http {name}] run {run}: {} | server RSS idle {:.1} MB, now {:.1} MB, peak {:.1} MB",
            secs(elapsed),
            idle,
            rss_mb(&pid),
            peak_mb(&pid),
        );
        times.push(elapsed);
    }
    times.sort();
    println!(
        "template_import [http {name}] best {}, median {}, worst {}",
        secs(times[0]),
        secs(times[times.len() / 2]),
        secs(times[times.len() - 1])
    );
}
