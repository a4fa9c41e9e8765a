//! The platform a bundle is built for, as a Rust target triple (`x86_64-unknown-linux-gnu`):
//! part of a bundle's file name (`<id>-<version>-<target>.tar.gz`) and the value of the
//! `{target}` placeholder in store index URLs. A module library only loads on the platform it
//! was built for, so the installer picks the bundle of its own.

/// The placeholder in index URLs replaced by [`host_target`].
pub const TARGET_PLACEHOLDER: &str = "{target}";

/// The target triple this server was built for (and so the one whose libraries it can load).
pub fn host_target() -> String {
    let arch = std::env::consts::ARCH;
    let rest = if cfg!(target_os = "linux") {
        if cfg!(target_env = "musl") {
            "unknown-linux-musl"
        } else {
            "unknown-linux-gnu"
        }
    } else if cfg!(target_os = "macos") {
        "apple-darwin"
    } else if cfg!(target_os = "windows") {
        if cfg!(target_env = "gnu") {
            "pc-windows-gnu"
        } else {
            "pc-windows-msvc"
        }
    } else if cfg!(target_os = "freebsd") {
        "unknown-freebsd"
    } else {
        std::env::consts::OS
    };
    format!("{arch}-{rest}")
}

/// Replaces `{target}` in `text` with [`host_target`].
pub fn with_host_target(text: &str) -> String {
    text.replace(TARGET_PLACEHOLDER, &host_target())
}

/// The library file name for a library base name on `target`: `<name>.dll` on Windows,
/// `lib<name>.dylib` on macOS, `lib<name>.so` elsewhere (the host's own naming is
/// [`crate::module_host::discovery::library_file_name`]).
pub fn library_file_name_for(target: &str, base: &str) -> String {
    if target.contains("windows") {
        format!("{base}.dll")
    } else if target.contains("apple") {
        format!("lib{base}.dylib")
    } else {
        format!("lib{base}.so")
    }
}

/// Whether `target` can be part of a file name (letters, digits, `_`, `-`, `.`).
pub fn is_valid_target(target: &str) -> bool {
    !target.is_empty()
        && target
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_target_is_a_triple() {
        let target = host_target();
        assert!(target.starts_with(std::env::consts::ARCH), "{target}");
        assert!(is_valid_target(&target), "{target}");
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(target.ends_with("-unknown-linux-gnu"), "{target}");
        }
        assert_eq!(
            with_host_target("b/m-1.0.0-{target}.tar.gz"),
            format!("b/m-1.0.0-{target}.tar.gz")
        );
        assert!(!is_valid_target("../x"));
        assert_eq!(
            library_file_name_for(&target, "m"),
            crate::module_host::discovery::library_file_name("m")
        );
        assert_eq!(
            library_file_name_for("x86_64-pc-windows-msvc", "m"),
            "m.dll"
        );
        assert_eq!(
            library_file_name_for("aarch64-apple-darwin", "m"),
            "libm.dylib"
        );
    }
}
