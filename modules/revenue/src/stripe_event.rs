//! What a Stripe event means for the income: read from the event's JSON (after its signature
//! was checked), nothing written here.
//!
//! | Event | Income |
//! |-------|--------|
//! | `checkout.session.completed` | `amount_total`, once paid (`payment_status` `paid`); a session that made an invoice (subscriptions) is left to that invoice's `invoice.paid`, so it counts once |
//! | `invoice.paid` | `amount_paid` |
//! | `charge.refunded` | minus the part of `amount_refunded` (the charge's refunds so far) not recorded yet |
//! | anything else | nothing (acknowledged) |
//!
//! The company is the object's `metadata.companyId` (for an invoice also its
//! `subscription_details.metadata.companyId`), else the config's `defaultCompanyId`. The time is
//! the event's `created`.

use crate::currency;
use serde::Deserialize;
use serde_json::Value;

/// An event as Stripe posts it (only what is read).
#[derive(Debug, Deserialize)]
pub struct StripeEvent {
    /// `evt_…`.
    pub id: String,
    /// `invoice.paid`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    /// `{"object": {…}}`.
    pub data: EventData,
}

/// The event's `data`.
#[derive(Debug, Deserialize)]
pub struct EventData {
    /// The object the event is about (a checkout session, an invoice, a charge).
    pub object: Value,
}

/// Money an event brings in or takes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// The company.
    pub company_id: String,
    /// The object's id (`cs_…`, `in_…`, `ch_…`).
    pub object_id: String,
    /// Minor units: the amount paid, or for a refund the charge's refunds so far.
    pub amount: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// When (Unix ms).
    pub occurred_at: i64,
}

/// What an event means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// Income of `amount`.
    Paid(Money),
    /// A charge's refunds, `amount` in all so far.
    Refunded(Money),
    /// Nothing to record, and why.
    Ignored(String),
}

/// The meaning of `event`; `Err` names what is missing or wrong (a 400 for Stripe to show).
pub fn meaning(event: &StripeEvent, default_company: Option<&str>) -> Result<Meaning, String> {
    let object = &event.data.object;
    let (amount_field, refund) = match event.kind.as_str() {
        "checkout.session.completed" => {
            if let Some(reason) = checkout_left_out(object) {
                return Ok(Meaning::Ignored(reason));
            }
            ("amount_total", false)
        }
        "invoice.paid" => ("amount_paid", false),
        "charge.refunded" => ("amount_refunded", true),
        other => {
            return Ok(Meaning::Ignored(format!(
                "event type `{other}` is not recorded"
            )))
        }
    };
    let amount = object
        .get(amount_field)
        .and_then(Value::as_i64)
        .filter(|a| *a >= 0)
        .ok_or_else(|| format!("data.object.{amount_field} must be a non-negative integer"))?;
    if amount == 0 {
        return Ok(Meaning::Ignored(format!("data.object.{amount_field} is 0")));
    }
    let currency = object
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| "data.object.currency is missing".to_owned())
        .and_then(|c| currency::normalize(c).map_err(|p| format!("data.object.currency {p}")))?;
    let object_id = object
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| "data.object.id is missing".to_owned())?;
    let company_id = company_of(object)
        .or(default_company)
        .ok_or_else(|| {
            "data.object.metadata.companyId is missing and no defaultCompanyId is configured \
             (modules.config.revenue.defaultCompanyId): set the Paperclip company id as \
             metadata companyId on the Stripe object"
                .to_owned()
        })?
        .to_owned();
    let money = Money {
        company_id,
        object_id: object_id.to_owned(),
        amount,
        currency,
        occurred_at: event.created.saturating_mul(1000),
    };
    Ok(if refund {
        Meaning::Refunded(money)
    } else {
        Meaning::Paid(money)
    })
}

/// Why a completed checkout session is not recorded itself, if it is not.
fn checkout_left_out(session: &Value) -> Option<String> {
    let invoice = session.get("invoice").is_some_and(|i| !i.is_null());
    if invoice || session.get("mode").and_then(Value::as_str) == Some("subscription") {
        return Some(
            "the checkout session made an invoice: its invoice.paid event records the income"
                .into(),
        );
    }
    match session.get("payment_status").and_then(Value::as_str) {
        None | Some("paid") => None,
        Some(status) => Some(format!(
            "payment_status is `{status}`: nothing was paid yet"
        )),
    }
}

/// The object's `metadata.companyId` (an invoice's may sit in `subscription_details`).
fn company_of(object: &Value) -> Option<&str> {
    [
        object.pointer("/metadata/companyId"),
        object.pointer("/subscription_details/metadata/companyId"),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_str)
    .map(str::trim)
    .find(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, object: Value) -> StripeEvent {
        serde_json::from_value(json!({
            "id": "evt_1", "type": kind, "created": 1_790_000_000, "data": {"object": object}
        }))
        .unwrap()
    }

    #[test]
    fn paid_checkouts_and_invoices_are_income() {
        let paid = meaning(
            &event(
                "checkout.session.completed",
                json!({"id": "cs_1", "amount_total": 4900, "currency": "usd",
                       "payment_status": "paid", "mode": "payment", "invoice": null,
                       "metadata": {"companyId": "c1"}}),
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            paid,
            Meaning::Paid(Money {
                company_id: "c1".into(),
                object_id: "cs_1".into(),
                amount: 4900,
                currency: "USD".into(),
                occurred_at: 1_790_000_000_000,
            })
        );
        let invoice = meaning(
            &event(
                "invoice.paid",
                json!({"id": "in_1", "amount_paid": 1200, "currency": "eur", "metadata": {},
                       "subscription_details": {"metadata": {"companyId": "c2"}}}),
            ),
            Some("c9"),
        )
        .unwrap();
        assert!(matches!(invoice, Meaning::Paid(m) if m.company_id == "c2" && m.amount == 1200));
    }

    #[test]
    fn refunds_carry_the_charge_total() {
        let refund = meaning(
            &event(
                "charge.refunded",
                json!({"id": "ch_1", "amount": 5000, "amount_refunded": 2000, "currency": "usd"}),
            ),
            Some("c1"),
        )
        .unwrap();
        assert!(
            matches!(refund, Meaning::Refunded(m) if m.amount == 2000 && m.object_id == "ch_1" && m.company_id == "c1")
        );
    }

    #[test]
    fn other_events_and_unpaid_sessions_are_ignored() {
        for (kind, object) in [
            ("customer.created", json!({"id": "cus_1"})),
            (
                "checkout.session.completed",
                json!({"id": "cs_1", "amount_total": 10, "currency": "usd",
                       "payment_status": "unpaid", "metadata": {"companyId": "c1"}}),
            ),
            (
                "checkout.session.completed",
                json!({"id": "cs_2", "amount_total": 10, "currency": "usd", "mode": "subscription",
                       "payment_status": "paid", "metadata": {"companyId": "c1"}}),
            ),
            (
                "invoice.paid",
                json!({"id": "in_0", "amount_paid": 0, "currency": "usd"}),
            ),
        ] {
            assert!(
                matches!(meaning(&event(kind, object), None), Ok(Meaning::Ignored(_))),
                "{kind}"
            );
        }
    }

    #[test]
    fn missing_fields_and_companies_are_named() {
        let no_company = meaning(
            &event(
                "invoice.paid",
                json!({"id": "in_1", "amount_paid": 5, "currency": "usd"}),
            ),
            None,
        )
        .unwrap_err();
        assert!(no_company.contains("metadata.companyId"), "{no_company}");
        let no_amount = meaning(
            &event("invoice.paid", json!({"id": "in_1", "currency": "usd"})),
            Some("c1"),
        )
        .unwrap_err();
        assert!(no_amount.contains("amount_paid"), "{no_amount}");
        let bad_currency = meaning(
            &event(
                "invoice.paid",
                json!({"id": "in_1", "amount_paid": 5, "currency": "dollars"}),
            ),
            Some("c1"),
        )
        .unwrap_err();
        assert!(bad_currency.contains("currency"), "{bad_currency}");
    }
}
