//! Writing a batch of events into the module's buckets: one transaction per batch, each event
//! counted once however often it is delivered.
//!
//! In the transaction, first (a write first: on SQLite the transaction then holds the write lock
//! from its first statement instead of failing when another writer came between a read and a
//! write) the batch's `eventId`s are inserted into `mod_analytics_events` with
//! `ON CONFLICT DO NOTHING RETURNING event_id`: only the ids returned are new, and only their
//! events are counted. Then, with multi-row upserts that add to what is there:
//!
//! 1. heartbeats per agent and hour (`mod_analytics_agent_hours`); the upsert returns each
//!    hour's new count, and an hour whose count equals what this batch added was not active
//!    before: it adds one active hour to its day;
//! 2. heartbeats, new active hours and spend per agent and day (`mod_analytics_agent_days`);
//! 3. issue moves, in order: into `in_progress` starts the issue's clock (kept if already
//!    running), `done` stops it and records the cycle time, `cancelled` discards it;
//! 4. completed goals.
//!
//! A failure rolls the whole batch back (ids included) and the host retries its events.

use crate::clock;
use crate::events::{Event, Fact};
use module_sdk::{params, Db, ModuleContext, Result, Row};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// Rows per `INSERT` statement (at most 6 parameters each: far below both backends' limits).
const ROWS_PER_STATEMENT: usize = 200;

/// Least time from the start of one batch write to the next, as in the observability module:
/// under load, holding the hook call lets the next batch gather the events of the whole
/// interval, one transaction for many heartbeats instead of one each competing with the core
/// for SQLite's write lock.
pub const MIN_WRITE_INTERVAL: Duration = Duration::from_millis(30);

/// The most events the host hands a module in one call: a batch this large means a backlog,
/// and the next one is not held back.
const HOST_MAX_BATCH: usize = 256;

/// Holds the hook call that wrote a batch of `events`, started at `started`, until
/// [`MIN_WRITE_INTERVAL`] is over (no wait after a full batch: events are waiting).
pub fn pace(started: Instant, events: usize) {
    if events >= HOST_MAX_BATCH {
        return;
    }
    let elapsed = started.elapsed();
    if elapsed < MIN_WRITE_INTERVAL {
        std::thread::sleep(MIN_WRITE_INTERVAL - elapsed);
    }
}

/// What a batch adds to one agent's day.
#[derive(Debug, Default, Clone, PartialEq)]
struct DayDelta {
    company_id: String,
    heartbeats: i64,
    active_hours: i64,
    spend_cents: i64,
}

/// Counts `events` (see the module docs), in one transaction.
pub fn write(ctx: &ModuleContext, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let handled_at = clock::now_ms();
    ctx.db().transaction(|tx| {
        let new = insert_event_ids(tx, events, handled_at)?;
        let mut seen = HashSet::new();
        let fresh: Vec<&Event> = events
            .iter()
            .filter(|e| new.contains(&e.id) && seen.insert(e.id.as_str()))
            .collect();
        let mut days = day_deltas(&fresh);
        let hours = hour_counts(&fresh);
        for (agent_id, hour) in upsert_hours(tx, &hours)? {
            let company_id = hours[&(agent_id.clone(), hour)].0.clone();
            let day = days.entry((agent_id, clock::day_start(hour))).or_default();
            day.company_id = company_id;
            day.active_hours += 1;
        }
        upsert_days(tx, &days)?;
        for event in &fresh {
            match &event.fact {
                Fact::IssueMoved {
                    issue_id,
                    company_id,
                    agent_id,
                    to,
                    at,
                } => move_issue(tx, &event.id, issue_id, company_id, agent_id, to, *at)?,
                Fact::GoalCompleted {
                    goal_id,
                    company_id,
                    agent_id,
                    at,
                } => {
                    tx.execute(
                        "INSERT INTO mod_analytics_goals_completed \
                         (event_id, goal_id, company_id, agent_id, completed_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
                        &params![event.id, goal_id, company_id, agent_id, at],
                    )?;
                }
                Fact::Heartbeat { .. } | Fact::Spend { .. } => {}
            }
        }
        Ok(())
    })
}

/// Inserts the ids of `events` into `mod_analytics_events`; returns those that were not there.
fn insert_event_ids(db: &Db<'_>, events: &[Event], handled_at: i64) -> Result<HashSet<String>> {
    let rows = events.iter().map(|e| params![e.id, handled_at]).collect();
    let returned = insert_rows(
        db,
        "mod_analytics_events (event_id, handled_at)",
        rows,
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
    )?;
    returned.iter().map(|row| row.get("event_id")).collect()
}

/// Heartbeats and spend of `events` per (agent, day).
fn day_deltas(events: &[&Event]) -> BTreeMap<(String, i64), DayDelta> {
    let mut days: BTreeMap<(String, i64), DayDelta> = BTreeMap::new();
    for event in events {
        match &event.fact {
            Fact::Heartbeat {
                agent_id,
                company_id,
                at,
            } => {
                let day = days
                    .entry((agent_id.clone(), clock::day_start(*at)))
                    .or_default();
                day.company_id.clone_from(company_id);
                day.heartbeats += 1;
            }
            Fact::Spend {
                agent_id,
                company_id,
                cents,
                at,
            } => {
                let day = days
                    .entry((agent_id.clone(), clock::day_start(*at)))
                    .or_default();
                day.company_id.clone_from(company_id);
                day.spend_cents = day.spend_cents.saturating_add(*cents);
            }
            Fact::IssueMoved { .. } | Fact::GoalCompleted { .. } => {}
        }
    }
    days
}

/// Heartbeats of `events` per (agent, hour), with the agent's company.
fn hour_counts(events: &[&Event]) -> BTreeMap<(String, i64), (String, i64)> {
    let mut hours: BTreeMap<(String, i64), (String, i64)> = BTreeMap::new();
    for event in events {
        if let Fact::Heartbeat {
            agent_id,
            company_id,
            at,
        } = &event.fact
        {
            let hour = hours
                .entry((agent_id.clone(), clock::hour_start(*at)))
                .or_insert_with(|| (company_id.clone(), 0));
            hour.1 += 1;
        }
    }
    hours
}

/// Adds `hours` to `mod_analytics_agent_hours`; returns the (agent, hour) pairs that had no
/// heartbeat before: those whose count after the upsert is what this batch added.
fn upsert_hours(
    db: &Db<'_>,
    hours: &BTreeMap<(String, i64), (String, i64)>,
) -> Result<Vec<(String, i64)>> {
    let rows = hours
        .iter()
        .map(|((agent_id, hour), (company_id, count))| params![agent_id, hour, company_id, count])
        .collect();
    let returned = insert_rows(
        db,
        "mod_analytics_agent_hours (agent_id, hour_start, company_id, heartbeats)",
        rows,
        "ON CONFLICT (agent_id, hour_start) DO UPDATE SET \
         heartbeats = mod_analytics_agent_hours.heartbeats + excluded.heartbeats \
         RETURNING agent_id, hour_start, heartbeats",
    )?;
    let mut new_hours = Vec::new();
    for row in returned {
        let key = (
            row.get::<String>("agent_id")?,
            row.get::<i64>("hour_start")?,
        );
        let added = hours.get(&key).map_or(0, |(_, count)| *count);
        if row.get::<i64>("heartbeats")? == added {
            new_hours.push(key);
        }
    }
    Ok(new_hours)
}

/// Adds `days` to `mod_analytics_agent_days`.
fn upsert_days(db: &Db<'_>, days: &BTreeMap<(String, i64), DayDelta>) -> Result<()> {
    let rows = days
        .iter()
        .map(|((agent_id, day), d)| {
            params![
                agent_id,
                day,
                d.company_id,
                d.heartbeats,
                d.active_hours,
                d.spend_cents
            ]
        })
        .collect();
    insert_rows(
        db,
        "mod_analytics_agent_days (agent_id, day_start, company_id, heartbeats, active_hours, \
         spend_cents)",
        rows,
        "ON CONFLICT (agent_id, day_start) DO UPDATE SET \
         heartbeats = mod_analytics_agent_days.heartbeats + excluded.heartbeats, \
         active_hours = mod_analytics_agent_days.active_hours + excluded.active_hours, \
         spend_cents = mod_analytics_agent_days.spend_cents + excluded.spend_cents",
    )?;
    Ok(())
}

/// One issue move: `in_progress` starts the clock (unless it runs), `done` stops it and records
/// the issue as done with its cycle time, `cancelled` discards it; other moves change nothing.
fn move_issue(
    db: &Db<'_>,
    event_id: &str,
    issue_id: &str,
    company_id: &str,
    agent_id: &Option<String>,
    to: &str,
    at: i64,
) -> Result<()> {
    match to {
        "in_progress" => {
            db.execute(
                "INSERT INTO mod_analytics_issue_starts (issue_id, company_id, started_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (issue_id) DO NOTHING",
                &params![issue_id, company_id, at],
            )?;
        }
        "done" => {
            let started = db
                .query(
                    "DELETE FROM mod_analytics_issue_starts WHERE issue_id = $1 \
                     RETURNING started_at",
                    &params![issue_id],
                )?
                .first()
                .map(|row| row.get::<i64>("started_at"))
                .transpose()?;
            let cycle_ms = started.map(|started| (at - started).max(0));
            db.execute(
                "INSERT INTO mod_analytics_issues_done \
                 (event_id, issue_id, company_id, agent_id, done_at, cycle_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING",
                &params![event_id, issue_id, company_id, agent_id, at, cycle_ms],
            )?;
        }
        "cancelled" => {
            db.execute(
                "DELETE FROM mod_analytics_issue_starts WHERE issue_id = $1",
                &params![issue_id],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// `INSERT INTO table (columns) VALUES (…), (…) <tail>` for `rows`, [`ROWS_PER_STATEMENT`] at a
/// time; returns the rows of a `RETURNING` tail. Only the `$n` placeholders are generated;
/// every value is a parameter.
fn insert_rows(
    db: &Db<'_>,
    table_and_columns: &str,
    rows: Vec<Vec<Value>>,
    tail: &str,
) -> Result<Vec<Row>> {
    let mut returned = Vec::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut params = Vec::new();
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| {
                let placeholders: Vec<String> = row
                    .iter()
                    .map(|value| {
                        params.push(value.clone());
                        format!("${}", params.len())
                    })
                    .collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        returned.extend(db.query(
            &format!(
                "INSERT INTO {table_and_columns} VALUES {} {tail}",
                tuples.join(", ")
            ),
            &params,
        )?);
    }
    Ok(returned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(id: &str, agent: &str, at: i64) -> Event {
        Event {
            id: id.into(),
            fact: Fact::Heartbeat {
                agent_id: agent.into(),
                company_id: "c1".into(),
                at,
            },
        }
    }

    #[test]
    fn heartbeats_and_spend_add_up_per_agent_day_and_hour() {
        let day = 20 * clock::DAY_MS;
        let spend = Event {
            id: "s1".into(),
            fact: Fact::Spend {
                agent_id: "a1".into(),
                company_id: "c1".into(),
                cents: 25,
                at: day + 5,
            },
        };
        let events = [
            beat("e1", "a1", day + 10),
            beat("e2", "a1", day + 20),
            beat("e3", "a1", day + clock::HOUR_MS),
            beat("e4", "a2", day - 1),
            spend,
        ];
        let refs: Vec<&Event> = events.iter().collect();
        let days = day_deltas(&refs);
        let a1 = &days[&("a1".to_string(), day)];
        assert_eq!((a1.heartbeats, a1.spend_cents, a1.active_hours), (3, 25, 0));
        assert_eq!(days[&("a2".to_string(), day - clock::DAY_MS)].heartbeats, 1);
        let hours = hour_counts(&refs);
        assert_eq!(hours[&("a1".to_string(), day)].1, 2);
        assert_eq!(hours[&("a1".to_string(), day + clock::HOUR_MS)].1, 1);
        assert_eq!(hours.len(), 3);
    }
}
