//! Verifying a bundle: its signature file names a trusted key, the signature over the manifest
//! holds for that key, and the bundle's files are exactly those the signed manifest lists, each
//! with its digest. Work stops at the first step that fails, so an unsigned or untrusted bundle
//! costs no hashing.

use crate::file_digests::{digest_folder, library_file_name, FileDigests};
use crate::hex::is_sha256;
use crate::signature_file::SignatureFile;
use crate::trusted_keys::TrustedKeys;
use crate::{FILES_FIELD, MANIFEST_FILE, SIGNATURE_FILE};
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// What verification concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationState {
    /// Signed by a trusted key; every file is the one signed.
    Verified,
    /// No signature file.
    Unsigned,
    /// Signed, but by a key the configuration does not trust.
    Untrusted,
    /// The signature file is unreadable, the signature does not hold, or a file changed, is
    /// missing or was added after signing.
    Invalid,
}

impl VerificationState {
    /// The lowercase name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationState::Verified => "verified",
            VerificationState::Unsigned => "unsigned",
            VerificationState::Untrusted => "untrusted",
            VerificationState::Invalid => "invalid",
        }
    }
}

/// The outcome of verifying one bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// What was concluded.
    pub state: VerificationState,
    /// The key the signature file names, when it could be read.
    pub key_id: Option<String>,
    /// What is wrong, each naming the file concerned (empty when verified).
    pub problems: Vec<String>,
    /// The signed digests of the bundle's files (when verified; empty otherwise).
    pub files: FileDigests,
}

/// Most problems spelled out in [`Verification::problem`].
const PROBLEMS_SHOWN: usize = 3;

impl Verification {
    fn failed(state: VerificationState, key_id: Option<String>, problem: String) -> Verification {
        Verification {
            state,
            key_id,
            problems: vec![problem],
            files: FileDigests::new(),
        }
    }

    /// The problems in one line (the first few, then how many more), `None` when verified.
    pub fn problem(&self) -> Option<String> {
        if self.problems.is_empty() {
            return None;
        }
        let shown: Vec<&str> = self
            .problems
            .iter()
            .take(PROBLEMS_SHOWN)
            .map(String::as_str)
            .collect();
        let more = self.problems.len().saturating_sub(PROBLEMS_SHOWN);
        Some(if more == 0 {
            shown.join("; ")
        } else {
            format!("{}; and {more} more", shown.join("; "))
        })
    }
}

/// A bundle as the verifier needs it, already in memory (e.g. read from an archive).
#[derive(Debug, Clone, Copy)]
pub struct BundleEvidence<'a> {
    /// The exact bytes of `paperclip.module.json`.
    pub manifest: &'a [u8],
    /// The bytes of `paperclip.module.sig`, when the bundle has one.
    pub signature: Option<&'a [u8]>,
    /// Every other file of the bundle with its digest.
    pub files: &'a FileDigests,
}

/// Verifies a bundle held in memory against the `trusted` keys.
pub fn verify_bundle(evidence: BundleEvidence<'_>, trusted: &TrustedKeys) -> Verification {
    match check_signature(evidence.manifest, evidence.signature, trusted) {
        Ok(signed) => compare_files(signed, evidence.files),
        Err(outcome) => outcome,
    }
}

/// Verifies the bundle folder `dir` against the `trusted` keys, reading (and hashing) its
/// files only once the signature holds.
pub fn verify_folder(dir: &Path, trusted: &TrustedKeys) -> Verification {
    let invalid = |problem: String| Verification::failed(VerificationState::Invalid, None, problem);
    let manifest = match std::fs::read(dir.join(MANIFEST_FILE)) {
        Ok(bytes) => bytes,
        Err(e) => return invalid(format!("cannot read {MANIFEST_FILE}: {e}")),
    };
    let signature = match std::fs::read(dir.join(SIGNATURE_FILE)) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return invalid(format!("cannot read {SIGNATURE_FILE}: {e}")),
    };
    let signed = match check_signature(&manifest, signature.as_deref(), trusted) {
        Ok(signed) => signed,
        Err(outcome) => return outcome,
    };
    match digest_folder(dir) {
        Ok(files) => compare_files(signed, &files),
        Err(problem) => {
            Verification::failed(VerificationState::Invalid, Some(signed.key_id), problem)
        }
    }
}

/// A manifest whose signature holds for a trusted key.
struct Signed {
    key_id: String,
    /// Its `files`.
    listed: FileDigests,
    /// Its library's file name on this platform.
    library: Option<String>,
}

fn check_signature(
    manifest: &[u8],
    signature: Option<&[u8]>,
    trusted: &TrustedKeys,
) -> Result<Signed, Verification> {
    let Some(signature) = signature else {
        return Err(Verification::failed(
            VerificationState::Unsigned,
            None,
            format!("the bundle is not signed (no {SIGNATURE_FILE})"),
        ));
    };
    let file = SignatureFile::parse(signature)
        .map_err(|e| Verification::failed(VerificationState::Invalid, None, e.to_string()))?;
    let key_id = file.key_id.clone();
    let fail = |state, problem: String| Verification::failed(state, Some(key_id.clone()), problem);
    let Some(key) = trusted.get(&file.key_id) else {
        return Err(fail(
            VerificationState::Untrusted,
            format!("signed with key {key_id}, which is not in modules.trustedKeys"),
        ));
    };
    if file.public_key.is_some_and(|carried| carried != *key) {
        return Err(fail(
            VerificationState::Invalid,
            format!("{SIGNATURE_FILE} carries another public key than the trusted key {key_id}"),
        ));
    }
    if key
        .verifying_key()
        .verify_strict(manifest, &Signature::from_bytes(&file.signature))
        .is_err()
    {
        return Err(fail(
            VerificationState::Invalid,
            format!("the signature in {SIGNATURE_FILE} does not match {MANIFEST_FILE}: the manifest was changed after signing, or the signature was made for another manifest"),
        ));
    }
    let document: Value = serde_json::from_slice(manifest).map_err(|e| {
        fail(
            VerificationState::Invalid,
            format!("the signed {MANIFEST_FILE} is not JSON: {e}"),
        )
    })?;
    let Some(files) = document.get(FILES_FIELD).and_then(Value::as_object) else {
        return Err(fail(
            VerificationState::Invalid,
            format!("the signed {MANIFEST_FILE} lists no files (no \"{FILES_FIELD}\" object)"),
        ));
    };
    let mut listed = FileDigests::new();
    for (path, digest) in files {
        match digest.as_str().filter(|d| is_sha256(d)) {
            Some(digest) => {
                listed.insert(path.clone(), digest.to_string());
            }
            None => {
                return Err(fail(
                    VerificationState::Invalid,
                    format!("the signed {MANIFEST_FILE} gives no SHA-256 digest for {path}"),
                ))
            }
        }
    }
    let library = document
        .get("library")
        .and_then(Value::as_str)
        .map(library_file_name);
    Ok(Signed {
        key_id,
        listed,
        library,
    })
}

fn compare_files(signed: Signed, actual: &FileDigests) -> Verification {
    let kind = |path: &str| {
        if signed.library.as_deref() == Some(path) {
            "library"
        } else if path.starts_with("migrations/") {
            "migration"
        } else if path.starts_with("ui/") {
            "UI file"
        } else {
            "file"
        }
    };
    let mut problems = Vec::new();
    for (path, expected) in &signed.listed {
        match actual.get(path) {
            None => problems.push(format!(
                "{} {path} is listed in the signed manifest but missing",
                kind(path)
            )),
            Some(found) if found != expected => problems.push(format!(
                "{} {path} changed after signing (sha256 {}…, signed {}…)",
                kind(path),
                &found[..16],
                &expected[..16]
            )),
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|p| !signed.listed.contains_key(*p)) {
        problems.push(format!("file {path} is not listed in the signed manifest"));
    }
    if problems.is_empty() {
        Verification {
            state: VerificationState::Verified,
            key_id: Some(signed.key_id),
            problems,
            files: signed.listed,
        }
    } else {
        Verification {
            state: VerificationState::Invalid,
            key_id: Some(signed.key_id),
            problems,
            files: FileDigests::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle_signing::{sign_folder, sign_manifest};
    use crate::file_digests::digest_bytes;
    use crate::SecretKey;

    struct Fixture {
        dir: tempfile::TempDir,
        key: SecretKey,
        trusted: TrustedKeys,
    }

    fn signed_bundle() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join(MANIFEST_FILE),
            r#"{"id": "m", "name": "M", "version": "1.0.0", "library": "m"}"#,
        )
        .unwrap();
        std::fs::write(root.join(library_file_name("m")), b"\x7fELF library").unwrap();
        std::fs::create_dir_all(root.join("migrations/sqlite/1_init")).unwrap();
        std::fs::write(
            root.join("migrations/sqlite/1_init/up.sql"),
            "CREATE TABLE mod_m_x (id TEXT);",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("ui")).unwrap();
        std::fs::write(root.join("ui/index.js"), "export {};").unwrap();
        let key = SecretKey::generate().unwrap();
        sign_folder(root, &key).unwrap();
        let trusted = TrustedKeys::from_keys([key.public_key()]);
        Fixture { dir, key, trusted }
    }

    fn verify(f: &Fixture) -> Verification {
        verify_folder(f.dir.path(), &f.trusted)
    }

    #[test]
    fn a_signed_bundle_verifies_with_its_key_and_files() {
        let f = signed_bundle();
        let outcome = verify(&f);
        assert_eq!(outcome.state, VerificationState::Verified, "{outcome:?}");
        assert_eq!(outcome.key_id, Some(f.key.key_id()));
        assert_eq!(outcome.problem(), None);
        assert_eq!(outcome.files.len(), 3);
    }

    #[test]
    fn a_changed_library_or_migration_is_named() {
        let f = signed_bundle();
        let library = f.dir.path().join(library_file_name("m"));
        let mut bytes = std::fs::read(&library).unwrap();
        bytes[3] ^= 0x01;
        std::fs::write(&library, &bytes).unwrap();
        let outcome = verify(&f);
        assert_eq!(outcome.state, VerificationState::Invalid);
        let problem = outcome.problem().unwrap();
        assert!(
            problem.starts_with(&format!(
                "library {} changed after signing (sha256 {}…",
                library_file_name("m"),
                &digest_bytes(&bytes)[..16]
            )),
            "{problem}"
        );

        let f = signed_bundle();
        std::fs::write(
            f.dir.path().join("migrations/sqlite/1_init/up.sql"),
            "DROP TABLE companies;",
        )
        .unwrap();
        let problem = verify(&f).problem().unwrap();
        assert!(
            problem.starts_with("migration migrations/sqlite/1_init/up.sql changed after signing"),
            "{problem}"
        );
    }

    #[test]
    fn added_and_missing_files_are_named() {
        let f = signed_bundle();
        std::fs::create_dir_all(f.dir.path().join("migrations/sqlite/2_more")).unwrap();
        std::fs::write(
            f.dir.path().join("migrations/sqlite/2_more/up.sql"),
            "SELECT 1;",
        )
        .unwrap();
        std::fs::remove_file(f.dir.path().join("ui/index.js")).unwrap();
        let outcome = verify(&f);
        assert_eq!(outcome.state, VerificationState::Invalid);
        assert_eq!(
            outcome.problems,
            vec![
                "UI file ui/index.js is listed in the signed manifest but missing".to_string(),
                "file migrations/sqlite/2_more/up.sql is not listed in the signed manifest"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn unsigned_untrusted_and_foreign_signatures() {
        let f = signed_bundle();
        let stranger = TrustedKeys::from_keys([SecretKey::generate().unwrap().public_key()]);
        let outcome = verify_folder(f.dir.path(), &stranger);
        assert_eq!(outcome.state, VerificationState::Untrusted);
        assert_eq!(outcome.key_id, Some(f.key.key_id()));
        assert!(outcome
            .problem()
            .unwrap()
            .contains("not in modules.trustedKeys"));

        // A signature made for another manifest by the trusted key.
        let other = sign_manifest(br#"{"id": "other"}"#, &FileDigests::new(), &f.key).unwrap();
        std::fs::write(
            f.dir.path().join(SIGNATURE_FILE),
            other.signature.to_bytes(),
        )
        .unwrap();
        let outcome = verify(&f);
        assert_eq!(outcome.state, VerificationState::Invalid);
        assert!(outcome
            .problem()
            .unwrap()
            .contains("the signature was made for another manifest"));

        // An edited manifest.
        let f = signed_bundle();
        let manifest = f.dir.path().join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest)
            .unwrap()
            .replace("1.0.0", "1.0.1");
        std::fs::write(&manifest, text).unwrap();
        assert_eq!(verify(&f).state, VerificationState::Invalid);

        std::fs::write(f.dir.path().join(SIGNATURE_FILE), "garbage").unwrap();
        let outcome = verify(&f);
        assert_eq!(outcome.state, VerificationState::Invalid);
        assert!(outcome
            .problem()
            .unwrap()
            .starts_with("paperclip.module.sig is not a valid signature file"));

        std::fs::remove_file(f.dir.path().join(SIGNATURE_FILE)).unwrap();
        let outcome = verify(&f);
        assert_eq!(outcome.state, VerificationState::Unsigned);
        assert_eq!(
            outcome.problem().unwrap(),
            "the bundle is not signed (no paperclip.module.sig)"
        );
    }

    #[test]
    fn in_memory_evidence_verifies_the_same() {
        let f = signed_bundle();
        let manifest = std::fs::read(f.dir.path().join(MANIFEST_FILE)).unwrap();
        let signature = std::fs::read(f.dir.path().join(SIGNATURE_FILE)).unwrap();
        let mut files = digest_folder(f.dir.path()).unwrap();
        let evidence = BundleEvidence {
            manifest: &manifest,
            signature: Some(&signature),
            files: &files,
        };
        assert_eq!(
            verify_bundle(evidence, &f.trusted).state,
            VerificationState::Verified
        );
        for n in 0..5 {
            files.insert(format!("extra-{n}"), digest_bytes(b""));
        }
        let evidence = BundleEvidence {
            manifest: &manifest,
            signature: Some(&signature),
            files: &files,
        };
        let outcome = verify_bundle(evidence, &f.trusted);
        assert_eq!(outcome.problems.len(), 5);
        assert!(
            outcome.problem().unwrap().ends_with("; and 2 more"),
            "{:?}",
            outcome.problem()
        );
    }
}
