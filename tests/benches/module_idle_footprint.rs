//! What modules cost an idle server: resident memory and threads of the real `paperclipai`
//! binary (release, SQLite) after it has settled, with
//!
//! - no modules (the baseline),
//! - the observability module,
//! - observability and two no-op modules (`tiny` copies) — goal: < 40 MB resident,
//! - 50 no-op modules — the cost of one no-op module is (this − baseline) / 50; goal ≤ 4 MB
//!   and ≤ 3 threads per module.
//!
//! "Settled" means every module is active and the server has had no request for
//! `PAPERCLIP_BENCH_IDLE_SECS` (default 12 s: idle module call threads retire after 10 s).
//! Figures come from `/proc/<pid>/status` (`VmRSS`, `RssAnon`, `RssFile`, `Threads`).
//! `PAPERCLIP_BENCH_ISOLATION` (`inline`, `threaded`, `process`) sets the isolation level of
//! every module (default: each module's own default).
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server
//! -p paperclip-module-runner -p tiny && cargo bench -p paperclip-e2e --bench
//! module_idle_footprint`.

mod module_bench_support;

use module_bench_support::{load_average, tiny_bundle};
use paperclip_e2e::{
    copy_dir, find_bundle, json, server_binary, ServerOptions, TestBackend, TestServer, Value,
};
use std::path::Path;
use std::time::{Duration, Instant};

/// One server set-up: a name and the bundles of its modules folder.
struct Setup {
    name: &'static str,
    observability: bool,
    no_op_modules: usize,
}

const SETUPS: [Setup; 4] = [
    Setup {
        name: "server alone",
        observability: false,
        no_op_modules: 0,
    },
    Setup {
        name: "+ observability",
        observability: true,
        no_op_modules: 0,
    },
    Setup {
        name: "+ observability + 2 no-op",
        observability: true,
        no_op_modules: 2,
    },
    Setup {
        name: "+ 50 no-op",
        observability: false,
        no_op_modules: 50,
    },
];

/// Resident memory and threads of one process.
#[derive(Clone, Copy, Default)]
struct Footprint {
    rss_kb: u64,
    anon_kb: u64,
    file_kb: u64,
    threads: u64,
}

fn main() {
    println!("load average before: {}", load_average());
    println!("paperclipai binary: {}", server_binary().display());
    let idle = std::env::var("PAPERCLIP_BENCH_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(12));
    let isolation = std::env::var("PAPERCLIP_BENCH_ISOLATION").ok();
    println!(
        "module_idle_footprint [sqlite] isolation {}, idle {} s before reading",
        isolation.as_deref().unwrap_or("(module default)"),
        idle.as_secs()
    );
    let mut baseline = Footprint::default();
    for setup in &SETUPS {
        let footprint = measure(setup, isolation.as_deref(), idle);
        if setup.no_op_modules == 0 && !setup.observability {
            baseline = footprint;
        }
        let modules = setup.no_op_modules + usize::from(setup.observability);
        let mut line = format!(
            "  {:<28}: {:>6.1} MB resident (anon {:>5.1} MB, file {:>5.1} MB), {:>3} threads",
            setup.name,
            mb(footprint.rss_kb),
            mb(footprint.anon_kb),
            mb(footprint.file_kb),
            footprint.threads
        );
        if modules > 0 {
            let extra_kb = footprint.rss_kb.saturating_sub(baseline.rss_kb);
            let extra_threads = footprint.threads.saturating_sub(baseline.threads);
            line.push_str(&format!(
                "; per module {:.2} MB, {:.2} threads",
                mb(extra_kb) / modules as f64,
                extra_threads as f64 / modules as f64
            ));
        }
        println!("{line}");
    }
}

/// Starts the server with `setup`'s modules, waits until they are active and the server has
/// been idle for `idle`, and reads its footprint.
fn measure(setup: &Setup, isolation: Option<&str>, idle: Duration) -> Footprint {
    let modules = tempfile::tempdir().expect("temporary folder");
    let mut ids = Vec::new();
    if setup.observability {
        copy_dir(
            &find_bundle("observability"),
            &modules.path().join("observability"),
        );
        ids.push("observability".to_string());
    }
    for i in 1..=setup.no_op_modules {
        let id = format!("tiny-{i:02}");
        tiny_bundle(modules.path(), &id);
        ids.push(id);
    }
    let mut config = json!({ "modules": { "dir": modules.path() } });
    if let Some(level) = isolation {
        let levels: serde_json::Map<String, Value> = ids
            .iter()
            .map(|id| (id.clone(), Value::from(level)))
            .collect();
        config["modules"]["isolation"] = Value::Object(levels);
    }
    let server = TestServer::start(TestBackend::Sqlite, ServerOptions::new().config(config));
    wait_all_active(&server, ids.len());
    std::thread::sleep(idle);
    let pid = server.pid().expect("the server runs");
    let footprint = read_footprint(pid);
    drop(server);
    footprint
}

/// Waits until `count` modules are active; panics naming the ones that failed.
fn wait_all_active(server: &TestServer, count: usize) {
    let started = Instant::now();
    loop {
        let list = server.get_ok("/api/admin/modules");
        let modules = list.as_array().cloned().unwrap_or_default();
        if modules.iter().filter(|m| m["status"] == "active").count() == count {
            return;
        }
        let failed: Vec<&Value> = modules
            .iter()
            .filter(|m| m["status"] != "active" && !m["reason"].is_null())
            .collect();
        assert!(failed.is_empty(), "modules failed to start: {failed:?}");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "modules not active after 60 s: {modules:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `VmRSS`, `RssAnon`, `RssFile` and `Threads` of process `pid`.
fn read_footprint(pid: u32) -> Footprint {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
        .expect("/proc/<pid>/status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /proc/{pid}/status"))
    };
    Footprint {
        rss_kb: field("VmRSS:"),
        anon_kb: field("RssAnon:"),
        file_kb: field("RssFile:"),
        threads: field("Threads:"),
    }
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}
