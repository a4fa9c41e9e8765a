//! A module's effective configuration: the saved override (set through the admin API) or the
//! config file's `modules.config.<id>`, with `$ENV_VAR` strings resolved, the `default`s of its
//! `configSchema` filled in, and validated against that schema. Secrets that came from the
//! environment are masked as `"***"` wherever the configuration is shown.

use super::manifest::dotted_path;
use paperclip_core::config::{resolve_env_refs, ConfigError};
use serde_json::{Map, Value};

/// What is shown in place of a value that came from an `$ENV_VAR` reference.
pub const MASK: &str = "***";

/// Where a module's raw configuration comes from, named in error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `modules.config.<id>` of the config file (or nothing there).
    ConfigFile,
    /// The override saved with `PUT /api/admin/modules/{id}/config`.
    SavedOverride,
}

impl ConfigSource {
    /// The place prefix for messages, e.g. `modules.config.observability`.
    pub fn place(&self, module_id: &str) -> String {
        match self {
            ConfigSource::ConfigFile => format!("modules.config.{module_id}"),
            ConfigSource::SavedOverride => "config".to_string(),
        }
    }
}

/// A configuration ready to hand to a module.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveConfig {
    /// The configuration with secrets resolved and defaults applied: what `register` receives.
    pub value: Value,
    /// The same with every value that came from the environment replaced by [`MASK`]: what the
    /// API shows.
    pub masked: Value,
}

/// Why a configuration cannot be used; every problem is listed with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("; "))]
pub struct ConfigProblems {
    /// One line per problem, each starting with its path (`modules.config.x.port: …`).
    pub problems: Vec<String>,
    /// The path of the first problem (e.g. `config.port`), for an API error's `field`.
    pub first_field: String,
}

/// Builds the effective configuration of `module_id` from `raw` (absent: `{}`), resolving
/// `$ENV_VAR`s, applying the schema's defaults and validating against `schema` (absent: any
/// JSON is accepted).
pub fn effective_config(
    module_id: &str,
    raw: Option<&Value>,
    source: &ConfigSource,
    schema: Option<&Value>,
) -> Result<EffectiveConfig, ConfigProblems> {
    let place = source.place(module_id);
    let raw = raw.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let resolved = resolve_env_refs(&raw, &place).map_err(|e| ConfigProblems {
        first_field: match &e {
            ConfigError::MissingEnv { place, .. } => place.clone(),
            _ => place.clone(),
        },
        problems: vec![e.to_string()],
    })?;
    let masked = mask_env_refs(&raw, &resolved);
    let (value, masked) = match schema {
        Some(schema) => {
            let value = with_defaults(schema, resolved);
            validate(schema, &value, &place)?;
            (value, with_defaults(schema, masked))
        }
        None => (resolved, masked),
    };
    Ok(EffectiveConfig { value, masked })
}

/// The configuration as it would be shown, without resolving the environment: `$ENV_VAR`
/// strings masked, defaults applied. Used for modules that are not running.
pub fn displayed_config(raw: Option<&Value>, schema: Option<&Value>) -> Value {
    let raw = raw.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let masked = mask_env_refs(&raw, &raw);
    match schema {
        Some(schema) => with_defaults(schema, masked),
        None => masked,
    }
}

/// Fills in `default`s from the schema: for an object schema, every property missing from the
/// instance that has a `default` gets it, and present object properties are filled
/// recursively. An absent/`null` top-level instance of an object schema starts as `{}`.
pub fn with_defaults(schema: &Value, instance: Value) -> Value {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return instance;
    };
    let mut object = match instance {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => return other,
    };
    for (name, property_schema) in properties {
        match object.remove(name) {
            Some(value) => {
                let filled = with_defaults(property_schema, value);
                object.insert(name.clone(), filled);
            }
            None => {
                if let Some(default) = property_schema.get("default") {
                    object.insert(name.clone(), default.clone());
                }
            }
        }
    }
    Value::Object(object)
}

/// Replaces, in `resolved`, every value whose counterpart in `raw` is an `$ENV_VAR` reference
/// by [`MASK`].
pub fn mask_env_refs(raw: &Value, resolved: &Value) -> Value {
    match (raw, resolved) {
        (Value::String(s), _) if is_env_ref(s) => Value::String(MASK.to_string()),
        (Value::Array(raw_items), Value::Array(items)) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match raw_items.get(i) {
                    Some(raw_item) => mask_env_refs(raw_item, item),
                    None => item.clone(),
                })
                .collect(),
        ),
        (Value::Object(raw_map), Value::Object(map)) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = match raw_map.get(k) {
                        Some(raw_value) => mask_env_refs(raw_value, v),
                        None => v.clone(),
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        _ => resolved.clone(),
    }
}

/// The same rule as `config::resolve_env_string`: `$` followed by a variable name.
pub fn is_env_ref(s: &str) -> bool {
    s.strip_prefix('$').is_some_and(|name| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

fn validate(schema: &Value, value: &Value, place: &str) -> Result<(), ConfigProblems> {
    let validator = jsonschema::validator_for(schema).map_err(|e| ConfigProblems {
        problems: vec![format!("configSchema is not a valid JSON Schema: {e}")],
        first_field: "configSchema".to_string(),
    })?;
    let mut fields = Vec::new();
    let problems: Vec<String> = validator
        .iter_errors(value)
        .map(|error| {
            let at = dotted_path(error.instance_path().as_str());
            let field = if at.is_empty() {
                place.to_string()
            } else {
                format!("{place}.{at}")
            };
            let line = format!("{field}: {error}");
            fields.push(field);
            line
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigProblems {
            problems,
            first_field: fields.swap_remove(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["apiKey"],
            "additionalProperties": false,
            "properties": {
                "apiKey": { "type": "string", "minLength": 8 },
                "retentionDays": { "type": "integer", "minimum": 1, "default": 30 },
                "prometheus": {
                    "type": "object",
                    "properties": {
                        "enabled": { "type": "boolean", "default": false },
                        "port": { "type": "integer", "default": 9090 }
                    }
                },
                "tags": { "type": "array", "items": { "type": "string" } }
            }
        })
    }

    #[test]
    fn defaults_fill_missing_properties_recursively_and_keep_given_ones() {
        let filled = with_defaults(
            &schema(),
            json!({ "apiKey": "k", "prometheus": { "port": 1 } }),
        );
        assert_eq!(
            filled,
            json!({ "apiKey": "k", "retentionDays": 30, "prometheus": { "enabled": false, "port": 1 } })
        );
        // A nested object without a default is not invented.
        assert!(filled.get("tags").is_none());
        assert_eq!(
            with_defaults(&schema(), Value::Null)["retentionDays"],
            json!(30)
        );
        assert_eq!(with_defaults(&schema(), json!(5)), json!(5));
    }

    #[test]
    fn env_refs_are_resolved_for_the_module_and_masked_for_display() {
        std::env::set_var("PAPERCLIP_TEST_MODULE_KEY", "super-secret-key");
        let raw = json!({ "apiKey": "$PAPERCLIP_TEST_MODULE_KEY", "tags": ["a", "$PAPERCLIP_TEST_MODULE_KEY"] });
        let config = effective_config(
            "meter",
            Some(&raw),
            &ConfigSource::ConfigFile,
            Some(&schema()),
        )
        .unwrap();
        assert_eq!(config.value["apiKey"], json!("super-secret-key"));
        assert_eq!(config.value["tags"], json!(["a", "super-secret-key"]));
        assert_eq!(config.value["retentionDays"], json!(30));
        assert_eq!(config.masked["apiKey"], json!(MASK));
        assert_eq!(config.masked["tags"], json!(["a", MASK]));
        assert_eq!(config.masked["retentionDays"], json!(30));
        assert!(!config.masked.to_string().contains("super-secret"));
    }

    #[test]
    fn a_missing_env_var_names_the_place_and_the_variable() {
        let raw = json!({ "apiKey": "$PAPERCLIP_TEST_SURELY_MISSING" });
        let err = effective_config(
            "meter",
            Some(&raw),
            &ConfigSource::ConfigFile,
            Some(&schema()),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "modules.config.meter.apiKey: environment variable PAPERCLIP_TEST_SURELY_MISSING is not set"
        );
        assert_eq!(err.first_field, "modules.config.meter.apiKey");
    }

    #[test]
    fn every_schema_violation_is_listed_with_its_path() {
        let raw = json!({ "retentionDays": 0, "prometheus": { "port": "x" }, "extra": true });
        let err = effective_config(
            "meter",
            Some(&raw),
            &ConfigSource::SavedOverride,
            Some(&schema()),
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.problems.len(), 4, "{text}");
        assert!(
            text.contains("config: \"apiKey\" is a required property"),
            "{text}"
        );
        assert!(
            text.contains("config.retentionDays: 0 is less than the minimum of 1"),
            "{text}"
        );
        assert!(
            text.contains("config.prometheus.port: \"x\" is not of type \"integer\""),
            "{text}"
        );
        assert!(text.contains("extra"), "{text}");
    }

    #[test]
    fn defaults_are_applied_before_validation() {
        let schema = json!({
            "type": "object",
            "required": ["mode"],
            "properties": { "mode": { "enum": ["fast", "safe"], "default": "safe" } }
        });
        let config = effective_config("m", None, &ConfigSource::ConfigFile, Some(&schema)).unwrap();
        assert_eq!(config.value, json!({ "mode": "safe" }));
    }

    #[test]
    fn without_a_schema_any_config_passes_unchanged() {
        let raw = json!({ "anything": [1, 2] });
        let config = effective_config("m", Some(&raw), &ConfigSource::ConfigFile, None).unwrap();
        assert_eq!(config.value, raw);
        assert_eq!(
            effective_config("m", None, &ConfigSource::ConfigFile, None)
                .unwrap()
                .value,
            json!({})
        );
    }

    #[test]
    fn displayed_config_masks_without_reading_the_environment() {
        let raw = json!({ "apiKey": "$NOT_SET_ANYWHERE_HOPEFULLY" });
        assert_eq!(
            displayed_config(Some(&raw), Some(&schema())),
            json!({ "apiKey": MASK, "retentionDays": 30 })
        );
        assert_eq!(
            mask_env_refs(&json!("$ not a ref"), &json!("$ not a ref")),
            json!("$ not a ref")
        );
    }
}
