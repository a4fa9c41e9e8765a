//! The architecture's invariants as the crate graph holds them: the core crate cannot name the
//! module host, the server or HTTP; the module host cannot name the server or HTTP; the module
//! runner (a module process) names no database driver, no core and no host; the bundle
//! signing crate (keys, signatures) names no database, host or HTTP. Fails when
//! a dependency (direct or transitive) breaks that. Same check by hand:
//! `cargo tree -p paperclip-core -e normal --prefix none`.

use std::collections::BTreeSet;
use std::process::Command;

/// The packages `package` depends on at run time (build and dev dependencies left out).
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cannot run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn assert_none_of(package: &str, forbidden: &[&str]) {
    let dependencies = normal_dependencies(package);
    assert!(
        dependencies.contains(package),
        "cargo tree did not list {package} itself: {dependencies:?}"
    );
    let found: Vec<&String> = dependencies
        .iter()
        .filter(|name| forbidden.iter().any(|f| name.starts_with(f)))
        .collect();
    assert!(
        found.is_empty(),
        "{package} must not depend on {found:?} (forbidden: {forbidden:?})"
    );
}

#[test]
fn the_core_names_neither_the_module_host_nor_http() {
    assert_none_of(
        "paperclip-core",
        &["paperclip-module-host", "paperclip-server", "actix", "awc"],
    );
}

#[test]
fn the_module_host_names_no_http() {
    assert_none_of(
        "paperclip-module-host",
        &["paperclip-server", "actix", "awc"],
    );
}

#[test]
fn the_module_runner_links_no_database_and_knows_no_host() {
    assert_none_of(
        "paperclip-module-runner",
        &[
            "paperclip-server",
            "paperclip-module-host",
            "paperclip-core",
            "diesel",
            "libsqlite3-sys",
            "pq-sys",
            "postgres",
            "tokio",
            "actix",
        ],
    );
}

#[test]
fn bundle_signing_names_no_database_host_or_http() {
    assert_none_of(
        "paperclip-bundle-signing",
        &[
            "paperclip-server",
            "paperclip-module-host",
            "paperclip-core",
            "diesel",
            "libsqlite3-sys",
            "pq-sys",
            "actix",
            "tokio",
        ],
    );
}
