//! The store index: the JSON document listing the modules and company templates the Company
//! Store offers, and loading it from a URL or a path (config `store.index`).
//!
//! ```json
//! {
//!   "modules": [{
//!     "id": "observability", "name": "Observability",
//!     "description": "Token tracking, cost metrics, and agent performance",
//!     "repo": "github:paperclip/mod-observability",
//!     "version": "0.1.0", "tags": ["metrics", "monitoring", "tokens"],
//!     "requiresCore": ">=0.1.0",
//!     "bundle": {
//!       "url": "bundles/observability-0.1.0-{target}.tar.gz",
//!       "sha256": "<64 hex digits>"
//!     }
//!   }],
//!   "templates": [{
//!     "id": "startup-in-a-box", "name": "Startup in a Box", "description": "5-agent startup team",
//!     "url": "../templates/startup-in-a-box.json", "tags": ["startup", "team"]
//!   }]
//! }
//! ```
//!
//! The spec's fields plus, per module, where its bundle is: `bundle.url` (absolute, or relative
//! to the index; `{target}` becomes the installing machine's target triple) and its digest,
//! either inline (`bundle.sha256`, what a published store uses) or as the URL of a
//! `<bundle>.sha256` file as written by `paperclipai module pack` (`bundle.sha256Url`, for a
//! store of local builds whose digests change with every build). `requiresCore` is optional and
//! only lets a client show early that a module will not fit; the bundle's own manifest decides.
//! Templates may carry a `sha256` too. Unknown fields are ignored, so an older server can read
//! a newer index.

use super::store_error::StoreError;
use super::store_location::StoreLocation;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Largest index accepted.
pub const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;

/// The index document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreIndex {
    /// Modules on offer.
    #[serde(default)]
    pub modules: Vec<ModuleEntry>,
    /// Company templates on offer.
    #[serde(default)]
    pub templates: Vec<TemplateEntry>,
}

/// One module of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleEntry {
    /// The module id (the manifest's `id`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Short description.
    #[serde(default)]
    pub description: String,
    /// Where its source lives (informational, e.g. `github:paperclip/mod-observability`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The version the bundle holds.
    pub version: Version,
    /// Search tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The bundle manifest's `requires.core`, repeated for clients that want to show
    /// compatibility before downloading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_core: Option<VersionReq>,
    /// Where the bundle is; absent for a module listed with its source only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleRef>,
}

/// Where a module bundle is and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleRef {
    /// URL or path of the `.tar.gz`, relative to the index; may contain `{target}`.
    pub url: String,
    /// SHA-256 of the archive, 64 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// URL or path of a checksum file (`<hex>  <file name>`), relative to the index; may
    /// contain `{target}`. Used when `sha256` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_url: Option<String>,
    /// Id of the key the bundle is signed with (16 hex digits, as `paperclipai module keygen`
    /// prints it): an install refuses a bundle signed otherwise (or unsigned), unless
    /// `modules.signatures` is `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// One company template of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateEntry {
    /// Template id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Short description.
    #[serde(default)]
    pub description: String,
    /// URL or path of the template JSON, relative to the index.
    pub url: String,
    /// Search tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// SHA-256 of the template file, checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// An index together with where it was read from (relative references resolve against it).
#[derive(Debug, Clone)]
pub struct LoadedIndex {
    /// Where the index was read.
    pub location: StoreLocation,
    /// Its content.
    pub index: StoreIndex,
}

impl LoadedIndex {
    /// Reads and checks the index at `source` (a URL or a path).
    pub fn load(source: &str) -> Result<LoadedIndex, StoreError> {
        let location = StoreLocation::parse(source)?;
        let bytes = location.read_all(MAX_INDEX_BYTES)?;
        let index = parse_index(&bytes, &location.to_string())?;
        Ok(LoadedIndex { location, index })
    }

    /// The module `id`, or an error listing the ones there are.
    pub fn module(&self, id: &str) -> Result<&ModuleEntry, StoreError> {
        self.index
            .modules
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| StoreError::UnknownModule {
                id: id.to_string(),
                available: self.index.modules.iter().map(|m| m.id.clone()).collect(),
            })
    }

    /// The template `id`, or an error listing the ones there are.
    pub fn template(&self, id: &str) -> Result<&TemplateEntry, StoreError> {
        self.index
            .templates
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::UnknownTemplate {
                id: id.to_string(),
                available: self.index.templates.iter().map(|t| t.id.clone()).collect(),
            })
    }
}

/// Whether an entry carries every tag of `wanted` (no tags wanted: every entry does).
pub fn has_tags(tags: &[String], wanted: &[String]) -> bool {
    wanted
        .iter()
        .all(|w| tags.iter().any(|t| t.eq_ignore_ascii_case(w)))
}

/// Parses index bytes: JSON syntax, then the format (first type error with its path), then the
/// rules serde cannot express (every violation with its path). `location` names the index in
/// errors.
pub fn parse_index(bytes: &[u8], location: &str) -> Result<StoreIndex, StoreError> {
    let document: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| StoreError::IndexJson {
            location: location.to_string(),
            message: e.to_string(),
        })?;
    if !document.is_object() {
        return Err(StoreError::IndexInvalid {
            location: location.to_string(),
            problems: vec!["the index must be a JSON object with `modules` and `templates`".into()],
        });
    }
    let index: StoreIndex = serde_path_to_error::deserialize(document).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        StoreError::IndexInvalid {
            location: location.to_string(),
            problems: vec![if path == "." {
                message
            } else {
                format!("{path}: {message}")
            }],
        }
    })?;
    let problems = index_problems(&index);
    if problems.is_empty() {
        Ok(index)
    } else {
        Err(StoreError::IndexInvalid {
            location: location.to_string(),
            problems,
        })
    }
}

/// Rules of the format beyond types: ids, unique ids, non-empty URLs, digests.
fn index_problems(index: &StoreIndex) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, module) in index.modules.iter().enumerate() {
        let at = format!("modules[{i}]");
        if !is_id(&module.id) {
            problems.push(format!(
                "{at}.id: {:?} must start with a lowercase letter and hold only lowercase letters, digits and '-'",
                module.id
            ));
        }
        if !seen.insert(module.id.clone()) {
            problems.push(format!("{at}.id: module `{}` is listed twice", module.id));
        }
        if let Some(bundle) = &module.bundle {
            if bundle.url.trim().is_empty() {
                problems.push(format!("{at}.bundle.url: must not be empty"));
            }
            match (&bundle.sha256, &bundle.sha256_url) {
                (Some(digest), None) => {
                    if !is_sha256(digest) {
                        problems.push(format!(
                            "{at}.bundle.sha256: {digest:?} is not a SHA-256 digest (64 hex digits)"
                        ));
                    }
                }
                (None, Some(url)) if url.trim().is_empty() => {
                    problems.push(format!("{at}.bundle.sha256Url: must not be empty"));
                }
                (None, Some(_)) => {}
                (Some(_), Some(_)) => problems.push(format!(
                    "{at}.bundle: give either sha256 or sha256Url, not both"
                )),
                (None, None) => problems.push(format!(
                    "{at}.bundle: sha256 (or sha256Url) is required, so the download can be verified"
                )),
            }
            if let Some(key_id) = &bundle.key_id {
                if !paperclip_bundle_signing::public_key::is_key_id(key_id) {
                    problems.push(format!(
                        "{at}.bundle.keyId: {key_id:?} is not a key id (16 lowercase hex digits)"
                    ));
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for (i, template) in index.templates.iter().enumerate() {
        let at = format!("templates[{i}]");
        if template.id.trim().is_empty() {
            problems.push(format!("{at}.id: must not be empty"));
        }
        if !seen.insert(template.id.clone()) {
            problems.push(format!(
                "{at}.id: template `{}` is listed twice",
                template.id
            ));
        }
        if template.url.trim().is_empty() {
            problems.push(format!("{at}.url: must not be empty"));
        }
        if let Some(digest) = template.sha256.as_ref().filter(|d| !is_sha256(d)) {
            problems.push(format!(
                "{at}.sha256: {digest:?} is not a SHA-256 digest (64 hex digits)"
            ));
        }
    }
    problems
}

/// A module id as the manifest schema allows it.
pub fn is_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// 64 hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn problems(text: &str) -> Vec<String> {
        match parse_index(text.as_bytes(), "idx.json") {
            Err(StoreError::IndexInvalid { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn the_spec_example_parses() {
        let index = parse_index(
            br#"{
              "modules": [{"id": "observability", "name": "Observability",
                "description": "Token tracking", "repo": "github:paperclip/mod-observability",
                "version": "0.1.0", "tags": ["metrics", "monitoring", "tokens"]}],
              "templates": [{"id": "startup-in-a-box", "name": "Startup in a Box",
                "description": "5-agent startup team",
                "url": "https://store.paperclip.dev/templates/startup-in-a-box.json",
                "tags": ["startup", "team"]}]
            }"#,
            "idx.json",
        )
        .unwrap();
        assert_eq!(index.modules[0].version, Version::new(0, 1, 0));
        assert_eq!(index.modules[0].bundle, None);
        assert_eq!(index.templates[0].tags, vec!["startup", "team"]);
    }

    #[test]
    fn bundles_need_a_digest() {
        let found = problems(&format!(
            r#"{{"modules": [
                {{"id": "a", "name": "A", "version": "1.0.0", "bundle": {{"url": "a.tgz"}}}},
                {{"id": "b", "name": "B", "version": "1.0.0", "bundle": {{"url": "b.tgz", "sha256": "abc"}}}},
                {{"id": "c", "name": "C", "version": "1.0.0", "bundle": {{"url": "", "sha256": "{DIGEST}", "sha256Url": "c.sha256"}}}},
                {{"id": "a", "name": "A2", "version": "1.0.0"}},
                {{"id": "Bad_Id", "name": "X", "version": "1.0.0"}}
            ]}}"#
        ));
        assert_eq!(
            found,
            vec![
                "modules[0].bundle: sha256 (or sha256Url) is required, so the download can be verified",
                "modules[1].bundle.sha256: \"abc\" is not a SHA-256 digest (64 hex digits)",
                "modules[2].bundle.url: must not be empty",
                "modules[2].bundle: give either sha256 or sha256Url, not both",
                "modules[3].id: module `a` is listed twice",
                "modules[4].id: \"Bad_Id\" must start with a lowercase letter and hold only lowercase letters, digits and '-'",
            ]
        );
    }

    #[test]
    fn type_errors_name_their_path() {
        let found = problems(r#"{"modules": [{"id": "a", "name": "A", "version": "one"}]}"#);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("modules[0].version: "), "{found:?}");
        let found = problems(r#"{"templates": [{"id": "t", "name": "T"}]}"#);
        assert!(found[0].contains("missing field `url`"), "{found:?}");
        assert!(found[0].starts_with("templates[0]"), "{found:?}");
    }

    #[test]
    fn not_json_is_named_as_such() {
        let err = parse_index(b"{ modules: [", "http://x/index.json").unwrap_err();
        assert!(matches!(err, StoreError::IndexJson { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("store index http://x/index.json is not valid JSON: "),
            "{err}"
        );
        let err = parse_index(b"[]", "i.json").unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");
    }

    #[test]
    fn lookups_list_what_there_is() {
        let loaded = LoadedIndex {
            location: StoreLocation::parse("i.json").unwrap(),
            index: parse_index(
                br#"{"modules": [{"id": "m", "name": "M", "version": "1.0.0"}]}"#,
                "i.json",
            )
            .unwrap(),
        };
        assert_eq!(loaded.module("m").unwrap().name, "M");
        let err = loaded.module("x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no module `x` in the store index (available: m)"
        );
        assert!(loaded.template("t").is_err());
    }

    #[test]
    fn tags_filter_case_insensitively() {
        let tags = vec!["Metrics".to_string(), "tokens".to_string()];
        assert!(has_tags(&tags, &[]));
        assert!(has_tags(&tags, &["metrics".to_string()]));
        assert!(!has_tags(
            &tags,
            &["metrics".to_string(), "team".to_string()]
        ));
    }

    #[test]
    fn the_repository_index_is_valid() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/index.json");
        let loaded = LoadedIndex::load(path.to_str().unwrap()).unwrap();
        assert!(loaded.module("observability").is_ok());
        assert!(loaded.template("startup-in-a-box").is_ok());
    }
}
