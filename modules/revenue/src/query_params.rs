//! Query strings, read strictly: an unknown parameter is refused (a typo such as `?companyid=`
//! is a 400 naming it, not a silently unfiltered answer), and every bad value names its
//! parameter.

use crate::clock;
use crate::invalid::Invalid;
use module_sdk::Request;

/// Refuses query parameters a route does not take.
pub fn reject_unknown(req: &Request, known: &[&str]) -> Result<(), Invalid> {
    match req
        .query_pairs()
        .into_iter()
        .find(|(name, _)| !known.contains(&name.as_str()))
    {
        Some((name, _)) => Err(Invalid::field(
            &name,
            format!(
                "is not a query parameter of this route; it takes {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Parameter `name`, an empty value (`?source=`) counting as absent.
pub fn optional(req: &Request, name: &str) -> Option<String> {
    req.query(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Parameter `name`, which must be given.
pub fn required(req: &Request, name: &str) -> Result<String, Invalid> {
    optional(req, name).ok_or_else(|| Invalid::field(name, "is required"))
}

/// An integer parameter within `min..=max`, or `default` when absent.
pub fn integer_in(
    req: &Request,
    name: &str,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, Invalid> {
    let Some(text) = optional(req, name) else {
        return Ok(default);
    };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Invalid::field(
            name,
            format!("must be an integer from {min} to {max}, got `{text}`"),
        )),
    }
}

/// A time parameter (RFC 3339 or a date, see [`clock::parse`]), `None` when absent.
pub fn time(req: &Request, name: &str) -> Result<Option<i64>, Invalid> {
    optional(req, name)
        .map(|text| clock::parse(&text).map_err(|problem| Invalid::field(name, problem)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_strictly() {
        let req = Request::new("GET", "/income")
            .with_query("companyid=x&limit=0&source=&from=2026-11-01&to=soon");
        assert_eq!(
            reject_unknown(&req, &["companyId"]).unwrap_err().field,
            "companyid"
        );
        assert_eq!(
            integer_in(&req, "limit", 1, 500, 100).unwrap_err().field,
            "limit"
        );
        assert_eq!(integer_in(&req, "offset", 0, 9, 0).unwrap(), 0);
        assert_eq!(optional(&req, "source"), None);
        assert_eq!(
            required(&req, "companyId").unwrap_err().message,
            "`companyId` is required"
        );
        assert_eq!(time(&req, "from").unwrap(), Some(1_793_491_200_000));
        assert_eq!(time(&req, "to").unwrap_err().field, "to");
        assert_eq!(time(&req, "since").unwrap(), None);
    }
}
