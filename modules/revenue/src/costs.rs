//! Costs: every `budget:spend_recorded` becomes a row of `mod_revenue_costs` (company, agent,
//! amount in cents, time).
//!
//! Delivery is at least once (the manifest's `"delivery": "at-least-once"`): after a crash, or
//! when a batch failed and the host retries its events, an event may come again. The row id is
//! the payload's `eventId` (the same on every delivery) and rows are inserted with
//! `ON CONFLICT (id) DO NOTHING`, so a redelivery adds nothing. The time is the one inside that
//! `eventId` — a UUIDv7 the core draws when the spend commits — so it does not depend on when
//! the module got round to the event either; an event without a v7 `eventId` (an older core)
//! takes the time it is handled.
//!
//! The events of a batch are written in one transaction: each row, then the day sums
//! ([`crate::day_sums`]) of the rows that were new — an `INSERT` that found its id already there
//! adds nothing to them either.

use crate::clock;
use crate::day_sums;
use crate::Revenue;
use module_sdk::{params, Error, Hook, ModuleContext, Result};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One spend, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    /// The event's `eventId`.
    pub id: String,
    /// The agent's company.
    pub company_id: String,
    /// The agent.
    pub agent_id: String,
    /// Cents.
    pub amount_cents: i64,
    /// When the core recorded the spend (Unix ms).
    pub occurred_at: i64,
}

/// The fields of a `budget:spend_recorded` payload the module reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpendPayload {
    #[serde(default)]
    event_id: String,
    agent_id: String,
    #[serde(default)]
    company_id: String,
    amount: i64,
}

/// The batch handler of `budget:spend_recorded`.
pub fn on_spend(_m: &Revenue, ctx: &ModuleContext, events: Vec<(Hook, Value)>) -> Result<()> {
    let handled_at = clock::now_ms();
    let mut rows = Vec::with_capacity(events.len());
    for (_, payload) in events {
        let spend: SpendPayload = serde_json::from_value(payload).map_err(|e| {
            Error::bad_request(format!("invalid `budget:spend_recorded` payload: {e}"))
        })?;
        let company_id = if spend.company_id.is_empty() {
            // A core older than the payload's `companyId`: ask it for the agent.
            match ctx.core().agent(&spend.agent_id)? {
                Some(agent) => agent.company_id,
                None => {
                    ctx.log().warn(format!(
                        "spend of deleted agent {} skipped: its company is unknown",
                        spend.agent_id
                    ));
                    continue;
                }
            }
        } else {
            spend.company_id
        };
        let (id, occurred_at) = match time_of_event(&spend.event_id) {
            Some(ms) => (spend.event_id, ms),
            None if !spend.event_id.is_empty() => (spend.event_id, handled_at),
            None => (uuid::Uuid::now_v7().to_string(), handled_at),
        };
        rows.push(CostRow {
            id,
            company_id,
            agent_id: spend.agent_id,
            amount_cents: spend.amount,
            occurred_at,
        });
    }
    write(ctx, &rows)
}

/// The time inside a UUIDv7 event id (Unix ms), `None` for any other id.
pub fn time_of_event(event_id: &str) -> Option<i64> {
    let id = uuid::Uuid::parse_str(event_id).ok()?;
    if id.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    i64::try_from(secs)
        .ok()
        .map(|s| s * 1000 + i64::from(nanos / 1_000_000))
}

/// Inserts `rows` in one transaction, skipping those stored already, and adds the new ones to
/// the day sums.
fn write(ctx: &ModuleContext, rows: &[CostRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    ctx.db().transaction(|tx| {
        let mut sums: BTreeMap<(&str, i64), i64> = BTreeMap::new();
        for row in rows {
            let new = tx.execute(
                "INSERT INTO mod_revenue_costs \
                 (id, company_id, agent_id, amount_cents, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                &params![
                    row.id,
                    row.company_id,
                    row.agent_id,
                    row.amount_cents,
                    row.occurred_at
                ],
            )?;
            if new > 0 {
                *sums
                    .entry((row.company_id.as_str(), day_sums::day_of(row.occurred_at)))
                    .or_insert(0) += row.amount_cents;
            }
        }
        for ((company_id, day), cents) in sums {
            day_sums::add_cost(tx, company_id, day, cents)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::{TestHost, TestModule};
    use serde_json::json;

    #[test]
    fn the_time_is_read_from_a_v7_event_id() {
        let id = uuid::Uuid::now_v7().to_string();
        let ms = time_of_event(&id).unwrap();
        assert!((clock::now_ms() - ms).abs() < 5_000, "{ms}");
        assert_eq!(time_of_event(&uuid::Uuid::new_v4().to_string()), None);
        assert_eq!(time_of_event("evt-1"), None);
    }

    #[test]
    fn a_batch_is_one_transaction_of_idempotent_inserts() {
        let host = TestHost::new("revenue");
        let module = TestModule::<Revenue>::register(&host, json!({})).unwrap();
        let event_id = uuid::Uuid::now_v7().to_string();
        module
            .hook_json(
                "budget:spend_recorded",
                json!({"eventId": event_id, "agentId": "a1", "companyId": "c1",
                       "amount": 150, "total": 900}),
            )
            .unwrap();
        let calls = host.calls();
        let insert = calls
            .iter()
            .find(|c| c.contains("INSERT INTO mod_revenue_costs"))
            .expect("an insert");
        assert!(insert.contains("ON CONFLICT (id) DO NOTHING"), "{insert}");
        assert!(insert.contains(&event_id), "{insert}");
        assert!(insert.contains(r#""c1","a1",150,"#), "{insert}");
        assert!(
            calls
                .iter()
                .any(|c| c.contains("INSERT INTO mod_revenue_cost_days")),
            "{calls:?}"
        );
        assert!(calls.iter().any(|c| c.starts_with("commit")), "{calls:?}");
    }
}
