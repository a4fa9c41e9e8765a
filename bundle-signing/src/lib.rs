//! Signed module bundles.
//!
//! A module bundle (`plugins-dist/<id>/`, or the same files in a `.tar.gz`) is signed in two
//! steps: its manifest, `paperclip.module.json`, gets a `files` object with the SHA-256 of every
//! other file of the bundle (the library, migrations, UI assets — everything except the
//! manifest and the signature file), and a detached ed25519 signature over the manifest's exact
//! bytes is written beside it, in `paperclip.module.sig`. Verifying a bundle is the reverse:
//! the signature must be valid for a trusted key (looked up by the key id the signature file
//! names), and the files on disk must be exactly the ones listed — none changed, none missing,
//! none added.
//!
//! ```
//! use paperclip_bundle_signing::{sign_folder, verify_folder, SecretKey, TrustedKeys, VerificationState};
//!
//! let bundle = tempfile::tempdir().unwrap();
//! std::fs::write(bundle.path().join("paperclip.module.json"),
//!     r#"{"id": "m", "name": "M", "version": "1.0.0", "library": "m"}"#).unwrap();
//! std::fs::write(bundle.path().join("libm.so"), b"library bytes").unwrap();
//!
//! let key = SecretKey::generate().unwrap();
//! sign_folder(bundle.path(), &key).unwrap();
//!
//! let trusted = TrustedKeys::from_keys([key.public_key()]);
//! assert_eq!(verify_folder(bundle.path(), &trusted).state, VerificationState::Verified);
//!
//! std::fs::write(bundle.path().join("libm.so"), b"other bytes").unwrap();
//! let tampered = verify_folder(bundle.path(), &trusted);
//! assert_eq!(tampered.state, VerificationState::Invalid);
//! assert!(tampered.problem().unwrap().starts_with("library libm.so changed after signing"));
//! ```
//!
//! Files: [`public_key`] (public keys and their ids, the form the config's
//! `modules.trustedKeys` holds), [`secret_key`] (generating, reading and writing a key pair),
//! [`trusted_keys`], [`file_digests`] (which files a bundle is made of, and their digests),
//! [`signature_file`] (`paperclip.module.sig`), [`bundle_signing`] (signing a manifest or a
//! bundle folder), [`bundle_verification`]. The binary `paperclip-bundle-sign` signs the
//! first-party bundles in `scripts/build-modules.sh`; operators use `paperclipai module keygen`
//! and `paperclipai module pack --sign`.

#![forbid(unsafe_code)]

pub mod bundle_signing;
pub mod bundle_verification;
pub mod file_digests;
pub mod hex;
pub mod public_key;
pub mod secret_key;
pub mod signature_file;
pub mod trusted_keys;

pub use bundle_signing::{sign_folder, sign_manifest, SignError, SignedManifest};
pub use bundle_verification::{
    verify_bundle, verify_folder, BundleEvidence, Verification, VerificationState,
};
pub use file_digests::{digest_folder, library_file_name, FileDigests};
pub use public_key::{key_id_of, KeyError, PublicKey};
pub use secret_key::{SecretKey, SecretKeyError};
pub use signature_file::{SignatureFile, SignatureFileError};
pub use trusted_keys::TrustedKeys;

/// The manifest's file name inside a bundle: the signed document.
pub const MANIFEST_FILE: &str = "paperclip.module.json";

/// The signature's file name inside a bundle, beside the manifest.
pub const SIGNATURE_FILE: &str = "paperclip.module.sig";

/// The manifest field listing the SHA-256 of every other file of the bundle.
pub const FILES_FIELD: &str = "files";
