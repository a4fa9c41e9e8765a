//! Where the `paperclipai` binary and the build outputs are: next to the running test
//! executable, so `cargo test` (debug) and `cargo bench` (release) each find their own build.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo profile folder of the running executable (`target/debug` or `target/release`).
/// Test and bench executables live in `<profile>/deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let dir = exe.parent().expect("the test executable is in a folder");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps/ has a parent").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// The cargo target folder (`target/`), where `test-bundles/` are built.
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    profile.parent().map(Path::to_path_buf).unwrap_or(profile)
}

/// The `paperclipai` binary of the same profile as the running test (`PAPERCLIP_TEST_BIN`
/// overrides it).
///
/// # Panics
/// When it has not been built, with the command that builds it.
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PAPERCLIP_TEST_BIN") {
        return PathBuf::from(path);
    }
    let path = profile_dir().join(format!("paperclipai{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} not found — build it first: scripts/test.sh (or `cargo build -p paperclip-server`)",
        path.display()
    );
    path
}
