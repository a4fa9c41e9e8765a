//! `GET /series?bucket=hour|day&companyId=&agentId=&model=&since=&until=`: usage per UTC hour or
//! day, oldest first. Buckets without heartbeats are left out.

use crate::clock::{self, DAY_MS, HOUR_MS};
use crate::query_params::{optional, reject_unknown};
use crate::usage::{Usage, USAGE_COLUMNS};
use crate::usage_filter::{UsageFilter, FILTER_PARAMS};
use crate::Observability;
use module_sdk::{Error, ModuleContext, Request, Response, Result};
use serde::Serialize;
use serde_json::Value;

/// The answer of `GET /series`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    /// `hour` or `day`.
    pub bucket: &'static str,
    /// The filter as understood.
    pub filter: UsageFilter,
    /// One point per bucket that has heartbeats, oldest first.
    pub points: Vec<SeriesPoint>,
}

/// Usage within one bucket.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPoint {
    /// Start of the bucket (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub start: i64,
    /// Usage within it.
    #[serde(flatten)]
    pub usage: Usage,
}

/// Handles `GET /series`.
pub fn get_series(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let mut known = FILTER_PARAMS.to_vec();
    known.push("bucket");
    reject_unknown(req, &known)?;
    let (bucket, width_ms) = match optional(req, "bucket").as_deref() {
        None | Some("hour") => ("hour", HOUR_MS),
        Some("day") => ("day", DAY_MS),
        Some(other) => {
            return Err(Error::bad_request(format!(
                "`bucket` must be `hour` or `day`, got `{other}`"
            )))
        }
    };
    let filter = UsageFilter::from_request(req)?;
    // Integer division floors the time to its bucket (times are positive), the same on both
    // backends. The width is $1, so the filter's placeholders start at $2.
    let mut params = vec![Value::from(width_ms)];
    let where_clause = filter.where_clause(&mut params);
    let rows = ctx.db().query(
        &format!(
            "SELECT (m.recorded_at / $1) * $1 AS bucket_start, {USAGE_COLUMNS} \
             FROM mod_observability_token_metrics m {where_clause} \
             GROUP BY (m.recorded_at / $1) * $1 ORDER BY bucket_start"
        ),
        &params,
    )?;
    let points = rows
        .iter()
        .map(|row| {
            Ok(SeriesPoint {
                start: row.get("bucket_start")?,
                usage: Usage::from_row(row)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Response::ok(&Series {
        bucket,
        filter,
        points,
    }))
}
