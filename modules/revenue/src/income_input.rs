//! The body of `POST /income`: a manual entry, checked field by field.

use crate::clock;
use crate::currency;
use crate::income::{Income, MANUAL};
use crate::invalid::Invalid;
use serde::Deserialize;

/// The largest amount of one entry, in minor units (the core's bound on any amount of money):
/// keeps sums far from 64-bit overflow.
pub const MAX_CENTS: i64 = 1_000_000_000_000;

/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 500;

/// A manual income entry as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncomeInput {
    /// The company.
    pub company_id: String,
    /// Integer minor units, not 0; negative for money paid back.
    pub amount_cents: i64,
    /// ISO 4217 code, any case.
    pub currency: String,
    /// When the money came in (RFC 3339 or a date); now when absent.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

impl IncomeInput {
    /// The entry to store, or the first field that is wrong.
    pub fn into_income(self, id: String, now_ms: i64) -> Result<Income, Invalid> {
        let company_id = self.company_id.trim().to_owned();
        if company_id.is_empty() {
            return Err(Invalid::field("companyId", "must not be empty"));
        }
        if self.amount_cents == 0 || self.amount_cents.abs() > MAX_CENTS {
            return Err(Invalid::field(
                "amountCents",
                format!(
                    "must be a whole number of cents, not 0, between -{MAX_CENTS} and {MAX_CENTS}; got {}",
                    self.amount_cents
                ),
            ));
        }
        let currency = currency::normalize(&self.currency)
            .map_err(|problem| Invalid::field("currency", problem))?;
        let occurred_at = match self.occurred_at.as_deref().map(str::trim) {
            None | Some("") => now_ms,
            Some(text) => clock::parse(text).map_err(|p| Invalid::field("occurredAt", p))?,
        };
        let description = self
            .description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        if let Some(d) = &description {
            if d.chars().count() > MAX_DESCRIPTION {
                return Err(Invalid::field(
                    "description",
                    format!("must be at most {MAX_DESCRIPTION} characters"),
                ));
            }
        }
        Ok(Income {
            id,
            company_id,
            amount_cents: self.amount_cents,
            currency,
            source: MANUAL.to_owned(),
            description,
            occurred_at,
            created_at: now_ms,
            stripe_event_id: None,
            stripe_event_type: None,
            stripe_object_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(body: serde_json::Value) -> Result<Income, Invalid> {
        serde_json::from_value::<IncomeInput>(body)
            .unwrap()
            .into_income("i1".into(), 42)
    }

    #[test]
    fn a_valid_entry_is_normalized() {
        let entry = input(
            json!({"companyId": " c1 ", "amountCents": 1999, "currency": "usd",
                                 "occurredAt": "2026-11-02", "description": "  consulting "}),
        )
        .unwrap();
        assert_eq!(entry.company_id, "c1");
        assert_eq!(entry.currency, "USD");
        assert_eq!(entry.occurred_at, clock::parse("2026-11-02").unwrap());
        assert_eq!(entry.description.as_deref(), Some("consulting"));
        assert_eq!(entry.source, MANUAL);
        let now = input(json!({"companyId": "c1", "amountCents": -5, "currency": "EUR"})).unwrap();
        assert_eq!((now.occurred_at, now.description), (42, None));
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = json!({"companyId": "c1", "amountCents": 100, "currency": "USD"});
        for (field, value) in [
            ("companyId", json!(" ")),
            ("amountCents", json!(0)),
            ("amountCents", json!(MAX_CENTS + 1)),
            ("currency", json!("dollars")),
            ("occurredAt", json!("last tuesday")),
            ("description", json!("x".repeat(MAX_DESCRIPTION + 1))),
        ] {
            let mut body = base.clone();
            body[field] = value;
            assert_eq!(input(body).unwrap_err().field, field);
        }
    }
}
