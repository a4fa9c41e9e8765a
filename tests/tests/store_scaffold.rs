//! A module author's path end to end: `paperclipai module new` → `cargo build` of the generated
//! crate, unchanged → `paperclipai module pack` of the crate folder → listed in a store served
//! over HTTP → `paperclipai store install` into a running server's modules folder → the server
//! rescans, runs the module's migrations, and the module answers its route and sees its hook.

mod modules_support;
mod store_support;

use modules_support::{wait_for, wait_for_status, Database};
use paperclip_e2e::{each_backend, json, run_cli_with, target_dir, ServerOptions, TestServer};
use std::path::{Path, PathBuf};
use std::process::Command;
use store_support::{module_entry, Store};

const MODULE_ID: &str = "hello-store";

/// Where the scaffold is built: shared with the external-module test, whose crate has the same
/// dependencies, so they compile once for both.
fn cargo_target() -> PathBuf {
    target_dir().join("external-module")
}

/// Scaffolds the module with the CLI into `parent` (outside any cargo workspace) and builds it
/// with cargo. Returns the crate folder.
fn built_scaffold(parent: &Path) -> PathBuf {
    let dir = parent.join(MODULE_ID);
    let created = run_cli_with(
        &[
            "module",
            "new",
            MODULE_ID,
            "--path",
            dir.to_str().expect("UTF-8 path"),
        ],
        &[],
        None,
    );
    assert!(created.success(), "module new failed:\n{}", created.stderr);
    assert!(
        created.stdout.contains("created module crate hello-store"),
        "{}",
        created.stdout
    );
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "src/lib.rs",
        "paperclip.module.json",
        "README.md",
    ] {
        assert!(dir.join(file).is_file(), "{file} was generated");
    }
    let output = Command::new(env!("CARGO"))
        .args(["build", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", cargo_target())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the generated crate does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

#[test]
fn a_new_module_builds_packs_installs_and_answers() {
    let parent = tempfile::Builder::new()
        .prefix("paperclip-scaffold-")
        .tempdir()
        .expect("a temporary folder");
    let crate_dir = built_scaffold(parent.path());
    let store = Store::new();
    let target = cargo_target();
    let packed = store.pack_with(
        &crate_dir,
        &[("CARGO_TARGET_DIR", target.to_str().expect("UTF-8 path"))],
    );
    assert!(
        packed.file_name.starts_with("hello-store-0.1.0-"),
        "{}",
        packed.file_name
    );
    store.write_index(
        "index.json",
        vec![module_entry(MODULE_ID, "0.1.0", packed.index_bundle())],
        vec![],
    );

    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        let server_url = server.url("");
        let installed = run_cli_with(
            &[
                "store",
                "install",
                MODULE_ID,
                "--index",
                &store.index_url(),
                "--modules-dir",
                server.modules_dir().to_str().expect("UTF-8 path"),
                "--server",
                server_url.trim_end_matches('/'),
            ],
            &[],
            None,
        );
        assert!(installed.success(), "{}", installed.stderr);
        let view = wait_for_status(&server, MODULE_ID, "active");
        assert_eq!(view["version"], "0.1.0", "{view}");
        assert_eq!(view["hooks"], json!(["agent:created"]), "{view}");

        let hello = server.get_ok("/api/modules/hello-store/hello");
        assert_eq!(
            hello,
            json!({"message": "Hello from hello-store", "agentsSeen": 0})
        );
        let company = server.create_company("Scaffold Corp");
        server.create_agent(&company, json!({"name": "First"}));
        wait_for("the scaffolded module to record the agent", || {
            let hello = server.get_ok("/api/modules/hello-store/hello");
            (hello["agentsSeen"] == 1).then_some(())
        });
        let mut db = Database::open(&server);
        assert_eq!(db.applied_migrations(MODULE_ID).len(), 1);
        assert_eq!(db.count("mod_hello_store_agents"), 1);
    });
}
