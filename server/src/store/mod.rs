//! The Company Store: finding, installing and publishing modules and company templates.
//!
//! - [`store_index`]: the index format (the spec's, plus where each module bundle is and its
//!   SHA-256) and loading it from a URL or path ([`store_location`]).
//! - [`bundle_pack`]: a built module → `<id>-<version>-<target>.tar.gz` + `.sha256`
//!   ([`bundle_target`] names the platform), signed with `--sign` ([`bundle_keys`] makes the
//!   key pair).
//! - [`bundle_install`]: download with progress ([`install_progress`]), digest check,
//!   `requires.core` check and safe reading of the archive before anything is written
//!   ([`bundle_unpack`]), the bundle's signature under `modules.signatures`, then an atomic
//!   swap into the modules folder.
//! - [`template_fetch`]: a template of the index, for import by [`crate::templates`].
//! - [`store_listing`]: the index merged with the installed modules and their status.
//! - [`module_scaffold`]: a new module crate that builds and loads as generated, joining an
//!   enclosing cargo workspace when there is one ([`cargo_workspace`]).
//!
//! Every refusal is a [`StoreError`] naming what is wrong, with nothing written.
//! The API is `api/store.rs`; the commands are `paperclipai store …` and
//! `paperclipai module pack|new`.

pub mod bundle_install;
pub mod bundle_keys;
pub mod bundle_pack;
pub mod bundle_target;
pub mod bundle_unpack;
pub mod cargo_workspace;
pub mod install_progress;
pub mod module_scaffold;
pub mod store_error;
pub mod store_index;
pub mod store_listing;
pub mod store_location;
pub mod template_fetch;

pub use bundle_install::{install_module, InstallSignatures, Installed};
pub use bundle_pack::{pack_module, PackOptions, Packed};
pub use install_progress::{InstallProgress, InstallStage};
pub use module_scaffold::{scaffold_module, Membership, ScaffoldOptions, SdkSource};
pub use store_error::StoreError;
pub use store_index::{LoadedIndex, StoreIndex};
pub use store_listing::{store_listing, StoreListing};
pub use template_fetch::fetch_template;
