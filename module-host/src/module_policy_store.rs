//! The operator's saved decisions about each module's reach, table `module_policy`: the
//! capabilities granted (once decided through the admin API; until then `modules.grants.<id>`
//! of the config applies) and the companies the module serves. Survives restarts.

use diesel::prelude::*;
use module_sdk::{Capability, CompanyScope};
use paperclip_core::db::schema::module_policy;
use paperclip_core::db::{now, write_tx, DbConnection};
use std::collections::{BTreeSet, HashMap};

/// One module's saved policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPolicy {
    /// Capabilities granted through the API; `None` when never decided there.
    pub granted: Option<BTreeSet<Capability>>,
    /// The companies the module serves.
    pub scope: CompanyScope,
}

impl Default for SavedPolicy {
    fn default() -> Self {
        SavedPolicy {
            granted: None,
            scope: CompanyScope::All,
        }
    }
}

/// Every saved policy, by module id. A row edited by hand into something unreadable is read as
/// "nothing granted" (grants) or "every company" (scope) with a warning: it never grants more.
pub fn load_policies(
    conn: &mut DbConnection,
) -> Result<HashMap<String, SavedPolicy>, diesel::result::Error> {
    let rows = module_policy::table
        .select((
            module_policy::module_id,
            module_policy::granted,
            module_policy::company_mode,
            module_policy::company_ids,
        ))
        .load::<(String, Option<String>, String, String)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, granted, mode, ids)| {
            let policy = read_row(&id, granted, &mode, &ids);
            (id, policy)
        })
        .collect())
}

/// Saves the capabilities granted to `module_id`, keeping its companies.
pub fn save_grants(
    conn: &mut DbConnection,
    module_id: &str,
    granted: &BTreeSet<Capability>,
) -> Result<SavedPolicy, diesel::result::Error> {
    write_tx(conn, |tx| {
        let Some(mut policy) = find(tx, module_id)? else {
            let policy = SavedPolicy {
                granted: Some(granted.clone()),
                ..SavedPolicy::default()
            };
            upsert(tx, module_id, &policy)?;
            return Ok(policy);
        };
        // Only the grants: companies another replica saves meanwhile stay.
        let (text, _, _) = columns(&SavedPolicy {
            granted: Some(granted.clone()),
            scope: CompanyScope::All,
        });
        diesel::update(module_policy::table.filter(module_policy::module_id.eq(module_id)))
            .set((
                module_policy::granted.eq(&text),
                module_policy::updated_at.eq(now()),
            ))
            .execute(tx)?;
        policy.granted = Some(granted.clone());
        Ok(policy)
    })
}

/// Saves the companies `module_id` serves, keeping its grants.
pub fn save_scope(
    conn: &mut DbConnection,
    module_id: &str,
    scope: &CompanyScope,
) -> Result<SavedPolicy, diesel::result::Error> {
    write_tx(conn, |tx| {
        let Some(mut policy) = find(tx, module_id)? else {
            let policy = SavedPolicy {
                scope: scope.clone(),
                ..SavedPolicy::default()
            };
            upsert(tx, module_id, &policy)?;
            return Ok(policy);
        };
        // Only the companies: grants another replica saves meanwhile stay.
        let (_, mode, ids) = columns(&SavedPolicy {
            granted: None,
            scope: scope.clone(),
        });
        diesel::update(module_policy::table.filter(module_policy::module_id.eq(module_id)))
            .set((
                module_policy::company_mode.eq(mode),
                module_policy::company_ids.eq(&ids),
                module_policy::updated_at.eq(now()),
            ))
            .execute(tx)?;
        policy.scope = scope.clone();
        Ok(policy)
    })
}

fn find(
    conn: &mut DbConnection,
    module_id: &str,
) -> Result<Option<SavedPolicy>, diesel::result::Error> {
    let row = module_policy::table
        .filter(module_policy::module_id.eq(module_id))
        .select((
            module_policy::granted,
            module_policy::company_mode,
            module_policy::company_ids,
        ))
        .first::<(Option<String>, String, String)>(conn)
        .optional()?;
    Ok(row.map(|(granted, mode, ids)| read_row(module_id, granted, &mode, &ids)))
}

/// A row's policy.
fn read_row(module_id: &str, granted: Option<String>, mode: &str, ids: &str) -> SavedPolicy {
    SavedPolicy {
        granted: granted.map(|text| parse_grants(module_id, &text)),
        scope: parse_scope(module_id, mode, ids),
    }
}

/// A policy as its stored columns: grants (JSON array or NULL), company mode, company ids.
fn columns(policy: &SavedPolicy) -> (Option<String>, &'static str, String) {
    let granted = policy.granted.as_ref().map(|set| {
        serde_json::to_string(&set.iter().map(|c| c.as_str()).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into())
    });
    let (mode, ids) = match &policy.scope {
        CompanyScope::All => ("all", "[]".to_string()),
        CompanyScope::Only { company_ids } => (
            "only",
            serde_json::to_string(company_ids).unwrap_or_else(|_| "[]".into()),
        ),
    };
    (granted, mode, ids)
}

/// Inserts or replaces a row (portable, as `module_state_store` does).
fn upsert(
    conn: &mut DbConnection,
    module_id: &str,
    policy: &SavedPolicy,
) -> Result<(), diesel::result::Error> {
    let (granted, mode, ids) = columns(policy);
    let updated =
        diesel::update(module_policy::table.filter(module_policy::module_id.eq(module_id)))
            .set((
                module_policy::granted.eq(&granted),
                module_policy::company_mode.eq(mode),
                module_policy::company_ids.eq(&ids),
                module_policy::updated_at.eq(now()),
            ))
            .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(module_policy::table)
            .values((
                module_policy::module_id.eq(module_id),
                module_policy::granted.eq(&granted),
                module_policy::company_mode.eq(mode),
                module_policy::company_ids.eq(&ids),
                module_policy::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn parse_grants(module_id: &str, text: &str) -> BTreeSet<Capability> {
    let names: Vec<String> = serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::warn!(module = module_id, error = %e, "saved grants are not a JSON array; read as none");
        Vec::new()
    });
    names
        .iter()
        .filter_map(|name| match name.parse() {
            Ok(capability) => Some(capability),
            Err(e) => {
                tracing::warn!(module = module_id, error = %e, "saved grant ignored");
                None
            }
        })
        .collect()
}

fn parse_scope(module_id: &str, mode: &str, ids: &str) -> CompanyScope {
    match mode {
        "only" => match serde_json::from_str::<Vec<String>>(ids) {
            Ok(company_ids) => CompanyScope::Only { company_ids },
            Err(e) => {
                tracing::warn!(module = module_id, error = %e, "saved companies unreadable; the module serves none");
                CompanyScope::Only {
                    company_ids: Vec::new(),
                }
            }
        },
        _ => CompanyScope::All,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, DbConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("policy.db").to_string_lossy().into_owned();
        let mut conn = DbConnection::open(&url).unwrap();
        paperclip_core::db::migrations::run_core_migrations(&mut conn).unwrap();
        (dir, conn)
    }

    #[test]
    fn grants_and_companies_are_saved_apart_and_read_back() {
        let (_dir, mut conn) = open();
        assert!(load_policies(&mut conn).unwrap().is_empty());
        let scope = CompanyScope::Only {
            company_ids: vec!["c1".into(), "c2".into()],
        };
        save_scope(&mut conn, "wf", &scope).unwrap();
        let all = load_policies(&mut conn).unwrap();
        assert_eq!(all["wf"].granted, None, "no grants decided yet");
        save_grants(
            &mut conn,
            "wf",
            &[Capability::IssuesCreate, Capability::AgentsPause].into(),
        )
        .unwrap();
        let all = load_policies(&mut conn).unwrap();
        assert_eq!(all["wf"].scope, scope);
        assert_eq!(
            all["wf"].granted,
            Some([Capability::AgentsPause, Capability::IssuesCreate].into())
        );
        save_grants(&mut conn, "wf", &BTreeSet::new()).unwrap();
        save_scope(&mut conn, "wf", &CompanyScope::All).unwrap();
        let all = load_policies(&mut conn).unwrap();
        assert_eq!(all["wf"].granted, Some(BTreeSet::new()));
        assert_eq!(all["wf"].scope, CompanyScope::All);
    }
}
