//! Reading a bundle archive (`.tar.gz`) safely: [`inspect_bundle`] reads it to the end —
//! checking every entry, the gzip checksum and the manifest — without writing anything;
//! [`unpack_bundle`] then extracts it into an empty folder, checking every entry again.
//!
//! An entry is refused (the whole bundle with it) when it could write outside the bundle
//! folder or is not plain content: a path with `..` or an absolute path, a symbolic link that
//! is absolute or climbs with `..` (so no link can point out, even through other links), a hard
//! link to anything but an earlier file of the archive, device files, FIFOs and other special
//! types. Sizes are capped so a small archive cannot fill the disk.
//!
//! Archive layout: the bundle's files at the root — `paperclip.module.json`, the library
//! (`lib<library>.so` on Linux), `migrations/{sqlite,postgres}/…`, `ui/…`.

use super::store_error::StoreError;
use crate::module_host::discovery::library_file_name;
use crate::module_host::manifest::{parse_manifest, Manifest, MANIFEST_FILE};
use flate2::read::GzDecoder;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use tar::EntryType;

/// Most bytes a bundle may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 1024 * 1024 * 1024;
/// Most entries a bundle may hold.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest manifest accepted.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// What [`inspect_bundle`] found.
#[derive(Debug, Clone)]
pub struct BundleContents {
    /// The validated manifest.
    pub manifest: Manifest,
    /// Entries that will be unpacked (files, folders, links).
    pub entries: usize,
    /// Bytes the files will take.
    pub unpacked_bytes: u64,
}

/// What an entry is, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Link,
}

/// The checks every entry goes through, in both passes.
#[derive(Default)]
struct EntryChecker {
    /// Files and links seen so far (hard links may only name an earlier file).
    files: HashSet<PathBuf>,
    entries: usize,
    bytes: u64,
}

impl EntryChecker {
    /// The entry's path inside the bundle and its kind, `None` for entries with nothing to
    /// unpack (the `./` folder, archive metadata), or why it is refused.
    fn check<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
    ) -> Result<Option<(PathBuf, Kind)>, StoreError> {
        let shown = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let unsafe_entry = |reason: &str| StoreError::UnsafeEntry {
            path: shown.clone(),
            reason: reason.to_string(),
        };
        let entry_type = entry.header().entry_type();
        if matches!(
            entry_type,
            EntryType::XGlobalHeader
                | EntryType::XHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        ) {
            return Ok(None);
        }
        let raw = entry
            .path()
            .map_err(|e| unsafe_entry(&format!("unreadable path: {e}")))?;
        let path = match inside_path(&raw) {
            Ok(Some(path)) => path,
            Ok(None) if entry_type == EntryType::Directory => return Ok(None),
            Ok(None) => return Err(unsafe_entry("an empty path")),
            Err(reason) => return Err(unsafe_entry(reason)),
        };
        let kind = match entry_type {
            EntryType::Regular | EntryType::Continuous => Kind::File,
            EntryType::Directory => Kind::Dir,
            EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(|e| unsafe_entry(&format!("unreadable link target: {e}")))?
                    .ok_or_else(|| unsafe_entry("a symbolic link without a target"))?;
                if !is_downward_link(&target) {
                    return Err(unsafe_entry(&format!(
                        "symbolic link to {:?} points outside the bundle (links must be relative and must not use `..`)",
                        target.display().to_string()
                    )));
                }
                Kind::Link
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(|e| unsafe_entry(&format!("unreadable link target: {e}")))?
                    .ok_or_else(|| unsafe_entry("a hard link without a target"))?;
                let inside = inside_path(&target).ok().flatten();
                match inside {
                    Some(target) if self.files.contains(&target) => Kind::Link,
                    _ => {
                        return Err(unsafe_entry(&format!(
                            "hard link to {:?}, which is not an earlier file of the bundle",
                            target.display().to_string()
                        )))
                    }
                }
            }
            EntryType::Char | EntryType::Block => {
                return Err(unsafe_entry("device files are not allowed in a bundle"))
            }
            EntryType::Fifo => return Err(unsafe_entry("FIFOs are not allowed in a bundle")),
            other => {
                return Err(unsafe_entry(&format!(
                    "entries of type {other:?} are not allowed in a bundle"
                )))
            }
        };
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(StoreError::InvalidBundle(format!(
                "more than {MAX_ENTRIES} entries"
            )));
        }
        if kind == Kind::File {
            self.bytes = self.bytes.saturating_add(entry.size());
            if self.bytes > MAX_UNPACKED_BYTES {
                return Err(StoreError::InvalidBundle(format!(
                    "it would unpack to more than {MAX_UNPACKED_BYTES} bytes"
                )));
            }
        }
        if kind != Kind::Dir {
            self.files.insert(path.clone());
        }
        Ok(Some((path, kind)))
    }
}

/// `path` as a path inside the bundle (`.` parts dropped); `None` when nothing is left; an error
/// for `..` and absolute paths.
fn inside_path(path: &Path) -> Result<Option<PathBuf>, &'static str> {
    let mut inside = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => inside.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("a path with `..` would leave the bundle folder"),
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are not allowed in a bundle")
            }
        }
    }
    Ok((!inside.as_os_str().is_empty()).then_some(inside))
}

/// A symbolic link target that can only resolve at or below the link's own folder: relative,
/// without `..`, not empty.
fn is_downward_link(target: &Path) -> bool {
    !target.as_os_str().is_empty()
        && target
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn open_archive(archive: &Path) -> Result<tar::Archive<GzDecoder<std::fs::File>>, StoreError> {
    let file =
        std::fs::File::open(archive).map_err(|e| StoreError::io("cannot open", archive, e))?;
    Ok(tar::Archive::new(GzDecoder::new(file)))
}

fn corrupt(error: std::io::Error) -> StoreError {
    StoreError::Archive(error.to_string())
}

/// Reads the whole archive without writing anything: every entry checked, all data and the
/// gzip checksum read, the manifest parsed and validated by the module host's rules, and the
/// library the manifest names present for this platform.
pub fn inspect_bundle(archive: &Path) -> Result<BundleContents, StoreError> {
    let mut tar = open_archive(archive)?;
    let mut checker = EntryChecker::default();
    let mut manifest_text: Option<String> = None;
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let Some((path, kind)) = checker.check(&entry)? else {
            continue;
        };
        if path == Path::new(MANIFEST_FILE) {
            if kind != Kind::File {
                return Err(StoreError::InvalidBundle(format!(
                    "{MANIFEST_FILE} must be a plain file"
                )));
            }
            if manifest_text.is_some() {
                return Err(StoreError::InvalidBundle(format!(
                    "{MANIFEST_FILE} appears twice in the archive"
                )));
            }
            if entry.size() > MAX_MANIFEST_BYTES {
                return Err(StoreError::InvalidBundle(format!(
                    "{MANIFEST_FILE} is larger than {MAX_MANIFEST_BYTES} bytes"
                )));
            }
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(corrupt)?;
            manifest_text = Some(text);
        } else {
            // Read every byte so truncation or corruption anywhere is found now, not halfway
            // through unpacking.
            std::io::copy(&mut entry, &mut std::io::sink()).map_err(corrupt)?;
        }
    }
    // The end of the tar stream may come before the end of the gzip stream: reading the rest
    // checks the gzip trailer (CRC and length) of the whole archive.
    std::io::copy(tar.into_inner().by_ref(), &mut std::io::sink()).map_err(corrupt)?;

    let text = manifest_text.ok_or_else(|| {
        StoreError::InvalidBundle(format!("no {MANIFEST_FILE} at the root of the archive"))
    })?;
    let manifest = parse_manifest(&text).map_err(|e| StoreError::InvalidBundle(e.to_string()))?;
    let library = library_file_name(&manifest.library);
    if !checker.files.contains(Path::new(&library)) {
        return Err(StoreError::InvalidBundle(format!(
            "the archive holds no {library} at its root (the library of module `{}` for this platform, {})",
            manifest.id,
            super::bundle_target::host_target()
        )));
    }
    Ok(BundleContents {
        manifest,
        entries: checker.entries,
        unpacked_bytes: checker.bytes,
    })
}

/// Extracts the archive into `dest` (an existing, empty folder), refusing any unsafe entry.
/// On error `dest` may hold part of the bundle; the caller removes it.
pub fn unpack_bundle(archive: &Path, dest: &Path) -> Result<(), StoreError> {
    let mut tar = open_archive(archive)?;
    tar.set_preserve_permissions(false);
    tar.set_unpack_xattrs(false);
    tar.set_overwrite(false);
    let mut checker = EntryChecker::default();
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let Some((path, _)) = checker.check(&entry)? else {
            continue;
        };
        let unpacked = entry
            .unpack_in(dest)
            .map_err(|e| StoreError::io("cannot unpack", dest.join(&path), e))?;
        if !unpacked {
            return Err(StoreError::UnsafeEntry {
                path: path.display().to_string(),
                reason: "the archive reader refused to unpack it".to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;

    const MANIFEST: &str = r#"{"id": "m", "name": "M", "version": "1.0.0", "library": "m"}"#;

    /// One raw entry: name bytes written straight into the header, so paths the tar builder
    /// would refuse (`..`, absolute) can be made.
    struct Raw<'a> {
        name: &'a str,
        kind: EntryType,
        link: Option<&'a str>,
        data: &'a [u8],
    }

    fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
        Raw {
            name,
            kind: EntryType::Regular,
            link: None,
            data,
        }
    }

    fn archive(entries: &[Raw<'_>]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar.gz");
        let gz = GzEncoder::new(std::fs::File::create(&path).unwrap(), Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for raw in entries {
            let mut header = tar::Header::new_gnu();
            let name = &mut header.as_gnu_mut().unwrap().name;
            name[..raw.name.len()].copy_from_slice(raw.name.as_bytes());
            header.set_entry_type(raw.kind);
            header.set_mode(0o644);
            header.set_size(raw.data.len() as u64);
            if let Some(link) = raw.link {
                header.set_link_name(link).unwrap_or_else(|_| {
                    let field = &mut header.as_gnu_mut().unwrap().linkname;
                    field[..link.len()].copy_from_slice(link.as_bytes());
                });
            }
            header.set_cksum();
            builder.append(&header, raw.data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        (dir, path)
    }

    fn library() -> String {
        library_file_name("m")
    }

    fn refusal(entries: &[Raw<'_>]) -> StoreError {
        let (_dir, path) = archive(entries);
        inspect_bundle(&path).expect_err("the archive must be refused")
    }

    #[test]
    fn a_good_bundle_is_inspected_and_unpacked() {
        let lib = library();
        let (dir, path) = archive(&[
            file(MANIFEST_FILE, MANIFEST.as_bytes()),
            file(&lib, b"\x7fELF"),
            Raw {
                name: "migrations/",
                kind: EntryType::Directory,
                link: None,
                data: b"",
            },
            file(
                "./migrations/sqlite/1_init/up.sql",
                b"CREATE TABLE mod_m_x (id TEXT);",
            ),
            Raw {
                name: "ui/alias.js",
                kind: EntryType::Symlink,
                link: Some("index.js"),
                data: b"",
            },
            file("ui/index.js", b"export default {}"),
        ]);
        let contents = inspect_bundle(&path).unwrap();
        assert_eq!(contents.manifest.id, "m");
        assert_eq!(contents.entries, 6);
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        unpack_bundle(&path, &dest).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join(MANIFEST_FILE)).unwrap(),
            MANIFEST
        );
        assert!(dest.join(&lib).is_file());
        assert!(dest.join("migrations/sqlite/1_init/up.sql").is_file());
        assert_eq!(
            std::fs::read_to_string(dest.join("ui/alias.js")).unwrap(),
            "export default {}"
        );
    }

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        let lib = library();
        for name in ["../evil.so", "ui/../../evil", "/etc/evil"] {
            let err = refusal(&[
                file(MANIFEST_FILE, MANIFEST.as_bytes()),
                file(&lib, b"x"),
                file(name, b"boom"),
            ]);
            match err {
                StoreError::UnsafeEntry { path, reason } => {
                    assert_eq!(path, name);
                    assert!(
                        reason.contains("`..`") || reason.contains("absolute"),
                        "{reason}"
                    );
                }
                other => panic!("{name}: {other}"),
            }
        }
    }

    #[test]
    fn links_out_and_special_files_are_refused() {
        let lib = library();
        let cases = [
            (
                "ui/out",
                EntryType::Symlink,
                Some("../../etc/passwd"),
                "points outside",
            ),
            (
                "ui/abs",
                EntryType::Symlink,
                Some("/etc/passwd"),
                "points outside",
            ),
            ("hard", EntryType::Link, Some("../outside"), "hard link"),
            ("hard", EntryType::Link, Some("not-yet-there"), "hard link"),
            ("dev", EntryType::Char, None, "device files"),
            ("blk", EntryType::Block, None, "device files"),
            ("pipe", EntryType::Fifo, None, "FIFOs"),
        ];
        for (name, kind, link, expected) in cases {
            let err = refusal(&[
                file(MANIFEST_FILE, MANIFEST.as_bytes()),
                file(&lib, b"x"),
                Raw {
                    name,
                    kind,
                    link,
                    data: b"",
                },
            ]);
            assert!(
                matches!(&err, StoreError::UnsafeEntry { reason, .. } if reason.contains(expected)),
                "{name}: {err}"
            );
        }
        // A hard link to an earlier file of the bundle is fine.
        let (_dir, path) = archive(&[
            file(MANIFEST_FILE, MANIFEST.as_bytes()),
            file(&lib, b"x"),
            Raw {
                name: "copy.so",
                kind: EntryType::Link,
                link: Some(&lib),
                data: b"",
            },
        ]);
        inspect_bundle(&path).unwrap();
    }

    #[test]
    fn bundles_without_a_usable_manifest_or_library_are_refused() {
        let lib = library();
        let err = refusal(&[file(&lib, b"x")]);
        assert!(
            err.to_string().contains("no paperclip.module.json"),
            "{err}"
        );
        let err = refusal(&[file(MANIFEST_FILE, b"{\"id\": 1}"), file(&lib, b"x")]);
        assert!(
            err.to_string()
                .starts_with("invalid bundle: invalid paperclip.module.json"),
            "{err}"
        );
        let err = refusal(&[file(MANIFEST_FILE, MANIFEST.as_bytes())]);
        assert!(
            err.to_string().contains(&format!("holds no {lib}")),
            "{err}"
        );
    }

    #[test]
    fn truncated_and_garbage_archives_are_corrupt() {
        let lib = library();
        let big = vec![7u8; 200_000];
        let (dir, path) = archive(&[file(MANIFEST_FILE, MANIFEST.as_bytes()), file(&lib, &big)]);
        let bytes = std::fs::read(&path).unwrap();
        for cut in [bytes.len() - 4, bytes.len() / 2, 30] {
            let truncated = dir.path().join(format!("cut-{cut}.tar.gz"));
            std::fs::write(&truncated, &bytes[..cut]).unwrap();
            let err = inspect_bundle(&truncated).unwrap_err();
            assert!(matches!(err, StoreError::Archive(_)), "cut at {cut}: {err}");
        }
        let garbage = dir.path().join("garbage.tar.gz");
        std::fs::write(&garbage, b"this is not gzip").unwrap();
        assert!(matches!(
            inspect_bundle(&garbage),
            Err(StoreError::Archive(_))
        ));
    }
}
