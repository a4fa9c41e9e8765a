//! abi_stable stamps the declaring package's name and version into every type layout. This crate
//! plays module-sdk at a future ABI 1.2 (one root-module field appended), so it carries that
//! identity, as module-sdk's own build.rs pins its identity to its ABI version.

fn main() {
    println!("cargo:rustc-env=CARGO_PKG_NAME=module-sdk");
    println!("cargo:rustc-env=CARGO_PKG_VERSION=1.3.0");
    println!("cargo:rerun-if-changed=build.rs");
}
