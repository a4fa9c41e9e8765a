//! `paperclipai module pack <dir>`: a built module → `<id>-<version>-<target>.tar.gz` plus
//! `<archive>.sha256` (`<hex>  <file name>`, the `sha256sum` format).
//!
//! `<dir>` is either a laid-out bundle folder (`plugins-dist/<id>/`: manifest + library) or a
//! module crate (manifest + `Cargo.toml`), whose library is looked up in the crate's cargo
//! target folder (`release/` or `debug/`, whichever was built last; `cargo metadata` says where
//! that folder is and what the library is called). The archive holds the manifest, the library
//! under the manifest's `library` name, `migrations/` and `ui/` — the layout
//! [`super::bundle_unpack`] expects. Entries are sorted and carry no time stamps or owners, so
//! packing the same files twice gives the same bytes.
//!
//! With `--sign <key file>` the archive's manifest gets `files` (the SHA-256 of every other
//! entry) and `paperclip.module.sig` (the ed25519 signature over the manifest's bytes) is
//! packed beside it. Without it, a bundle folder that is signed already (as
//! `scripts/build-modules.sh` lays them out) keeps its signature when the signature still
//! holds for the files packed (checked with the public key it carries), and leaves it out,
//! saying why, when it does not.

use super::bundle_target::{host_target, is_valid_target, library_file_name_for};
use super::bundle_unpack::inspect_bundle;
use crate::module_host::discovery::sha256_hex;
use crate::module_host::manifest::{parse_manifest, Manifest, MANIFEST_FILE};
use anyhow::{bail, Context};
use flate2::write::GzEncoder;
use flate2::Compression;
use paperclip_bundle_signing::file_digests::digest_file;
use paperclip_bundle_signing::{
    sign_manifest, verify_bundle, BundleEvidence, FileDigests, SecretKey, SignatureFile,
    TrustedKeys, VerificationState, SIGNATURE_FILE,
};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Folders of a module that go into its bundle, besides the manifest and the library.
pub const BUNDLE_FOLDERS: [&str; 2] = ["migrations", "ui"];

/// Options of [`pack_module`].
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// Folder to write the archive and checksum into (created if missing).
    pub out_dir: PathBuf,
    /// The built library to pack, instead of looking for it.
    pub library: Option<PathBuf>,
    /// Target triple of the library (default: this machine's).
    pub target: Option<String>,
    /// Secret key file to sign the bundle with (`paperclipai module keygen` makes one).
    pub sign: Option<PathBuf>,
}

/// Whether and how a packed bundle is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum PackedSignature {
    /// Signed now, with `--sign`.
    #[serde(rename_all = "camelCase")]
    Signed {
        /// The signing key.
        key_id: String,
    },
    /// The bundle folder's own signature, still valid for the files packed, was kept.
    #[serde(rename_all = "camelCase")]
    Kept {
        /// The key that signed it.
        key_id: String,
    },
    /// The bundle folder's signature no longer holds for its files and was left out.
    Dropped {
        /// Why.
        reason: String,
    },
    /// Not signed.
    Unsigned,
}

/// What [`pack_module`] wrote.
#[derive(Debug, Clone)]
pub struct Packed {
    /// The `.tar.gz`.
    pub archive: PathBuf,
    /// The `.sha256` file beside it.
    pub checksum_file: PathBuf,
    /// SHA-256 of the archive, lowercase hex.
    pub sha256: String,
    /// Size of the archive in bytes.
    pub bytes: u64,
    /// The module's manifest.
    pub manifest: Manifest,
    /// The library file that was packed.
    pub library: PathBuf,
    /// The target triple in the file name.
    pub target: String,
    /// Whether the archive carries a signature.
    pub signature: PackedSignature,
}

/// One entry of a bundle archive besides the manifest and the signature.
enum Entry {
    /// A folder (`name/`).
    Dir(String),
    /// A file packed from `source` as `name`.
    File {
        name: String,
        source: PathBuf,
        mode: u32,
    },
}

/// The archive file name of a module version for a target.
pub fn bundle_file_name(id: &str, version: &semver::Version, target: &str) -> String {
    format!("{id}-{version}-{target}.tar.gz")
}

/// Packs the module in `dir` (a bundle folder or a module crate).
pub fn pack_module(dir: &Path, options: &PackOptions) -> anyhow::Result<Packed> {
    // A key that cannot be used stops the pack before anything is read or written.
    let key = options
        .sign
        .as_deref()
        .map(SecretKey::read)
        .transpose()
        .context("cannot sign the bundle")?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "cannot read {} (a module folder holds its manifest)",
            manifest_path.display()
        )
    })?;
    let manifest = parse_manifest(&text).with_context(|| format!("{}", manifest_path.display()))?;
    let target = options.target.clone().unwrap_or_else(host_target);
    if !is_valid_target(&target) {
        bail!("--target {target:?} is not a target triple (letters, digits, '_', '-', '.')");
    }
    let library_name = library_file_name_for(&target, &manifest.library);
    let library = match &options.library {
        Some(path) => {
            if !path.is_file() {
                bail!("library {} not found", path.display());
            }
            path.clone()
        }
        None if dir.join(&library_name).is_file() => dir.join(&library_name),
        None if dir.join("Cargo.toml").is_file() => built_library(dir, &target)?,
        None => bail!(
            "{} holds neither the library {library_name} (a bundle folder) nor a Cargo.toml (a module crate); build the module first or pass --library",
            dir.display()
        ),
    };

    let entries = bundle_entries(&library, &library_name, dir)?;
    let (manifest_bytes, signature_file, signature) = match &key {
        Some(key) => {
            let signed = sign_manifest(text.as_bytes(), &entry_digests(&entries)?, key)?;
            // What was signed must still be a manifest the host accepts.
            parse_manifest(&String::from_utf8_lossy(&signed.manifest))
                .context("the signed manifest")?;
            let key_id = key.key_id();
            (
                signed.manifest,
                Some(signed.signature.to_bytes()),
                PackedSignature::Signed { key_id },
            )
        }
        None => keep_signature(dir, text.into_bytes(), &entries)?,
    };

    std::fs::create_dir_all(&options.out_dir)
        .with_context(|| format!("cannot create {}", options.out_dir.display()))?;
    let file_name = bundle_file_name(&manifest.id, &manifest.version, &target);
    let archive = options.out_dir.join(&file_name);
    // Written beside its destination and renamed into place: a failed pack leaves nothing.
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .tempfile_in(&options.out_dir)
        .with_context(|| format!("cannot create a file in {}", options.out_dir.display()))?;
    write_archive(
        staging.as_file(),
        &manifest_bytes,
        signature_file.as_deref(),
        &entries,
    )?;
    staging
        .persist(&archive)
        .with_context(|| format!("cannot write {}", archive.display()))?;
    #[cfg(unix)]
    {
        // Temporary files are private (0600); a bundle is meant to be published.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&archive, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set the permissions of {}", archive.display()))?;
    }

    let bytes = std::fs::read(&archive)
        .with_context(|| format!("cannot read back {}", archive.display()))?;
    let sha256 = sha256_hex(&bytes);
    let checksum_file = PathBuf::from(format!("{}.sha256", archive.display()));
    std::fs::write(&checksum_file, format!("{sha256}  {file_name}\n"))
        .with_context(|| format!("cannot write {}", checksum_file.display()))?;
    if target == host_target() {
        // The installer's own reading of the archive, so a bundle that packs also installs.
        inspect_bundle(&archive).with_context(|| {
            format!(
                "the packed archive {} does not read back",
                archive.display()
            )
        })?;
    }
    Ok(Packed {
        archive,
        checksum_file,
        sha256,
        bytes: bytes.len() as u64,
        manifest,
        library,
        target,
        signature,
    })
}

/// The archive's entries after the manifest: the library, then the bundle folders in name
/// order.
fn bundle_entries(library: &Path, library_name: &str, dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut entries = vec![Entry::File {
        name: library_name.to_string(),
        source: library.to_path_buf(),
        mode: 0o755,
    }];
    for folder in BUNDLE_FOLDERS {
        let source = dir.join(folder);
        if source.is_dir() {
            tree_entries(&source, folder, &mut entries)?;
        }
    }
    Ok(entries)
}

/// The SHA-256 of every file entry, by its name in the archive: the signed manifest's `files`.
fn entry_digests(entries: &[Entry]) -> anyhow::Result<FileDigests> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::File { name, source, .. } => Some((name, source)),
            Entry::Dir(_) => None,
        })
        .map(|(name, source)| {
            Ok((
                name.clone(),
                digest_file(source).map_err(anyhow::Error::msg)?,
            ))
        })
        .collect()
}

/// Without `--sign`: the folder's signature file, when it still holds for the manifest and the
/// files packed (checked with the public key it carries); else the manifest alone, and why the
/// signature was left out.
fn keep_signature(
    dir: &Path,
    manifest: Vec<u8>,
    entries: &[Entry],
) -> anyhow::Result<(Vec<u8>, Option<Vec<u8>>, PackedSignature)> {
    let signature = match std::fs::read(dir.join(SIGNATURE_FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((manifest, None, PackedSignature::Unsigned))
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read {}", dir.join(SIGNATURE_FILE).display()))
        }
    };
    let dropped =
        |reason: String| Ok((manifest.clone(), None, PackedSignature::Dropped { reason }));
    let carried = match SignatureFile::parse(&signature) {
        Ok(file) => file.public_key,
        Err(e) => return dropped(e.to_string()),
    };
    let Some(carried) = carried else {
        return dropped(format!(
            "{SIGNATURE_FILE} carries no public key to check it with"
        ));
    };
    let files = entry_digests(entries)?;
    let evidence = BundleEvidence {
        manifest: &manifest,
        signature: Some(&signature),
        files: &files,
    };
    let outcome = verify_bundle(evidence, &TrustedKeys::from_keys([carried]));
    if outcome.state != VerificationState::Verified {
        return dropped(outcome.problem().unwrap_or_default());
    }
    let key_id = carried.key_id();
    Ok((manifest, Some(signature), PackedSignature::Kept { key_id }))
}

/// Writes the bundle: manifest, signature (when signed), then the entries (library, bundle
/// folders in name order).
fn write_archive(
    file: &std::fs::File,
    manifest: &[u8],
    signature: Option<&[u8]>,
    entries: &[Entry],
) -> anyhow::Result<()> {
    let mut builder = tar::Builder::new(GzEncoder::new(file, Compression::best()));
    append_bytes(&mut builder, manifest, MANIFEST_FILE, 0o644)?;
    if let Some(signature) = signature {
        append_bytes(&mut builder, signature, SIGNATURE_FILE, 0o644)?;
    }
    for entry in entries {
        match entry {
            Entry::Dir(name) => {
                let mut dir_header = header(tar::EntryType::Directory, 0o755, 0);
                builder
                    .append_data(&mut dir_header, format!("{name}/"), std::io::empty())
                    .with_context(|| format!("cannot add {name}/ to the archive"))?;
            }
            Entry::File { name, source, mode } => {
                let bytes = std::fs::read(source)
                    .with_context(|| format!("cannot read {}", source.display()))?;
                append_bytes(&mut builder, &bytes, name, *mode)?;
            }
        }
    }
    let mut gz = builder.into_inner().context("cannot finish the archive")?;
    gz.flush().context("cannot write the archive")?;
    gz.finish().context("cannot finish the archive")?;
    Ok(())
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn append_bytes<W: Write>(
    builder: &mut tar::Builder<W>,
    bytes: &[u8],
    name: &str,
    mode: u32,
) -> anyhow::Result<()> {
    let mut header = header(tar::EntryType::Regular, mode, bytes.len() as u64);
    builder
        .append_data(&mut header, name, bytes)
        .with_context(|| format!("cannot add {name} to the archive"))
}

/// The folder `source` as `name/` and its content, sorted by name; links are followed (their
/// content is packed), other special files are refused.
fn tree_entries(source: &Path, name: &str, entries: &mut Vec<Entry>) -> anyhow::Result<()> {
    entries.push(Entry::Dir(name.to_string()));
    let mut children: Vec<(String, PathBuf)> = std::fs::read_dir(source)
        .with_context(|| format!("cannot read {}", source.display()))?
        .map(|entry| {
            let entry = entry.with_context(|| format!("cannot read {}", source.display()))?;
            let child = entry.file_name().into_string().map_err(|raw| {
                anyhow::anyhow!(
                    "{}: file names in a bundle must be UTF-8",
                    source.join(raw).display()
                )
            })?;
            Ok((child, entry.path()))
        })
        .collect::<anyhow::Result<_>>()?;
    children.sort();
    for (child, path) in children {
        let inner = format!("{name}/{child}");
        let meta =
            std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            tree_entries(&path, &inner, entries)?;
        } else if meta.is_file() {
            entries.push(Entry::File {
                name: inner,
                source: path,
                mode: 0o644,
            });
        } else {
            bail!("{} is not a file or folder", path.display());
        }
    }
    Ok(())
}

/// The library cargo built for the module crate in `dir` for `target`: the newer of
/// `release/` and `debug/` in its target folder (`<target folder>/<triple>/…` for another
/// target than this machine's, as `cargo build --target` lays it out).
fn built_library(dir: &Path, target: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = dir.join("Cargo.toml");
    let output = Command::new(&cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .with_context(|| {
            format!(
                "cannot run `cargo metadata` to find the built library of {} (pass --library)",
                dir.display()
            )
        })?;
    if !output.status.success() {
        bail!(
            "`cargo metadata` failed for {}: {}",
            manifest.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .context("`cargo metadata` printed something that is not JSON")?;
    let (lib_name, target_dir) = cdylib_of(&metadata, &manifest)?;
    let file = library_file_name_for(target, &lib_name);
    let mut folders = vec![target_dir.join(target)];
    if target == host_target() {
        folders.insert(0, target_dir.clone());
    }
    let candidates: Vec<PathBuf> = folders
        .iter()
        .flat_map(|folder| ["release", "debug"].map(|profile| folder.join(profile).join(&file)))
        .collect();
    candidates
        .iter()
        .filter_map(|path| {
            let modified = std::fs::metadata(path).ok()?.modified().ok()?;
            Some((modified, path.clone()))
        })
        .max()
        .map(|(_, path)| path)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the module's library is not built: none of {} exists; run `cargo build --release{}` in {} first",
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                if target == host_target() {
                    String::new()
                } else {
                    format!(" --target {target}")
                },
                dir.display()
            )
        })
}

/// The cdylib target name (as a file base name) of the package at `manifest`, and the target
/// folder, from `cargo metadata` output.
fn cdylib_of(metadata: &serde_json::Value, manifest: &Path) -> anyhow::Result<(String, PathBuf)> {
    let wanted = std::fs::canonicalize(manifest).unwrap_or_else(|_| manifest.to_path_buf());
    let target_dir = metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("`cargo metadata` names no target_directory")?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let package = packages
        .iter()
        .find(|p| {
            p["manifest_path"]
                .as_str()
                .map(|m| std::fs::canonicalize(m).unwrap_or_else(|_| PathBuf::from(m)))
                == Some(wanted.clone())
        })
        .with_context(|| {
            format!(
                "`cargo metadata` does not list the package of {}",
                manifest.display()
            )
        })?;
    let name = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib"))
        })
        .and_then(|t| t["name"].as_str())
        .with_context(|| {
            format!(
                "{} declares no cdylib library (a module needs `[lib] crate-type = [\"cdylib\"]`)",
                manifest.display()
            )
        })?;
    Ok((name.replace('-', "_"), target_dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module_host::discovery::library_file_name;
    use crate::store::bundle_unpack::unpack_bundle;

    fn bundle_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            r#"{"id": "packed", "name": "P", "version": "1.2.3", "library": "packed"}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join(library_file_name("packed")), b"\x7fELF lib").unwrap();
        let up = dir.path().join("migrations/sqlite/2026-01-01-000000_init");
        std::fs::create_dir_all(&up).unwrap();
        std::fs::write(up.join("up.sql"), "CREATE TABLE mod_packed_x (id TEXT);").unwrap();
        std::fs::create_dir_all(dir.path().join("ui")).unwrap();
        std::fs::write(dir.path().join("ui/index.js"), "export default {};").unwrap();
        // Not part of a bundle: left out.
        std::fs::write(dir.path().join("notes.txt"), "scratch").unwrap();
        dir
    }

    #[test]
    fn a_bundle_folder_packs_reproducibly_and_unpacks_the_same() {
        let dir = bundle_dir();
        let out = tempfile::tempdir().unwrap();
        let options = PackOptions {
            out_dir: out.path().to_path_buf(),
            ..PackOptions::default()
        };
        let packed = pack_module(dir.path(), &options).unwrap();
        let name = format!("packed-1.2.3-{}.tar.gz", host_target());
        assert_eq!(packed.archive, out.path().join(&name));
        assert_eq!(
            std::fs::read_to_string(&packed.checksum_file).unwrap(),
            format!("{}  {name}\n", packed.sha256)
        );
        let again = pack_module(dir.path(), &options).unwrap();
        assert_eq!(again.sha256, packed.sha256, "same files, same bytes");

        let unpacked = tempfile::tempdir().unwrap();
        unpack_bundle(&packed.archive, unpacked.path()).unwrap();
        for file in [
            MANIFEST_FILE,
            "migrations/sqlite/2026-01-01-000000_init/up.sql",
            "ui/index.js",
        ] {
            assert_eq!(
                std::fs::read(unpacked.path().join(file)).unwrap(),
                std::fs::read(dir.path().join(file)).unwrap(),
                "{file}"
            );
        }
        assert!(unpacked.path().join(library_file_name("packed")).is_file());
        assert!(!unpacked.path().join("notes.txt").exists());
    }

    #[test]
    fn a_signed_pack_verifies_after_unpacking_and_a_bad_key_writes_nothing() {
        use paperclip_bundle_signing::{verify_folder, VerificationState};
        let dir = bundle_dir();
        let keys = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let (key_file, public_file) = key.write_pair(keys.path(), "k").unwrap();
        let out = tempfile::tempdir().unwrap();
        let options = PackOptions {
            out_dir: out.path().to_path_buf(),
            sign: Some(key_file.clone()),
            ..PackOptions::default()
        };
        let packed = pack_module(dir.path(), &options).unwrap();
        assert_eq!(
            packed.signature,
            PackedSignature::Signed {
                key_id: key.key_id()
            }
        );
        let unpacked = tempfile::tempdir().unwrap();
        unpack_bundle(&packed.archive, unpacked.path()).unwrap();
        let trusted = TrustedKeys::from_keys([key.public_key()]);
        let outcome = verify_folder(unpacked.path(), &trusted);
        assert_eq!(outcome.state, VerificationState::Verified, "{outcome:?}");
        assert_eq!(
            outcome.files.keys().cloned().collect::<Vec<_>>(),
            vec![
                library_file_name("packed"),
                "migrations/sqlite/2026-01-01-000000_init/up.sql".to_string(),
                "ui/index.js".to_string()
            ]
        );
        // The source folder is left as it was.
        assert!(!dir.path().join(SIGNATURE_FILE).exists());

        // The public key, or a missing file, is not a signing key: nothing is written.
        for bad in [public_file, keys.path().join("absent.key")] {
            let empty = tempfile::tempdir().unwrap();
            let options = PackOptions {
                out_dir: empty.path().to_path_buf(),
                sign: Some(bad.clone()),
                ..PackOptions::default()
            };
            let err = format!("{:#}", pack_module(dir.path(), &options).unwrap_err());
            assert!(err.starts_with("cannot sign the bundle"), "{err}");
            assert!(err.contains(&bad.display().to_string()), "{err}");
            assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn a_signed_folder_keeps_its_signature_only_while_it_holds() {
        let dir = bundle_dir();
        std::fs::remove_file(dir.path().join("notes.txt")).unwrap();
        let key = SecretKey::generate().unwrap();
        paperclip_bundle_signing::sign_folder(dir.path(), &key).unwrap();
        let out = tempfile::tempdir().unwrap();
        let options = PackOptions {
            out_dir: out.path().to_path_buf(),
            ..PackOptions::default()
        };
        let packed = pack_module(dir.path(), &options).unwrap();
        assert_eq!(
            packed.signature,
            PackedSignature::Kept {
                key_id: key.key_id()
            }
        );
        std::fs::write(dir.path().join("ui/index.js"), "export default 1;").unwrap();
        let packed = pack_module(dir.path(), &options).unwrap();
        match &packed.signature {
            PackedSignature::Dropped { reason } => {
                assert!(
                    reason.contains("UI file ui/index.js changed after signing"),
                    "{reason}"
                )
            }
            other => panic!("expected the signature to be dropped, got {other:?}"),
        }
        let unpacked = tempfile::tempdir().unwrap();
        unpack_bundle(&packed.archive, unpacked.path()).unwrap();
        assert!(!unpacked.path().join(SIGNATURE_FILE).exists());
    }

    #[test]
    fn missing_pieces_are_named() {
        let dir = bundle_dir();
        std::fs::remove_file(dir.path().join(library_file_name("packed"))).unwrap();
        let out = tempfile::tempdir().unwrap();
        let options = PackOptions {
            out_dir: out.path().to_path_buf(),
            ..PackOptions::default()
        };
        let err = pack_module(dir.path(), &options).unwrap_err();
        assert!(
            format!("{err:#}").contains("neither the library"),
            "{err:#}"
        );
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);

        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"id": "X"}"#).unwrap();
        let err = pack_module(dir.path(), &options).unwrap_err();
        assert!(
            format!("{err:#}").contains("invalid paperclip.module.json"),
            "{err:#}"
        );

        let options = PackOptions {
            target: Some("../evil".into()),
            ..options
        };
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            r#"{"id": "p", "name": "P", "version": "1.0.0", "library": "p"}"#,
        )
        .unwrap();
        let err = pack_module(dir.path(), &options).unwrap_err();
        assert!(err.to_string().contains("not a target triple"), "{err}");
    }
}
