//! Strict query strings: unknown parameters are refused (a typo such as `?channelid=` is a 400
//! naming it, not a silently unfiltered answer).

use crate::field_error::FieldError;
use module_sdk::Request;

/// Refuses query parameters a route does not know.
pub fn reject_unknown(req: &Request, known: &[&str]) -> Result<(), FieldError> {
    for (name, _) in req.query_pairs() {
        if !known.contains(&name.as_str()) {
            return Err(FieldError::new(
                name.as_str(),
                format!(
                    "is an unknown query parameter; this route takes {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The value of query parameter `name`, an empty value (`?status=`) counting as absent.
pub fn optional(req: &Request, name: &str) -> Option<String> {
    req.query(name).filter(|v| !v.trim().is_empty())
}

/// An integer query parameter within `min..=max`, or `default` when absent.
pub fn integer_in(
    req: &Request,
    name: &str,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, FieldError> {
    let Some(text) = optional(req, name) else {
        return Ok(default);
    };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(FieldError::new(
            name,
            format!("must be an integer from {min} to {max}, got `{text}`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_out_of_range_parameters_are_named() {
        let req = Request::new("GET", "/deliveries").with_query("channelid=x&limit=0&status=");
        assert_eq!(
            reject_unknown(&req, &["channelId"]).unwrap_err().field,
            "channelid"
        );
        assert_eq!(
            integer_in(&req, "limit", 1, 1000, 100).unwrap_err().field,
            "limit"
        );
        assert_eq!(integer_in(&req, "other", 1, 1000, 100).unwrap(), 100);
        assert_eq!(optional(&req, "status"), None);
    }
}
