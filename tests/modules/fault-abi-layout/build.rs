//! abi_stable stamps the declaring package's name and version into every type layout. This crate
//! carries module-sdk's identity at the server's ABI version (as module-sdk's own build.rs
//! does), so the host's check reaches the root module's fields and refuses the library for its
//! layout, not merely for coming from another package.

fn main() {
    println!("cargo:rustc-env=CARGO_PKG_NAME=module-sdk");
    println!("cargo:rustc-env=CARGO_PKG_VERSION=1.1.0");
    println!("cargo:rerun-if-changed=build.rs");
}
