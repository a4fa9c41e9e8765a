//! ISO 4217 currency codes: three letters, stored in upper case (Stripe sends `usd`).
//!
//! Amounts are integers in the currency's minor unit, as Stripe gives them: cents for USD and
//! EUR, yen for JPY (a zero-decimal currency). The module never converts between currencies.

/// `code` in upper case, or what is wrong with it (to follow the field's name).
pub fn normalize(code: &str) -> Result<String, String> {
    let code = code.trim();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(format!(
            "must be a three-letter ISO 4217 currency code such as USD or EUR, got `{code}`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_letters_in_any_case() {
        assert_eq!(normalize("usd").unwrap(), "USD");
        assert_eq!(normalize(" Eur ").unwrap(), "EUR");
        for bad in ["", "US", "USDT", "U$D", "12A"] {
            assert!(normalize(bad).unwrap_err().contains("ISO 4217"), "{bad}");
        }
    }
}
