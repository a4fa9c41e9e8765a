//! `paperclipai run --modules-dir <DIR>`: the folder replaces the config's `modules.dir`, and a
//! relative one is relative to the server's working directory. Logs written to a file carry no
//! ANSI colours.

use paperclip_e2e::{
    copy_dir, find_bundle, json, ServerOptions, StatusCode, TestBackend, TestServer,
};
use std::time::{Duration, Instant};

/// Waits until module `id` reports `active`; panics with its last view otherwise.
fn wait_until_active(server: &TestServer, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, view) = server.get(&format!("/api/admin/modules/{id}"));
        if status == StatusCode::OK && view["status"] == "active" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "module {id} did not become active: {status} {view}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn modules_dir_overrides_the_config_and_loads_the_bundles_there() {
    let elsewhere = tempfile::tempdir().unwrap();
    copy_dir(&find_bundle("tiny"), &elsewhere.path().join("tiny"));
    // The config's `modules.dir` (the harness writes the server's own, empty, plugins-dist).
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .arg("--modules-dir")
            .arg(elsewhere.path().to_string_lossy()),
    );
    wait_until_active(&server, "tiny");
    let (status, modules) = server.get("/api/admin/modules");
    assert_eq!(status, StatusCode::OK, "{modules}");
    let ids: Vec<&str> = modules
        .as_array()
        .expect("a list of modules")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["tiny"], "{modules}");
}

#[test]
fn a_relative_modules_dir_is_relative_to_the_working_directory() {
    // The harness runs the server in its own root folder; `mods` is resolved against it.
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().arg("--modules-dir").arg("mods"),
    );
    copy_dir(
        &find_bundle("tiny"),
        &server.root_dir().join("mods").join("tiny"),
    );
    let (status, body) = server.post("/api/admin/modules/rescan", &json!({}));
    assert!(status.is_success(), "rescan answered {status}: {body}");
    wait_until_active(&server, "tiny");
}

#[test]
fn logs_to_a_file_have_no_ansi_colours_even_without_no_color() {
    // stderr is a file here, not a terminal; NO_COLOR (set by the harness) is cleared.
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().module("tiny").env("NO_COLOR", ""),
    );
    wait_until_active(&server, "tiny");
    // Read the file itself: `stderr_log` strips colour codes.
    let log = std::fs::read_to_string(server.root_dir().join("stderr.log")).unwrap();
    assert!(log.contains("INFO"), "the server logged something:\n{log}");
    assert!(!log.contains('\u{1b}'), "ANSI escapes in the log:\n{log}");
}
