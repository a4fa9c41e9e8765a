//! abi_stable stamps the declaring package's name and version into every type layout and refuses
//! a layout from another package. This crate stands in for `module-sdk` as it was at ABI 1.0, so
//! it must carry module-sdk's identity: package `module-sdk`, version = the ABI version it froze
//! (module-sdk's own build.rs pins its identity the same way).

fn main() {
    println!("cargo:rustc-env=CARGO_PKG_NAME=module-sdk");
    println!("cargo:rustc-env=CARGO_PKG_VERSION=1.1.0");
    println!("cargo:rerun-if-changed=build.rs");
}
