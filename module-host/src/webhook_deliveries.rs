//! The record of deliveries to modules' inbound webhooks, table `module_webhook_deliveries`:
//! when, which key, the status answered, the body's size, how long it took and the error when
//! there was one — never the body. Bounded: each delivery's insert prunes the module's rows
//! beyond the newest [`KEPT_PER_MODULE`], in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use paperclip_core::db::schema::module_webhook_deliveries as deliveries;
use paperclip_core::db::{to_rfc3339, write_tx, DbConnection};
use serde::Serialize;

/// How many deliveries are kept per module (the newest).
pub const KEPT_PER_MODULE: i64 = 1000;

/// The longest error text kept (longer ones are cut, on a character boundary).
pub const MAX_ERROR_CHARS: usize = 500;

/// One delivery, as recorded and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// Grows with each delivery (across modules).
    pub id: i64,
    /// The webhook key.
    pub key: String,
    /// When the request arrived (UTC; RFC 3339 in JSON).
    #[serde(serialize_with = "rfc3339")]
    pub received_at: NaiveDateTime,
    /// The HTTP status answered.
    pub status: u16,
    /// The size of the request body, in bytes (413: the bytes read before the limit).
    pub body_bytes: u64,
    /// From the request's arrival to the answer, in milliseconds.
    pub duration_ms: u64,
    /// Why, when the host refused it or the module failed (or the `error` of the module's own
    /// error answer).
    pub error: Option<String>,
}

/// A delivery to record for `module_id` (its `id` is ignored).
pub fn record(
    conn: &mut DbConnection,
    module_id: &str,
    delivery: &WebhookDelivery,
) -> Result<(), diesel::result::Error> {
    let error = delivery.error.as_deref().map(truncated);
    write_tx(conn, |tx| {
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::module_id.eq(module_id),
                deliveries::webhook_key.eq(&delivery.key),
                deliveries::received_at.eq(delivery.received_at),
                deliveries::status.eq(i32::from(delivery.status)),
                deliveries::body_bytes.eq(i64::try_from(delivery.body_bytes).unwrap_or(i64::MAX)),
                deliveries::duration_ms.eq(i64::try_from(delivery.duration_ms).unwrap_or(i64::MAX)),
                deliveries::error.eq(error),
            ))
            .execute(tx)?;
        prune(tx, module_id)
    })
}

/// Deletes `module_id`'s deliveries older than its newest [`KEPT_PER_MODULE`].
fn prune(conn: &mut DbConnection, module_id: &str) -> Result<(), diesel::result::Error> {
    let oldest_kept: Option<i64> = deliveries::table
        .filter(deliveries::module_id.eq(module_id))
        .order(deliveries::id.desc())
        .offset(KEPT_PER_MODULE - 1)
        .select(deliveries::id)
        .first(conn)
        .optional()?;
    if let Some(oldest_kept) = oldest_kept {
        diesel::delete(
            deliveries::table
                .filter(deliveries::module_id.eq(module_id))
                .filter(deliveries::id.lt(oldest_kept)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// `module_id`'s newest `limit` deliveries, newest first.
pub fn list(
    conn: &mut DbConnection,
    module_id: &str,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, diesel::result::Error> {
    let rows = deliveries::table
        .filter(deliveries::module_id.eq(module_id))
        .order(deliveries::id.desc())
        .limit(limit)
        .select((
            deliveries::id,
            deliveries::webhook_key,
            deliveries::received_at,
            deliveries::status,
            deliveries::body_bytes,
            deliveries::duration_ms,
            deliveries::error,
        ))
        .load::<(i64, String, NaiveDateTime, i32, i64, i64, Option<String>)>(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, key, received_at, status, body_bytes, duration_ms, error)| WebhookDelivery {
                id,
                key,
                received_at,
                status: u16::try_from(status).unwrap_or(0),
                body_bytes: u64::try_from(body_bytes).unwrap_or(0),
                duration_ms: u64::try_from(duration_ms).unwrap_or(0),
                error,
            },
        )
        .collect())
}

fn rfc3339<S: serde::Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(at))
}

/// `text` cut to [`MAX_ERROR_CHARS`] characters.
fn truncated(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperclip_core::db::{now, open_database};

    fn delivery(key: &str, status: u16) -> WebhookDelivery {
        WebhookDelivery {
            id: 0,
            key: key.into(),
            received_at: now(),
            status,
            body_bytes: 12,
            duration_ms: 3,
            error: None,
        }
    }

    #[test]
    fn deliveries_are_listed_newest_first_and_pruned_per_module() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_database(&dir.path().join("d.db").to_string_lossy()).unwrap();
        let mut conn = db.conn().unwrap();
        for n in 0..(KEPT_PER_MODULE + 5) {
            record(&mut conn, "pay", &delivery("stripe", 200 + (n % 2) as u16)).unwrap();
        }
        let mut failed = delivery("github", 500);
        failed.error = Some("é".repeat(MAX_ERROR_CHARS + 10));
        record(&mut conn, "other", &failed).unwrap();

        let all = list(&mut conn, "pay", 5000).unwrap();
        assert_eq!(all.len() as i64, KEPT_PER_MODULE);
        assert!(all.windows(2).all(|w| w[0].id > w[1].id));
        assert_eq!(all[0].status, 200);
        assert_eq!(list(&mut conn, "pay", 2).unwrap().len(), 2);
        let other = list(&mut conn, "other", 10).unwrap();
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].key, "github");
        let error = other[0].error.as_deref().unwrap();
        assert_eq!(error.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(error.ends_with('…'));
    }
}
