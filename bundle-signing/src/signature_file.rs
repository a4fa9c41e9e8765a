//! `paperclip.module.sig`: the detached ed25519 signature over the exact bytes of the bundle's
//! `paperclip.module.json`, with the id of the key that made it.
//!
//! ```json
//! {"algorithm": "ed25519", "keyId": "<16 hex>", "publicKey": "ed25519:<64 hex>",
//!  "signature": "<128 hex>"}
//! ```
//!
//! `publicKey` is informational (tools can check a bundle's consistency without the config);
//! a verifier trusts only the key its configuration has under `keyId`, and refuses a file whose
//! `publicKey` is another key.

use crate::hex;
use crate::public_key::{is_key_id, PublicKey};
use crate::secret_key::SecretKey;
use serde::{Deserialize, Serialize};

/// A parsed signature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFile {
    /// Id of the signing key.
    pub key_id: String,
    /// The signing key's public half, as the signer wrote it.
    pub public_key: Option<PublicKey>,
    /// The 64 signature bytes.
    pub signature: [u8; 64],
}

/// Why a signature file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a valid signature file: {0}", crate::SIGNATURE_FILE)]
pub struct SignatureFileError(pub String);

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Wire {
    algorithm: String,
    key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
    signature: String,
}

impl SignatureFile {
    /// The signature of `manifest` by `key`.
    pub fn sign(manifest: &[u8], key: &SecretKey) -> SignatureFile {
        SignatureFile {
            key_id: key.key_id(),
            public_key: Some(key.public_key()),
            signature: key.sign(manifest),
        }
    }

    /// Reads a signature file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<SignatureFile, SignatureFileError> {
        let bad = |reason: String| SignatureFileError(reason);
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if wire.algorithm != "ed25519" {
            return Err(bad(format!(
                "algorithm {:?} is not supported (only ed25519)",
                wire.algorithm
            )));
        }
        if !is_key_id(&wire.key_id) {
            return Err(bad(format!(
                "keyId {:?} is not 16 lowercase hex digits",
                wire.key_id
            )));
        }
        let public_key = wire
            .public_key
            .as_deref()
            .map(PublicKey::parse)
            .transpose()
            .map_err(|e| bad(format!("publicKey: {e}")))?;
        if let Some(key) = &public_key {
            if key.key_id() != wire.key_id {
                return Err(bad(format!(
                    "keyId {:?} is not the id of its publicKey ({:?})",
                    wire.key_id,
                    key.key_id()
                )));
            }
        }
        let signature = hex::decode::<64>(&wire.signature)
            .ok_or_else(|| bad("signature is not 128 hex digits".to_string()))?;
        Ok(SignatureFile {
            key_id: wire.key_id,
            public_key,
            signature,
        })
    }

    /// The file's bytes (pretty JSON, a final newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = Wire {
            algorithm: "ed25519".to_string(),
            key_id: self.key_id.clone(),
            public_key: self.public_key.map(|k| k.to_string()),
            signature: hex::encode(&self.signature),
        };
        let mut text = serde_json::to_string_pretty(&wire).expect("a signature serializes");
        text.push('\n');
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_what_is_wrong() {
        let key = SecretKey::generate().unwrap();
        let file = SignatureFile::sign(b"manifest", &key);
        let bytes = file.to_bytes();
        assert_eq!(SignatureFile::parse(&bytes).unwrap(), file);
        let text = String::from_utf8(bytes).unwrap();
        let other = SecretKey::generate().unwrap();
        let cases = [
            ("not json".to_string(), "expected ident"),
            (text.replace("ed25519\"", "rsa\""), "algorithm \"rsa\""),
            (text.replace(&key.key_id(), "XYZ"), "keyId \"XYZ\""),
            (
                text.replace(&key.key_id(), &other.key_id()),
                "is not the id of its publicKey",
            ),
            (
                text.replace(&hex::encode(&file.signature), "00"),
                "signature is not 128 hex digits",
            ),
            (
                text.replace("\"keyId\"", "\"extra\": 1, \"keyId\""),
                "unknown field `extra`",
            ),
        ];
        for (content, expected) in cases {
            let err = SignatureFile::parse(content.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("paperclip.module.sig is not a valid signature file"),
                "{err}"
            );
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }
}
