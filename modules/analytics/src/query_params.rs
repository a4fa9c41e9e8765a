//! Strict query strings: unknown parameters and malformed values are 400s naming them.

use module_sdk::{Error, Request, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_are_named() {
        let req = Request::new("GET", "/burn-rate").with_query("companyid=c1");
        let err = reject_unknown(&req, &["companyId"]).unwrap_err();
        assert!(err.message().contains("`companyid`"), "{err}");
    }

    #[test]
    fn integers_are_range_checked() {
        let req = Request::new("GET", "/").with_query("hours=0&other=");
        assert!(integer_in(&req, "hours", 1, 720, 24).is_err());
        assert_eq!(integer_in(&req, "missing", 1, 720, 24).unwrap(), 24);
        assert_eq!(optional(&req, "other"), None);
    }
}
