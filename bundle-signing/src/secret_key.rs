//! A signing key pair and its files: `<name>.key`, the secret (JSON, readable by its owner
//! only), and `<name>.pub`, the public key on one line (`ed25519:<64 hex digits>`).
//!
//! ```json
//! {"type": "paperclip-module-signing-key", "algorithm": "ed25519",
//!  "keyId": "<16 hex>", "publicKey": "ed25519:<64 hex>", "secretKey": "<64 hex>"}
//! ```

use crate::hex;
use crate::public_key::PublicKey;
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `type` of a secret key file.
pub const KEY_FILE_TYPE: &str = "paperclip-module-signing-key";

/// An ed25519 signing key (the secret half; the public half is derived from it).
pub struct SecretKey {
    key: SigningKey,
}

/// A key that could not be made, read or written; names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    /// The operating system gave no random bytes.
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),
    /// The key file cannot be read or written.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a secret key file.
    #[error("{} is not a Paperclip signing key file: {reason}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A key file exists already; keys are never overwritten.
    #[error("{} exists already; a key is never overwritten (choose another --name or --out, or remove it)", .0.display())]
    Exists(PathBuf),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    algorithm: String,
    key_id: String,
    public_key: String,
    secret_key: String,
}

impl std::fmt::Debug for SecretKey {
    /// Shows the key id only, never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(id {})", self.key_id())
    }
}

impl SecretKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<SecretKey, SecretKeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| SecretKeyError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(SecretKey { key })
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.key.verifying_key())
    }

    /// The key's id (that of its public half).
    pub fn key_id(&self) -> String {
        self.public_key().key_id()
    }

    /// The ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// Reads a secret key file, checking that its public key and key id are the secret's.
    pub fn read(path: &Path) -> Result<SecretKey, SecretKeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretKeyError::Io {
            action: "cannot read the signing key",
            path: path.to_path_buf(),
            source,
        })?;
        SecretKey::parse(&text).map_err(|reason| SecretKeyError::Malformed {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Reads the text of a secret key file.
    fn parse(text: &str) -> Result<SecretKey, String> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| {
            if text.trim_start().starts_with(crate::public_key::KEY_PREFIX) {
                "it holds a public key; signing needs the secret key file (<name>.key)".to_string()
            } else {
                format!("expected the JSON written by `paperclipai module keygen` ({e})")
            }
        })?;
        if file.kind != KEY_FILE_TYPE {
            return Err(format!(
                "its type is {:?}, not {KEY_FILE_TYPE:?}",
                file.kind
            ));
        }
        if file.algorithm != "ed25519" {
            return Err(format!(
                "its algorithm is {:?}; only ed25519 is supported",
                file.algorithm
            ));
        }
        let seed = hex::decode::<32>(&file.secret_key).ok_or("secretKey is not 64 hex digits")?;
        let key = SecretKey {
            key: SigningKey::from_bytes(&seed),
        };
        let public = PublicKey::parse(&file.public_key).map_err(|e| format!("publicKey: {e}"))?;
        if public != key.public_key() {
            return Err("publicKey is not the public half of secretKey".to_string());
        }
        if file.key_id != key.key_id() {
            return Err(format!(
                "keyId {:?} is not the key's id {:?}",
                file.key_id,
                key.key_id()
            ));
        }
        Ok(key)
    }

    /// Writes `<dir>/<name>.key` (mode 0600 on Unix) and `<dir>/<name>.pub`, creating `dir`;
    /// refuses to replace either file. Returns both paths.
    pub fn write_pair(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), SecretKeyError> {
        let secret_path = dir.join(format!("{name}.key"));
        let public_path = dir.join(format!("{name}.pub"));
        for path in [&secret_path, &public_path] {
            if path.exists() {
                return Err(SecretKeyError::Exists(path.clone()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|source| SecretKeyError::Io {
            action: "cannot create",
            path: dir.to_path_buf(),
            source,
        })?;
        let file = KeyFile {
            kind: KEY_FILE_TYPE.to_string(),
            algorithm: "ed25519".to_string(),
            key_id: self.key_id(),
            public_key: self.public_key().to_string(),
            secret_key: hex::encode(self.key.as_bytes()),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("a key file serializes");
        text.push('\n');
        write_new(&secret_path, text.as_bytes(), true)?;
        write_new(
            &public_path,
            format!("{}\n", self.public_key()).as_bytes(),
            false,
        )?;
        Ok((secret_path, public_path))
    }
}

/// Creates `path` (never replacing a file), readable by its owner only when `private`.
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), SecretKeyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let io = |source| SecretKeyError::Io {
        action: "cannot write",
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SecretKeyError::Exists(path.to_path_buf())
        } else {
            io(e)
        }
    })?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_written_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let (secret, public) = key.write_pair(&dir.path().join("keys"), "dev").unwrap();
        let again = SecretKey::read(&secret).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.sign(b"m"), key.sign(b"m"));
        assert_eq!(
            PublicKey::parse(&std::fs::read_to_string(&public).unwrap()).unwrap(),
            key.public_key()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = key.write_pair(&dir.path().join("keys"), "dev").unwrap_err();
        assert!(matches!(err, SecretKeyError::Exists(_)), "{err}");
    }

    #[test]
    fn malformed_key_files_are_named_and_explained() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let (secret, public) = key.write_pair(dir.path(), "k").unwrap();
        let text = std::fs::read_to_string(&secret).unwrap();
        let other = SecretKey::generate().unwrap();
        let cases = [
            ("{}".to_string(), "expected the JSON written by"),
            (
                std::fs::read_to_string(&public).unwrap(),
                "it holds a public key",
            ),
            (text.replace(KEY_FILE_TYPE, "ssh-key"), "its type is"),
            (
                text.replace(
                    &key.public_key().to_string(),
                    &other.public_key().to_string(),
                ),
                "publicKey is not the public half",
            ),
            (
                text.replace(&key.key_id(), &other.key_id()),
                "is not the key's id",
            ),
        ];
        for (content, expected) in cases {
            let path = dir.path().join("bad.key");
            std::fs::write(&path, &content).unwrap();
            let err = SecretKey::read(&path).unwrap_err().to_string();
            assert!(
                err.contains("bad.key is not a Paperclip signing key file"),
                "{err}"
            );
            assert!(err.contains(expected), "{expected}: {err}");
        }
        let err = SecretKey::read(&dir.path().join("absent.key")).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot read the signing key"),
            "{err}"
        );
    }
}
