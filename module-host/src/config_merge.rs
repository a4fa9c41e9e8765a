//! Saving a module configuration that was shown masked: the admin API and the Modules page
//! show values that come from `$ENV_VAR` references as `"***"` (see [`super::module_config`]),
//! and the page leaves such fields out of the form it sends. [`keep_masked_values`] merges what
//! was submitted with the previous raw configuration (the saved override, else the config
//! file's `modules.config.<id>`) so that neither drops nor stores the mask:
//!
//! - a `"***"` value (at any depth, in objects and arrays) keeps the previous raw value at the
//!   same place, e.g. `"$OBS_TOKEN"`; with no previous value there it is refused;
//! - an object property left out whose previous raw value is an `$ENV_VAR` reference keeps it
//!   (a masked secret cannot be cleared by omission; set another value, or save `null` to go
//!   back to the config file);
//! - everything else is taken as submitted (a left-out plain value is removed).

use super::module_config::{is_env_ref, ConfigProblems, MASK};
use serde_json::Value;

/// Merges `submitted` with `previous` (the raw configuration it was shown from) as described in
/// the module documentation; problems name their path under `config`.
pub fn keep_masked_values(
    previous: Option<&Value>,
    submitted: Value,
) -> Result<Value, ConfigProblems> {
    let mut problems = Vec::new();
    let merged = merge(previous, submitted, "config", &mut problems);
    match problems.first() {
        None => Ok(merged),
        Some(first) => Err(ConfigProblems {
            first_field: first.clone(),
            problems: problems
                .iter()
                .map(|path| {
                    format!(
                        "{path}: `{MASK}` stands for a value the server masks, but there is no \
                         previous value to keep here; send the real value"
                    )
                })
                .collect(),
        }),
    }
}

fn merge(
    previous: Option<&Value>,
    submitted: Value,
    path: &str,
    problems: &mut Vec<String>,
) -> Value {
    match (previous, submitted) {
        (previous, Value::String(s)) if s == MASK => match previous {
            Some(previous) => previous.clone(),
            None => {
                problems.push(path.to_string());
                Value::String(s)
            }
        },
        (Some(Value::Object(old)), Value::Object(new)) => {
            let mut merged = serde_json::Map::new();
            for (key, value) in new {
                let at = format!("{path}.{key}");
                let kept = merge(old.get(&key), value, &at, problems);
                merged.insert(key, kept);
            }
            for (key, value) in old {
                if !merged.contains_key(key) && value.as_str().is_some_and(is_env_ref) {
                    merged.insert(key.clone(), value.clone());
                }
            }
            Value::Object(merged)
        }
        (Some(Value::Array(old)), Value::Array(new)) => Value::Array(
            new.into_iter()
                .enumerate()
                .map(|(i, value)| merge(old.get(i), value, &format!("{path}[{i}]"), problems))
                .collect(),
        ),
        (_, submitted) => {
            // Nothing to compare with below this point: only look for masks to refuse.
            merge_without_previous(submitted, path, problems)
        }
    }
}

fn merge_without_previous(submitted: Value, path: &str, problems: &mut Vec<String>) -> Value {
    match submitted {
        Value::String(s) if s == MASK => {
            problems.push(path.to_string());
            Value::String(s)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let at = format!("{path}.{k}");
                    (k, merge_without_previous(v, &at, problems))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| merge_without_previous(v, &format!("{path}[{i}]"), problems))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_and_left_out_env_refs_keep_the_previous_raw_value() {
        let previous = json!({
            "token": "$OBS_TOKEN",
            "other": "$OBS_OTHER",
            "plain": "old",
            "gone": 5,
            "nested": { "secret": "$NESTED", "n": 1 },
            "list": ["a", "$LIST_SECRET"]
        });
        let submitted = json!({
            "token": "***",
            "plain": "new",
            "nested": { "secret": "***", "n": 2 },
            "list": ["b", "***"]
        });
        let merged = keep_masked_values(Some(&previous), submitted).unwrap();
        assert_eq!(
            merged,
            json!({
                "token": "$OBS_TOKEN",
                "other": "$OBS_OTHER",
                "plain": "new",
                "nested": { "secret": "$NESTED", "n": 2 },
                "list": ["b", "$LIST_SECRET"]
            })
        );
    }

    #[test]
    fn a_new_value_replaces_an_env_ref() {
        let merged =
            keep_masked_values(Some(&json!({"token": "$T"})), json!({"token": "literal"})).unwrap();
        assert_eq!(merged, json!({"token": "literal"}));
    }

    #[test]
    fn a_mask_with_nothing_to_keep_is_refused_with_its_path() {
        let err = keep_masked_values(None, json!({"a": {"b": ["***"]}})).unwrap_err();
        assert_eq!(err.first_field, "config.a.b[0]");
        assert!(err.problems[0].contains("no previous value"), "{err}");
        let err = keep_masked_values(Some(&json!({"x": 1})), json!({"token": "***"})).unwrap_err();
        assert_eq!(err.first_field, "config.token");
    }
}
