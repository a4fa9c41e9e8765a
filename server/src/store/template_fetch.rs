//! Fetching a company template the store index lists: its bytes, checked against the index's
//! `sha256` when it gives one. Validation and import are the templates module's job
//! ([`crate::templates::validate_json`], [`crate::templates::import_template`]).

use super::store_error::StoreError;
use super::store_index::{LoadedIndex, TemplateEntry};
use crate::module_host::discovery::sha256_hex;

/// Largest template accepted (a template of 5,000 issues is about 2 MB).
pub const MAX_TEMPLATE_BYTES: u64 = 32 * 1024 * 1024;

/// The template `id` of the index and its bytes.
pub fn fetch_template(
    loaded: &LoadedIndex,
    id: &str,
) -> Result<(TemplateEntry, Vec<u8>), StoreError> {
    let entry = loaded.template(id)?.clone();
    let location = loaded.location.join(&entry.url)?;
    let bytes = location.read_all(MAX_TEMPLATE_BYTES)?;
    if let Some(expected) = &entry.sha256 {
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(StoreError::Checksum {
                location: location.to_string(),
                expected: expected.to_ascii_lowercase(),
                actual,
            });
        }
    }
    Ok((entry, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::store_index::parse_index;
    use crate::store::store_location::StoreLocation;

    fn index_in(dir: &std::path::Path, sha: &str) -> LoadedIndex {
        let text =
            format!(r#"{{"templates": [{{"id": "t", "name": "T", "url": "t.json"{sha}}}]}}"#);
        LoadedIndex {
            location: StoreLocation::Path(dir.join("index.json")),
            index: parse_index(text.as_bytes(), "index.json").unwrap(),
        }
    }

    #[test]
    fn templates_resolve_next_to_the_index_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.json"), b"{}").unwrap();
        let (entry, bytes) = fetch_template(&index_in(dir.path(), ""), "t").unwrap();
        assert_eq!(entry.id, "t");
        assert_eq!(bytes, b"{}");

        let good = format!(r#", "sha256": "{}""#, sha256_hex(b"{}"));
        assert!(fetch_template(&index_in(dir.path(), &good), "t").is_ok());
        let bad = format!(r#", "sha256": "{}""#, sha256_hex(b"other"));
        let err = fetch_template(&index_in(dir.path(), &bad), "t").unwrap_err();
        assert!(matches!(err, StoreError::Checksum { .. }), "{err}");
    }
}
