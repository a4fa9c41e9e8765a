//! The public keys whose signatures an operator trusts, by key id (`modules.trustedKeys`).

use crate::public_key::{KeyError, PublicKey};
use std::collections::BTreeMap;

/// Trusted public keys by key id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: BTreeMap<String, PublicKey>,
}

impl TrustedKeys {
    /// The keys given as `key id → "ed25519:<hex>"`; the first entry that cannot be used is
    /// returned with its id.
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<TrustedKeys, (String, KeyError)> {
        let mut keys = BTreeMap::new();
        for (id, text) in entries {
            let key = PublicKey::parse_with_id(id, text).map_err(|e| (id.clone(), e))?;
            keys.insert(id.clone(), key);
        }
        Ok(TrustedKeys { keys })
    }

    /// These keys, each under its own id.
    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> TrustedKeys {
        TrustedKeys {
            keys: keys.into_iter().map(|k| (k.key_id(), k)).collect(),
        }
    }

    /// The trusted key with this id.
    pub fn get(&self, key_id: &str) -> Option<&PublicKey> {
        self.keys.get(key_id)
    }

    /// The ids of the trusted keys.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// How many keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretKey;

    #[test]
    fn entries_are_checked_and_the_bad_one_named() {
        let a = SecretKey::generate().unwrap().public_key();
        let b = SecretKey::generate().unwrap().public_key();
        let good = BTreeMap::from([(a.key_id(), a.to_string()), (b.key_id(), b.to_string())]);
        let trusted = TrustedKeys::parse(&good).unwrap();
        assert_eq!(trusted.len(), 2);
        assert_eq!(trusted.get(&a.key_id()), Some(&a));
        assert_eq!(trusted, TrustedKeys::from_keys([b, a]));

        let swapped = BTreeMap::from([(a.key_id(), b.to_string())]);
        let (id, err) = TrustedKeys::parse(&swapped).unwrap_err();
        assert_eq!(id, a.key_id());
        assert!(matches!(err, KeyError::IdMismatch { .. }), "{err}");
    }
}
