//! Query strings of list endpoints: `?limit=&offset=` for paging plus the endpoint's filters,
//! parsed into the core's filter type. A bad number or an unknown parameter answers 400 naming
//! it, so a mistyped filter (`?stauts=done`) is reported instead of silently listing everything.

use super::api_error::ApiError;
use crate::core::paging::PageRequest;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::{ready, Ready};

/// The paging and filters of one list request; `F` is a core filter struct (all fields
/// `Option<String>`, `deny_unknown_fields`).
#[derive(Debug)]
pub struct ListQuery<F> {
    /// `limit` and `offset`.
    pub page: PageRequest,
    /// The remaining parameters.
    pub filter: F,
}

impl<F: DeserializeOwned> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_list_query(req.query_string()))
    }
}

/// Parses a query string into paging and filter `F`.
pub fn parse_list_query<F: DeserializeOwned>(query: &str) -> Result<ListQuery<F>, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|e| ApiError::bad_field("query", format!("invalid query string: {e}")))?
        .into_inner();
    let mut page = PageRequest {
        limit: None,
        offset: None,
    };
    let mut filters = Map::new();
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => page.limit = Some(integer("limit", &value)?),
            "offset" => page.offset = Some(integer("offset", &value)?),
            _ => {
                filters.insert(key, Value::String(value));
            }
        }
    }
    let filter = serde_path_to_error::deserialize::<_, F>(Value::Object(filters)).map_err(|e| {
        // The only way a string-valued filter fails is an unknown name, which is the path.
        let field = match e.path().to_string().as_str() {
            "" | "." => "query".to_string(),
            path => path.to_string(),
        };
        let message = e
            .into_inner()
            .to_string()
            .replace("unknown field", "unknown query parameter")
            .replace("expected one of", "expected limit, offset or one of")
            .replace("there are no fields", "expected limit or offset");
        ApiError::bad_field(field, message)
    })?;
    Ok(ListQuery { page, filter })
}

fn integer(field: &str, value: &str) -> Result<i64, ApiError> {
    value.trim().parse().map_err(|_| {
        ApiError::bad_field(
            field,
            format!("{field} must be an integer, got \"{value}\""),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Filter {
        status: Option<String>,
        assignee_agent_id: Option<String>,
    }

    #[test]
    fn paging_and_filters() {
        let q: ListQuery<Filter> =
            parse_list_query("limit=5&offset=10&status=todo&assigneeAgentId=a%20b").unwrap();
        assert_eq!((q.page.limit, q.page.offset), (Some(5), Some(10)));
        assert_eq!(q.filter.status.as_deref(), Some("todo"));
        assert_eq!(q.filter.assignee_agent_id.as_deref(), Some("a b"));
        let q: ListQuery<Filter> = parse_list_query("").unwrap();
        assert_eq!((q.page.limit, q.filter.status), (None, None));
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = parse_list_query::<Filter>("limit=ten").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("limit"));
        let e = parse_list_query::<Filter>("stauts=todo").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("stauts"));
        assert!(
            e.message.contains("unknown query parameter"),
            "{}",
            e.message
        );
    }
}
