//! Which metric rows a query covers: `?companyId=&agentId=&model=&since=&until=`, shared by the
//! summary and the series.

use crate::clock;
use crate::query_params::{bind, optional};
use module_sdk::{Error, Request, Result};
use serde::Serialize;
use serde_json::Value;

/// The query parameters of a [`UsageFilter`].
pub const FILTER_PARAMS: [&str; 5] = ["companyId", "agentId", "model", "since", "until"];

/// A filter over `mod_observability_token_metrics` (alias `m`). Every field is optional; `since`
/// is inclusive and `until` exclusive, both Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageFilter {
    /// Only this company's agents.
    pub company_id: Option<String>,
    /// Only this agent.
    pub agent_id: Option<String>,
    /// Only this model.
    pub model: Option<String>,
    /// From this time on (RFC 3339 in JSON).
    #[serde(serialize_with = "optional_time")]
    pub since: Option<i64>,
    /// Before this time (RFC 3339 in JSON).
    #[serde(serialize_with = "optional_time")]
    pub until: Option<i64>,
}

impl UsageFilter {
    /// Reads the filter from the query string; a bad time or `since` after `until` is a 400.
    pub fn from_request(req: &Request) -> Result<Self> {
        let time = |name: &str| {
            optional(req, name)
                .map(|text| clock::parse_query_time(name, &text))
                .transpose()
        };
        let filter = Self {
            company_id: optional(req, "companyId"),
            agent_id: optional(req, "agentId"),
            model: optional(req, "model"),
            since: time("since")?,
            until: time("until")?,
        };
        if let (Some(since), Some(until)) = (filter.since, filter.until) {
            if since > until {
                return Err(Error::bad_request("`since` must not be after `until`"));
            }
        }
        Ok(filter)
    }

    /// The `WHERE …` clause for these conditions (empty when there are none), with their values
    /// appended to `params` after any already there.
    pub fn where_clause(&self, params: &mut Vec<Value>) -> String {
        let mut conditions = Vec::new();
        if let Some(company) = &self.company_id {
            conditions.push(format!("m.company_id = {}", bind(params, company.as_str())));
        }
        if let Some(agent) = &self.agent_id {
            conditions.push(format!("m.agent_id = {}", bind(params, agent.as_str())));
        }
        if let Some(model) = &self.model {
            conditions.push(format!("m.model = {}", bind(params, model.as_str())));
        }
        if let Some(since) = self.since {
            conditions.push(format!("m.recorded_at >= {}", bind(params, since)));
        }
        if let Some(until) = self.until {
            conditions.push(format!("m.recorded_at < {}", bind(params, until)));
        }
        if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        }
    }
}

fn optional_time<S: serde::Serializer>(
    ms: &Option<i64>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => clock::serialize_ms(ms, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_become_numbered_placeholders() {
        let req = Request::new("GET", "/summary")
            .with_query("companyId=c1&model=gpt%204&since=1000&until=1970-01-01T00:00:02Z");
        let filter = UsageFilter::from_request(&req).unwrap();
        let mut params = vec![json!(3_600_000)];
        assert_eq!(
            filter.where_clause(&mut params),
            "WHERE m.company_id = $2 AND m.model = $3 AND m.recorded_at >= $4 AND m.recorded_at < $5"
        );
        assert_eq!(
            params,
            [
                json!(3_600_000),
                json!("c1"),
                json!("gpt 4"),
                json!(1000),
                json!(2000)
            ]
        );
        assert_eq!(
            serde_json::to_value(&filter).unwrap()["since"],
            "1970-01-01T00:00:01.000Z"
        );
    }

    #[test]
    fn no_conditions_no_where_and_a_reversed_window_is_refused() {
        let mut params = Vec::new();
        assert_eq!(UsageFilter::default().where_clause(&mut params), "");
        assert!(params.is_empty());
        let req = Request::new("GET", "/").with_query("since=2000&until=1000");
        assert!(UsageFilter::from_request(&req).is_err());
    }
}
