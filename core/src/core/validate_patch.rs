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

/// `#[serde(default, with = "non_null")]` on an `Option<T>` field that can be changed but not
/// cleared (a name, a status): absent → `None`, a value → `Some(v)`, `null` → an error on that
/// field instead of being mistaken for "leave unchanged".
pub mod non_null {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    /// Deserializes a present field (absent fields use `Default`).
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        match Option::<T>::deserialize(deserializer)? {
            Some(value) => Ok(Some(value)),
            None => Err(D::Error::custom(
                "must not be null (leave the field out to keep its value)",
            )),
        }
    }
}
