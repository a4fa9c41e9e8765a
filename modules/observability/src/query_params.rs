//! Small helpers for routes: strict query strings and numbered SQL parameters.

use module_sdk::{Error, Request, Result};
use serde_json::Value;

/// Refuses query parameters a route does not know, so a typo (`?agentid=`) is a 400 naming it
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

/// The value of query parameter `name`, treating an empty value (`?agentId=`) as absent.
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

/// Adds `value` to `params` and returns its placeholder (`$1`, `$2`, …). Values always travel
/// as parameters; only fixed SQL fragments are ever put together as text.
pub fn bind(params: &mut Vec<Value>, value: impl Into<Value>) -> String {
    params.push(value.into());
    format!("${}", params.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_are_named() {
        let req = Request::new("GET", "/summary").with_query("agentid=a1");
        let err = reject_unknown(&req, &["agentId"]).unwrap_err();
        assert!(err.message().contains("`agentid`"), "{err}");
        assert!(reject_unknown(&req.clone(), &["agentid"]).is_ok());
    }

    #[test]
    fn integers_are_range_checked() {
        let req = Request::new("GET", "/").with_query("windowDays=0&other=");
        assert!(integer_in(&req, "windowDays", 1, 90, 7).is_err());
        assert_eq!(integer_in(&req, "missing", 1, 90, 7).unwrap(), 7);
        assert_eq!(optional(&req, "other"), None);
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut params = vec![Value::from(1)];
        assert_eq!(bind(&mut params, "a"), "$2");
        assert_eq!(bind(&mut params, 3), "$3");
        assert_eq!(params, [Value::from(1), Value::from("a"), Value::from(3)]);
    }
}
