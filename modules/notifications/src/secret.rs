//! Secrets of a channel (a webhook URL, an SMTP password) given as references: a value that is
//! exactly `$NAME` (`$` + letters, digits, `_`, not starting with a digit) is looked up when a
//! message is sent, never when the channel is saved, so the secret itself is not stored:
//!
//! 1. in the module config's `secrets` object (`"secrets": {"SLACK_URL": "$SLACK_URL"}` in
//!    `modules.config.notifications`, where the host resolves `$SLACK_URL` from the server's
//!    environment at load and masks it in the admin API) — this works at every isolation level;
//! 2. else in the server process's environment — at the `threaded` and `inline` levels only: at
//!    the `process` level the module runs in a child whose environment is empty.
//!
//! Secret fields are never answered: the API shows [`MASK`] instead, and a [`MASK`] sent back in
//! a `PATCH` keeps the stored value.

use serde_json::{Map, Value};

/// What the API shows in place of a secret; sent back, it keeps the stored value.
pub const MASK: &str = "***";

/// The variable name of a `$NAME` reference, or `None` for a plain value.
pub fn reference_name(value: &str) -> Option<&str> {
    let name = value.strip_prefix('$')?;
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

/// Whether `value` looks like a reference but is not a valid one (`$`, `$1X`, `$A-B`), so the
/// caller can refuse it instead of sending the text `$A-B` as a URL or password.
pub fn is_malformed_reference(value: &str) -> bool {
    value.starts_with('$') && reference_name(value).is_none()
}

/// Resolves `value`: a plain value as it is, a `$NAME` reference from `secrets` (the module
/// config's) or else the environment. The error tells the operator where to put the secret.
pub fn resolve(value: &str, secrets: &Map<String, Value>) -> Result<String, String> {
    let Some(name) = reference_name(value) else {
        return Ok(value.to_owned());
    };
    if let Some(found) = secrets.get(name) {
        return match found {
            Value::String(s) => Ok(s.clone()),
            _ => Err(format!(
                "secret `{name}` in the module config is not a string"
            )),
        };
    }
    match std::env::var(name) {
        Ok(found) => Ok(found),
        Err(_) => Err(format!(
            "secret `${name}` is not set: add `\"{name}\": \"${name}\"` to the module config's \
             `secrets` (modules.config.notifications.secrets), or set the environment variable \
             {name} for the server (read at send time, and only at the threaded and inline \
             isolation levels: a module at the process level runs with an empty environment)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_recognised() {
        assert_eq!(reference_name("$SLACK_URL"), Some("SLACK_URL"));
        assert_eq!(reference_name("$_x1"), Some("_x1"));
        assert_eq!(reference_name("https://x"), None);
        assert_eq!(reference_name("$1X"), None);
        assert!(is_malformed_reference("$"));
        assert!(is_malformed_reference("$A-B"));
        assert!(!is_malformed_reference("$AB"));
        assert!(!is_malformed_reference("plain"));
    }

    #[test]
    fn config_secrets_come_before_the_environment() {
        let secrets = json!({"HOOK": "https://from-config", "BAD": 3});
        let secrets = secrets.as_object().unwrap();
        assert_eq!(resolve("$HOOK", secrets).unwrap(), "https://from-config");
        assert_eq!(resolve("plain", secrets).unwrap(), "plain");
        assert!(resolve("$BAD", secrets)
            .unwrap_err()
            .contains("not a string"));
        // PATH is set in every test environment.
        assert!(!resolve("$PATH", secrets).unwrap().is_empty());
        let err = resolve("$NOTIFICATIONS_TEST_SURELY_UNSET", secrets).unwrap_err();
        assert!(err.contains("secrets"), "{err}");
        assert!(err.contains("process"), "{err}");
    }
}
