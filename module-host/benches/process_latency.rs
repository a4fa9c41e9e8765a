//! Latency of one host→module call at each isolation level, through the module's executor as
//! the server calls it: `inline` (the library in this process, called on the caller's thread),
//! `threaded` (the same library, called on the module's call thread behind its queue) and
//! `process` (`ProcessEntry`: the library in a sandboxed child, its host-handle calls proxied
//! back). Two routes: a no-op (`env-probe` `GET /ping`) and one making one module→host database
//! call (`sql-probe` `POST /query` `SELECT 1`); p50 and p99 over many sequential calls on
//! SQLite, and the ratio process / inline. Needs the release runner and libraries:
//! `cargo build --release -p paperclip-module-runner -p env-probe -p sql-probe`, then
//! `cargo bench -p paperclip-module-host --bench process_latency`.

use abi_stable::std_types::{RVec, Tuple2};
use module_sdk::abi::RouteRequest;
use paperclip_core::core::Core;
use paperclip_core::db::migrations::run_core_migrations;
use paperclip_core::db::Database;
use paperclip_core::hooks::HookBus;
use paperclip_core::isolation_level::IsolationLevel;
use paperclip_module_host::executor::{ExecutorSettings, ModuleExecutor};
use paperclip_module_host::host_handle::new_host_handle;
use paperclip_module_host::module_counters::ModuleCounters;
use paperclip_module_host::module_entry::{LibraryEntry, ModuleEntry};
use paperclip_module_host::module_loader::LibraryCache;
use paperclip_module_host::process_entry::{ProcessEntry, ProcessSettings};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARM_UP: usize = 500;
const CALLS: usize = 10_000;

fn main() {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("paperclip.db").display().to_string();
    let db = Database::open(&url).unwrap();
    run_core_migrations(&mut db.conn().unwrap()).unwrap();
    let core = Core::new(db, Arc::new(HookBus::new()));
    let settings = ProcessSettings::with_resolved_runner().expect("build the release runner first");
    println!("runner: {}", settings.runner_path.display());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average before: {}",
        load.split_whitespace().next().unwrap_or("?")
    );

    // The executor's calls are awaited on one current-thread runtime, as an HTTP worker would.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let ping = request("GET", "/ping", "");
    let query = request("POST", "/query", r#"{"sql": "SELECT 1 AS one"}"#);
    for (module, id, request, what) in [
        ("env_probe", "env-probe", &ping, "no-op route GET /ping"),
        (
            "sql_probe",
            "sql-probe",
            &query,
            "route with one DB call (SELECT 1)",
        ),
    ] {
        let library = library(&profile_dir, module);
        let bundle = library.parent().unwrap();
        let in_process = LibraryEntry::new(LibraryCache::new().load(&library).unwrap().root);
        in_process
            .register(new_host_handle(id, core.clone()), "{}")
            .unwrap();
        let process = ProcessEntry::start(id, &library, bundle, &settings).unwrap();
        process
            .register(new_host_handle(id, core.clone()), "{}")
            .unwrap();
        let in_process: Arc<dyn ModuleEntry> = Arc::new(in_process);
        let process: Arc<dyn ModuleEntry> = process;
        let mut p50s = Vec::new();
        for (level, entry) in [
            (IsolationLevel::Inline, &in_process),
            (IsolationLevel::Threaded, &in_process),
            (IsolationLevel::Process, &process),
        ] {
            let executor = ModuleExecutor::new(
                id,
                Arc::clone(entry),
                level,
                ExecutorSettings::default(),
                Arc::new(ModuleCounters::default()),
            );
            let times = measure(&runtime, &executor, request);
            p50s.push(times[times.len() / 2]);
            report(&format!("{what}, {level}"), times);
            executor.close(Duration::from_secs(1));
        }
        println!(
            "{what:<55} ratio process / inline (p50): {:.0}x, threaded / inline: {:.1}x",
            p50s[2].as_secs_f64() / p50s[0].as_secs_f64(),
            p50s[1].as_secs_f64() / p50s[0].as_secs_f64()
        );
        in_process.shutdown();
        process.shutdown();
    }
}

fn library(profile_dir: &Path, module: &str) -> PathBuf {
    let path = profile_dir.join(format!("lib{module}.so"));
    assert!(
        path.is_file(),
        "{} missing: cargo build --release -p {}",
        path.display(),
        module.replace('_', "-")
    );
    path
}

fn request(method: &str, path: &str, body: &str) -> RouteRequest {
    RouteRequest {
        method: method.into(),
        path: path.into(),
        query: "".into(),
        headers: RVec::from(vec![Tuple2(
            "content-type".into(),
            "application/json".into(),
        )]),
        body: RVec::from(body.as_bytes().to_vec()),
    }
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    executor: &Arc<ModuleExecutor>,
    request: &RouteRequest,
) -> Vec<Duration> {
    let call = || {
        runtime
            .block_on(executor.call_route(request.clone()))
            .unwrap()
    };
    for _ in 0..WARM_UP {
        assert_eq!(call().status, 200);
    }
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let start = Instant::now();
        let response = call();
        times.push(start.elapsed());
        assert_eq!(response.status, 200);
    }
    times.sort();
    times
}

fn report(what: &str, times: Vec<Duration>) {
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{what:<55} p50 {:>8.1} µs   p99 {:>8.1} µs   ({} calls)",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        times.len()
    );
}
