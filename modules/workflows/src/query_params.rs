//! Strict query strings: unknown parameters refused, values checked, each error naming the
//! parameter.

use module_sdk::{Error, Request, Result};

/// Refuses query parameters a route does not know, so a typo (`?ruleid=`) is a 400 naming it
/// rather than a silently unfiltered answer.
pub fn reject_unknown(req: &Request, known: &[&str]) -> Result<()> {
    for (name, _) in req.query_pairs() {
        if !known.contains(&name.as_str()) {
            return Err(Error::bad_request(format!(
                "unknown query parameter `{name}`; this route takes {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// The value of query parameter `name`, an empty value (`?ruleId=`) counting as absent.
pub fn optional(req: &Request, name: &str) -> Option<String> {
    req.query(name).filter(|v| !v.trim().is_empty())
}

/// An integer query parameter within `min..=max`, or `default` when absent.
pub fn integer_in(req: &Request, name: &str, min: i64, max: i64, default: i64) -> Result<i64> {
    let Some(text) = optional(req, name) else {
        return Ok(default);
    };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::bad_request(format!(
            "`{name}` must be an integer from {min} to {max}, got `{text}`"
        ))),
    }
}

/// A `true`/`false` query parameter, if given.
pub fn boolean(req: &Request, name: &str) -> Result<Option<bool>> {
    match optional(req, name).as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Error::bad_request(format!(
            "`{name}` must be true or false, got `{other}`"
        ))),
    }
}

/// A query parameter that must be one of `allowed`, if given.
pub fn one_of(req: &Request, name: &str, allowed: &[&str]) -> Result<Option<String>> {
    match optional(req, name) {
        Some(value) if !allowed.contains(&value.as_str()) => Err(Error::bad_request(format!(
            "`{name}` must be one of {}, got `{value}`",
            allowed.join(", ")
        ))),
        value => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_and_named() {
        let req = Request::new("GET", "/runs")
            .with_query("ruleid=r1&limit=0&enabled=yes&status=done&empty=");
        assert!(reject_unknown(&req, &["ruleId"])
            .unwrap_err()
            .message()
            .contains("`ruleid`"));
        assert!(integer_in(&req, "limit", 1, 500, 50)
            .unwrap_err()
            .message()
            .contains("`limit`"));
        assert_eq!(integer_in(&req, "other", 1, 500, 50).unwrap(), 50);
        assert!(boolean(&req, "enabled")
            .unwrap_err()
            .message()
            .contains("`enabled`"));
        assert!(one_of(&req, "status", &["failed"])
            .unwrap_err()
            .message()
            .contains("`status`"));
        assert_eq!(optional(&req, "empty"), None);
        let ok = Request::new("GET", "/").with_query("enabled=false&limit=7");
        assert_eq!(boolean(&ok, "enabled").unwrap(), Some(false));
        assert_eq!(integer_in(&ok, "limit", 1, 500, 50).unwrap(), 7);
    }
}
