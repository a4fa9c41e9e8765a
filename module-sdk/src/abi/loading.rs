//! Host side: loading a module library and checking that its ABI is one this server can call.
//!
//! abi_stable's own `init_root_module` lets an older host load a newer library and refuses the
//! opposite, which is backwards for a plugin host: a new server must keep loading modules built
//! against an older SDK. So the check is done by hand, with the module's layout as the interface
//! and the host's as the implementation: fields appended after `last_prefix_field` then read as
//! `None` for an old module, and a module newer than the server is refused ("too many fields").

use super::ModuleRoot_Ref;
use abi_stable::{
    abi_stability::abi_checking::check_layout_compatibility,
    library::{lib_header_from_path, LibraryError, RootModule},
    type_layout::TypeLayout,
    StableAbi,
};
use std::{fmt, path::Path};

/// Why a library could not be loaded as a Paperclip module. Produced by [`load_module_root`];
/// consumed by the host, which puts the message in the module's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The file could not be opened as a dynamic library (missing, wrong platform, unresolved symbols).
    Open(String),
    /// The library opened but does not export an abi_stable root module (not built with `declare_module!`).
    NotAModule(String),
    /// The library exports its root module without layout information, so it cannot be checked.
    NoLayout,
    /// The module was built against a newer SDK ABI than this server understands.
    NewerSdk(String),
    /// The module's ABI is incompatible with this server's (different major ABI version, or a
    /// layout that is not an older prefix of the server's).
    Incompatible(String),
    /// The library's root-module constructor failed.
    Init(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Open(e) => write!(f, "cannot open the module library: {e}"),
            LoadError::NotAModule(e) => write!(
                f,
                "the library is not a Paperclip module (no root module exported; build it with `module_sdk::declare_module!`): {e}"
            ),
            LoadError::NoLayout => f.write_str(
                "the module library exports no ABI layout information, so its compatibility cannot be checked",
            ),
            LoadError::NewerSdk(e) => write!(
                f,
                "the module was built against a newer SDK than this server (server ABI {}); upgrade the server or rebuild the module against an older module-sdk: {e}",
                super::ABI_VERSION
            ),
            LoadError::Incompatible(e) => write!(
                f,
                "the module's ABI is incompatible with this server (server ABI {}): {e}",
                super::ABI_VERSION
            ),
            LoadError::Init(e) => write!(f, "the module's root module failed to initialize: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads the module library at `path` and returns its root module.
///
/// The library is never unloaded (abi_stable leaks it on purpose): disabling a module detaches
/// it, it does not `dlclose`. Each path gets its own library handle, so several modules of the
/// same root-module type load side by side.
pub fn load_module_root(path: &Path) -> Result<ModuleRoot_Ref, LoadError> {
    let header = lib_header_from_path(path).map_err(|e| match e {
        LibraryError::OpenError { .. } => LoadError::Open(one_line(&e)),
        LibraryError::GetSymbolError { .. } => LoadError::NotAModule(one_line(&e)),
        other => LoadError::Incompatible(one_line(&other)),
    })?;
    let module_layout = header.layout().ok_or(LoadError::NoLayout)?;
    check_module_layout(module_layout, <ModuleRoot_Ref as StableAbi>::LAYOUT)?;
    // SAFETY: the layout of the library's root module was just checked to be a prefix-compatible
    // version of `ModuleRoot_Ref`'s (module layout as interface, host layout as implementation),
    // which is exactly the precondition `init_root_module_with_unchecked_layout` asks for; fields
    // the module lacks are read through `Option` accessors.
    let root = unsafe { header.init_root_module_with_unchecked_layout::<ModuleRoot_Ref>() };
    root.map_err(|e| match e {
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => LoadError::Incompatible(format!(
            "ABI version mismatch: the server speaks {} {expected_version}, the module {actual_version}",
            ModuleRoot_Ref::NAME
        )),
        other => LoadError::Init(one_line(&other)),
    })
}

/// Checks that a module whose root module has `module_layout` can be called by a host whose root
/// module has `host_layout`: the module's layout must be a prefix of (or equal to) the host's.
fn check_module_layout(
    module_layout: &'static TypeLayout,
    host_layout: &'static TypeLayout,
) -> Result<(), LoadError> {
    check_layout_compatibility(module_layout, host_layout).map_err(|errors| {
        let text = errors.to_string();
        if text.contains("too many fields") {
            LoadError::NewerSdk(one_line(&text))
        } else {
            LoadError::Incompatible(one_line(&text))
        }
    })
}

/// abi_stable's messages span many lines (and layout reports can be long); a module status wants
/// one readable line.
fn one_line(e: &dyn fmt::Display) -> String {
    const LIMIT: usize = 1500;
    let mut line = e
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.len() > LIMIT {
        let mut cut = LIMIT;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push_str(" …");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    type PrevRoot = module_sdk_prev::abi::ModuleRoot_Ref;

    fn layout_of<T: StableAbi>() -> &'static TypeLayout {
        T::LAYOUT
    }

    #[test]
    fn a_current_host_accepts_a_module_of_the_previous_abi() {
        assert_eq!(
            check_module_layout(layout_of::<PrevRoot>(), layout_of::<ModuleRoot_Ref>()),
            Ok(())
        );
    }

    #[test]
    fn a_current_host_accepts_a_module_of_its_own_abi() {
        assert_eq!(
            check_module_layout(layout_of::<ModuleRoot_Ref>(), layout_of::<ModuleRoot_Ref>()),
            Ok(())
        );
    }

    #[test]
    fn an_older_host_refuses_a_newer_module_saying_so() {
        // The previous ABI playing the host, the current one the (newer) module.
        let err = check_module_layout(layout_of::<ModuleRoot_Ref>(), layout_of::<PrevRoot>())
            .unwrap_err();
        assert!(matches!(err, LoadError::NewerSdk(_)), "{err:?}");
        assert!(err
            .to_string()
            .contains("built against a newer SDK than this server"));
    }

    #[test]
    fn an_unrelated_root_module_is_incompatible() {
        let err = check_module_layout(
            layout_of::<crate::abi::RouteRequest>(),
            layout_of::<ModuleRoot_Ref>(),
        )
        .unwrap_err();
        assert!(matches!(err, LoadError::Incompatible(_)), "{err:?}");
    }

    #[test]
    fn a_missing_file_is_an_open_error() {
        let err = load_module_root(Path::new("/nonexistent/libnothing.so"))
            .err()
            .expect("a missing file must not load");
        assert!(matches!(err, LoadError::Open(_)), "{err:?}");
    }

    #[test]
    fn the_abi_version_is_deliberate_not_the_package_version() {
        assert_eq!(
            <ModuleRoot_Ref as RootModule>::VERSION_STRINGS.to_string(),
            super::super::ABI_VERSION
        );
        assert_eq!(super::super::ABI_VERSION, "1.2.0");
    }

    #[test]
    fn long_messages_become_one_bounded_line() {
        let text = format!("a\n  b\t{}", "x".repeat(5000));
        let line = one_line(&text);
        assert!(line.starts_with("a b x"));
        assert!(!line.contains('\n'));
        assert!(line.len() < 1600);
    }
}
