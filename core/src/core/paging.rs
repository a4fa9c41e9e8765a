//! Paging of list endpoints: `?limit=&offset=`, answered as `{items, total, limit, offset}`.

use serde::{Deserialize, Serialize};

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size a client may ask for.
pub const MAX_LIMIT: i64 = 500;

/// A page request, from the query string.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    /// Items per page (1..=500, default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

impl PageRequest {
    /// Limit and offset after validation.
    pub fn resolve(self) -> Result<(i64, i64), super::CoreError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(super::CoreError::invalid(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(super::CoreError::invalid("offset", "offset must be >= 0"));
        }
        Ok((limit, offset))
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: i64,
    /// The page size used.
    pub limit: i64,
    /// The offset used.
    pub offset: i64,
}

impl<T> Page<T> {
    /// The page of `rows` (each converted to `T`) at `limit`/`offset` of `total` matches.
    pub fn from_rows<R>(rows: Vec<R>, total: i64, limit: i64, offset: i64) -> Page<T>
    where
        T: From<R>,
    {
        Page {
            items: rows.into_iter().map(T::from).collect(),
            total,
            limit,
            offset,
        }
    }
}
