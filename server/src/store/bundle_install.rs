//! Installing a module from the store into the modules folder (`plugins-dist/`), in an order
//! that writes nothing there until everything is known to be right:
//!
//! 1. the index entry (and its `requiresCore`, when given) is checked;
//! 2. the bundle is downloaded into a temporary file outside the modules folder, hashed on the
//!    way, and its SHA-256 compared with the index's;
//! 3. the archive is read to the end without unpacking ([`inspect_bundle`]): every entry is
//!    safe, the gzip checksum holds, the manifest validates, its id and version are the ones
//!    the index promised, its `requires.core` accepts this core ([`crate::VERSION`]), and the
//!    library for this platform is there;
//! 4. it is unpacked into a hidden temporary folder inside the modules folder (same file
//!    system, and skipped by discovery), checked again the way the host reads bundles — its
//!    signature too, under `modules.signatures` ([`SignatureCheck`], the host's own check:
//!    under `required` an unsigned, untrusted or changed bundle is refused here, and a bundle
//!    not signed with the key the index names is refused unless the policy is `off`) — and
//!    renamed to the module's folder. An installed version is first moved aside (hidden), then
//!    removed once the new folder is in place; if the swap fails the old folder is put back.
//!
//! A running server sees the new bundle on its next rescan. A module whose library is loaded
//! keeps running its old code until a restart (a library cannot be replaced in a running
//! process); the host reports it as `restartRequired`.

use super::bundle_target::with_host_target;
use super::bundle_unpack::{inspect_bundle, unpack_bundle};
use super::install_progress::{begin, InstallGuard, InstallProgress, InstallStage};
use super::store_error::StoreError;
use super::store_index::{is_sha256, BundleRef, LoadedIndex};
use super::store_location::{too_large, StoreLocation};
use crate::module_host::bundle_signature::{SignatureCheck, SignatureView};
use crate::module_host::discovery::{discover, Bundle};
use crate::module_host::manifest::Manifest;
use paperclip_bundle_signing::TrustedKeys;
use paperclip_core::signature_policy::SignatureEnforcement;
use semver::Version;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest bundle download accepted.
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

/// What an install did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// The module.
    pub module_id: String,
    /// The version now on disk.
    pub version: String,
    /// The version it replaced, if any was installed.
    pub previous_version: Option<String>,
    /// The module's folder.
    pub folder: PathBuf,
    /// SHA-256 of the bundle.
    pub sha256: String,
    /// Size of the bundle in bytes.
    pub bytes: u64,
    /// Its signature as checked before it was placed.
    pub signature: SignatureView,
    /// The bundle archive's bytes (kept in the database for the other replicas).
    #[serde(skip)]
    pub archive: Vec<u8>,
}

/// How an install checks bundle signatures: `modules.signatures` in force and the trusted keys.
#[derive(Debug, Clone)]
pub struct InstallSignatures {
    /// The policy in force.
    pub enforcement: SignatureEnforcement,
    /// `modules.trustedKeys`.
    pub trusted_keys: TrustedKeys,
}

impl InstallSignatures {
    /// No signature checks (`modules.signatures: off`).
    pub fn off() -> InstallSignatures {
        InstallSignatures {
            enforcement: SignatureEnforcement::Off,
            trusted_keys: TrustedKeys::default(),
        }
    }
}

/// This core's version, against which `requires.core` ranges are checked.
pub fn core_version() -> Version {
    Version::parse(crate::VERSION).expect("the crate version is semver")
}

/// Installs module `module_id` of the index into `modules_dir`. `vet` may refuse the verified
/// manifest before anything is placed (its message becomes [`StoreError::NotApproved`]);
/// `signatures` says how the bundle's signature is checked before it is placed.
/// `observer` sees the progress (download bytes, then the stages).
pub fn install_module(
    loaded: &LoadedIndex,
    module_id: &str,
    modules_dir: &Path,
    vet: &dyn Fn(&Manifest) -> Result<(), String>,
    signatures: &InstallSignatures,
    observer: &mut dyn FnMut(&InstallProgress),
) -> Result<Installed, StoreError> {
    let entry = loaded.module(module_id)?;
    let bundle = entry.bundle.as_ref().ok_or_else(|| StoreError::NoBundle {
        id: entry.id.clone(),
        repo: entry.repo.clone(),
    })?;
    let core = core_version();
    if let Some(requires) = entry.requires_core.as_ref().filter(|r| !r.matches(&core)) {
        return Err(StoreError::Incompatible {
            id: entry.id.clone(),
            version: entry.version.to_string(),
            requires: requires.to_string(),
            core: core.to_string(),
        });
    }
    let guard = begin(modules_dir, &entry.id, &entry.version.to_string())?;
    let archive_location = loaded.location.join(&with_host_target(&bundle.url))?;
    let expected = expected_digest(&loaded.location, bundle)?;
    let download = download(&archive_location, &guard, observer)?;
    if download.sha256 != expected {
        return Err(StoreError::Checksum {
            location: archive_location.to_string(),
            expected,
            actual: download.sha256,
        });
    }

    observer(&guard.update(|p| p.stage = InstallStage::Verifying));
    let contents = inspect_bundle(download.file.path())?;
    let manifest = &contents.manifest;
    if manifest.id != entry.id {
        return Err(StoreError::InvalidBundle(format!(
            "the store index lists it as module `{}`, but its manifest says `{}`",
            entry.id, manifest.id
        )));
    }
    if manifest.version != entry.version {
        return Err(StoreError::InvalidBundle(format!(
            "the store index lists `{}` {}, but the bundle holds version {}",
            entry.id, entry.version, manifest.version
        )));
    }
    check_core(manifest, &core)?;
    vet(manifest).map_err(StoreError::NotApproved)?;

    observer(&guard.update(|p| p.stage = InstallStage::Unpacking));
    let placed = place_bundle(
        download.file.path(),
        manifest,
        modules_dir,
        signatures,
        bundle.key_id.as_deref(),
    )?;
    let archive = std::fs::read(download.file.path())
        .map_err(|e| StoreError::io("cannot read", download.file.path(), e))?;
    Ok(Installed {
        module_id: manifest.id.clone(),
        version: manifest.version.to_string(),
        previous_version: placed.previous.map(|v| v.to_string()),
        folder: placed.folder,
        sha256: download.sha256,
        bytes: download.bytes,
        signature: placed.signature.view(),
        archive,
    })
}

/// Installs a bundle archive another replica installed (kept in the database): checked the
/// way [`install_module`] checks a download — its SHA-256 against `sha256`, every entry, the
/// manifest, `requires.core`, the signature under `signatures` — then placed in `modules_dir`.
pub fn install_archive(
    archive: &[u8],
    sha256: &str,
    modules_dir: &Path,
    signatures: &InstallSignatures,
) -> Result<Installed, StoreError> {
    let actual: String = Sha256::digest(archive)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != sha256 {
        return Err(StoreError::InvalidBundle(format!(
            "the stored bundle's SHA-256 is {actual}, not the recorded {sha256}"
        )));
    }
    let mut file = tempfile::Builder::new()
        .prefix("paperclip-bundle-")
        .suffix(".tar.gz")
        .tempfile()
        .map_err(|e| StoreError::io("cannot create", std::env::temp_dir(), e))?;
    file.write_all(archive)
        .and_then(|()| file.flush())
        .map_err(|e| StoreError::io("cannot write", file.path(), e))?;
    let contents = inspect_bundle(file.path())?;
    let manifest = &contents.manifest;
    check_core(manifest, &core_version())?;
    let placed = place_bundle(file.path(), manifest, modules_dir, signatures, None)?;
    Ok(Installed {
        module_id: manifest.id.clone(),
        version: manifest.version.to_string(),
        previous_version: placed.previous.map(|v| v.to_string()),
        folder: placed.folder,
        sha256: actual,
        bytes: archive.len() as u64,
        signature: placed.signature.view(),
        archive: Vec::new(),
    })
}

/// Refuses a manifest whose `requires.core` does not accept `core`.
fn check_core(manifest: &Manifest, core: &Version) -> Result<(), StoreError> {
    if manifest.accepts_core(core) {
        return Ok(());
    }
    Err(StoreError::Incompatible {
        id: manifest.id.clone(),
        version: manifest.version.to_string(),
        requires: manifest
            .requires
            .core
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        core: core.to_string(),
    })
}

/// The digest the index vouches for: inline, or the first word of the checksum file it names.
fn expected_digest(index: &StoreLocation, bundle: &BundleRef) -> Result<String, StoreError> {
    if let Some(digest) = &bundle.sha256 {
        return Ok(digest.to_ascii_lowercase());
    }
    let reference = bundle
        .sha256_url
        .as_deref()
        .expect("a validated index gives sha256 or sha256Url");
    let location = index.join(&with_host_target(reference))?;
    let text = location.read_all(4096)?;
    let digest = String::from_utf8_lossy(&text)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !is_sha256(&digest) {
        return Err(StoreError::fetch(
            location,
            "the checksum file does not start with a SHA-256 digest (64 hex digits)",
        ));
    }
    Ok(digest)
}

/// A downloaded bundle in a temporary file (removed when dropped).
struct Download {
    file: tempfile::NamedTempFile,
    sha256: String,
    bytes: u64,
}

/// Streams the bundle into a temporary file outside the modules folder, hashing it.
fn download(
    location: &StoreLocation,
    guard: &InstallGuard,
    observer: &mut dyn FnMut(&InstallProgress),
) -> Result<Download, StoreError> {
    let (mut reader, total) = location.open()?;
    if let Some(total) = total.filter(|t| *t > MAX_BUNDLE_BYTES) {
        return Err(too_large(location, total, MAX_BUNDLE_BYTES));
    }
    observer(&guard.update(|p| p.total = total));
    let mut file = tempfile::Builder::new()
        .prefix("paperclip-bundle-")
        .suffix(".tar.gz")
        .tempfile()
        .map_err(|e| StoreError::io("cannot create", std::env::temp_dir(), e))?;
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(StoreError::fetch(
                    location,
                    format!("the download broke off after {received} bytes: {e}"),
                ))
            }
        };
        received += n as u64;
        if received > MAX_BUNDLE_BYTES {
            return Err(too_large(location, received, MAX_BUNDLE_BYTES));
        }
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])
            .map_err(|e| StoreError::io("cannot write", file.path(), e))?;
        observer(&guard.update(|p| p.received = received));
    }
    if let Some(total) = total.filter(|t| *t != received) {
        return Err(StoreError::fetch(
            location,
            format!("the download broke off after {received} of {total} bytes"),
        ));
    }
    file.flush()
        .map_err(|e| StoreError::io("cannot write", file.path(), e))?;
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Download {
        file,
        sha256,
        bytes: received,
    })
}

/// Where [`place_bundle`] put a bundle.
struct Placed {
    folder: PathBuf,
    previous: Option<Version>,
    signature: SignatureCheck,
}

/// Refuses a bundle whose signature check fails under the policy, or that is not signed with
/// the key the store index names (`index_key_id`; not checked under `off`).
fn check_signature(
    unpacked: &Path,
    manifest: &Manifest,
    signatures: &InstallSignatures,
    index_key_id: Option<&str>,
) -> Result<SignatureCheck, StoreError> {
    let check = SignatureCheck::run(unpacked, signatures.enforcement, &signatures.trusted_keys);
    let refused = |problem: String| StoreError::Unverified {
        id: manifest.id.clone(),
        version: manifest.version.to_string(),
        problem,
    };
    if let Some(refusal) = check.refusal() {
        return Err(refused(refusal.reason));
    }
    if let (Some(expected), Some(verification)) = (index_key_id, &check.verification) {
        if verification.key_id.as_deref() != Some(expected) {
            let actual = match &verification.key_id {
                Some(actual) => format!("it is signed with key {actual}"),
                None => "it is not signed".to_string(),
            };
            return Err(refused(format!(
                "the store index says the bundle is signed with key {expected}, but {actual}"
            )));
        }
    }
    Ok(check)
}

/// Unpacks the (inspected) archive into the module's folder in `modules_dir`, replacing an
/// installed version, once its signature is checked. Returns the folder, the replaced version
/// and the signature check.
fn place_bundle(
    archive: &Path,
    manifest: &Manifest,
    modules_dir: &Path,
    signatures: &InstallSignatures,
    index_key_id: Option<&str>,
) -> Result<Placed, StoreError> {
    let id = &manifest.id;
    std::fs::create_dir_all(modules_dir)
        .map_err(|e| StoreError::io("cannot create", modules_dir, e))?;
    let installed =
        discover(modules_dir).map_err(|e| StoreError::io("cannot read", modules_dir, e))?;
    // The folder the host already knows the module by (build-modules.sh and tests may name it
    // differently), so the host notices the change in place; else the module id.
    let folder = match installed.iter().find(|b| b.id == *id) {
        Some(bundle) => bundle.folder.clone(),
        None => {
            if let Some(holder) = installed.iter().find(|b| b.folder == *id) {
                return Err(StoreError::FolderTaken {
                    id: id.clone(),
                    folder: holder.folder.clone(),
                    holder: holder.id.clone(),
                });
            }
            id.clone()
        }
    };
    let dest = modules_dir.join(&folder);
    if dest.exists()
        && !dest
            .join(crate::module_host::manifest::MANIFEST_FILE)
            .is_file()
    {
        return Err(StoreError::io(
            "refusing to replace",
            &dest,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the folder exists but holds no module bundle",
            ),
        ));
    }
    let previous = installed
        .iter()
        .find(|b| b.folder == folder)
        .and_then(|b| b.manifest.as_ref().ok())
        .map(|m| m.version.clone());

    // Hidden (leading '.') so a rescan during the install never sees a half-unpacked bundle.
    let staging = tempfile::Builder::new()
        .prefix(&format!(".install-{id}-"))
        .tempdir_in(modules_dir)
        .map_err(|e| StoreError::io("cannot create a folder in", modules_dir, e))?;
    unpack_bundle(archive, staging.path())?;
    let unpacked = Bundle::read(staging.path());
    let unpacked_manifest = unpacked
        .manifest
        .as_ref()
        .map_err(|e| StoreError::InvalidBundle(e.to_string()))?;
    if unpacked_manifest != manifest || !unpacked.library_path(unpacked_manifest).is_file() {
        return Err(StoreError::InvalidBundle(
            "the unpacked bundle differs from the inspected archive".to_string(),
        ));
    }
    // The host's own check, on the files as they will be loaded; a refusal removes the
    // staging folder with everything in it.
    let signature = check_signature(staging.path(), manifest, signatures, index_key_id)?;
    let placed = |folder: PathBuf| Placed {
        folder,
        previous: previous.clone(),
        signature: signature.clone(),
    };

    if !dest.exists() {
        std::fs::rename(staging.path(), &dest)
            .map_err(|e| StoreError::io("cannot move the bundle into", &dest, e))?;
        let _ = staging.keep();
        return Ok(placed(dest));
    }
    let aside = modules_dir.join(format!(
        ".replaced-{folder}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::rename(&dest, &aside)
        .map_err(|e| StoreError::io("cannot move the installed version aside:", &dest, e))?;
    if let Err(e) = std::fs::rename(staging.path(), &dest) {
        // Put the installed version back; the new one is removed with the staging folder.
        if let Err(back) = std::fs::rename(&aside, &dest) {
            tracing::error!(from = %aside.display(), to = %dest.display(), error = %back, "cannot restore the installed module folder");
        }
        return Err(StoreError::io("cannot move the bundle into", &dest, e));
    }
    let _ = staging.keep();
    if let Err(e) = std::fs::remove_dir_all(&aside) {
        tracing::warn!(folder = %aside.display(), error = %e, "cannot remove the replaced module version");
    }
    Ok(placed(dest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module_host::discovery::library_file_name;
    use crate::store::bundle_pack::{pack_module, PackOptions};
    use crate::store::store_index::parse_index;

    /// A store folder with one packed module `m` and an index pointing at it.
    struct Store {
        dir: tempfile::TempDir,
        sha256: String,
        file_name: String,
    }

    fn store(version: &str, requires: &str) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("src");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(
            module.join("paperclip.module.json"),
            format!(
                r#"{{"id": "m", "name": "M", "version": "{version}", "library": "m", "requires": {{"core": "{requires}"}}}}"#
            ),
        )
        .unwrap();
        std::fs::write(module.join(library_file_name("m")), version).unwrap();
        let packed = pack_module(
            &module,
            &PackOptions {
                out_dir: dir.path().join("bundles"),
                ..PackOptions::default()
            },
        )
        .unwrap();
        Store {
            sha256: packed.sha256,
            file_name: packed
                .archive
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            dir,
        }
    }

    fn index(store: &Store, version: &str, bundle: &str) -> LoadedIndex {
        let text = format!(
            r#"{{"modules": [{{"id": "m", "name": "M", "version": "{version}", "bundle": {bundle}}}]}}"#
        );
        LoadedIndex {
            location: StoreLocation::Path(store.dir.path().join("index.json")),
            index: parse_index(text.as_bytes(), "index.json").unwrap(),
        }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn installs_then_replaces_a_version() {
        let modules = tempfile::tempdir().unwrap();
        let v1 = store("1.0.0", ">=0.1.0");
        let bundle = format!(
            r#"{{"url": "bundles/m-1.0.0-{{target}}.tar.gz", "sha256": "{}"}}"#,
            v1.sha256
        );
        let mut stages = Vec::new();
        let installed = install_module(
            &index(&v1, "1.0.0", &bundle),
            "m",
            modules.path(),
            &|_| Ok(()),
            &InstallSignatures::off(),
            &mut |p| stages.push(p.stage),
        )
        .unwrap();
        assert_eq!(installed.version, "1.0.0");
        assert_eq!(installed.previous_version, None);
        assert_eq!(installed.folder, modules.path().join("m"));
        assert!(stages.contains(&InstallStage::Downloading));
        assert_eq!(stages.last(), Some(&InstallStage::Unpacking));
        assert_eq!(listing(modules.path()), vec!["m"]);

        let v2 = store("2.0.0", "*");
        let bundle = format!(
            r#"{{"url": "bundles/{}", "sha256Url": "bundles/{}.sha256"}}"#,
            v2.file_name, v2.file_name
        );
        let installed = install_module(
            &index(&v2, "2.0.0", &bundle),
            "m",
            modules.path(),
            &|_| Ok(()),
            &InstallSignatures::off(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(installed.previous_version.as_deref(), Some("1.0.0"));
        assert_eq!(listing(modules.path()), vec!["m"], "nothing left aside");
        assert_eq!(
            std::fs::read_to_string(modules.path().join("m").join(library_file_name("m"))).unwrap(),
            "2.0.0"
        );

        // A vetting refusal places nothing: version 2 stays.
        let v3 = store("3.0.0", "*");
        let bundle = format!(
            r#"{{"url": "bundles/{}", "sha256": "{}"}}"#,
            v3.file_name, v3.sha256
        );
        let err = install_module(
            &index(&v3, "3.0.0", &bundle),
            "m",
            modules.path(),
            &|manifest| Err(format!("{} {} not approved", manifest.id, manifest.version)),
            &InstallSignatures::off(),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(
            matches!(&err, StoreError::NotApproved(m) if m == "m 3.0.0 not approved"),
            "{err}"
        );
        assert_eq!(listing(modules.path()), vec!["m"]);
        assert_eq!(
            std::fs::read_to_string(modules.path().join("m").join(library_file_name("m"))).unwrap(),
            "2.0.0"
        );
    }

    #[test]
    fn refusals_write_nothing() {
        let modules = tempfile::tempdir().unwrap();
        let target = modules.path().join("plugins");
        let v1 = store("1.0.0", ">=99.0.0");
        let good = format!(
            r#"{{"url": "bundles/{}", "sha256": "{}"}}"#,
            v1.file_name, v1.sha256
        );
        let cases = [
            (
                index(&v1, "1.0.0", &good),
                "requires Paperclip core >=99.0.0",
            ),
            (
                index(
                    &v1,
                    "1.0.0",
                    &format!(
                        r#"{{"url": "bundles/{}", "sha256": "{}"}}"#,
                        v1.file_name,
                        "0".repeat(64)
                    ),
                ),
                "sha256 mismatch",
            ),
            (
                index(&v1, "1.0.1", &good),
                "but the bundle holds version 1.0.0",
            ),
            (
                index(
                    &v1,
                    "1.0.0",
                    r#"{"url": "bundles/missing.tar.gz", "sha256Url": "bundles/missing.sha256"}"#,
                ),
                "cannot fetch",
            ),
        ];
        for (loaded, expected) in cases {
            let err = install_module(
                &loaded,
                "m",
                &target,
                &|_| Ok(()),
                &InstallSignatures::off(),
                &mut |_| {},
            )
            .unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
            assert!(
                !target.exists(),
                "{expected}: the modules folder was created"
            );
        }
        let early = LoadedIndex {
            location: StoreLocation::Path(v1.dir.path().join("index.json")),
            index: parse_index(
                br#"{"modules": [{"id": "m", "name": "M", "version": "1.0.0", "requiresCore": "^9"}]}"#,
                "i",
            )
            .unwrap(),
        };
        let err = install_module(
            &early,
            "m",
            &target,
            &|_| Ok(()),
            &InstallSignatures::off(),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::NoBundle { .. }), "{err}");
    }

    #[test]
    fn signatures_are_checked_before_anything_is_placed() {
        use paperclip_bundle_signing::SecretKey;
        let key = SecretKey::generate().unwrap();
        let keys = tempfile::tempdir().unwrap();
        let (key_file, _) = key.write_pair(keys.path(), "k").unwrap();
        let required = InstallSignatures {
            enforcement: SignatureEnforcement::Required,
            trusted_keys: TrustedKeys::from_keys([key.public_key()]),
        };
        let install = |loaded: &LoadedIndex, modules: &Path, signatures: &InstallSignatures| {
            install_module(loaded, "m", modules, &|_| Ok(()), signatures, &mut |_| {})
        };

        // Unsigned, under `required`: refused, the modules folder untouched.
        let modules = tempfile::tempdir().unwrap();
        let unsigned = store("1.0.0", "*");
        let bundle = format!(
            r#"{{"url": "bundles/{}", "sha256": "{}"}}"#,
            unsigned.file_name, unsigned.sha256
        );
        let err = install(
            &index(&unsigned, "1.0.0", &bundle),
            modules.path(),
            &required,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("module `m` 1.0.0 is refused: the bundle is not signed"),
            "{err}"
        );
        assert!(
            listing(modules.path()).is_empty(),
            "{:?}",
            listing(modules.path())
        );
        // Under `warn` it installs, and says so.
        let warn = InstallSignatures {
            enforcement: SignatureEnforcement::Warn,
            ..required.clone()
        };
        let installed =
            install(&index(&unsigned, "1.0.0", &bundle), modules.path(), &warn).unwrap();
        assert_eq!(installed.signature.state, "unsigned");

        // Signed by the trusted key: installed and verified; the index's keyId must match.
        let signed = tempfile::tempdir().unwrap();
        let source = signed.path().join("src");
        std::fs::create_dir_all(&source).unwrap();
        std::fs::write(
            source.join("paperclip.module.json"),
            r#"{"id": "m", "name": "M", "version": "2.0.0", "library": "m"}"#,
        )
        .unwrap();
        std::fs::write(source.join(library_file_name("m")), "2.0.0").unwrap();
        let packed = pack_module(
            &source,
            &PackOptions {
                out_dir: signed.path().join("bundles"),
                sign: Some(key_file),
                ..PackOptions::default()
            },
        )
        .unwrap();
        let file_name = packed
            .archive
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let store_of = |key_id: &str| {
            let text = format!(
                r#"{{"modules": [{{"id": "m", "name": "M", "version": "2.0.0", "bundle": {{"url": "bundles/{file_name}", "sha256": "{}", "keyId": "{key_id}"}}}}]}}"#,
                packed.sha256
            );
            LoadedIndex {
                location: StoreLocation::Path(signed.path().join("index.json")),
                index: parse_index(text.as_bytes(), "index.json").unwrap(),
            }
        };
        let before = listing(modules.path());
        let err = install(&store_of("0123456789abcdef"), modules.path(), &warn).unwrap_err();
        assert!(
            err.to_string().contains(&format!(
                "the store index says the bundle is signed with key 0123456789abcdef, but it is signed with key {}",
                key.key_id()
            )),
            "{err}"
        );
        assert_eq!(listing(modules.path()), before);
        let installed = install(&store_of(&key.key_id()), modules.path(), &required).unwrap();
        assert_eq!(installed.signature.state, "verified");
        assert_eq!(installed.signature.key_id, Some(key.key_id()));
        assert_eq!(installed.previous_version.as_deref(), Some("1.0.0"));
    }

    #[test]
    fn a_folder_holding_another_module_is_not_replaced() {
        let modules = tempfile::tempdir().unwrap();
        let other = modules.path().join("m");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(
            other.join("paperclip.module.json"),
            r#"{"id": "other", "name": "O", "version": "1.0.0", "library": "o"}"#,
        )
        .unwrap();
        let v1 = store("1.0.0", "*");
        let good = format!(
            r#"{{"url": "bundles/{}", "sha256": "{}"}}"#,
            v1.file_name, v1.sha256
        );
        let err = install_module(
            &index(&v1, "1.0.0", &good),
            "m",
            modules.path(),
            &|_| Ok(()),
            &InstallSignatures::off(),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::FolderTaken { .. }), "{err}");
        assert_eq!(listing(modules.path()), vec!["m"]);
        assert!(std::fs::read_to_string(other.join("paperclip.module.json"))
            .unwrap()
            .contains("other"));
    }
}
