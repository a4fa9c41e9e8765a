//! Patch bodies: telling "field absent" (leave unchanged) from "field null" (clear it).

/// `#[serde(default, with = "double_option")]` on an `Option<Option<T>>` field: absent →
/// `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    /// Deserializes a present field (absent fields use `Default`).
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}
