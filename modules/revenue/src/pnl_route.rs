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
//! other currencies is never converted but listed in `otherCurrencies`.
//!
//! Sums per UTC day come from the day sums ([`crate::day_sums`], one row per day) for the whole
//! days of the range, and from the entries themselves (summed per day in SQL over the
//! `(company_id, occurred_at)` index) for a day the range cuts (`from` or `to` not at midnight);
//! the days are folded into periods here.

use crate::clock::DAY_MS;
use crate::companies;
use crate::day_sums;
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

    let (income_days, cost) = day_totals(ctx, &company_id, from, to)?;
    let currency = &m.config.currency;
    let mut income = BTreeMap::new();
    let mut other: BTreeMap<String, i64> = BTreeMap::new();
    for (day, row_currency, cents) in income_days {
        if row_currency == *currency {
            *income.entry(day).or_insert(0) += cents;
        } else {
            *other.entry(row_currency).or_insert(0) += cents;
        }
    }
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

/// Income per day and currency (`(day, currency, cents)`, a day possibly more than once), and
/// cost per day.
type DayTotals = (Vec<(i64, String, i64)>, BTreeMap<i64, i64>);

/// The [`DayTotals`] of `[from, to)`: whole days from the day sums, cut days from the entries.
fn day_totals(ctx: &ModuleContext, company_id: &str, from: i64, to: i64) -> Result<DayTotals> {
    let db = ctx.db();
    let first_whole = day_sums::day_of(from + DAY_MS - 1);
    let end_whole = day_sums::day_of(to);
    let mut income = Vec::new();
    let mut cost = BTreeMap::new();
    let cut = if first_whole < end_whole {
        income = day_sums::income(&db, company_id, first_whole, end_whole)?;
        cost = day_sums::cost(&db, company_id, first_whole, end_whole)?;
        [(from, first_whole * DAY_MS), (end_whole * DAY_MS, to)]
    } else {
        [(from, to), (to, to)]
    };
    for (start, end) in cut.into_iter().filter(|(start, end)| start < end) {
        income.extend(income_days(ctx, company_id, start, end)?);
        for (day, cents) in cost_days(ctx, company_id, start, end)? {
            *cost.entry(day).or_insert(0) += cents;
        }
    }
    Ok((income, cost))
}

/// Income per UTC day and currency in `[from, to)`, summed from the entries: `(day number,
/// currency, cents)`.
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

/// Cost per UTC day in `[from, to)`, summed from the entries: day number → cents.
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
