//! Lifecycle without restarts, through the real server on SQLite and PostgreSQL with the
//! `upgrade-probe` test module (version 1 and version 2 are two libraries; version 2 adds a
//! migration and a route and answers `GET /version` differently):
//!
//! - v1 → v2 while issues are created and v1's routes are called non-stop: no 5xx but the
//!   documented 503, every committed event recorded exactly once (by v1 or v2), v2's route
//!   answers after the swap, v1's rows kept;
//! - a v2 whose migration fails, whose `register` panics, or whose library has an incompatible
//!   ABI: v1 goes on serving, the refusal is reported; a downgrade needs force and is refused
//!   even then once the database has v2's migration;
//! - live configuration: a saved config shows in the module's answers at once; an invalid one
//!   is refused (400) and one the module refuses (409) is not saved, and the old keeps serving;
//!   the same through `paperclipai module config` and `paperclipai module rescan`.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first.

mod modules_support;

use modules_support::{module, wait_for, wait_for_status, ModulesDir};
use paperclip_e2e::{
    copy_dir, each_backend, find_bundle, json, run_cli, ApiClient, DirectDb, ServerOptions,
    StatusCode, TestBackend, TestServer, Value,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PROBE: &str = "upgrade-probe";

/// A server on `dir` (which holds version 1 as folder `upgrade-probe`).
fn start(backend: TestBackend, dir: &ModulesDir) -> TestServer {
    copy_dir(&find_bundle("upgrade-probe-v1"), &dir.path().join(PROBE));
    TestServer::start(backend, ServerOptions::new().config(dir.config(json!({}))))
}

/// Replaces the bundle folder `upgrade-probe` by the built bundle `name`, then `edit`s it.
fn put_version(dir: &ModulesDir, name: &str, edit: impl FnOnce(&Path)) {
    let staging = dir.path().join(format!(".staging-{name}"));
    let _ = std::fs::remove_dir_all(&staging);
    copy_dir(&find_bundle(name), &staging);
    edit(&staging);
    let target = dir.path().join(PROBE);
    std::fs::remove_dir_all(&target).expect("remove the old bundle");
    std::fs::rename(&staging, &target).expect("move the new bundle in");
}

/// `POST /api/admin/modules/rescan` with `body`, asserting 200.
fn rescan(server: &TestServer, body: Value) -> Value {
    let (status, report) = server.post("/api/admin/modules/rescan", &body);
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

/// The version the probe's route answers now.
fn served_version(server: &TestServer) -> Value {
    server.get_ok("/api/modules/upgrade-probe/version")
}

/// issue id → (deliveries, version that handled it), as the probe recorded.
fn recorded(db: &mut DirectDb) -> HashMap<String, (i64, String)> {
    let rows = db.texts(
        "SELECT issue_id || ' ' || CAST(deliveries AS TEXT) || ' ' || version AS v \
         FROM mod_upgrade_probe_events",
    );
    rows.into_iter()
        .map(|row| {
            let parts: Vec<&str> = row.split(' ').collect();
            (
                parts[0].to_string(),
                (parts[1].parse().unwrap(), parts[2].to_string()),
            )
        })
        .collect()
}

#[test]
fn an_upgrade_under_load_loses_no_event_delivers_none_twice_and_serves_the_new_routes() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        let server = start(backend, &dir);
        wait_for_status(&server, PROBE, "active");
        assert_eq!(served_version(&server)["version"], "1");
        let company = server.create_company("Upgrades");

        let stop = Arc::new(AtomicBool::new(false));
        let created = Arc::new(Mutex::new(Vec::<String>::new()));
        let answers = Arc::new(Mutex::new(Vec::<(usize, u16, Value)>::new()));
        let writer = {
            let (client, stop, created, company) = (
                server.client().clone(),
                stop.clone(),
                created.clone(),
                company.clone(),
            );
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let (status, issue) = client.post(
                        &format!("/api/companies/{company}/issues"),
                        &json!({"title": format!("load {n}")}),
                    );
                    assert_eq!(status, StatusCode::CREATED, "{issue}");
                    created
                        .lock()
                        .unwrap()
                        .push(issue["id"].as_str().unwrap().to_string());
                }
            })
        };
        // Each reader's answers in its own order: a call one reader started before the swap
        // may finish after another reader's first answer from v2.
        let reader = |client: ApiClient, who: usize| {
            let (stop, answers) = (stop.clone(), answers.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) = client.get("/api/modules/upgrade-probe/version");
                    answers.lock().unwrap().push((who, status.as_u16(), body));
                }
            })
        };
        let readers = [
            reader(server.client().clone(), 0),
            reader(server.client().clone(), 1),
        ];
        std::thread::sleep(Duration::from_millis(600));

        put_version(&dir, "upgrade-probe-v2", |_| {});
        let report = rescan(&server, json!({}));
        assert_eq!(report["upgraded"], json!([PROBE]), "{report}");
        std::thread::sleep(Duration::from_millis(600));
        stop.store(true, Ordering::Relaxed);
        writer.join().expect("the writer");
        for reader in readers {
            reader.join().expect("a reader");
        }

        let answers = answers.lock().unwrap();
        let failures: Vec<&(usize, u16, Value)> = answers
            .iter()
            .filter(|(_, status, _)| *status != 200)
            .collect();
        assert!(
            failures.iter().all(|(_, status, _)| *status == 503),
            "only 503 may interrupt the routes: {failures:?}"
        );
        let versions: Vec<&str> = answers
            .iter()
            .filter_map(|(_, _, body)| body["version"].as_str())
            .collect();
        let first_v2 = versions
            .iter()
            .position(|v| *v == "2")
            .expect("v2 answered");
        assert!(first_v2 > 0, "v1 answered first");
        for who in 0..2 {
            let seen: Vec<&str> = answers
                .iter()
                .filter(|(reader, _, _)| *reader == who)
                .filter_map(|(_, _, body)| body["version"].as_str())
                .collect();
            let first = seen.iter().position(|v| *v == "2").unwrap_or(seen.len());
            assert!(
                seen[first..].iter().all(|v| *v == "2"),
                "once v2 answers a client, v1 never does again: {seen:?}"
            );
        }
        eprintln!(
            "{} route answers ({} 503), {} issues created",
            answers.len(),
            failures.len(),
            created.lock().unwrap().len()
        );

        // v2's new route and migration; the swap's hook pause, as reported.
        let (status, note) =
            server.post("/api/modules/upgrade-probe/notes", &json!({"text": "hi"}));
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(served_version(&server)["notes"], 1);
        let view = module(&server, PROBE);
        assert_eq!(view["version"], "2.0.0", "{view}");
        assert_eq!(view["lastUpgrade"]["outcome"], "upgraded", "{view}");
        assert!(
            view["lastUpgrade"]["handoverMs"].as_f64().unwrap() < 1000.0,
            "{view}"
        );

        // Every committed issue's event recorded once, by v1 or v2; v1's rows kept.
        let created = created.lock().unwrap().clone();
        let mut db = DirectDb::open(&server);
        let seen = wait_for("every event recorded", || {
            let seen = recorded(&mut db);
            created
                .iter()
                .all(|id| seen.contains_key(id))
                .then_some(seen)
        });
        let twice: Vec<_> = seen.iter().filter(|(_, (n, _))| *n != 1).collect();
        assert!(twice.is_empty(), "delivered more than once: {twice:?}");
        let by_v1 = seen.values().filter(|(_, v)| v == "1").count();
        let by_v2 = seen.values().filter(|(_, v)| v == "2").count();
        assert!(by_v1 > 0 && by_v2 > 0, "v1 {by_v1}, v2 {by_v2}");
        assert_eq!(by_v1 + by_v2, created.len());
    });
}

#[test]
fn a_broken_new_version_is_refused_and_the_old_one_goes_on() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        let server = start(backend, &dir);
        wait_for_status(&server, PROBE, "active");

        let refused = |what: &str, needle: &str| {
            let report = rescan(&server, json!({}));
            assert_eq!(report["upgradeRefused"], json!([PROBE]), "{what}: {report}");
            let view = module(&server, PROBE);
            let reason = view["lastUpgrade"]["reason"].as_str().unwrap_or_default();
            assert!(reason.contains(needle), "{what}: {view}");
            assert_eq!(view["status"], "active", "{what}: {view}");
            assert_eq!(view["version"], "1.0.0", "{what}: {view}");
            assert_eq!(served_version(&server)["version"], "1", "{what}");
        };

        // A migration that fails.
        put_version(&dir, "upgrade-probe-v2", |bundle| {
            for backend in ["sqlite", "postgres"] {
                let bad = bundle.join(format!("migrations/{backend}/2026-01-03-000001_bad"));
                std::fs::create_dir_all(&bad).unwrap();
                std::fs::write(bad.join("up.sql"), "CREATE TABLE mod_upgrade_probe_bad (;")
                    .unwrap();
            }
        });
        refused("a failing migration", "migration");

        // A register that panics (its config asks it to).
        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/config"),
            &json!({"failRegister": true}),
        );
        assert_eq!(status, StatusCode::OK, "v1 ignores failRegister: {body}");
        put_version(&dir, "upgrade-probe-v2", |_| {});
        refused("a panicking register", "panicked");
        server.put(&format!("/api/admin/modules/{PROBE}/config"), &Value::Null);

        // A library built against an incompatible ABI.
        put_version(&dir, "upgrade-probe-v2", |bundle| {
            let fault = find_bundle("fault-abi-newer");
            let library = std::fs::read_dir(&fault)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    p.extension()
                        .is_some_and(|e| e == "so" || e == "dylib" || e == "dll")
                })
                .expect("the fault module's library");
            let target = std::fs::read_dir(bundle)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    p.extension()
                        .is_some_and(|e| e == "so" || e == "dylib" || e == "dll")
                })
                .expect("v2's library");
            std::fs::copy(library, target).unwrap();
        });
        refused("an incompatible ABI", "newer SDK");

        // The good v2 goes in; then v1 again is a downgrade: refused, and with force still
        // refused because the database has v2's migration.
        put_version(&dir, "upgrade-probe-v2", |_| {});
        assert_eq!(rescan(&server, json!({}))["upgraded"], json!([PROBE]));
        assert_eq!(served_version(&server)["version"], "2");
        put_version(&dir, "upgrade-probe-v1", |_| {});
        let report = rescan(&server, json!({}));
        assert_eq!(report["upgradeRefused"], json!([PROBE]), "{report}");
        let reason = module(&server, PROBE)["lastUpgrade"]["reason"].clone();
        assert!(
            reason.as_str().unwrap().contains("downgrade needs force"),
            "{reason}"
        );
        let report = rescan(&server, json!({"force": true}));
        assert_eq!(report["upgradeRefused"], json!([PROBE]), "{report}");
        let reason = module(&server, PROBE)["lastUpgrade"]["reason"].clone();
        assert!(
            reason
                .as_str()
                .unwrap()
                .contains("lacks migrations this database already has"),
            "{reason}"
        );
        assert_eq!(served_version(&server)["version"], "2");
        let (status, body) = server.post("/api/admin/modules/rescan", &json!({"force": "yes"}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    });
}

#[test]
fn a_saved_config_applies_at_once_and_a_refused_one_changes_nothing() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        let server = start(backend, &dir);
        wait_for_status(&server, PROBE, "active");
        let company = server.create_company("Config");
        assert_eq!(served_version(&server)["greeting"], "hello");

        let (status, saved) = server.put(
            &format!("/api/admin/modules/{PROBE}/config"),
            &json!({"greeting": "bonjour"}),
        );
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(
            saved["message"].as_str().unwrap().contains("applied"),
            "{saved}"
        );
        assert_eq!(served_version(&server)["greeting"], "bonjour");
        assert_eq!(module(&server, PROBE)["configPending"], false);
        // Hooks go on after the swap, delivered once.
        let issue = server.create_issue(&company, json!({"title": "after the config"}));
        let mut db = DirectDb::open(&server);
        let seen = wait_for("the event after the config change", || {
            recorded(&mut db).remove(&issue)
        });
        assert_eq!(seen.0, 1);

        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/config"),
            &json!({"greeting": 5}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(served_version(&server)["greeting"], "bonjour");

        // Version 2 refuses `failRegister`: the change is refused (409), not saved, and the
        // previous configuration serves again.
        put_version(&dir, "upgrade-probe-v2", |_| {});
        assert_eq!(rescan(&server, json!({}))["upgraded"], json!([PROBE]));
        assert_eq!(served_version(&server)["greeting"], "bonjour");
        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/config"),
            &json!({"greeting": "hola", "failRegister": true}),
        );
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("panicked"),
            "{body}"
        );
        let after = served_version(&server);
        assert_eq!(
            (&after["version"], &after["greeting"]),
            (&json!("2"), &json!("bonjour"))
        );
        let view = module(&server, PROBE);
        assert_eq!(view["status"], "active", "{view}");
        assert_eq!(view["config"]["greeting"], "bonjour", "{view}");
    });
}

#[test]
fn the_cli_saves_a_live_config_and_rescans_into_an_upgrade() {
    let dir = ModulesDir::new();
    let server = start(TestBackend::Sqlite, &dir);
    wait_for_status(&server, PROBE, "active");
    let url = server.base_url().to_string();

    let saved = run_cli(&[
        "module",
        "config",
        PROBE,
        r#"{"greeting": "hej"}"#,
        "--server",
        &url,
    ]);
    assert!(saved.success(), "{}\n{}", saved.stdout, saved.stderr);
    assert!(saved.stdout.contains("applied"), "{}", saved.stdout);
    assert_eq!(served_version(&server)["greeting"], "hej");
    let bad = run_cli(&[
        "module",
        "config",
        PROBE,
        r#"{"greeting": 5}"#,
        "--server",
        &url,
    ]);
    assert!(!bad.success(), "{}", bad.stdout);
    assert!(bad.stderr.contains("greeting"), "{}", bad.stderr);
    let not_json = run_cli(&["module", "config", PROBE, "{", "--server", &url]);
    assert!(!not_json.success());
    assert!(
        not_json.stderr.contains("not valid JSON"),
        "{}",
        not_json.stderr
    );
    assert_eq!(served_version(&server)["greeting"], "hej");

    put_version(&dir, "upgrade-probe-v2", |_| {});
    let rescanned = run_cli(&["module", "rescan", "--server", &url]);
    assert!(
        rescanned.success(),
        "{}\n{}",
        rescanned.stdout,
        rescanned.stderr
    );
    assert!(
        rescanned
            .stdout
            .contains("upgraded in place: upgrade-probe"),
        "{}",
        rescanned.stdout
    );
    let after = served_version(&server);
    assert_eq!(
        (&after["version"], &after["greeting"]),
        (&json!("2"), &json!("hej"))
    );
}
