//! Pins the package identity that abi_stable stamps into every boundary type.
//!
//! abi_stable records `CARGO_PKG_NAME` and `CARGO_PKG_VERSION` of the crate that declares a
//! `StableAbi` type inside its layout, and the load-time check refuses a module when the two
//! versions are not "loosely compatible" (same major, or same minor while 0.x). Left alone, that
//! would tie module compatibility to the SDK's *package* version (which follows the workspace and
//! moves with every release), so a routine `0.1 -> 0.2` bump would refuse every module.
//! We therefore compile this crate with `CARGO_PKG_VERSION` set to the ABI version, which is bumped
//! deliberately (minor: fields appended; major: a breaking change), and expose the real package
//! version as `MODULE_SDK_VERSION`.

/// The ABI version. Bump the minor when appending fields/methods, the major on a breaking change
/// (and freeze the previous ABI under `tests/compat/`, see its README).
const ABI_VERSION: &str = "1.2.0";

fn main() {
    let package_version = std::env::var("CARGO_PKG_VERSION").unwrap_or_else(|_| "0.0.0".into());
    println!("cargo:rustc-env=MODULE_SDK_VERSION={package_version}");
    println!("cargo:rustc-env=MODULE_SDK_ABI_VERSION={ABI_VERSION}");
    println!("cargo:rustc-env=CARGO_PKG_VERSION={ABI_VERSION}");
    println!("cargo:rerun-if-changed=build.rs");
}
