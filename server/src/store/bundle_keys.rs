//! `paperclipai module keygen`: a new ed25519 key pair for signing module bundles, written as
//! `<name>.key` (secret, mode 0600) and `<name>.pub`, with the `modules.trustedKeys` entry an
//! operator adds to trust it. The formats are `paperclip_bundle_signing`'s.

use paperclip_bundle_signing::{PublicKey, SecretKey, SecretKeyError};
use std::path::{Path, PathBuf};

/// A key pair written by [`generate_key_pair`].
#[derive(Debug, Clone)]
pub struct KeyPairWritten {
    /// The secret key file (keep it private; `module pack --sign` reads it).
    pub secret_file: PathBuf,
    /// The public key file.
    pub public_file: PathBuf,
    /// The key id.
    pub key_id: String,
    /// The public key (`ed25519:<64 hex>`).
    pub public_key: PublicKey,
}

impl KeyPairWritten {
    /// The `modules.trustedKeys` entry that trusts this key: `"<key id>": "ed25519:<hex>"`.
    pub fn config_entry(&self) -> String {
        format!("\"{}\": \"{}\"", self.key_id, self.public_key)
    }
}

/// Generates a key pair into `dir` as `<name>.key` and `<name>.pub`; never replaces a file.
pub fn generate_key_pair(dir: &Path, name: &str) -> Result<KeyPairWritten, SecretKeyError> {
    let key = SecretKey::generate()?;
    let (secret_file, public_file) = key.write_pair(dir, name)?;
    Ok(KeyPairWritten {
        secret_file,
        public_file,
        key_id: key.key_id(),
        public_key: key.public_key(),
    })
}

/// Whether `name` can name key files: letters, digits, `.`, `_`, `-`, not starting with `.`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_written_with_its_config_entry() {
        let dir = tempfile::tempdir().unwrap();
        let written = generate_key_pair(dir.path(), "acme").unwrap();
        assert_eq!(written.secret_file, dir.path().join("acme.key"));
        let key = SecretKey::read(&written.secret_file).unwrap();
        assert_eq!(key.key_id(), written.key_id);
        let entry = written.config_entry();
        assert!(
            entry.starts_with(&format!("\"{}\": \"ed25519:", written.key_id)),
            "{entry}"
        );
        assert!(
            generate_key_pair(dir.path(), "acme").is_err(),
            "never replaced"
        );
        assert!(is_valid_key_name("acme-2026.signing"));
        assert!(
            !is_valid_key_name("../x") && !is_valid_key_name(".hidden") && !is_valid_key_name("")
        );
    }
}
