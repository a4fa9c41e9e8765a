//! The module's configuration, as `modules.config.revenue` in the server's config file.
//!
//! The host validates it against `configSchema` in `paperclip.module.json`, fills in the
//! defaults and resolves `$ENV_VAR` values (and masks them in its admin API) before `register`
//! runs; the serde defaults below repeat the schema's so the type also reads well on its own.

use crate::currency;
use module_sdk::{Error, Result};
use serde::Deserialize;

/// Settings of the revenue module.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RevenueConfig {
    /// The currency agent costs are counted in, and so the P&L's.
    pub currency: String,
    /// The Stripe endpoint's signing secret (`whsec_…`); empty refuses every Stripe delivery.
    pub stripe_webhook_secret: String,
    /// How far a Stripe signature's timestamp may be from now, in seconds.
    pub webhook_tolerance_seconds: u64,
    /// The company of a Stripe event without `metadata.companyId`; empty: none.
    pub default_company_id: String,
}

impl Default for RevenueConfig {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
            stripe_webhook_secret: String::new(),
            webhook_tolerance_seconds: 300,
            default_company_id: String::new(),
        }
    }
}

impl RevenueConfig {
    /// Checks what the schema cannot say and normalizes the currency to upper case.
    pub fn check(&mut self) -> Result<()> {
        self.currency = currency::normalize(&self.currency).map_err(|problem| {
            Error::bad_request(format!("modules.config.revenue.currency {problem}"))
        })?;
        Ok(())
    }

    /// The default company of Stripe events, when one is set.
    pub fn default_company(&self) -> Option<&str> {
        Some(self.default_company_id.trim()).filter(|c| !c.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_fields_take_the_schema_defaults() {
        let mut config: RevenueConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config, RevenueConfig::default());
        config.check().unwrap();
        assert_eq!(config.currency, "USD");
        assert_eq!(config.default_company(), None);
    }

    #[test]
    fn the_currency_is_normalized_and_checked() {
        let mut config: RevenueConfig =
            serde_json::from_value(json!({"currency": "eur", "defaultCompanyId": " c1 "})).unwrap();
        config.check().unwrap();
        assert_eq!(config.currency, "EUR");
        assert_eq!(config.default_company(), Some("c1"));
        let mut bad: RevenueConfig = serde_json::from_value(json!({"currency": "E1R"})).unwrap();
        assert!(bad.check().unwrap_err().message().contains("currency"));
    }
}
