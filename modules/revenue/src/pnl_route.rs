//! `GET /pnl?companyId=&from=&to=&granularity=day|week|month`: a company's profit and loss over
//! `[from, to)`, per UTC period (weeks start on Monday), every period listed (zeros when empty):
//!
//! ```json
//! {"companyId": "…", "from": "…", "to": "…", "granularity": "week", "currency": "USD",
//!  "periods": [{"period": "2026-W45", "start": "…", "end": "…",
//!               "incomeCents": 1000, "costCents": 300, "marginCents": 700}, …],
//!  "totals": {"incomeCents": …, "costCents": …, "marginCents": …},
//!  "otherCurrencies": [{"currency": "EUR", "incomeCents": 500}]}
//! ```
//!
//! Costs are in the config's `currency`, and so is the income set against them; income in
//! other currencies is never converted but listed in `otherCurrencies`. The database sums per
//! UTC day (`occurred_at / 86400000`, the same integer division on SQLite and PostgreSQL) over
//! the `(company_id, occurred_at)` index; the days are folded into periods here.

use crate::companies;
use crate::invalid::Invalid;
use crate::period::Granularity;
use crate::pnl::{self, MAX_PERIODS};
use crate::query_params::{optional, reject_unknown, required, time};
use crate::reply::Reply;
use crate::{clock, Revenue};
use module_sdk::{params, ModuleContext, Request, Response, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `GET /pnl`.
pub fn get(m: &Revenue, ctx: &ModuleContext, req: &Request) -> Reply {
    reject_unknown(req, &["companyId", "from", "to", "granularity"])?;
    let company_id = required(req, "companyId")?;
    let from = time(req, "from")?.ok_or_else(|| Invalid::field("from", "is required"))?;
    let to = time(req, "to")?.ok_or_else(|| Invalid::field("to", "is required"))?;
    if from >= to {
        return Err(Invalid::field(
            "to",
            format!(
                "must be after `from` ({} is not after {})",
                clock::to_rfc3339(to),
                clock::to_rfc3339(from)
            ),
        )
        .into());
    }
    let granularity = match optional(req, "granularity") {
        None => Granularity::Day,
        Some(text) => Granularity::parse(&text).ok_or_else(|| {
            Invalid::field(
                "granularity",
                format!("must be `day`, `week` or `month`, got `{text}`"),
            )
        })?,
    };
    let mut periods = pnl::periods(from, to, granularity).ok_or_else(|| {
        Invalid::field(
            "granularity",
            format!(
                "gives more than {MAX_PERIODS} periods from {} to {}: choose a shorter range or a \
                 coarser granularity",
                clock::to_rfc3339(from),
                clock::to_rfc3339(to)
            ),
        )
    })?;
    companies::check(ctx, &company_id, "companyId")??;

    let currency = &m.config.currency;
    let mut income = BTreeMap::new();
    let mut other: BTreeMap<String, i64> = BTreeMap::new();
    for (day, row_currency, cents) in income_days(ctx, &company_id, from, to)? {
        if row_currency == *currency {
            *income.entry(day).or_insert(0) += cents;
        } else {
            *other.entry(row_currency).or_insert(0) += cents;
        }
    }
    let cost = cost_days(ctx, &company_id, from, to)?;
    pnl::add_days(&mut periods, &income, &cost);
    let other: Vec<Value> = other
        .into_iter()
        .map(|(currency, cents)| json!({ "currency": currency, "incomeCents": cents }))
        .collect();
    Ok(Response::ok(&json!({
        "companyId": company_id,
        "from": clock::to_rfc3339(from),
        "to": clock::to_rfc3339(to),
        "granularity": granularity.as_str(),
        "currency": currency,
        "periods": pnl::view(&periods),
        "totals": pnl::totals_view(&periods),
        "otherCurrencies": other,
    })))
}

/// Income per UTC day and currency in `[from, to)`: `(day number, currency, cents)`.
fn income_days(
    ctx: &ModuleContext,
    company_id: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, String, i64)>> {
    let rows = ctx.db().query(
        "SELECT occurred_at / 86400000 AS day, currency, \
         CAST(SUM(amount_cents) AS BIGINT) AS cents \
         FROM mod_revenue_income \
         WHERE company_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
         GROUP BY occurred_at / 86400000, currency",
        &params![company_id, from, to],
    )?;
    rows.iter()
        .map(|row| Ok((row.get("day")?, row.get("currency")?, row.get("cents")?)))
        .collect()
}

/// Cost per UTC day in `[from, to)`: day number → cents.
fn cost_days(
    ctx: &ModuleContext,
    company_id: &str,
    from: i64,
    to: i64,
) -> Result<BTreeMap<i64, i64>> {
    let rows = ctx.db().query(
        "SELECT occurred_at / 86400000 AS day, CAST(SUM(amount_cents) AS BIGINT) AS cents \
         FROM mod_revenue_costs \
         WHERE company_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
         GROUP BY occurred_at / 86400000",
        &params![company_id, from, to],
    )?;
    rows.iter()
        .map(|row| Ok((row.get("day")?, row.get("cents")?)))
        .collect()
}
