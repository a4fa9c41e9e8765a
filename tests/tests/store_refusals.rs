//! Every bundle the store must refuse, refused with nothing written: the modules folder is
//! byte for byte as before (no module folder, no hidden staging folder), the database has no
//! new module rows, the host lists no new module — through `POST /api/store/install` on every
//! backend and through `paperclipai store install`. The cases: a wrong sha256, an archive
//! truncated (its digest matching the cut file) and a download cut short, `../` and absolute
//! paths, a symbolic link pointing out, a bundle whose `requires.core` does not match this
//! core, and a store index that is not valid JSON.

mod modules_support;
mod store_support;

use modules_support::{modules, Database};
use paperclip_e2e::{
    each_backend, find_bundle, json, run_cli_with, ServerOptions, StatusCode, TestServer,
};
use std::path::Path;
use store_support::{crafted_bundle, module_entry, snapshot, PackedBundle, RawEntry, Store};

/// One refused module of the test store: its id, the API's status and code, and a piece of the
/// message.
struct Case {
    id: &'static str,
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// A store whose every module must be refused, and the cases.
fn refusing_store() -> (Store, Vec<Case>) {
    let store = Store::new();
    let mut modules = Vec::new();
    let mut cases = Vec::new();
    let mut add = |id: &'static str, bundle: serde_json::Value, status, code, message: String| {
        modules.push(module_entry(id, "0.1.0", bundle));
        cases.push(Case {
            id,
            status,
            code,
            message,
        });
    };

    let packed = store.pack_variant("tiny", "wrong-sha", "0.1.0", |_| {});
    let bogus = "0".repeat(64);
    add(
        "wrong-sha",
        json!({"url": format!("bundles/{}", packed.file_name), "sha256": bogus}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "checksum",
        format!(
            "sha256 mismatch for {}: the store index expects {bogus}, the download is {}",
            store.http.url(&format!("bundles/{}", packed.file_name)),
            packed.sha256
        ),
    );

    // Truncated at rest: the index vouches for the cut file, so only the archive reader can
    // tell.
    let whole = store.pack_variant("tiny", "truncated", "0.1.0", |_| {});
    let bytes = std::fs::read(&whole.path).expect("the packed bundle");
    let cut = store.put_bundle("truncated-cut.tar.gz", &bytes[..bytes.len() / 2]);
    add(
        "truncated",
        cut.index_bundle(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "corrupt_archive",
        "the bundle archive is corrupt".to_string(),
    );

    // Truncated on the wire: the server announces the whole file and sends half.
    let sent = store.pack_variant("tiny", "cut-download", "0.1.0", |_| {});
    let length = std::fs::metadata(&sent.path).expect("the bundle").len();
    store
        .http
        .cut_short(&format!("bundles/{}", sent.file_name), length as usize / 2);
    add(
        "cut-download",
        sent.index_bundle(),
        StatusCode::BAD_GATEWAY,
        "store_unavailable",
        "the download broke off".to_string(),
    );

    let crafted = |store: &Store, id: &str, extra: RawEntry<'_>| -> PackedBundle {
        store.put_bundle(&format!("{id}.tar.gz"), &crafted_bundle(id, extra))
    };
    let dotdot = crafted(&store, "dot-dot", RawEntry::file("../escaped.txt", b"out"));
    add(
        "dot-dot",
        dotdot.index_bundle(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsafe_entry",
        "unsafe entry \"../escaped.txt\": a path with `..` would leave the bundle folder"
            .to_string(),
    );
    let absolute = crafted(
        &store,
        "absolute",
        RawEntry::file("/tmp/paperclip-store-escape.txt", b"out"),
    );
    add(
        "absolute",
        absolute.index_bundle(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsafe_entry",
        "absolute paths are not allowed in a bundle".to_string(),
    );
    let link = crafted(
        &store,
        "link-out",
        RawEntry::symlink("ui/passwd", "../../../etc/passwd"),
    );
    add(
        "link-out",
        link.index_bundle(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsafe_entry",
        "symbolic link to \"../../../etc/passwd\" points outside the bundle".to_string(),
    );

    let wrong_core = store.pack(&find_bundle("fault-wrong-core"));
    add(
        "fault-wrong-core",
        wrong_core.index_bundle(),
        StatusCode::CONFLICT,
        "incompatible",
        format!(
            "module `fault-wrong-core` 0.1.0 requires Paperclip core >=9.0.0, but this is {}",
            env!("CARGO_PKG_VERSION")
        ),
    );

    store.write_index("index.json", modules, vec![]);
    std::fs::write(
        store.path().join("broken.json"),
        "{ \"modules\": [ { \"id\": ",
    )
    .expect("broken index");
    (store, cases)
}

/// The database rows a refused install must not add.
fn module_rows(server: &TestServer) -> (i64, i64) {
    let mut db = Database::open(server);
    (db.count("module_state"), db.count("mod_migrations"))
}

fn module_ids(server: &TestServer) -> Vec<String> {
    modules(server)
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn cli_install(index: &str, id: &str, modules_dir: &Path) -> paperclip_e2e::CliOutput {
    run_cli_with(
        &[
            "store",
            "install",
            id,
            "--index",
            index,
            "--modules-dir",
            modules_dir.to_str().expect("UTF-8 path"),
            "--no-rescan",
        ],
        &[],
        None,
    )
}

#[test]
fn refused_bundles_write_nothing_through_the_api() {
    let (store, cases) = refusing_store();
    each_backend(|backend| {
        // One good module installed first, so "unchanged" covers an existing bundle too.
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module("tiny")
                .config(json!({ "store": { "index": store.index_url() } })),
        );
        let before = snapshot(&server.modules_dir());
        let rows = module_rows(&server);
        let ids = module_ids(&server);
        for case in &cases {
            let (status, answer) =
                server.post("/api/store/install", &json!({ "moduleId": case.id }));
            assert_eq!(status, case.status, "{}: {answer}", case.id);
            assert_eq!(answer["code"], case.code, "{}: {answer}", case.id);
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(error.contains(&case.message), "{}: {error}", case.id);
            assert_eq!(
                snapshot(&server.modules_dir()),
                before,
                "{}: files written",
                case.id
            );
            assert_eq!(module_rows(&server), rows, "{}: rows written", case.id);
            assert_eq!(module_ids(&server), ids, "{}: a module appeared", case.id);
            assert!(!Path::new("/tmp/paperclip-store-escape.txt").exists());
        }
        assert_eq!(server.get_ok("/api/modules/tiny/ping")["pong"], true);
    });
}

#[test]
fn refused_bundles_write_nothing_through_the_cli() {
    let (store, cases) = refusing_store();
    let modules = tempfile::tempdir().expect("a temporary folder");
    let modules_dir = modules.path().join("plugins-dist");
    // An existing bundle, to see it stays as it is.
    paperclip_e2e::copy_dir(&find_bundle("tiny"), &modules_dir.join("tiny"));
    let before = snapshot(&modules_dir);
    for case in &cases {
        let output = cli_install(&store.index_url(), case.id, &modules_dir);
        assert!(!output.success(), "{}: {}", case.id, output.stdout);
        assert!(
            output.stderr.contains(&case.message),
            "{}: {}",
            case.id,
            output.stderr
        );
        assert_eq!(snapshot(&modules_dir), before, "{}: files written", case.id);
    }
    // Into a modules folder that does not exist yet: it is not even created.
    let absent = modules.path().join("absent");
    for case in &cases {
        let output = cli_install(&store.index_url(), case.id, &absent);
        assert!(!output.success(), "{}", case.id);
        assert!(
            !absent.exists(),
            "{}: the modules folder was created",
            case.id
        );
    }
}

#[test]
fn an_index_that_is_not_json_is_named_and_nothing_is_written() {
    let (store, _) = refusing_store();
    let broken = store.http.url("broken.json");
    each_backend(|backend| {
        let server = TestServer::start(
            backend,
            ServerOptions::new().config(json!({ "store": { "index": broken } })),
        );
        let before = snapshot(&server.modules_dir());
        let rows = module_rows(&server);
        for (status, answer) in [
            server.get("/api/store"),
            server.post("/api/store/install", &json!({ "moduleId": "tiny" })),
            server.post(
                "/api/store/import",
                &json!({ "templateId": "startup-in-a-box" }),
            ),
        ] {
            assert_eq!(status, StatusCode::BAD_GATEWAY, "{answer}");
            assert_eq!(answer["code"], "invalid_index", "{answer}");
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(
                error.starts_with(&format!("store index {broken} is not valid JSON: ")),
                "{error}"
            );
        }
        assert_eq!(snapshot(&server.modules_dir()), before);
        assert_eq!(module_rows(&server), rows);
        assert_eq!(server.total("/api/companies"), 0);
    });

    let modules = tempfile::tempdir().expect("a temporary folder");
    let listed = run_cli_with(&["store", "list", "--index", &broken], &[], None);
    assert!(!listed.success());
    assert!(
        listed
            .stderr
            .contains(&format!("store index {broken} is not valid JSON")),
        "{}",
        listed.stderr
    );
    let installed = cli_install(&broken, "tiny", modules.path());
    assert!(!installed.success());
    assert!(
        installed.stderr.contains("is not valid JSON"),
        "{}",
        installed.stderr
    );
    assert_eq!(snapshot(modules.path()), Vec::<String>::new());
}
