//! An income entry: money a company received (or, negative, paid back), as stored in
//! `mod_revenue_income` and answered by the API.

use crate::clock;
use serde::Deserialize;
use serde_json::{json, Value};

/// Where an entry came from.
pub const MANUAL: &str = "manual";
/// An entry recorded from a Stripe event.
pub const STRIPE: &str = "stripe";

/// One income entry (a row of `mod_revenue_income`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Income {
    /// Row id (UUIDv7).
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Amount in the currency's minor unit; negative for a refund.
    pub amount_cents: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// [`MANUAL`] or [`STRIPE`].
    pub source: String,
    /// Free text.
    pub description: Option<String>,
    /// When the money came in (Unix ms).
    pub occurred_at: i64,
    /// When the entry was recorded (Unix ms).
    pub created_at: i64,
    /// The Stripe event (`evt_…`), for Stripe entries.
    pub stripe_event_id: Option<String>,
    /// Its type (`invoice.paid`, …).
    pub stripe_event_type: Option<String>,
    /// The id of its object (`in_…`, `cs_…`, `ch_…`).
    pub stripe_object_id: Option<String>,
}

impl Income {
    /// The entry as the API answers it.
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "companyId": self.company_id,
            "amountCents": self.amount_cents,
            "currency": self.currency,
            "source": self.source,
            "description": self.description,
            "occurredAt": clock::to_rfc3339(self.occurred_at),
            "createdAt": clock::to_rfc3339(self.created_at),
            "stripeEventId": self.stripe_event_id,
            "stripeEventType": self.stripe_event_type,
            "stripeObjectId": self.stripe_object_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_camel_case_with_rfc3339_times() {
        let entry = Income {
            id: "i1".into(),
            company_id: "c1".into(),
            amount_cents: -250,
            currency: "EUR".into(),
            source: STRIPE.into(),
            description: None,
            occurred_at: 0,
            created_at: clock::DAY_MS,
            stripe_event_id: Some("evt_1".into()),
            stripe_event_type: Some("charge.refunded".into()),
            stripe_object_id: Some("ch_1".into()),
        };
        let view = entry.view();
        assert_eq!(view["amountCents"], -250);
        assert_eq!(view["occurredAt"], "1970-01-01T00:00:00.000Z");
        assert_eq!(view["createdAt"], "1970-01-02T00:00:00.000Z");
        assert_eq!(view["stripeEventId"], "evt_1");
    }
}
