//! The module manifest, `paperclip.module.json`: its types and its validation, done without
//! running any module code (design principle 4).
//!
//! Validation has two layers: the JSON Schema shipped with the SDK
//! (`module-sdk/schema/paperclip.module.schema.json`) for shape and formats, then the checks a
//! schema cannot express (semver ranges parse, `configSchema` is itself a valid JSON Schema, a
//! module does not require itself). Every violation is reported, each with its JSON path.

use module_sdk::Capability;
use paperclip_core::hooks::Hook;
use paperclip_core::isolation_level::IsolationLevel;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

/// The manifest's file name inside a bundle folder.
pub const MANIFEST_FILE: &str = "paperclip.module.json";

/// The JSON Schema of a manifest, as shipped in the SDK crate.
pub const MANIFEST_SCHEMA: &str =
    include_str!("../../module-sdk/schema/paperclip.module.schema.json");

/// A validated manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Unique module id (`[a-z][a-z0-9-]*`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Short description.
    #[serde(default)]
    pub description: String,
    /// The module's own version.
    pub version: Version,
    /// Who maintains it.
    #[serde(default)]
    pub author: String,
    /// Base name of the library file (`lib<library>.so` on Linux).
    pub library: String,
    /// Exclusive category, if any.
    #[serde(default)]
    pub slot: Option<String>,
    /// The isolation level the module asks for (the config's `modules.isolation.<id>` wins).
    #[serde(default)]
    pub isolation: Option<IsolationLevel>,
    /// How hook events reach the module.
    #[serde(default)]
    pub delivery: DeliveryMode,
    /// Whether, enabled again after a disable, it gets the events it missed (at-least-once).
    #[serde(default)]
    pub catch_up: bool,
    /// Capabilities the module asks for, each with why (granted by the operator).
    #[serde(default)]
    pub capabilities: Vec<CapabilityRequest>,
    /// Inbound webhook endpoints (`POST /webhooks/<id>/<key>`), keys unique.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookSpec>,
    /// Hooks the module may subscribe to (wire names, all among the 13).
    #[serde(default)]
    pub hooks: Vec<String>,
    /// Route prefix, if the module serves HTTP routes.
    #[serde(default)]
    pub routes: Option<RoutesSpec>,
    /// Browser UI entries, passed through to the web shell.
    #[serde(default)]
    pub ui: Option<Value>,
    /// JSON Schema of the module's configuration.
    #[serde(default)]
    pub config_schema: Option<Value>,
    /// Core version and other modules the module needs.
    #[serde(default)]
    pub requires: Requires,
    /// The SHA-256 of every other file of the bundle (relative path → 64 hex digits), written
    /// by `paperclipai module pack --sign` and covered by the bundle's signature
    /// (`paperclip.module.sig`); checked by [`crate::bundle_signature`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<BTreeMap<String, String>>,
}

/// `delivery` of a manifest: what the module is promised about its hook events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryMode {
    /// Every committed event, from the outbox when memory is not enough; failures retried, then
    /// dead-lettered.
    #[default]
    AtLeastOnce,
    /// Events that find the queue full (or the server down) are dropped and counted; failures
    /// are not retried.
    BestEffort,
}

impl DeliveryMode {
    /// The manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::AtLeastOnce => "at-least-once",
            DeliveryMode::BestEffort => "best-effort",
        }
    }
}

/// One entry of a manifest's `capabilities`: a name, or `{name, reason, optional}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CapabilityEntry")]
pub struct CapabilityRequest {
    /// The capability (the core method it unlocks, or `webhooks`).
    #[serde(with = "capability_name")]
    pub name: Capability,
    /// Why the module needs it, shown to the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The module runs without it (what it unlocks is off until granted); a capability that is
    /// not optional and not granted keeps the module `awaiting_approval`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// How a capability may be written in a manifest.
#[derive(Deserialize)]
#[serde(untagged)]
enum CapabilityEntry {
    Name(#[serde(with = "capability_name")] Capability),
    Described {
        #[serde(with = "capability_name")]
        name: Capability,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        optional: bool,
    },
}

impl From<CapabilityEntry> for CapabilityRequest {
    fn from(entry: CapabilityEntry) -> Self {
        match entry {
            CapabilityEntry::Name(name) => CapabilityRequest {
                name,
                reason: None,
                optional: false,
            },
            CapabilityEntry::Described {
                name,
                reason,
                optional,
            } => CapabilityRequest {
                name,
                reason,
                optional,
            },
        }
    }
}

/// One entry of a manifest's `webhooks`: an inbound endpoint the module handles
/// (`Registrar::webhook`), served at `POST /webhooks/<module-id>/<key>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSpec {
    /// Its key: `^[a-z0-9][a-z0-9_-]{0,63}$`, unique in the manifest.
    pub key: String,
    /// What it receives, for the operator.
    #[serde(default)]
    pub description: String,
}

/// A [`Capability`] as its name in JSON.
mod capability_name {
    use module_sdk::Capability;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &Capability, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Capability, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// `routes` of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutesSpec {
    /// One path segment, optionally with a leading `/`.
    pub prefix: String,
}

/// `requires` of a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requires {
    /// Range of core versions the module works with; absent means any.
    #[serde(default)]
    pub core: Option<VersionReq>,
    /// Other modules (id → version range) that must be active first.
    #[serde(default)]
    pub modules: BTreeMap<String, VersionReq>,
}

impl Manifest {
    /// The route prefix without its leading `/` (the path segment after `/api/modules/`).
    pub fn route_prefix(&self) -> Option<&str> {
        self.routes
            .as_ref()
            .map(|r| r.prefix.trim_start_matches('/'))
    }

    /// The capabilities the module asks for.
    pub fn requested_capabilities(&self) -> BTreeSet<Capability> {
        self.capabilities.iter().map(|c| c.name).collect()
    }

    /// The capabilities the module cannot run without (asked for and not `optional`).
    pub fn required_capabilities(&self) -> BTreeSet<Capability> {
        self.capabilities
            .iter()
            .filter(|c| !c.optional)
            .map(|c| c.name)
            .collect()
    }

    /// The declared webhook `key`, if any.
    pub fn webhook(&self, key: &str) -> Option<&WebhookSpec> {
        self.webhooks.iter().find(|w| w.key == key)
    }

    /// The declared hooks as [`Hook`]s (validation guarantees every name is known).
    pub fn declared_hooks(&self) -> Vec<Hook> {
        self.hooks.iter().filter_map(|h| h.parse().ok()).collect()
    }

    /// Whether `requires.core` accepts the core version `core` (absent: any version).
    pub fn accepts_core(&self, core: &Version) -> bool {
        match &self.requires.core {
            Some(req) => req.matches(core),
            None => true,
        }
    }
}

/// One problem found in a manifest, at a JSON path (`hooks[0]`, `requires.core`, or empty for
/// the whole document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: a dotted JSON path, empty for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read {MANIFEST_FILE}: {0}")]
    Read(String),
    /// The file is not JSON.
    #[error("{MANIFEST_FILE} is not valid JSON: {0}")]
    Json(String),
    /// The JSON breaks the schema or the extra rules; every violation is listed.
    #[error("invalid {MANIFEST_FILE}: {}", join_violations(.0))]
    Invalid(Vec<Violation>),
}

fn join_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(Violation::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parses and validates manifest text. Runs no module code.
pub fn parse_manifest(text: &str) -> Result<Manifest, ManifestError> {
    let document: Value =
        serde_json::from_str(text).map_err(|e| ManifestError::Json(e.to_string()))?;
    validate_manifest(&document)
}

/// Validates a manifest document and turns it into a [`Manifest`].
pub fn validate_manifest(document: &Value) -> Result<Manifest, ManifestError> {
    let mut violations: Vec<Violation> = manifest_validator()
        .iter_errors(document)
        .map(|error| Violation {
            path: dotted_path(error.instance_path().as_str()),
            message: explain(error.instance_path().as_str(), &error.to_string()),
        })
        .collect();
    violations.extend(extra_violations(document));
    if !violations.is_empty() {
        return Err(ManifestError::Invalid(violations));
    }
    // The schema and the extra rules accept only documents serde can read; an error here means
    // the two drifted apart, reported like any other violation rather than a panic.
    serde_json::from_value(document.clone()).map_err(|e| {
        ManifestError::Invalid(vec![Violation {
            path: String::new(),
            message: e.to_string(),
        }])
    })
}

/// The compiled manifest schema (compiled once; the embedded schema is known to be valid,
/// which a unit test pins).
fn manifest_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(MANIFEST_SCHEMA).expect("the embedded manifest schema is JSON");
        jsonschema::validator_for(&schema).expect("the embedded manifest schema is valid")
    })
}

/// Rules the schema cannot express: semver ranges, `configSchema` validity, self-dependency,
/// and a semver check of `version` (the schema's pattern is close to, not exactly, semver).
fn extra_violations(document: &Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    if let Some(version) = document.get("version").and_then(Value::as_str) {
        if let Err(e) = Version::parse(version) {
            // The schema pattern already reported malformed versions; report only what it let
            // through (e.g. numbers too large), to avoid saying the same thing twice.
            if version_pattern_accepts(version) {
                violations.push(violation("version", format!("{version:?}: {e}")));
            }
        }
    }
    let requires = document.get("requires");
    if let Some(core) = requires.and_then(|r| r.get("core")).and_then(Value::as_str) {
        if let Err(e) = VersionReq::parse(core) {
            violations.push(violation(
                "requires.core",
                format!("{core:?} is not a semver range: {e}"),
            ));
        }
    }
    if let Some(modules) = requires
        .and_then(|r| r.get("modules"))
        .and_then(Value::as_object)
    {
        let own_id = document.get("id").and_then(Value::as_str);
        for (id, range) in modules {
            let path = format!("requires.modules.{id}");
            if Some(id.as_str()) == own_id {
                violations.push(violation(&path, "a module cannot require itself"));
            }
            if let Some(range) = range.as_str() {
                if let Err(e) = VersionReq::parse(range) {
                    violations.push(violation(
                        &path,
                        format!("{range:?} is not a semver range: {e}"),
                    ));
                }
            }
        }
    }
    violations.extend(webhook_violations(document));
    if let Some(schema) = document.get("configSchema").filter(|s| s.is_object()) {
        if let Err(e) = jsonschema::validator_for(schema) {
            let at = dotted_path(e.instance_path().as_str());
            let path = if at.is_empty() {
                "configSchema".to_string()
            } else {
                format!("configSchema.{at}")
            };
            violations.push(violation(
                &path,
                format!("configSchema is not a valid JSON Schema: {e}"),
            ));
        }
    }
    violations
}

/// Webhook keys are unique, and declaring webhooks means asking for the `webhooks` capability
/// (without it they could never be served).
fn webhook_violations(document: &Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    let Some(webhooks) = document.get("webhooks").and_then(Value::as_array) else {
        return violations;
    };
    let mut seen = BTreeSet::new();
    for (index, webhook) in webhooks.iter().enumerate() {
        if let Some(key) = webhook.get("key").and_then(Value::as_str) {
            if !seen.insert(key) {
                violations.push(violation(
                    &format!("webhooks[{index}].key"),
                    format!("webhook key {key:?} is declared twice; keys must be unique"),
                ));
            }
        }
    }
    let asks_for_webhooks = document
        .get("capabilities")
        .and_then(Value::as_array)
        .is_some_and(|capabilities| {
            capabilities.iter().any(|c| {
                c.as_str().or_else(|| c.get("name").and_then(Value::as_str))
                    == Some(Capability::Webhooks.as_str())
            })
        });
    if !webhooks.is_empty() && !asks_for_webhooks {
        violations.push(violation(
            "webhooks",
            "webhooks are declared but \"capabilities\" does not ask for \"webhooks\" (add { \"name\": \"webhooks\", \"reason\": …, \"optional\": true })",
        ));
    }
    violations
}

fn violation(path: &str, message: impl Into<String>) -> Violation {
    Violation {
        path: path.to_string(),
        message: message.into(),
    }
}

fn version_pattern_accepts(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Turns a JSON Pointer (`/hooks/0`, `/requires/core`) into a dotted path (`hooks[0]`,
/// `requires.core`), the form used in config error messages too.
pub fn dotted_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    path
}

/// Replaces the schema validator's regex-quoting message for the fields whose patterns a
/// reader should not have to decode.
fn explain(pointer: &str, message: &str) -> String {
    if !message.contains("does not match") {
        return message.to_string();
    }
    let field = pointer.rsplit('/').next().unwrap_or("");
    let value = message.split(" does not match").next().unwrap_or(message);
    let rule = match field {
        "id" if !pointer.contains("widgets") => {
            "must start with a lowercase letter and hold only lowercase letters, digits and '-'"
        }
        "slot" | "placement" => {
            "must start with a lowercase letter and hold only lowercase letters, digits and '-'"
        }
        "version" => "is not a semantic version (major.minor.patch, e.g. 0.1.0)",
        "library" => "must be a file base name (letters, digits, '_', '.', '-'), without lib prefix or extension",
        "key" if pointer.starts_with("/webhooks") => {
            "must be 1-64 characters of lowercase letters, digits, '_' or '-', starting with a letter or digit"
        }
        "prefix" => "must be one path segment of lowercase letters, digits, '-' or '_' (e.g. /observability)",
        "entry" => "must be a .js file inside the bundle's ui/ folder (e.g. ui/index.js)",
        "path" => "must be an absolute web path such as /observability",
        _ => return message.to_string(),
    };
    format!("{value} {rule}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_example() -> Value {
        json!({
            "id": "observability",
            "name": "Observability",
            "description": "Token tracking, cost metrics, and agent performance instrumentation",
            "version": "0.1.0",
            "author": "paperclip",
            "library": "observability",
            "slot": "observability",
            "hooks": ["agent:heartbeat", "agent:created", "issue:status_changed", "budget:threshold_crossed"],
            "routes": { "prefix": "/observability" },
            "ui": {
                "pages": [{ "path": "/observability", "label": "Observability", "entry": "ui/index.js" }],
                "widgets": [{ "id": "token-burn-rate", "label": "Token Burn Rate", "placement": "dashboard", "entry": "./ui/index.js" }]
            },
            "configSchema": {
                "type": "object",
                "properties": {
                    "retentionDays": { "type": "number", "default": 30 },
                    "enablePrometheus": { "type": "boolean", "default": false }
                }
            },
            "requires": { "core": ">=0.1.0", "modules": { "metrics": "^1.2" } }
        })
    }

    fn violations(document: Value) -> Vec<Violation> {
        match validate_manifest(&document) {
            Err(ManifestError::Invalid(v)) => v,
            other => panic!("expected violations, got {other:?}"),
        }
    }

    fn paths(document: Value) -> Vec<String> {
        violations(document).into_iter().map(|v| v.path).collect()
    }

    #[test]
    fn the_embedded_schema_compiles() {
        let _ = manifest_validator();
    }

    #[test]
    fn the_spec_example_is_valid() {
        let manifest = validate_manifest(&spec_example()).unwrap();
        assert_eq!(manifest.id, "observability");
        assert_eq!(manifest.version, Version::new(0, 1, 0));
        assert_eq!(manifest.route_prefix(), Some("observability"));
        assert_eq!(manifest.declared_hooks().len(), 4);
        assert_eq!(
            manifest.requires.modules["metrics"],
            VersionReq::parse("^1.2").unwrap()
        );
        assert!(manifest.accepts_core(&Version::new(0, 1, 0)));
        assert!(!manifest.accepts_core(&Version::new(0, 0, 9)));
    }

    #[test]
    fn a_minimal_manifest_is_valid() {
        let manifest = parse_manifest(
            r#"{"id": "m", "name": "M", "version": "1.0.0-beta.1", "library": "m_lib"}"#,
        )
        .unwrap();
        assert!(manifest.hooks.is_empty());
        assert_eq!(manifest.route_prefix(), None);
        assert!(manifest.accepts_core(&Version::new(9, 0, 0)));
    }

    #[test]
    fn every_violation_is_listed_with_its_path() {
        let mut doc = spec_example();
        doc["id"] = json!("Observability");
        doc["version"] = json!("1.0");
        doc["hooks"] = json!(["agent:heartbeat", "agent:exploded"]);
        doc["routes"] = json!({ "prefix": "/a/b" });
        doc.as_object_mut().unwrap().remove("library");
        let found = violations(doc);
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        for expected in ["id", "version", "hooks[1]", "routes.prefix", ""] {
            assert!(
                paths.contains(&expected),
                "{expected:?} missing in {found:?}"
            );
        }
        let text = ManifestError::Invalid(found).to_string();
        assert!(
            text.contains("\"library\" is a required property"),
            "{text}"
        );
        assert!(
            text.contains("version: \"1.0\" is not a semantic version"),
            "{text}"
        );
        assert!(text.contains("agent:exploded"), "{text}");
    }

    #[test]
    fn files_of_a_signed_manifest_are_digests() {
        let mut doc = spec_example();
        doc["files"] = json!({ "libobservability.so": "ab".repeat(32), "migrations/sqlite/1_x/up.sql": "00".repeat(32) });
        let manifest = validate_manifest(&doc).unwrap();
        assert_eq!(manifest.files.as_ref().map(BTreeMap::len), Some(2));
        doc["files"] = json!({ "libobservability.so": "not a digest" });
        assert_eq!(paths(doc), vec!["files.libobservability.so".to_string()]);
        assert_eq!(MANIFEST_FILE, paperclip_bundle_signing::MANIFEST_FILE);
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let mut doc = spec_example();
        doc["hoks"] = json!([]);
        let found = violations(doc);
        assert!(
            found.iter().any(|v| v.message.contains("hoks")),
            "{found:?}"
        );
    }

    #[test]
    fn config_schema_must_itself_be_a_json_schema() {
        let mut doc = spec_example();
        doc["configSchema"] = json!({ "type": "objekt" });
        assert_eq!(paths(doc), vec!["configSchema.type".to_string()]);
        let mut doc = spec_example();
        doc["configSchema"] = json!({ "properties": { "n": { "minimum": "three" } } });
        let found = violations(doc);
        assert!(found[0].path.starts_with("configSchema"), "{found:?}");
        assert!(found[0].message.contains("not a valid JSON Schema"));
    }

    #[test]
    fn version_ranges_must_parse() {
        let mut doc = spec_example();
        doc["requires"] = json!({ "core": "at least one", "modules": { "metrics": "~>1" } });
        assert_eq!(
            paths(doc),
            vec![
                "requires.core".to_string(),
                "requires.modules.metrics".to_string()
            ]
        );
    }

    #[test]
    fn a_module_cannot_require_itself() {
        let mut doc = spec_example();
        doc["requires"] = json!({ "modules": { "observability": "*" } });
        let found = violations(doc);
        assert_eq!(found[0].path, "requires.modules.observability");
        assert_eq!(found[0].message, "a module cannot require itself");
    }

    #[test]
    fn not_json_is_reported_as_such() {
        let err = parse_manifest("{ id: 1 }").unwrap_err();
        assert!(matches!(err, ManifestError::Json(_)), "{err}");
        assert!(err
            .to_string()
            .starts_with("paperclip.module.json is not valid JSON"));
    }

    #[test]
    fn ui_entries_must_stay_inside_the_bundle_ui_folder() {
        let mut doc = spec_example();
        doc["ui"]["pages"][0]["entry"] = json!("../../etc/passwd.js");
        assert_eq!(paths(doc), vec!["ui.pages[0].entry".to_string()]);
    }

    #[test]
    fn every_manifest_in_the_workspace_is_valid() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        for folder in ["modules", "tests/modules"] {
            let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path().join(MANIFEST_FILE);
                if let Ok(text) = std::fs::read_to_string(&path) {
                    if let Err(e) = parse_manifest(&text) {
                        panic!("{}: {e}", path.display());
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 0, "no manifests found under {}", root.display());
    }

    #[test]
    fn webhooks_have_valid_unique_keys_and_need_the_capability() {
        let mut doc = spec_example();
        doc["webhooks"] = json!([
            { "key": "stripe", "description": "Stripe events" },
            { "key": "github_push-2" }
        ]);
        doc["capabilities"] =
            json!([{ "name": "webhooks", "reason": "payments", "optional": true }]);
        let manifest = validate_manifest(&doc).unwrap();
        assert_eq!(
            manifest.webhook("stripe").unwrap().description,
            "Stripe events"
        );
        assert!(manifest.webhook("github_push-2").is_some() && manifest.webhook("x").is_none());
        assert!(manifest
            .requested_capabilities()
            .contains(&Capability::Webhooks));
        assert!(manifest.required_capabilities().is_empty());

        doc["webhooks"] = json!([{ "key": "stripe" }, { "key": "Stripe/x" }, { "key": "stripe" }]);
        let found = violations(doc.clone());
        assert_eq!(
            found.iter().map(|v| v.path.as_str()).collect::<Vec<_>>(),
            vec!["webhooks[1].key", "webhooks[2].key"]
        );
        assert!(
            found[0].message.contains("lowercase letters, digits"),
            "{found:?}"
        );
        assert!(found[1].message.contains("declared twice"), "{found:?}");

        doc["webhooks"] = json!([{ "key": "stripe" }]);
        doc["capabilities"] = json!(["issues.create"]);
        let found = violations(doc.clone());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "webhooks");
        assert!(found[0].message.contains("does not ask for \"webhooks\""));
        doc["capabilities"] = json!(["webhooks"]);
        let manifest = validate_manifest(&doc).unwrap();
        assert_eq!(
            manifest.required_capabilities(),
            BTreeSet::from([Capability::Webhooks])
        );
        doc["webhooks"] = json!([{ "key": "stripe", "secret": "x" }]);
        assert_eq!(paths(doc), vec!["webhooks[0]".to_string()]);
    }

    #[test]
    fn dotted_paths() {
        assert_eq!(dotted_path(""), "");
        assert_eq!(dotted_path("/hooks/0"), "hooks[0]");
        assert_eq!(dotted_path("/ui/pages/1/entry"), "ui.pages[1].entry");
        assert_eq!(dotted_path("/a~1b/c~0d"), "a/b.c~d");
    }
}
