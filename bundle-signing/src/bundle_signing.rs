//! Signing: the manifest gets `files` (the digest of every other file of the bundle) and is
//! signed as the exact bytes written.

use crate::file_digests::{digest_folder, FileDigests};
use crate::secret_key::SecretKey;
use crate::signature_file::SignatureFile;
use crate::{FILES_FIELD, MANIFEST_FILE, SIGNATURE_FILE};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A signed manifest: the bytes to write as `paperclip.module.json` and the signature file.
#[derive(Debug, Clone)]
pub struct SignedManifest {
    /// The manifest with `files`, as signed.
    pub manifest: Vec<u8>,
    /// The signature over [`SignedManifest::manifest`].
    pub signature: SignatureFile,
    /// The files listed.
    pub files: FileDigests,
}

/// Why a bundle could not be signed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The manifest is not a JSON object.
    #[error("cannot sign {MANIFEST_FILE}: {0}")]
    Manifest(String),
    /// A file of the bundle cannot be read or is of a kind a bundle cannot hold.
    #[error("cannot sign the bundle: {0}")]
    Files(String),
    /// Writing the signed files failed.
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// The manifest `manifest` (JSON text) with `files` set to `files` (replacing any listed
/// before), written as pretty JSON, and its signature by `key`.
pub fn sign_manifest(
    manifest: &[u8],
    files: &FileDigests,
    key: &SecretKey,
) -> Result<SignedManifest, SignError> {
    let mut document: Value = serde_json::from_slice(manifest)
        .map_err(|e| SignError::Manifest(format!("not valid JSON: {e}")))?;
    let object = document
        .as_object_mut()
        .ok_or_else(|| SignError::Manifest("not a JSON object".to_string()))?;
    object.insert(
        FILES_FIELD.to_string(),
        Value::Object(
            files
                .iter()
                .map(|(path, digest)| (path.clone(), Value::String(digest.clone())))
                .collect(),
        ),
    );
    let mut text = serde_json::to_string_pretty(&document).expect("a JSON value serializes");
    text.push('\n');
    let bytes = text.into_bytes();
    Ok(SignedManifest {
        signature: SignatureFile::sign(&bytes, key),
        manifest: bytes,
        files: files.clone(),
    })
}

/// Signs the bundle folder `dir` in place: its manifest is rewritten with the digests of the
/// files in the folder now, and `paperclip.module.sig` written beside it (each written to a
/// temporary file and renamed over the old one).
pub fn sign_folder(dir: &Path, key: &SecretKey) -> Result<SignedManifest, SignError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest = std::fs::read(&manifest_path).map_err(|e| {
        SignError::Manifest(format!("cannot read {}: {e}", manifest_path.display()))
    })?;
    let files = digest_folder(dir).map_err(SignError::Files)?;
    let signed = sign_manifest(&manifest, &files, key)?;
    replace_file(&manifest_path, &signed.manifest)?;
    replace_file(&dir.join(SIGNATURE_FILE), &signed.signature.to_bytes())?;
    Ok(signed)
}

/// Writes `bytes` beside `path` and renames them over it.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), SignError> {
    let io = |source| SignError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = path.with_file_name(format!(".{name}.signing"));
    std::fs::write(&staging, bytes).map_err(io)?;
    std::fs::rename(&staging, path).map_err(|e| {
        let _ = std::fs::remove_file(&staging);
        io(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_digests::digest_bytes;

    #[test]
    fn the_signed_manifest_lists_the_files_and_keeps_the_rest() {
        let key = SecretKey::generate().unwrap();
        let files = FileDigests::from([("libm.so".to_string(), digest_bytes(b"x"))]);
        let signed = sign_manifest(
            br#"{"id": "m", "files": {"stale": "00"}, "hooks": ["agent:created"]}"#,
            &files,
            &key,
        )
        .unwrap();
        let document: Value = serde_json::from_slice(&signed.manifest).unwrap();
        assert_eq!(
            document["files"],
            serde_json::json!({ "libm.so": digest_bytes(b"x") })
        );
        assert_eq!(document["hooks"], serde_json::json!(["agent:created"]));
        assert!(key
            .public_key()
            .verifying_key()
            .verify_strict(
                &signed.manifest,
                &ed25519_dalek::Signature::from_bytes(&signed.signature.signature)
            )
            .is_ok());
        for bad in [&b"[1]"[..], b"{"] {
            let err = sign_manifest(bad, &files, &key).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("cannot sign paperclip.module.json"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_folder_without_a_manifest_is_not_signed() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let err = sign_folder(dir.path(), &key).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
        assert!(!dir.path().join(SIGNATURE_FILE).exists());
    }
}
