//! The Company Store end to end, against a store served over HTTP by the test itself: bundles
//! packed with `paperclipai module pack`, listed, installed (the module loads after the rescan
//! and answers its routes), upgraded in place without a restart (a downgrade only with
//! `force`), templates imported and companies exported — through the API and
//! through the CLI, on every backend.

mod modules_support;
mod store_support;

use modules_support::wait_for_status;
use paperclip_e2e::{
    each_backend, find_bundle, json, run_cli_with, workspace_root, ServerOptions, StatusCode,
    TestServer, Value,
};
use store_support::{module_entry, startup_entry, Store};

/// A server whose store index is `store`'s.
fn server_for(backend: paperclip_e2e::TestBackend, store: &Store) -> TestServer {
    TestServer::start(
        backend,
        ServerOptions::new().config(json!({ "store": { "index": store.index_url() } })),
    )
}

/// How many agents Startup in a Box describes.
fn startup_agents() -> usize {
    let text = std::fs::read_to_string(workspace_root().join("templates/startup-in-a-box.json"))
        .expect("Startup in a Box");
    let template: Value = serde_json::from_str(&text).expect("template JSON");
    template["agents"].as_array().expect("agents").len()
}

/// The store listing's entry of module `id`.
fn listed(server: &TestServer, id: &str) -> Value {
    let listing = server.get_ok("/api/store");
    listing["modules"]
        .as_array()
        .and_then(|modules| modules.iter().find(|m| m["id"] == id).cloned())
        .unwrap_or_else(|| panic!("module {id} not in the store listing {listing}"))
}

#[test]
fn the_api_lists_installs_and_imports_from_an_http_store() {
    each_backend(|backend| {
        let store = Store::new();
        let tiny = store.pack(&find_bundle("tiny"));
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.1.0", tiny.index_bundle())],
            vec![startup_entry()],
        );
        let server = server_for(backend, &store);

        let listing = server.get_ok("/api/store");
        assert_eq!(listing["index"], store.index_url(), "{listing}");
        assert_eq!(listing["core"], env!("CARGO_PKG_VERSION"), "{listing}");
        assert_eq!(
            listing["modules"].as_array().map(Vec::len),
            Some(1),
            "{listing}"
        );
        assert_eq!(listing["modules"][0]["id"], "tiny");
        assert_eq!(listing["modules"][0]["installed"], Value::Null);
        assert_eq!(
            listing["modules"][0]["bundle"]["sha256"],
            tiny.sha256.as_str()
        );
        assert_eq!(listing["templates"][0]["id"], "startup-in-a-box");
        let teams = server.get_ok("/api/store?tag=team");
        assert_eq!(teams["modules"], json!([]), "{teams}");
        assert_eq!(
            teams["templates"].as_array().map(Vec::len),
            Some(1),
            "{teams}"
        );
        let (status, body) = server.get("/api/store?tags=team");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "tags", "{body}");

        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["installed"]["version"], "0.1.0", "{answer}");
        assert_eq!(
            answer["installed"]["sha256"],
            tiny.sha256.as_str(),
            "{answer}"
        );
        assert_eq!(
            answer["installed"]["previousVersion"],
            Value::Null,
            "{answer}"
        );
        assert_eq!(answer["module"]["status"], "active", "{answer}");
        assert_eq!(answer["restartRequired"], false, "{answer}");
        assert_eq!(answer["rescan"]["added"], json!(["tiny"]), "{answer}");
        assert_eq!(
            answer["message"], "tiny 0.1.0 installed and active",
            "{answer}"
        );
        assert!(server
            .modules_dir()
            .join("tiny/paperclip.module.json")
            .is_file());
        assert_eq!(
            server.get_ok("/api/modules/tiny/ping"),
            json!({"pong": true, "module": "tiny"})
        );
        let entry = listed(&server, "tiny");
        assert_eq!(entry["installed"]["version"], "0.1.0", "{entry}");
        assert_eq!(entry["installed"]["runningVersion"], "0.1.0", "{entry}");
        assert_eq!(entry["installed"]["status"], "active", "{entry}");
        assert_eq!(entry["updateAvailable"], false, "{entry}");

        let (status, answer) = server.post(
            "/api/store/import",
            &json!({"templateId": "startup-in-a-box", "name": "Store Co"}),
        );
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["templateId"], "startup-in-a-box", "{answer}");
        let company = answer["companyId"].as_str().expect("companyId").to_string();
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "Store Co"
        );
        assert_eq!(
            server.total(&format!("/api/companies/{company}/agents")),
            startup_agents() as i64
        );

        for (path, body, code) in [
            (
                "/api/store/install",
                json!({"moduleId": "nope"}),
                "unknown_module",
            ),
            (
                "/api/store/import",
                json!({"templateId": "nope"}),
                "unknown_template",
            ),
        ] {
            let (status, answer) = server.post(path, &body);
            assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
            assert_eq!(answer["code"], code, "{answer}");
        }
        let (status, answer) = server.post("/api/store/install", &json!({"module": "tiny"}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["field"], "module", "{answer}");
    });
}

#[test]
fn an_upgrade_is_served_at_once_without_a_restart_and_a_downgrade_needs_force() {
    each_backend(|backend| {
        let store = Store::new();
        let v1 = store.pack(&find_bundle("tiny"));
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.1.0", v1.index_bundle())],
            vec![],
        );
        let mut server = server_for(backend, &store);
        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::OK, "{answer}");
        wait_for_status(&server, "tiny", "active");

        let v2 = store.pack_variant("tiny", "tiny", "0.2.0", |_| {});
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.2.0", v2.index_bundle())],
            vec![],
        );
        assert_eq!(listed(&server, "tiny")["updateAvailable"], true);
        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["installed"]["version"], "0.2.0", "{answer}");
        assert_eq!(answer["installed"]["previousVersion"], "0.1.0", "{answer}");
        assert_eq!(answer["restartRequired"], false, "{answer}");
        assert_eq!(answer["rescan"]["upgraded"], json!(["tiny"]), "{answer}");
        assert_eq!(
            answer["message"],
            "tiny 0.2.0 installed: upgraded from 0.1.0 without a restart, active",
            "{answer}"
        );

        // The new version serves at once; the admin API and the store say so.
        assert_eq!(server.get_ok("/api/modules/tiny/ping")["pong"], true);
        let admin = server.get_ok("/api/admin/modules/tiny");
        assert_eq!(admin["version"], "0.2.0", "{admin}");
        assert_eq!(admin["status"], "active", "{admin}");
        assert_eq!(admin["restartRequired"], false, "{admin}");
        assert_eq!(admin["lastUpgrade"]["outcome"], "upgraded", "{admin}");
        let entry = listed(&server, "tiny");
        assert_eq!(entry["installed"]["version"], "0.2.0", "{entry}");
        assert_eq!(entry["installed"]["runningVersion"], "0.2.0", "{entry}");
        assert_eq!(entry["updateAvailable"], false, "{entry}");
        let leftovers: Vec<String> = std::fs::read_dir(server.modules_dir())
            .expect("modules dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            // The host's own folders: library copies, and (on PostgreSQL) which stored bundle
            // this replica laid out.
            .filter(|name| name != ".paperclip-libraries" && name != ".paperclip-bundles")
            .collect();
        assert_eq!(
            leftovers,
            vec!["tiny".to_string()],
            "no staging or old folder left"
        );

        // Back to 0.1.0: refused without force, nothing placed; with force, served at once.
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.1.0", v1.index_bundle())],
            vec![],
        );
        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("a downgrade needs"),
            "{answer}"
        );
        assert_eq!(server.get_ok("/api/admin/modules/tiny")["version"], "0.2.0");
        let (status, answer) = server.post(
            "/api/store/install",
            &json!({"moduleId": "tiny", "force": true}),
        );
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["module"]["version"], "0.1.0", "{answer}");

        server.restart();
        let admin = wait_for_status(&server, "tiny", "active");
        assert_eq!(admin["version"], "0.1.0", "{admin}");
        assert_eq!(server.get_ok("/api/modules/tiny/ping")["pong"], true);
    });
}

#[test]
fn the_cli_installs_and_the_running_server_loads_the_module() {
    each_backend(|backend| {
        let store = Store::new();
        let tiny = store.pack(&find_bundle("tiny"));
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.1.0", tiny.index_bundle())],
            vec![startup_entry()],
        );
        // The server's own index is elsewhere: the CLI uses the one it is given.
        let server = TestServer::start(backend, ServerOptions::new());
        let modules_dir = server.modules_dir();
        let index = store.index_url();
        let local = [
            "--index",
            index.as_str(),
            "--modules-dir",
            modules_dir.to_str().expect("UTF-8 path"),
        ];

        let mut args = vec!["store", "list", "--tag", "tiny"];
        args.extend(local);
        let listed = run_cli_with(&args, &[], None);
        assert!(listed.success(), "{}", listed.stderr);
        assert!(listed.stdout.contains("tiny"), "{}", listed.stdout);
        assert!(
            listed.stdout.contains("(no templates)"),
            "{}",
            listed.stdout
        );

        let server_url = server.url("");
        let server_url = server_url.trim_end_matches('/');
        let mut args = vec!["store", "install", "tiny", "--server", server_url];
        args.extend(local);
        let installed = run_cli_with(&args, &[], None);
        assert!(installed.success(), "{}", installed.stderr);
        assert!(
            installed.stdout.contains(&format!(
                "installed tiny 0.1.0 into {}",
                modules_dir.join("tiny").display()
            )),
            "{}",
            installed.stdout
        );
        assert!(
            installed.stdout.contains(&tiny.sha256),
            "{}",
            installed.stdout
        );
        assert!(
            installed.stderr.contains("module tiny: active"),
            "{}",
            installed.stderr
        );
        assert_eq!(server.get_ok("/api/modules/tiny/ping")["pong"], true);

        let mut args = vec!["store", "list", "--json"];
        args.extend(local);
        let listed = run_cli_with(&args, &[], None);
        assert!(listed.success(), "{}", listed.stderr);
        let listing: Value = serde_json::from_str(&listed.stdout).expect("JSON listing");
        assert_eq!(
            listing["modules"][0]["installed"]["version"], "0.1.0",
            "{listing}"
        );

        // No server at all: installed on disk, loaded at the next start.
        let offline = tempfile::tempdir().expect("a temporary folder");
        let offline_dir = offline.path().join("plugins-dist");
        let installed = run_cli_with(
            &[
                "store",
                "install",
                "tiny",
                "--index",
                &index,
                "--modules-dir",
                offline_dir.to_str().expect("UTF-8 path"),
                "--server",
                "http://127.0.0.1:9",
            ],
            &[],
            None,
        );
        assert!(installed.success(), "{}", installed.stderr);
        assert!(
            installed.stderr.contains("no server answers"),
            "{}",
            installed.stderr
        );
        assert!(offline_dir.join("tiny/paperclip.module.json").is_file());
    });
}

#[test]
fn the_cli_rescan_sends_the_api_key() {
    let store = Store::new();
    let tiny = store.pack(&find_bundle("tiny"));
    store.write_index(
        "index.json",
        vec![module_entry("tiny", "0.1.0", tiny.index_bundle())],
        vec![],
    );
    let server = TestServer::start(
        paperclip_e2e::TestBackend::Sqlite,
        ServerOptions::new().api_key("store-key"),
    );
    let server_url = server.url("");
    let modules_dir = server.modules_dir();
    let index = store.index_url();
    let install = |extra: &[&str]| {
        let mut args = vec![
            "store",
            "install",
            "tiny",
            "--index",
            index.as_str(),
            "--modules-dir",
            modules_dir.to_str().expect("UTF-8 path"),
            "--server",
            server_url.trim_end_matches('/'),
        ];
        args.extend(extra);
        run_cli_with(&args, &[], None)
    };
    let refused = install(&[]);
    assert!(!refused.success());
    assert!(
        refused
            .stderr
            .contains("tiny 0.1.0 is installed on disk, but the server at"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("refused the rescan (401"),
        "{}",
        refused.stderr
    );
    assert!(modules_dir.join("tiny/paperclip.module.json").is_file());

    let accepted = install(&["--api-key", "store-key"]);
    assert!(accepted.success(), "{}", accepted.stderr);
    assert!(
        accepted.stdout.contains("replacing 0.1.0"),
        "{}",
        accepted.stdout
    );
    assert!(
        accepted.stderr.contains("module tiny: active"),
        "{}",
        accepted.stderr
    );
    assert_eq!(server.get_ok("/api/modules/tiny/ping")["pong"], true);
}

#[test]
fn the_cli_imports_a_store_template_and_exports_the_company() {
    each_backend(|backend| {
        let store = Store::new();
        store.write_index("index.json", vec![], vec![startup_entry()]);
        let server = TestServer::start(backend, ServerOptions::new());
        let server_url = server.url("");
        let server_url = server_url.trim_end_matches('/');
        let index = store.index_url();

        let imported = run_cli_with(
            &[
                "store",
                "import",
                "startup-in-a-box",
                "--index",
                &index,
                "--server",
                server_url,
                "--name",
                "CLI Co",
                "--json",
            ],
            &[],
            None,
        );
        assert!(imported.success(), "{}", imported.stderr);
        let answer: Value = serde_json::from_str(&imported.stdout).expect("JSON answer");
        let company = answer["companyId"].as_str().expect("companyId").to_string();
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "CLI Co"
        );

        // The only company is the current one; the file is named after the template id.
        let work = tempfile::tempdir().expect("a temporary folder");
        let exported = run_cli_with(
            &["store", "export", "--server", server_url],
            &[],
            Some(work.path()),
        );
        assert!(exported.success(), "{}", exported.stderr);
        let file = work.path().join("cli-co.json");
        assert!(
            exported
                .stdout
                .contains(&format!("exported company {company} as template cli-co")),
            "{}",
            exported.stdout
        );
        let template: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("the exported file"))
                .expect("template JSON");
        assert_eq!(template["name"], "CLI Co");
        assert_eq!(
            template["agents"].as_array().map(Vec::len),
            Some(startup_agents())
        );
        let same = server.get_ok(&format!("/api/templates/export?companyId={company}"));
        assert_eq!(template, same, "the file is the server's export");

        // With two companies, the current one must be named.
        server.create_company("Second Co");
        let ambiguous = run_cli_with(
            &["store", "export", "--server", server_url],
            &[],
            Some(work.path()),
        );
        assert!(!ambiguous.success());
        assert!(
            ambiguous
                .stderr
                .contains("there are several companies; pass --company ID"),
            "{}",
            ambiguous.stderr
        );
        let named = work.path().join("named.json");
        let exported = run_cli_with(
            &[
                "store",
                "export",
                "--server",
                server_url,
                "--company",
                &company,
                "-o",
                named.to_str().expect("UTF-8 path"),
            ],
            &[],
            None,
        );
        assert!(exported.success(), "{}", exported.stderr);
        assert!(named.is_file());
    });
}

#[test]
fn an_upgrade_asking_for_a_capability_not_granted_is_refused_and_the_old_version_stays() {
    each_backend(|backend| {
        let store = Store::new();
        let v1 = store.pack(&find_bundle("tiny"));
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.1.0", v1.index_bundle())],
            vec![],
        );
        let server = server_for(backend, &store);
        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::OK, "{answer}");
        wait_for_status(&server, "tiny", "active");

        let v2 = store.pack_variant("tiny", "tiny", "0.2.0", |manifest| {
            manifest["capabilities"] = json!([{"name": "issues.create", "reason": "files issues"}]);
        });
        store.write_index(
            "index.json",
            vec![module_entry("tiny", "0.2.0", v2.index_bundle())],
            vec![],
        );
        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["code"], "not_approved", "{answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(
            message.contains("asks for capabilities not granted: issues.create")
                && message.contains("the installed version 0.1.0 stays"),
            "{answer}"
        );
        let admin = server.get_ok("/api/admin/modules/tiny");
        assert_eq!(
            (
                &admin["version"],
                &admin["status"],
                &admin["restartRequired"]
            ),
            (&json!("0.1.0"), &json!("active"), &json!(false)),
            "{admin}"
        );

        // Granted ahead of the upgrade, the same install goes through.
        let (status, _) = server.put(
            "/api/admin/modules/tiny/grants",
            &json!({"granted": ["issues.create"]}),
        );
        assert_eq!(status, StatusCode::OK);
        let (status, answer) = server.post("/api/store/install", &json!({"moduleId": "tiny"}));
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["installed"]["version"], "0.2.0", "{answer}");
    });
}
