//! Monthly budgets: the one place spend is added to an agent (from heartbeats and cost events).
//!
//! In the caller's write transaction, [`record_spend`]
//! 1. adds the amount with one atomic `UPDATE` that also rolls the month over (spend and the
//!    alert bitmask restart at 0 when the stored month is not the current one). Concurrent
//!    spends therefore never lose an update: the addition happens in the database, and on
//!    PostgreSQL the row stays locked until commit, so the read that follows and the threshold
//!    bits written after it belong to this transaction alone (SQLite's `BEGIN IMMEDIATE`
//!    serializes writers anyway);
//! 2. records a `cost_events` row and queues `budget:spend_recorded {agentId, amount, total}`;
//! 3. for each of 80 %, 90 %, 100 % reached and not yet announced this month (budget > 0), sets
//!    its bit and queues `budget:threshold_crossed {agentId, budget, spent, percent}`, in that
//!    order — a jump from 70 % to 105 % announces all three;
//! 4. when 100 % is crossed, pauses the agent (unless already paused or terminated) and queues
//!    `agent:status_changed`. An agent resumed by hand later in the same month is not paused
//!    again: each threshold acts once per month; raise the budget to keep it within bounds.

use super::agent::{self, Agent};
use super::cost_event::{self, CostEvent, CostEventRow};
use super::validate::new_id;
use super::{activity, CoreError};
use crate::db::schema::agents;
use crate::db::{now, DbConnection};
use crate::hooks::{Hook, PendingHooks};
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use serde_json::json;

/// Largest amount of money (in cents) accepted anywhere: a budget, a cost, a heartbeat's cost.
/// Keeps monthly sums far from 64-bit overflow.
pub const MAX_CENTS: i64 = 1_000_000_000_000;

/// The announced thresholds, in order: percent of the budget and its bit in
/// `agents.budget_alerts_sent`.
pub const THRESHOLDS: [(i64, i32); 3] = [(80, 1), (90, 2), (100, 4)];

/// Actor recorded for what the budget does on its own (threshold notes, pausing).
const SYSTEM_ACTOR: &str = "system";

/// The current spend month, `YYYY-MM` in UTC.
pub fn current_month() -> String {
    now().format("%Y-%m").to_string()
}

/// What a recorded spend produced.
#[derive(Debug, Clone)]
pub struct SpendOutcome {
    /// The stored cost event.
    pub cost_event: CostEvent,
    /// The agent after the spend (new monthly total, maybe paused).
    pub agent: Agent,
}

/// A spend to record.
#[derive(Debug, Clone)]
pub struct Spend<'a> {
    /// The agent that spent.
    pub agent_id: &'a str,
    /// Amount in cents; must be in `1..=MAX_CENTS`.
    pub amount_cents: i64,
    /// Where it came from: `heartbeat` or `api`.
    pub source: &'a str,
    /// Free text.
    pub description: Option<String>,
}

/// Checks a spend amount; `field` names it in the error.
pub fn check_amount(field: &str, amount: i64) -> Result<i64, CoreError> {
    if amount <= 0 {
        return Err(CoreError::invalid(
            field,
            format!("{field} must be greater than 0"),
        ));
    }
    if amount > MAX_CENTS {
        return Err(CoreError::invalid(
            field,
            format!("{field} must be at most {MAX_CENTS}"),
        ));
    }
    Ok(amount)
}

/// Adds a spend to an agent's monthly total inside the caller's write transaction (see the
/// module doc for the steps). Fails with `NotFound` if the agent does not exist.
pub fn record_spend(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    spend: Spend<'_>,
) -> Result<SpendOutcome, CoreError> {
    let amount = check_amount("amountCents", spend.amount_cents)?;
    let month = current_month();
    let ts = now();
    let same_month = || agents::spend_month.eq(month.clone());
    // All SET expressions read the row as it was before this statement, on both backends.
    let updated = diesel::update(agents::table.find(spend.agent_id))
        .set((
            agents::spent_monthly_cents.eq(case_when::<_, _, BigInt>(
                same_month(),
                agents::spent_monthly_cents + amount,
            )
            .otherwise(amount)),
            agents::budget_alerts_sent.eq(case_when::<_, _, Integer>(
                same_month(),
                agents::budget_alerts_sent,
            )
            .otherwise(0)),
            agents::spend_month.eq(&month),
            agents::updated_at.eq(ts),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(CoreError::not_found("agent", spend.agent_id));
    }
    let mut row = agent::get_row(conn, spend.agent_id)?;
    let total = row.spent_monthly_cents;
    let budget = row.budget_monthly_cents;

    let cost = CostEventRow {
        id: new_id(),
        company_id: row.company_id.clone(),
        agent_id: row.id.clone(),
        amount_cents: amount,
        source: spend.source.to_string(),
        description: spend.description,
        created_at: ts,
    };
    cost_event::insert(conn, &cost)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "cost_event.created",
        "cost_event",
        &cost.id,
        &json!({
            "agentId": row.id,
            "amountCents": amount,
            "source": cost.source,
            "spentMonthlyCents": total,
        }),
    )?;
    hooks.push(
        Hook::BudgetSpendRecorded,
        json!({ "agentId": row.id, "companyId": row.company_id, "amount": amount, "total": total }),
    );

    let crossed = newly_crossed(budget, total, row.budget_alerts_sent);
    if !crossed.is_empty() {
        let mut alerts = row.budget_alerts_sent;
        for &(percent, bit) in &crossed {
            alerts |= bit;
            hooks.push(
                Hook::BudgetThresholdCrossed,
                json!({
                    "agentId": row.id, "companyId": row.company_id,
                    "budget": budget, "spent": total, "percent": percent
                }),
            );
            activity::record(
                conn,
                &row.company_id,
                SYSTEM_ACTOR,
                "budget.threshold_crossed",
                "agent",
                &row.id,
                &json!({ "percent": percent, "budgetMonthlyCents": budget, "spentMonthlyCents": total }),
            )?;
        }
        let exhausted = crossed.iter().any(|&(percent, _)| percent == 100);
        let pause = exhausted && row.status != "paused" && row.status != "terminated";
        let from = row.status.clone();
        row.budget_alerts_sent = alerts;
        if pause {
            row.status = "paused".to_string();
        }
        diesel::update(agents::table.find(&row.id))
            .set((
                agents::budget_alerts_sent.eq(alerts),
                agents::status.eq(&row.status),
            ))
            .execute(conn)?;
        if pause {
            agent::record_status_change(
                conn,
                SYSTEM_ACTOR,
                &row,
                &from,
                "paused",
                Some("monthly budget exhausted"),
            )?;
            let view = Agent::from(row.clone());
            agent::push_status_changed(hooks, &view, &from, "paused");
        }
    }

    Ok(SpendOutcome {
        cost_event: CostEvent::from(cost),
        agent: Agent::from(row),
    })
}

/// Thresholds reached by `spent` of `budget` whose bit is not in `sent`, in ascending order.
/// No budget (0) means no thresholds.
pub fn newly_crossed(budget: i64, spent: i64, sent: i32) -> Vec<(i64, i32)> {
    if budget <= 0 {
        return Vec::new();
    }
    THRESHOLDS
        .iter()
        .copied()
        .filter(|&(percent, bit)| {
            sent & bit == 0 && i128::from(spent) * 100 >= i128::from(budget) * i128::from(percent)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::newly_crossed;

    #[test]
    fn thresholds_in_order_and_once() {
        assert_eq!(newly_crossed(1000, 790, 0), vec![]);
        assert_eq!(newly_crossed(1000, 810, 0), vec![(80, 1)]);
        assert_eq!(
            newly_crossed(1000, 1050, 0),
            vec![(80, 1), (90, 2), (100, 4)]
        );
        assert_eq!(newly_crossed(1000, 1050, 1 | 2), vec![(100, 4)]);
        assert_eq!(newly_crossed(1000, 1050, 7), vec![]);
        assert_eq!(newly_crossed(1000, 1000, 3), vec![(100, 4)]);
        assert_eq!(newly_crossed(0, 5000, 0), vec![]);
    }
}
