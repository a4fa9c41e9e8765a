//! The saved state of modules, table `module_state`: whether each module is enabled, the order
//! in which modules were enabled (the earlier one keeps a contested slot or route prefix), and
//! the configuration override saved through the admin API. Survives restarts; shared by the
//! server and by `paperclipai module enable|disable` when the server is down.

use diesel::prelude::*;
use paperclip_core::db::schema::module_state;
use paperclip_core::db::{now, write_tx, DbConnection};
use serde_json::Value;
use std::collections::HashMap;

/// One module's saved state.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedModuleState {
    /// Module id.
    pub module_id: String,
    /// Whether the module loads at start.
    pub enabled: bool,
    /// When it was (last) enabled, relative to other modules: lower claims first.
    pub enable_order: i64,
    /// Configuration saved through the admin API; replaces `modules.config.<id>` when present.
    pub config_override: Option<Value>,
}

/// Every saved module state, by module id. A `config_override` that is not JSON (edited by
/// hand) is read as absent, with a warning.
pub fn load_saved_states(
    conn: &mut DbConnection,
) -> Result<HashMap<String, SavedModuleState>, diesel::result::Error> {
    let rows = module_state::table
        .select((
            module_state::module_id,
            module_state::enabled,
            module_state::enable_order,
            module_state::config_override,
        ))
        .load::<(String, bool, i64, Option<String>)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(module_id, enabled, enable_order, config_override)| {
            let config_override = config_override.and_then(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| {
                        tracing::warn!(module = %module_id, error = %e, "saved module config is not JSON; ignored");
                    })
                    .ok()
            });
            let state = SavedModuleState {
                module_id: module_id.clone(),
                enabled,
                enable_order,
                config_override,
            };
            (module_id, state)
        })
        .collect())
}

/// Saves `module_id` as enabled or disabled. Enabling a module that was not enabled gives it
/// the next enable order, so a module enabled later never takes a slot from one enabled
/// earlier. Returns the saved state.
pub fn save_enabled(
    conn: &mut DbConnection,
    module_id: &str,
    enabled: bool,
) -> Result<SavedModuleState, diesel::result::Error> {
    write_tx(conn, |tx| {
        let existing = find(tx, module_id)?;
        let order = match &existing {
            Some(state) if state.enabled || !enabled => state.enable_order,
            _ => next_order(tx)?,
        };
        if existing.is_some() {
            // Only these columns: a configuration another replica saves meanwhile stays.
            diesel::update(module_state::table.filter(module_state::module_id.eq(module_id)))
                .set((
                    module_state::enabled.eq(enabled),
                    module_state::enable_order.eq(order),
                    module_state::updated_at.eq(now()),
                ))
                .execute(tx)?;
        } else {
            upsert(tx, module_id, enabled, order, None)?;
        }
        let config_override = find(tx, module_id)?.and_then(|s| s.config_override);
        Ok(SavedModuleState {
            module_id: module_id.to_string(),
            enabled,
            enable_order: order,
            config_override,
        })
    })
}

/// Records, for modules that have no saved state yet, that they are enabled, giving them enable
/// orders in the given sequence (the claim order of a first start). Existing rows are kept.
pub fn save_first_enabled(
    conn: &mut DbConnection,
    module_ids: &[String],
) -> Result<Vec<SavedModuleState>, diesel::result::Error> {
    if module_ids.is_empty() {
        return Ok(Vec::new());
    }
    write_tx(conn, |tx| {
        let mut saved = Vec::new();
        let mut order = next_order(tx)?;
        for id in module_ids {
            if find(tx, id)?.is_none() {
                upsert(tx, id, true, order, None)?;
                saved.push(SavedModuleState {
                    module_id: id.clone(),
                    enabled: true,
                    enable_order: order,
                    config_override: None,
                });
                order += 1;
            }
        }
        Ok(saved)
    })
}

/// Saves (or with `None` clears) the configuration override of `module_id`. A module without a
/// saved state gets one with `enabled` as given.
pub fn save_config_override(
    conn: &mut DbConnection,
    module_id: &str,
    config: Option<&Value>,
    enabled_if_new: bool,
) -> Result<(), diesel::result::Error> {
    write_tx(conn, |tx| {
        if find(tx, module_id)?.is_some() {
            // Only the configuration: an enable or disable another replica saves meanwhile
            // stays.
            diesel::update(module_state::table.filter(module_state::module_id.eq(module_id)))
                .set((
                    module_state::config_override.eq(config.map(Value::to_string)),
                    module_state::updated_at.eq(now()),
                ))
                .execute(tx)
                .map(|_| ())
        } else {
            let order = next_order(tx)?;
            upsert(tx, module_id, enabled_if_new, order, config)
        }
    })
}

fn find(
    conn: &mut DbConnection,
    module_id: &str,
) -> Result<Option<SavedModuleState>, diesel::result::Error> {
    let row = module_state::table
        .filter(module_state::module_id.eq(module_id))
        .select((
            module_state::enabled,
            module_state::enable_order,
            module_state::config_override,
        ))
        .first::<(bool, i64, Option<String>)>(conn)
        .optional()?;
    Ok(row.map(|(enabled, enable_order, config)| SavedModuleState {
        module_id: module_id.to_string(),
        enabled,
        enable_order,
        config_override: config.and_then(|text| serde_json::from_str(&text).ok()),
    }))
}

fn next_order(conn: &mut DbConnection) -> Result<i64, diesel::result::Error> {
    let max: Option<i64> = module_state::table
        .select(diesel::dsl::max(module_state::enable_order))
        .first(conn)?;
    Ok(max.map_or(1, |m| m + 1))
}

/// Inserts or replaces a row (portable: no `ON CONFLICT`, which not every diesel backend
/// combination offers through the multi-backend connection).
fn upsert(
    conn: &mut DbConnection,
    module_id: &str,
    enabled: bool,
    order: i64,
    config: Option<&Value>,
) -> Result<(), diesel::result::Error> {
    let config_text = config.map(Value::to_string);
    let updated = diesel::update(module_state::table.filter(module_state::module_id.eq(module_id)))
        .set((
            module_state::enabled.eq(enabled),
            module_state::enable_order.eq(order),
            module_state::config_override.eq(&config_text),
            module_state::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(module_state::table)
            .values((
                module_state::module_id.eq(module_id),
                module_state::enabled.eq(enabled),
                module_state::enable_order.eq(order),
                module_state::config_override.eq(&config_text),
                module_state::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn open() -> (tempfile::TempDir, DbConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("state.db").to_string_lossy().into_owned();
        let mut conn = DbConnection::open(&url).unwrap();
        paperclip_core::db::migrations::run_core_migrations(&mut conn).unwrap();
        (dir, conn)
    }

    #[test]
    fn first_start_orders_follow_the_given_sequence_and_keep_existing_rows() {
        let (_dir, mut conn) = open();
        save_enabled(&mut conn, "old", false).unwrap();
        let saved = save_first_enabled(&mut conn, &["b".into(), "old".into(), "a".into()]).unwrap();
        let orders: Vec<(&str, i64)> = saved
            .iter()
            .map(|s| (s.module_id.as_str(), s.enable_order))
            .collect();
        assert_eq!(orders, vec![("b", 2), ("a", 3)]);
        let all = load_saved_states(&mut conn).unwrap();
        assert!(!all["old"].enabled, "an existing row is not overwritten");
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn re_enabling_moves_a_module_to_the_end_of_the_claim_order() {
        let (_dir, mut conn) = open();
        save_first_enabled(&mut conn, &["a".into(), "b".into()]).unwrap();
        assert_eq!(save_enabled(&mut conn, "a", true).unwrap().enable_order, 1);
        assert_eq!(save_enabled(&mut conn, "a", false).unwrap().enable_order, 1);
        assert_eq!(save_enabled(&mut conn, "a", true).unwrap().enable_order, 3);
        let all = load_saved_states(&mut conn).unwrap();
        assert!(all["a"].enabled);
        assert_eq!(all["b"].enable_order, 2);
    }

    #[test]
    fn config_overrides_are_saved_kept_and_cleared() {
        let (_dir, mut conn) = open();
        save_config_override(&mut conn, "m", Some(&json!({"k": "$SECRET"})), false).unwrap();
        let all = load_saved_states(&mut conn).unwrap();
        assert_eq!(all["m"].config_override, Some(json!({"k": "$SECRET"})));
        assert!(!all["m"].enabled);
        // Enabling keeps the override.
        save_enabled(&mut conn, "m", true).unwrap();
        let all = load_saved_states(&mut conn).unwrap();
        assert_eq!(all["m"].config_override, Some(json!({"k": "$SECRET"})));
        assert!(all["m"].enabled);
        save_config_override(&mut conn, "m", None, false).unwrap();
        assert_eq!(
            load_saved_states(&mut conn).unwrap()["m"].config_override,
            None
        );
    }
}
