//! Signed bundles end to end: a bundle is verified at every load (start, rescan, enable) and at
//! store install, against `modules.trustedKeys`, under `modules.signatures`.
//!
//! - Under `required`, a library changed after signing, a file added, a migration edited, an
//!   unsigned bundle, a key not trusted and a signature made for another manifest are refused
//!   (status `unverified`) with the file or key named; a running module whose bundle is
//!   tampered with keeps its verified code, says so, and is refused at the restart.
//! - Under `warn` the same bundles load and their view says what is wrong; `auto` is `warn` on
//!   loopback and `required` beyond it.
//! - A store install of a tampered or unsigned bundle is refused under `required` with nothing
//!   placed; `paperclipai module keygen` and `module pack --sign` make what installs.
//!
//! Build first: `scripts/build-modules.sh && cargo build -p paperclip-server`.

mod modules_support;
mod store_support;

use modules_support::{assert_status, copy_bundle_as, module, wait_for_status};
use paperclip_bundle_signing::{
    sign_folder, sign_manifest, FileDigests, SecretKey, SIGNATURE_FILE,
};
use paperclip_e2e::{
    each_backend, find_bundle, json, run_cli, ServerOptions, StatusCode, TestBackend, TestServer,
    Value,
};
use std::path::{Path, PathBuf};
use store_support::{crafted_archive, module_entry, snapshot, RawEntry, Store};

/// The migration of the `tiny` test module, as laid out in a bundle.
const TINY_MIGRATION: &str = "migrations/sqlite/2026-01-01-000000_pings/up.sql";

/// A copy of the `tiny` test module as module `id` in `dir/<id>`, signed with `key`.
fn signed_tiny(dir: &Path, id: &str, key: &SecretKey) -> PathBuf {
    let target = copy_bundle_as("tiny", &dir.join(id), id, |_| {});
    sign_folder(&target, key).expect("signing the copy");
    target
}

/// Options of a server that trusts `key` under `policy`.
fn trusting(key: &SecretKey, policy: &str) -> ServerOptions {
    ServerOptions::new()
        .config(json!({ "modules": { "signatures": policy } }))
        .trust_key(key.key_id(), key.public_key().to_string())
}

fn rescan(server: &TestServer) -> Value {
    let (status, body) = server.post("/api/admin/modules/rescan", &json!({}));
    assert!(status.is_success(), "rescan answered {status}: {body}");
    body
}

/// Rewrites `path` with one byte flipped, as a new file renamed over it (the running server
/// keeps its mapping of the old one).
fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("the file");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let replacement = path.with_extension("tampered");
    std::fs::write(&replacement, &bytes).expect("writing the tampered copy");
    std::fs::rename(&replacement, path).expect("renaming it over the original");
}

/// The module's `signature` view.
fn signature(server: &TestServer, id: &str) -> Value {
    module(server, id)["signature"].clone()
}

#[test]
fn tampering_is_refused_at_the_next_load_with_the_file_named() {
    each_backend(|backend| {
        let key = SecretKey::generate().expect("a key");
        let mut server = TestServer::start(backend, trusting(&key, "required"));
        let modules = server.modules_dir();
        let library = signed_tiny(&modules, "tiny-lib", &key);
        let added = signed_tiny(&modules, "tiny-added", &key);
        let edited = signed_tiny(&modules, "tiny-edited", &key);
        std::fs::write(added.join("notes.txt"), "dropped in after signing").unwrap();
        std::fs::write(
            edited.join(TINY_MIGRATION),
            "CREATE TABLE mod_tiny_edited_pwned (id TEXT);",
        )
        .unwrap();
        rescan(&server);

        let view = wait_for_status(&server, "tiny-lib", "active");
        assert_eq!(view["signature"]["state"], "verified", "{view}");
        assert_eq!(view["signature"]["keyId"], json!(key.key_id()), "{view}");
        assert_eq!(view["signature"]["policy"], "required", "{view}");
        assert_eq!(server.get("/api/modules/tiny-lib/ping").0, StatusCode::OK);
        assert_status(
            &server,
            "tiny-added",
            "unverified",
            &[
                "file notes.txt is not listed in the signed manifest",
                "modules.signatures is required",
            ],
        );
        assert_status(
            &server,
            "tiny-edited",
            "unverified",
            &[&format!("migration {TINY_MIGRATION} changed after signing")],
        );
        assert_eq!(
            signature(&server, "tiny-edited")["state"],
            "invalid",
            "the view says why"
        );
        assert_eq!(
            server.get("/api/modules/tiny-edited/ping").0,
            StatusCode::NOT_FOUND
        );
        // Refused again on an explicit enable: nothing of it runs.
        let (status, body) = server.post("/api/admin/modules/tiny-added/enable", &json!({}));
        assert!(status.is_client_error(), "enable answered {status}: {body}");
        assert!(
            body.to_string().contains("notes.txt"),
            "the refusal names the file: {body}"
        );

        // The running module's library is replaced by a tampered one: the rescan's hot upgrade
        // to it is refused, the verified code keeps serving, the view says what is on disk
        // now, and the restart refuses it.
        let library_file = library.join("libtiny.so");
        flip_a_byte(&library_file);
        let report = rescan(&server);
        assert!(
            report["upgradeRefused"]
                .as_array()
                .is_some_and(|ids| ids.contains(&json!("tiny-lib"))),
            "{report}"
        );
        let view = module(&server, "tiny-lib");
        assert_eq!(view["status"], "active", "{view}");
        assert!(
            view["lastUpgrade"]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("library libtiny.so changed after signing")),
            "{view}"
        );
        assert_eq!(server.get("/api/modules/tiny-lib/ping").0, StatusCode::OK);
        assert_eq!(view["signature"]["state"], "invalid", "{view}");
        let problem = view["signature"]["problem"].as_str().unwrap_or_default();
        assert!(
            problem.starts_with("library libtiny.so changed after signing (sha256 "),
            "{view}"
        );
        server.restart();
        assert_status(
            &server,
            "tiny-lib",
            "unverified",
            &["library libtiny.so changed after signing"],
        );
        assert_eq!(
            server.get("/api/modules/tiny-lib/ping").0,
            StatusCode::NOT_FOUND
        );
        let log = server.stderr_log();
        assert!(
            log.contains("module bundle not verified"),
            "the refusal is logged"
        );
    });
}

#[test]
fn under_required_a_ui_file_changed_after_the_load_is_not_served() {
    let key = SecretKey::generate().expect("a key");
    let server = TestServer::start(TestBackend::Sqlite, trusting(&key, "required"));
    let dir = copy_bundle_as(
        "tiny",
        &server.modules_dir().join("tiny-ui"),
        "tiny-ui",
        |_| {},
    );
    std::fs::create_dir_all(dir.join("ui")).unwrap();
    std::fs::write(dir.join("ui/index.js"), "export const signed = true;").unwrap();
    sign_folder(&dir, &key).expect("signing");
    rescan(&server);
    wait_for_status(&server, "tiny-ui", "active");
    let (status, text) = server.get_text("/modules/tiny-ui/ui/index.js");
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text, "export const signed = true;");

    std::fs::write(dir.join("ui/index.js"), "alert('changed on disk');").unwrap();
    std::fs::write(dir.join("ui/extra.js"), "alert('dropped in');").unwrap();
    for (file, problem) in [
        (
            "index.js",
            "UI file ui/index.js of module `tiny-ui` changed after signing",
        ),
        (
            "extra.js",
            "UI file ui/extra.js of module `tiny-ui` is not listed in its signed manifest",
        ),
    ] {
        let (status, text) = server.get_text(&format!("/modules/tiny-ui/ui/{file}"));
        assert_eq!(status, StatusCode::CONFLICT, "{file}: {text}");
        assert!(text.starts_with(problem), "{text}");
    }
}

/// Bundles that `required` refuses: `tiny-unsigned`, `tiny-stranger` (signed by a key not
/// trusted) and `tiny-foreign` (signed by the trusted key over another manifest).
fn doubtful_bundles(modules: &Path, trusted: &SecretKey) {
    let unsigned = signed_tiny(modules, "tiny-unsigned", trusted);
    std::fs::remove_file(unsigned.join(SIGNATURE_FILE)).unwrap();
    let stranger = SecretKey::generate().expect("a key");
    signed_tiny(modules, "tiny-stranger", &stranger);
    let foreign = signed_tiny(modules, "tiny-foreign", trusted);
    let other = sign_manifest(
        br#"{"id": "tiny-foreign", "name": "Another manifest"}"#,
        &FileDigests::new(),
        trusted,
    )
    .expect("signing another manifest");
    std::fs::write(foreign.join(SIGNATURE_FILE), other.signature.to_bytes()).unwrap();
}

#[test]
fn required_refuses_unsigned_untrusted_and_foreign_signatures() {
    let key = SecretKey::generate().expect("a key");
    let server = TestServer::start(TestBackend::Sqlite, trusting(&key, "required"));
    doubtful_bundles(&server.modules_dir(), &key);
    rescan(&server);
    assert_status(
        &server,
        "tiny-unsigned",
        "unverified",
        &["the bundle is not signed (no paperclip.module.sig)"],
    );
    assert_eq!(signature(&server, "tiny-unsigned")["state"], "unsigned");
    let view = assert_status(
        &server,
        "tiny-stranger",
        "unverified",
        &["which is not in modules.trustedKeys"],
    );
    assert_eq!(view["signature"]["state"], "untrusted", "{view}");
    assert_status(
        &server,
        "tiny-foreign",
        "unverified",
        &["the signature was made for another manifest"],
    );
    for id in ["tiny-unsigned", "tiny-stranger", "tiny-foreign"] {
        assert_eq!(
            server.get(&format!("/api/modules/{id}/ping")).0,
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
}

#[test]
fn warn_loads_what_required_refuses_and_says_why() {
    let key = SecretKey::generate().expect("a key");
    let server = TestServer::start(TestBackend::Sqlite, trusting(&key, "warn"));
    doubtful_bundles(&server.modules_dir(), &key);
    rescan(&server);
    for (id, state, problem) in [
        ("tiny-unsigned", "unsigned", "the bundle is not signed"),
        ("tiny-stranger", "untrusted", "not in modules.trustedKeys"),
        ("tiny-foreign", "invalid", "made for another manifest"),
    ] {
        let view = wait_for_status(&server, id, "active");
        assert_eq!(view["signature"]["state"], state, "{view}");
        assert_eq!(view["signature"]["policy"], "warn", "{view}");
        assert!(
            view["signature"]["problem"]
                .as_str()
                .is_some_and(|p| p.contains(problem)),
            "{view}"
        );
        assert_eq!(
            server.get(&format!("/api/modules/{id}/ping")).0,
            StatusCode::OK,
            "{id}"
        );
    }
    // `off` checks nothing.
    let server = TestServer::start(TestBackend::Sqlite, trusting(&key, "off").module("tiny"));
    let view = wait_for_status(&server, "tiny", "active");
    assert_eq!(
        view["signature"],
        json!({"state": "unchecked", "keyId": null, "problem": null, "policy": "off"})
    );
}

#[test]
fn auto_is_warn_on_loopback_and_required_beyond_it() {
    // The bundles of build-modules.sh are signed with its development key, trusted by nobody
    // unless configured.
    let (dev_key, _) = paperclip_e2e::dev_signing_key();
    let loopback = TestServer::start(TestBackend::Sqlite, ServerOptions::new().module("tiny"));
    let view = wait_for_status(&loopback, "tiny", "active");
    assert_eq!(view["signature"]["policy"], "warn", "{view}");
    assert_eq!(view["signature"]["state"], "untrusted", "{view}");
    assert_eq!(view["signature"]["keyId"], json!(dev_key), "{view}");

    let beyond = ServerOptions::new()
        .bind("0.0.0.0")
        .api_key("k1")
        .module("tiny");
    let server = TestServer::start(TestBackend::Sqlite, beyond.clone());
    let view = assert_status(
        &server,
        "tiny",
        "unverified",
        &[&format!(
            "signed with key {dev_key}, which is not in modules.trustedKeys"
        )],
    );
    assert_eq!(view["signature"]["policy"], "required", "{view}");
    drop(server);
    let server = TestServer::start(TestBackend::Sqlite, beyond.trust_dev_signing_key());
    let view = wait_for_status(&server, "tiny", "active");
    assert_eq!(view["signature"]["state"], "verified", "{view}");
}

/// `paperclipai module keygen --json` into `dir`: the key id and the secret key file.
fn keygen(dir: &Path, name: &str) -> (String, PathBuf) {
    let output = run_cli(&[
        "module",
        "keygen",
        "--out",
        &dir.to_string_lossy(),
        "--name",
        name,
        "--json",
    ]);
    assert!(output.success(), "keygen failed: {}", output.stderr);
    let answer: Value = serde_json::from_str(&output.stdout).expect("keygen --json prints JSON");
    (
        answer["keyId"].as_str().expect("keyId").to_string(),
        PathBuf::from(answer["secretKeyFile"].as_str().expect("secretKeyFile")),
    )
}

#[test]
fn keygen_and_pack_sign_on_the_command_line() {
    let keys = tempfile::tempdir().unwrap();
    let (key_id, key_file) = keygen(keys.path(), "acme");
    assert_eq!(key_id.len(), 16);
    let output = run_cli(&[
        "module",
        "keygen",
        "--out",
        &keys.path().to_string_lossy(),
        "--name",
        "acme",
    ]);
    assert!(!output.success(), "a key is never overwritten");
    assert!(
        output.stderr.contains("exists already"),
        "{}",
        output.stderr
    );
    let output = run_cli(&["module", "keygen", "--name", "../escape"]);
    assert!(!output.success());
    assert!(
        output.stderr.contains("cannot name key files"),
        "{}",
        output.stderr
    );

    let out = tempfile::tempdir().unwrap();
    let output = run_cli(&[
        "module",
        "pack",
        &find_bundle("tiny").to_string_lossy(),
        "--out",
        &out.path().to_string_lossy(),
        "--sign",
        &key_file.to_string_lossy(),
        "--json",
    ]);
    assert!(output.success(), "pack --sign failed: {}", output.stderr);
    let answer: Value = serde_json::from_str(&output.stdout).expect("pack --json prints JSON");
    assert_eq!(
        answer["signature"],
        json!({"state": "signed", "keyId": key_id}),
        "{answer}"
    );

    // A malformed key file is named, and nothing is written.
    let bad_key = keys.path().join("bad.key");
    std::fs::write(&bad_key, "{\"type\": \"something else\"}").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = run_cli(&[
        "module",
        "pack",
        &find_bundle("tiny").to_string_lossy(),
        "--out",
        &empty.path().to_string_lossy(),
        "--sign",
        &bad_key.to_string_lossy(),
    ]);
    assert!(!output.success());
    assert!(
        output
            .stderr
            .contains("bad.key is not a Paperclip signing key file"),
        "{}",
        output.stderr
    );
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

/// The archive of a signed copy of `tiny` as `id` whose library was changed after signing.
fn tampered_archive(key: &SecretKey, id: &str) -> Vec<u8> {
    let source = tempfile::tempdir().unwrap();
    let dir = signed_tiny(source.path(), id, key);
    let read = |name: &str| std::fs::read(dir.join(name)).expect("a bundle file");
    let manifest = read("paperclip.module.json");
    let signature = read(SIGNATURE_FILE);
    let mut library = read("libtiny.so");
    let middle = library.len() / 2;
    library[middle] ^= 0x01;
    let migration = read(TINY_MIGRATION);
    crafted_archive(&[
        RawEntry::file("paperclip.module.json", &manifest),
        RawEntry::file(SIGNATURE_FILE, &signature),
        RawEntry::file("libtiny.so", &library),
        RawEntry::file(TINY_MIGRATION, &migration),
    ])
}

/// `paperclipai module pack <dir> --sign <key>` into the store's `bundles/`.
fn pack_signed(store: &Store, dir: &Path, key_file: &Path) -> store_support::PackedBundle {
    let output = run_cli(&[
        "module",
        "pack",
        &dir.to_string_lossy(),
        "--out",
        &store.path().join("bundles").to_string_lossy(),
        "--sign",
        &key_file.to_string_lossy(),
        "--json",
    ]);
    assert!(output.success(), "pack --sign failed: {}", output.stderr);
    let answer: Value = serde_json::from_str(&output.stdout).expect("pack --json prints JSON");
    assert_eq!(answer["signature"]["state"], "signed", "{answer}");
    let path = PathBuf::from(answer["archive"].as_str().expect("archive"));
    store_support::PackedBundle {
        file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
        sha256: answer["sha256"].as_str().expect("sha256").to_string(),
        path,
    }
}

#[test]
fn store_installs_are_verified_before_anything_is_placed() {
    each_backend(|backend| {
        let store = Store::new();
        let (key_id, key_file) = keygen(store.path(), "publisher");
        let key = SecretKey::read(&key_file).expect("the CLI's key file");

        // Signed with the CLI; a signed copy whose library was changed after signing; one
        // without a signature.
        let source = tempfile::tempdir().unwrap();
        let good_dir = copy_bundle_as(
            "tiny",
            &source.path().join("tiny-good"),
            "tiny-good",
            |_| {},
        );
        let good = pack_signed(&store, &good_dir, &key_file);
        let tampered = store.put_bundle("tiny-bad.tar.gz", &tampered_archive(&key, "tiny-bad"));
        let plain = copy_bundle_as(
            "tiny",
            &source.path().join("tiny-plain"),
            "tiny-plain",
            |_| {},
        );
        std::fs::remove_file(plain.join(SIGNATURE_FILE)).unwrap();
        let unsigned = store.pack(&plain);
        let mut good_bundle = good.index_bundle();
        good_bundle["keyId"] = json!(key_id);
        store.write_index(
            "index.json",
            vec![
                module_entry("tiny-good", "0.1.0", good_bundle),
                module_entry("tiny-bad", "0.1.0", tampered.index_bundle()),
                module_entry("tiny-plain", "0.1.0", unsigned.index_bundle()),
            ],
            vec![],
        );
        let server = TestServer::start(
            backend,
            trusting(&key, "required").config(json!({
                "modules": { "signatures": "required" },
                "store": { "index": store.index_url() },
            })),
        );
        let before = snapshot(&server.modules_dir());
        for (id, problem) in [
            ("tiny-bad", "library libtiny.so changed after signing"),
            ("tiny-plain", "the bundle is not signed"),
        ] {
            let (status, body) = server.post("/api/store/install", &json!({ "moduleId": id }));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {body}");
            assert_eq!(body["code"], "unverified", "{body}");
            let error = body["error"].as_str().unwrap_or_default();
            assert!(
                error.starts_with(&format!("module `{id}` 0.1.0 is refused: "))
                    && error.contains(problem),
                "{body}"
            );
            assert_eq!(
                snapshot(&server.modules_dir()),
                before,
                "{id}: nothing placed"
            );
        }
        let (status, body) = server.post("/api/store/install", &json!({ "moduleId": "tiny-good" }));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["installed"]["signature"]["state"], "verified",
            "{body}"
        );
        let view = wait_for_status(&server, "tiny-good", "active");
        assert_eq!(view["signature"]["keyId"], json!(key_id), "{view}");
        assert_eq!(server.get("/api/modules/tiny-good/ping").0, StatusCode::OK);
    });
}
