//! Dot paths into a hook payload: `issue.identifier`, `agent.metadata.team`, `changes.status.to`,
//! `items.0` (a number picks an array element). Filters and message templates both use them.

use serde_json::Value;

/// The longest path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 200;

/// Checks the syntax of `path`: dot-separated segments of letters, digits, `_` and `-`, none
/// empty. The error says what is wrong (the caller names the field).
pub fn check(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("must not be empty".into());
    }
    if path.len() > MAX_PATH_LEN {
        return Err(format!("is longer than {MAX_PATH_LEN} bytes"));
    }
    for segment in path.split('.') {
        if segment.is_empty() {
            return Err(format!("`{path}` has an empty segment"));
        }
        if let Some(bad) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "`{path}` contains `{bad}`: a path is segments of letters, digits, `_` and `-` \
                 joined by dots"
            ));
        }
    }
    Ok(())
}

/// The value at `path` in `root`, if every segment exists.
pub fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(root, |value, segment| match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_walk_objects_and_arrays() {
        let payload = json!({"issue": {"identifier": "PC-7", "tags": ["a", "b"]}, "to": "done"});
        assert_eq!(lookup(&payload, "issue.identifier"), Some(&json!("PC-7")));
        assert_eq!(lookup(&payload, "issue.tags.1"), Some(&json!("b")));
        assert_eq!(lookup(&payload, "to"), Some(&json!("done")));
        assert_eq!(lookup(&payload, "issue.missing"), None);
        assert_eq!(lookup(&payload, "to.deeper"), None);
        assert_eq!(lookup(&payload, "issue.tags.x"), None);
    }

    #[test]
    fn bad_paths_are_explained() {
        assert!(check("issue.identifier").is_ok());
        assert!(check("meta.tokens_used").is_ok());
        assert!(check("").unwrap_err().contains("empty"));
        assert!(check("issue..id").unwrap_err().contains("empty segment"));
        assert!(check("issue id").unwrap_err().contains("` `"));
        assert!(check(&"a".repeat(201)).unwrap_err().contains("200"));
    }
}
