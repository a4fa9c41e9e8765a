//! Public keys as the configuration and the key files spell them — `ed25519:<64 hex digits>` —
//! and their key ids: the first 16 hex digits of the SHA-256 of the 32 key bytes. A key id
//! names a key in `modules.trustedKeys` and in a bundle's signature file; it is derived from
//! the key, so an id can never be given to another key.

use crate::hex;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};
use std::fmt;

/// The prefix of a public key's text form.
pub const KEY_PREFIX: &str = "ed25519:";

/// How many hex digits a key id has.
pub const KEY_ID_DIGITS: usize = 16;

/// An ed25519 public key that verifies bundle signatures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// A key or key id that cannot be used, saying what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `ed25519:` followed by 64 hex digits.
    #[error("{0:?} is not a public key: expected \"ed25519:\" followed by 64 hex digits (as `paperclipai module keygen` prints)")]
    Malformed(String),
    /// 32 bytes that are not a point of the curve.
    #[error("{0:?} is not a valid ed25519 public key (not a point of the curve)")]
    NotOnCurve(String),
    /// A key id that is not 16 lowercase hex digits.
    #[error("{0:?} is not a key id: expected 16 lowercase hex digits")]
    MalformedId(String),
    /// The id written beside a key is not that key's id.
    #[error("key id {given:?} does not match its key, whose id is {actual:?}")]
    IdMismatch {
        /// The id given.
        given: String,
        /// The key's real id.
        actual: String,
    },
}

impl PublicKey {
    /// Reads `ed25519:<64 hex digits>` (surrounding white space ignored).
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let trimmed = text.trim();
        let bytes = trimmed
            .strip_prefix(KEY_PREFIX)
            .and_then(hex::decode::<32>)
            .ok_or_else(|| KeyError::Malformed(trimmed.to_string()))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| KeyError::NotOnCurve(trimmed.to_string()))
    }

    /// Reads a key given with its id (a `modules.trustedKeys` entry), refusing an id that is
    /// not the key's own.
    pub fn parse_with_id(id: &str, text: &str) -> Result<PublicKey, KeyError> {
        if !is_key_id(id) {
            return Err(KeyError::MalformedId(id.to_string()));
        }
        let key = PublicKey::parse(text)?;
        if key.key_id() != id {
            return Err(KeyError::IdMismatch {
                given: id.to_string(),
                actual: key.key_id(),
            });
        }
        Ok(key)
    }

    /// The key's id: the first 16 hex digits of the SHA-256 of its 32 bytes.
    pub fn key_id(&self) -> String {
        key_id_of(self.0.as_bytes())
    }

    /// The key for signature checks.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    pub(crate) fn from_verifying_key(key: VerifyingKey) -> PublicKey {
        PublicKey(key)
    }
}

impl fmt::Display for PublicKey {
    /// `ed25519:<64 hex digits>`, the form [`PublicKey::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEY_PREFIX}{}", hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, id {})", self, self.key_id())
    }
}

/// The key id of 32 public key bytes.
pub fn key_id_of(public_key: &[u8; 32]) -> String {
    let digest = Sha256::digest(public_key);
    hex::encode(&digest[..KEY_ID_DIGITS / 2])
}

/// Whether `id` is spelled as a key id: 16 lowercase hex digits.
pub fn is_key_id(id: &str) -> bool {
    id.len() == KEY_ID_DIGITS
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretKey;

    #[test]
    fn a_key_reads_back_from_its_text_with_its_id() {
        let key = SecretKey::generate().unwrap().public_key();
        let text = key.to_string();
        assert!(
            text.starts_with("ed25519:") && text.len() == 8 + 64,
            "{text}"
        );
        assert_eq!(PublicKey::parse(&format!("  {text}\n")).unwrap(), key);
        let id = key.key_id();
        assert!(is_key_id(&id), "{id}");
        assert_eq!(PublicKey::parse_with_id(&id, &text).unwrap(), key);
    }

    #[test]
    fn bad_keys_and_ids_are_named() {
        let key = SecretKey::generate().unwrap().public_key().to_string();
        for bad in ["", "ed25519:", "ed25519:abc", "rsa:00", &key[8..]] {
            assert!(
                matches!(PublicKey::parse(bad), Err(KeyError::Malformed(_))),
                "{bad:?}"
            );
        }
        // Not every 32 bytes are a curve point.
        let mut rejected = 0;
        for byte in 0u8..=255 {
            let text = format!("ed25519:{}", hex::encode(&[byte; 32]));
            if let Err(e) = PublicKey::parse(&text) {
                assert!(matches!(e, KeyError::NotOnCurve(_)), "{e}");
                assert!(e.to_string().contains("not a valid ed25519 public key"));
                rejected += 1;
            }
        }
        assert!(rejected > 0);
        assert!(matches!(
            PublicKey::parse_with_id("ABC", &key),
            Err(KeyError::MalformedId(_))
        ));
        let err = PublicKey::parse_with_id("0123456789abcdef", &key).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("key id \"0123456789abcdef\" does not match its key"),
            "{err}"
        );
    }
}
