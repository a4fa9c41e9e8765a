//! A delivery: one message of one event for one channel, in `mod_notifications_deliveries`.
//! It is `pending` until sent (`sent`) or given up after `maxAttempts` (`failed`); the row keeps
//! the attempts, the last error and the times, and is the delivery log the API shows.

use crate::clock;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The statuses of a delivery, by their wire names.
pub const STATUSES: [&str; 3] = ["pending", "sent", "failed"];

/// A delivery to queue (its message is rendered when the event arrives).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// UUID.
    pub id: String,
    /// The channel.
    pub channel_id: String,
    /// The channel's company.
    pub company_id: String,
    /// The hook's wire name.
    pub hook: String,
    /// The event's `eventId`: with the channel, what makes a redelivered event queue nothing.
    pub event_id: String,
    /// Email subject (email channels only).
    pub subject: Option<String>,
    /// The rendered message.
    pub message: String,
    /// The event's payload (a generic webhook sends it).
    pub payload: Value,
}

/// A stored delivery, as the log answers it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Delivery {
    /// UUID.
    pub id: String,
    /// The channel.
    pub channel_id: String,
    /// The channel's name (joined in when listing).
    #[serde(default)]
    pub channel_name: Option<String>,
    /// The channel's company.
    pub company_id: String,
    /// The hook's wire name.
    pub hook: String,
    /// The event's `eventId`.
    pub event_id: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Sends tried so far.
    pub attempts: i64,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// Email subject (email channels only).
    pub subject: Option<String>,
    /// The rendered message.
    pub message: String,
    /// When the next attempt is due (pending deliveries).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub next_attempt_at: i64,
    /// When the event was queued.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub created_at: i64,
    /// Last change.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub updated_at: i64,
    /// When it was sent.
    #[serde(serialize_with = "clock::serialize_opt_ms")]
    pub sent_at: Option<i64>,
}

/// A pending delivery ready to send: what the sender needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DueDelivery {
    /// UUID.
    pub id: String,
    /// The channel.
    pub channel_id: String,
    /// The channel's company.
    pub company_id: String,
    /// The hook's wire name.
    pub hook: String,
    /// The event's `eventId`.
    pub event_id: String,
    /// Email subject.
    pub subject: Option<String>,
    /// The rendered message.
    pub message: String,
    /// The payload, as JSON text.
    pub payload: String,
    /// Sends tried so far.
    pub attempts: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_delivery_is_answered_in_camel_case_with_rfc3339_times() {
        let row = json!({
            "id": "d1", "channel_id": "ch1", "channel_name": "Ops", "company_id": "c1",
            "hook": "issue:created", "event_id": "e1", "status": "failed", "attempts": 3,
            "last_error": "HTTP 500", "subject": null, "message": "PC-1 created",
            "next_attempt_at": 0, "created_at": 0, "updated_at": 1, "sent_at": null
        });
        let delivery: Delivery = serde_json::from_value(row).unwrap();
        let view = serde_json::to_value(&delivery).unwrap();
        assert_eq!(view["channelName"], "Ops");
        assert_eq!(view["lastError"], "HTTP 500");
        assert_eq!(view["sentAt"], Value::Null);
        assert_eq!(view["updatedAt"], "1970-01-01T00:00:00.001Z");
    }
}
