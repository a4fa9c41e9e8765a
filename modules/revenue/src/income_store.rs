//! The `mod_revenue_income` table. Values always travel as `$n` parameters; only fixed
//! fragments of SQL are put together as text.

use crate::day_sums;
use crate::income::Income;
use module_sdk::{params, Db, ModuleContext, Result};
use serde_json::Value;

/// The columns of an entry, in [`Income`]'s order.
const COLUMNS: &str = "id, company_id, amount_cents, currency, source, description, occurred_at, \
     created_at, stripe_event_id, stripe_event_type, stripe_object_id";

/// What an income listing shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// The company.
    pub company_id: String,
    /// Entries that occurred at or after this time (Unix ms).
    pub from: Option<i64>,
    /// Entries that occurred before this time (Unix ms).
    pub to: Option<i64>,
    /// `manual` or `stripe`.
    pub source: Option<String>,
    /// An ISO 4217 code.
    pub currency: Option<String>,
}

impl Filter {
    /// The `WHERE` condition and its parameters.
    fn condition(&self) -> (String, Vec<Value>) {
        let mut params = params![self.company_id];
        let mut parts = vec!["company_id = $1".to_owned()];
        let mut add = |sql: &str, value: Value| {
            params.push(value);
            parts.push(format!("{sql} ${}", params.len()));
        };
        if let Some(from) = self.from {
            add("occurred_at >=", from.into());
        }
        if let Some(to) = self.to {
            add("occurred_at <", to.into());
        }
        if let Some(source) = &self.source {
            add("source =", source.as_str().into());
        }
        if let Some(currency) = &self.currency {
            add("currency =", currency.as_str().into());
        }
        (parts.join(" AND "), params)
    }
}

/// The parameters of an insert of `entry`.
fn row_params(entry: &Income) -> Vec<Value> {
    params![
        entry.id,
        entry.company_id,
        entry.amount_cents,
        entry.currency,
        entry.source,
        entry.description,
        entry.occurred_at,
        entry.created_at,
        entry.stripe_event_id,
        entry.stripe_event_type,
        entry.stripe_object_id
    ]
}

/// The `INSERT` of one entry.
fn insert_sql(conflict: &str) -> String {
    format!(
        "INSERT INTO mod_revenue_income ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) {conflict}"
    )
}

/// Adds (or with `sign` -1 takes off) `entry` to its day's sum.
fn add_to_day(db: &Db<'_>, entry: &Income, sign: i64) -> Result<()> {
    day_sums::add_income(
        db,
        &entry.company_id,
        day_sums::day_of(entry.occurred_at),
        &entry.currency,
        sign * entry.amount_cents,
    )
}

/// Stores a manual entry (and its day's sum, in the same transaction).
pub fn insert(ctx: &ModuleContext, entry: &Income) -> Result<()> {
    ctx.db().transaction(|tx| {
        tx.execute(&insert_sql(""), &row_params(entry))?;
        add_to_day(tx, entry, 1)
    })
}

/// Stores an entry of a Stripe event (and its day's sum) unless that event is stored already;
/// whether it was new.
pub fn insert_stripe(db: &Db<'_>, entry: &Income) -> Result<bool> {
    let inserted = db.execute(
        &insert_sql("ON CONFLICT (stripe_event_id) DO NOTHING"),
        &row_params(entry),
    )?;
    if inserted > 0 {
        add_to_day(db, entry, 1)?;
    }
    Ok(inserted > 0)
}

/// Whether the Stripe event `event_id` is recorded.
pub fn has_stripe_event(db: &Db<'_>, event_id: &str) -> Result<bool> {
    Ok(db
        .query_opt(
            "SELECT id FROM mod_revenue_income WHERE stripe_event_id = $1",
            &params![event_id],
        )?
        .is_some())
}

/// The sum of the entries of Stripe object `object_id` (a charge's refunds so far, negative).
pub fn sum_of_object(db: &Db<'_>, object_id: &str) -> Result<i64> {
    let row = db.query_one(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS total \
         FROM mod_revenue_income WHERE stripe_object_id = $1",
        &params![object_id],
    )?;
    row.get("total")
}

/// Entry `id`.
pub fn get(ctx: &ModuleContext, id: &str) -> Result<Option<Income>> {
    ctx.db()
        .query_opt(
            &format!("SELECT {COLUMNS} FROM mod_revenue_income WHERE id = $1"),
            &params![id],
        )?
        .map(|row| row.to())
        .transpose()
}

/// Deletes `entry` (and takes it off its day's sum); whether it was there.
pub fn delete(ctx: &ModuleContext, entry: &Income) -> Result<bool> {
    ctx.db().transaction(|tx| {
        let deleted = tx.execute(
            "DELETE FROM mod_revenue_income WHERE id = $1",
            &params![entry.id],
        )? > 0;
        if deleted {
            add_to_day(tx, entry, -1)?;
        }
        Ok(deleted)
    })
}

/// One page of the entries `filter` selects, newest first, and how many it selects in all.
pub fn list(
    ctx: &ModuleContext,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Income>, i64)> {
    let (condition, mut params) = filter.condition();
    let total: i64 = ctx
        .db()
        .query_one(
            &format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM mod_revenue_income WHERE {condition}"
            ),
            &params,
        )?
        .get("n")?;
    let at = params.len();
    params.push(limit.into());
    params.push(offset.into());
    let items = ctx.db().query_as(
        &format!(
            "SELECT {COLUMNS} FROM mod_revenue_income WHERE {condition} \
             ORDER BY occurred_at DESC, id DESC LIMIT ${} OFFSET ${}",
            at + 1,
            at + 2
        ),
        &params,
    )?;
    Ok((items, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_become_numbered_parameters() {
        let filter = Filter {
            company_id: "c1".into(),
            from: Some(5),
            to: None,
            source: Some("stripe".into()),
            currency: Some("USD".into()),
        };
        let (sql, params) = filter.condition();
        assert_eq!(
            sql,
            "company_id = $1 AND occurred_at >= $2 AND source = $3 AND currency = $4"
        );
        assert_eq!(
            params,
            [json!("c1"), json!(5), json!("stripe"), json!("USD")]
        );
        assert!(insert_sql("").contains("$11"));
    }
}
