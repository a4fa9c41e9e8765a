//! Latency of one call into a module, in-process (`LibraryEntry`) against the `process`
//! isolation level (`ProcessEntry`): a no-op route (`env-probe` `GET /ping`) and a route making
//! one database call through the host (`sql-probe` `POST /query` `SELECT 1`), p50 and p99 over
//! many sequential calls on SQLite. Needs the release runner and libraries:
//! `cargo build --release -p paperclip-module-runner -p env-probe -p sql-probe`, then
//! `cargo bench -p paperclip-module-host --bench process_latency`.

use abi_stable::std_types::{RVec, Tuple2};
use module_sdk::abi::RouteRequest;
use paperclip_core::core::Core;
use paperclip_core::db::migrations::run_core_migrations;
use paperclip_core::db::Database;
use paperclip_core::hooks::HookBus;
use paperclip_module_host::host_handle::new_host_handle;
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
        report(
            &format!("{what}, in-process"),
            measure(&in_process, request),
        );
        report(&format!("{what}, process"), measure(&*process, request));
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

fn measure(entry: &dyn ModuleEntry, request: &RouteRequest) -> Vec<Duration> {
    for _ in 0..WARM_UP {
        assert_eq!(entry.handle_route(request).unwrap().status, 200);
    }
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let start = Instant::now();
        let response = entry.handle_route(request).unwrap();
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
