//! Sums per company and UTC day (`mod_revenue_income_days`, `mod_revenue_cost_days`), kept in
//! the transaction of every write of an income entry or a cost, so that the P&L reads one row
//! per day for the whole days of its range instead of summing every entry (a company whose 100
//! agents report spend every few minutes has tens of thousands of cost rows a day).
//!
//! A day is `occurred_at / 86400000` (Unix milliseconds, never negative): the same integer on
//! both backends.

use crate::clock::DAY_MS;
use module_sdk::{params, Db, Result};
use std::collections::BTreeMap;

/// The UTC day number of `ms`.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// Adds `cents` (negative to take off) to a company's income of a day in a currency.
pub fn add_income(
    db: &Db<'_>,
    company_id: &str,
    day: i64,
    currency: &str,
    cents: i64,
) -> Result<()> {
    db.execute(
        "INSERT INTO mod_revenue_income_days (company_id, day, currency, income_cents) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, day, currency) DO UPDATE SET \
         income_cents = mod_revenue_income_days.income_cents + excluded.income_cents",
        &params![company_id, day, currency, cents],
    )?;
    Ok(())
}

/// Adds `cents` to a company's cost of a day.
pub fn add_cost(db: &Db<'_>, company_id: &str, day: i64, cents: i64) -> Result<()> {
    db.execute(
        "INSERT INTO mod_revenue_cost_days (company_id, day, cost_cents) VALUES ($1, $2, $3) \
         ON CONFLICT (company_id, day) DO UPDATE SET \
         cost_cents = mod_revenue_cost_days.cost_cents + excluded.cost_cents",
        &params![company_id, day, cents],
    )?;
    Ok(())
}

/// A company's income per day and currency for the days `first..end`: `(day, currency, cents)`.
pub fn income(
    db: &Db<'_>,
    company_id: &str,
    first: i64,
    end: i64,
) -> Result<Vec<(i64, String, i64)>> {
    let rows = db.query(
        "SELECT day, currency, income_cents FROM mod_revenue_income_days \
         WHERE company_id = $1 AND day >= $2 AND day < $3",
        &params![company_id, first, end],
    )?;
    rows.iter()
        .map(|row| {
            Ok((
                row.get("day")?,
                row.get("currency")?,
                row.get("income_cents")?,
            ))
        })
        .collect()
}

/// A company's cost per day for the days `first..end`.
pub fn cost(db: &Db<'_>, company_id: &str, first: i64, end: i64) -> Result<BTreeMap<i64, i64>> {
    let rows = db.query(
        "SELECT day, cost_cents FROM mod_revenue_cost_days \
         WHERE company_id = $1 AND day >= $2 AND day < $3",
        &params![company_id, first, end],
    )?;
    rows.iter()
        .map(|row| Ok((row.get("day")?, row.get("cost_cents")?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    #[test]
    fn sums_are_upserts_keyed_by_company_and_day() {
        assert_eq!(day_of(DAY_MS * 3 + 5), 3);
        let host = TestHost::new("revenue");
        let ctx = host.context(json!({}));
        add_income(&ctx.db(), "c1", 3, "USD", -50).unwrap();
        add_cost(&ctx.db(), "c1", 3, 70).unwrap();
        let calls = host.calls().join("\n");
        assert!(
            calls.contains(r#"ON CONFLICT (company_id, day, currency) DO UPDATE"#),
            "{calls}"
        );
        assert!(calls.contains(r#"["c1",3,"USD",-50]"#), "{calls}");
        assert!(calls.contains(r#"["c1",3,70]"#), "{calls}");
        host.answer_queries(json!([{"day": 3, "cost_cents": 70}]));
        assert_eq!(
            cost(&ctx.db(), "c1", 0, 9).unwrap(),
            BTreeMap::from([(3, 70)])
        );
    }
}
