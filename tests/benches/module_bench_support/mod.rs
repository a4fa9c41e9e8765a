//! What the module benchmarks share: bundles of the `tiny` test module with the library built
//! in the bench's own (release) profile, under any number of ids.
//!
//! Build first: `cargo build --release -p paperclip-server -p tiny`.

// Each bench binary uses its own subset of these helpers.
#![allow(dead_code)]

use paperclip_e2e::{workspace_root, Value};
use std::path::{Path, PathBuf};

/// The crate folder of the `tiny` test module (manifest and migrations).
fn tiny_source() -> PathBuf {
    workspace_root().join("tests/modules/tiny")
}

/// The `tiny` library of the running bench's profile (`target/release/libtiny.so`).
///
/// # Panics
/// When it has not been built, with the command that builds it.
pub fn tiny_library() -> PathBuf {
    let library = profile_dir().join(format!(
        "{}tiny{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        library.is_file(),
        "{} not found — build it first: cargo build --release -p paperclip-server -p tiny",
        library.display()
    );
    library
}

/// The cargo profile folder of the running bench (`target/release`); bench executables live in
/// its `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench executable has a path");
    let dir = exe.parent().expect("the executable is in a folder");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps/ has a parent").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Lays out a bundle of `tiny` as module `id` in `modules_dir/<id>/`: its manifest (id, name
/// and route prefix set to `id`), its migrations (table names `mod_<id>_…`) and a copy of the
/// release library. Returns the bundle folder.
pub fn tiny_bundle(modules_dir: &Path, id: &str) -> PathBuf {
    let source = tiny_source();
    let bundle = modules_dir.join(id);
    std::fs::create_dir_all(&bundle).expect("bundle folder");
    let mut manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(source.join("paperclip.module.json")).expect("tiny manifest"),
    )
    .expect("the manifest is JSON");
    manifest["id"] = Value::from(id);
    manifest["name"] = Value::from(format!("Tiny ({id})"));
    manifest["routes"]["prefix"] = Value::from(id);
    std::fs::write(
        bundle.join("paperclip.module.json"),
        serde_json::to_string_pretty(&manifest).expect("manifest serializes"),
    )
    .expect("writing the manifest");
    let library = tiny_library();
    std::fs::copy(
        &library,
        bundle.join(library.file_name().expect("a file name")),
    )
    .expect("copying the library");
    let table_prefix = format!("mod_{}_", id.replace('-', "_"));
    for backend in ["sqlite", "postgres"] {
        let from = source.join("migrations").join(backend);
        for migration in std::fs::read_dir(&from).expect("tiny migrations") {
            let migration = migration.expect("a migration folder").path();
            let target = bundle
                .join("migrations")
                .join(backend)
                .join(migration.file_name().expect("a folder name"));
            std::fs::create_dir_all(&target).expect("migration folder");
            for file in ["up.sql", "down.sql"] {
                let sql = std::fs::read_to_string(migration.join(file)).expect("migration SQL");
                std::fs::write(target.join(file), sql.replace("mod_tiny_", &table_prefix))
                    .expect("writing migration SQL");
            }
        }
    }
    bundle
}

/// The 1-minute load average (`/proc/loadavg`), printed by each bench before it starts: the
/// reference machine has 2 cores shared with other builds, so figures are read next to it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}
