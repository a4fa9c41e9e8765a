//! Module migrations without starting any module (`paperclipai db migrate [--module <id>]`):
//! the enabled modules' migrations in dependency order, or one module's. No library is loaded,
//! so a module's code never runs here; only its manifest and SQL files are read — after its
//! signature is checked under `modules.signatures` (`auto` is `warn` here: no listener), so
//! under `required` a migration changed after signing never runs.

use super::bundle_signature::SignatureCheck;
use super::discovery::{discover, Bundle};
use super::load_plan::{plan_load, Bystander, ClaimRank, PlanCandidate};
use super::module_db::ModuleRights;
use super::module_lifecycle::HostSettings;
use super::module_migrations::run_module_migrations;
use super::module_state_store::load_saved_states;
use super::sql_guard::SqlGuard;
use anyhow::{bail, Context};
use paperclip_core::db::Database;
use std::collections::HashSet;

/// What happened to one module's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationOutcome {
    /// These migrations were applied now (maybe none: all were applied before).
    Applied(Vec<String>),
    /// A migration failed or was refused; later ones did not run.
    Failed(String),
    /// The module was not migrated, and why (disabled, invalid, conflict, dependency…).
    Skipped(String),
}

/// Runs module migrations: with `only`, that module's (it must be installed and its manifest
/// valid); else every enabled module's, dependencies first. Outcomes are listed per module.
pub fn migrate_modules(
    db: &Database,
    settings: &HostSettings,
    only: Option<&str>,
) -> anyhow::Result<Vec<(String, MigrationOutcome)>> {
    let bundles = discover(&settings.dir)
        .with_context(|| format!("cannot scan the modules folder {}", settings.dir.display()))?;
    let all_ids: Vec<String> = bundles.iter().map(|b| b.id.clone()).collect();
    let mut conn = db.conn().context("cannot connect to the database")?;
    let migrate = |conn: &mut paperclip_core::db::DbConnection, bundle: &Bundle| {
        let signature =
            SignatureCheck::run(&bundle.dir, settings.signatures, &settings.trusted_keys);
        if let Some(refusal) = signature.refusal() {
            return MigrationOutcome::Failed(refusal.reason);
        }
        let guard = SqlGuard::new(&bundle.id)
            .with_other_modules(all_ids.iter().filter(|id| **id != bundle.id));
        match run_module_migrations(conn, &guard, &ModuleRights::for_guard(&guard), &bundle.dir) {
            Ok(applied) => MigrationOutcome::Applied(applied),
            Err(e) => MigrationOutcome::Failed(e.to_string()),
        }
    };

    if let Some(id) = only {
        let Some(bundle) = bundles.iter().find(|b| b.id == id) else {
            bail!(
                "no module `{id}` in {} (installed: {})",
                settings.dir.display(),
                if all_ids.is_empty() {
                    "none".to_string()
                } else {
                    all_ids.join(", ")
                }
            );
        };
        if let Err(e) = &bundle.manifest {
            bail!("module `{id}`: {e}");
        }
        return Ok(vec![(id.to_string(), migrate(&mut conn, bundle))]);
    }

    let saved = load_saved_states(&mut conn).context("cannot read the saved module state")?;
    let mut outcomes = Vec::new();
    let mut seen = HashSet::new();
    let mut candidates = Vec::new();
    let mut bystanders = Vec::new();
    for bundle in &bundles {
        if !seen.insert(bundle.id.clone()) {
            outcomes.push((
                bundle.id.clone(),
                MigrationOutcome::Skipped(format!(
                    "bundle folder `{}` repeats an id provided by an earlier folder",
                    bundle.folder
                )),
            ));
            continue;
        }
        let manifest = match &bundle.manifest {
            Ok(manifest) => manifest,
            Err(e) => {
                outcomes.push((bundle.id.clone(), MigrationOutcome::Skipped(e.to_string())));
                continue;
            }
        };
        let enabled = match saved.get(&bundle.id) {
            Some(state) => state.enabled,
            // `modules.enabled` absent enables everything.
            None => match &settings.enabled {
                Some(list) => list.contains(&bundle.id),
                None => true,
            },
        };
        if !enabled {
            outcomes.push((
                bundle.id.clone(),
                MigrationOutcome::Skipped("disabled".into()),
            ));
            bystanders.push(Bystander {
                id: bundle.id.clone(),
                version: Some(manifest.version.clone()),
                why: "is disabled".into(),
            });
            continue;
        }
        let rank = ClaimRank::new(
            saved.get(&bundle.id).map(|s| s.enable_order),
            settings
                .enabled
                .as_ref()
                .and_then(|list| list.iter().position(|id| *id == bundle.id)),
            &bundle.folder,
        );
        candidates.push((
            rank,
            PlanCandidate {
                id: bundle.id.clone(),
                version: manifest.version.clone(),
                slot: manifest.slot.clone(),
                route_prefix: manifest.route_prefix().map(str::to_string),
                requires: manifest.requires.modules.clone(),
            },
        ));
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let in_order: Vec<PlanCandidate> = candidates.into_iter().map(|(_, c)| c).collect();
    let plan = plan_load(&[], &in_order, &bystanders);
    for (id, rejection) in plan.rejected {
        outcomes.push((id, MigrationOutcome::Skipped(rejection.to_string())));
    }
    let mut failed: Vec<String> = Vec::new();
    for id in plan.order {
        let Some(bundle) = bundles.iter().find(|b| b.id == id) else {
            continue;
        };
        let broken_dependency = bundle.manifest.as_ref().ok().and_then(|m| {
            m.requires
                .modules
                .keys()
                .find(|dep| failed.contains(dep))
                .cloned()
        });
        let outcome = match broken_dependency {
            Some(dep) => MigrationOutcome::Skipped(format!(
                "requires module `{dep}`, whose migrations failed"
            )),
            None => migrate(&mut conn, bundle),
        };
        if !matches!(outcome, MigrationOutcome::Applied(_)) {
            failed.push(id.clone());
        }
        outcomes.push((id, outcome));
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::MANIFEST_FILE;
    use std::path::Path;

    fn bundle(root: &Path, id: &str, requires: &str, sql: &str) {
        let dir = root.join(id);
        let migration = dir.join("migrations/sqlite/1_init");
        std::fs::create_dir_all(&migration).unwrap();
        std::fs::write(
            dir.join(MANIFEST_FILE),
            format!(
                r#"{{"id": "{id}", "name": "{id}", "version": "1.0.0", "library": "x", "requires": {{"modules": {{{requires}}}}}}}"#
            ),
        )
        .unwrap();
        std::fs::write(migration.join("up.sql"), sql).unwrap();
    }

    fn settings(dir: &Path, enabled: Option<Vec<String>>) -> HostSettings {
        HostSettings {
            dir: dir.to_path_buf(),
            enabled,
            config: Default::default(),
            hook_timeout: std::time::Duration::from_secs(1),
            route_timeout: std::time::Duration::from_secs(1),
            db_limits: Default::default(),
            ..HostSettings::for_dir(dir.to_path_buf())
        }
    }

    #[test]
    fn enabled_modules_migrate_dependencies_first_and_once() {
        let tmp = tempfile::tempdir().unwrap();
        let modules = tmp.path().join("plugins");
        bundle(
            &modules,
            "app",
            r#""base": "1""#,
            "CREATE TABLE mod_app_t (base_id TEXT);",
        );
        bundle(&modules, "base", "", "CREATE TABLE mod_base_t (id TEXT);");
        bundle(&modules, "off", "", "CREATE TABLE mod_off_t (id TEXT);");
        let db =
            paperclip_core::db::open_database(&tmp.path().join("p.db").to_string_lossy()).unwrap();
        let settings = settings(&modules, Some(vec!["app".into(), "base".into()]));

        let outcomes = migrate_modules(&db, &settings, None).unwrap();
        assert_eq!(
            outcomes,
            vec![
                (
                    "off".to_string(),
                    MigrationOutcome::Skipped("disabled".into())
                ),
                (
                    "base".to_string(),
                    MigrationOutcome::Applied(vec!["1_init".into()])
                ),
                (
                    "app".to_string(),
                    MigrationOutcome::Applied(vec!["1_init".into()])
                ),
            ]
        );
        let again = migrate_modules(&db, &settings, None).unwrap();
        assert_eq!(again[1].1, MigrationOutcome::Applied(vec![]));

        let only = migrate_modules(&db, &settings, Some("off")).unwrap();
        assert_eq!(
            only,
            vec![(
                "off".to_string(),
                MigrationOutcome::Applied(vec!["1_init".into()])
            )]
        );
        let err = migrate_modules(&db, &settings, Some("ghost")).unwrap_err();
        assert!(err.to_string().starts_with("no module `ghost`"), "{err}");
    }

    #[test]
    fn under_required_a_migration_changed_after_signing_never_runs() {
        use paperclip_bundle_signing::{sign_folder, SecretKey, TrustedKeys};
        use paperclip_core::signature_policy::SignatureEnforcement;
        let tmp = tempfile::tempdir().unwrap();
        let modules = tmp.path().join("plugins");
        bundle(
            &modules,
            "signed",
            "",
            "CREATE TABLE mod_signed_t (id TEXT);",
        );
        let key = SecretKey::generate().unwrap();
        sign_folder(&modules.join("signed"), &key).unwrap();
        std::fs::write(
            modules.join("signed/migrations/sqlite/1_init/up.sql"),
            "CREATE TABLE mod_signed_other (id TEXT);",
        )
        .unwrap();
        let db =
            paperclip_core::db::open_database(&tmp.path().join("p.db").to_string_lossy()).unwrap();
        let required = HostSettings {
            signatures: SignatureEnforcement::Required,
            trusted_keys: TrustedKeys::from_keys([key.public_key()]),
            ..settings(&modules, None)
        };
        let outcomes = migrate_modules(&db, &required, Some("signed")).unwrap();
        assert!(
            matches!(&outcomes[0].1, MigrationOutcome::Failed(e) if e.starts_with("migration migrations/sqlite/1_init/up.sql changed after signing")),
            "{outcomes:?}"
        );
        // Under `warn` (what `auto` is without a listener) it runs.
        let outcomes = migrate_modules(&db, &settings(&modules, None), Some("signed")).unwrap();
        assert_eq!(
            outcomes[0].1,
            MigrationOutcome::Applied(vec!["1_init".to_string()])
        );
    }

    #[test]
    fn a_failed_dependency_skips_its_dependents() {
        let tmp = tempfile::tempdir().unwrap();
        let modules = tmp.path().join("plugins");
        bundle(
            &modules,
            "app",
            r#""base": "*""#,
            "CREATE TABLE mod_app_t (id TEXT);",
        );
        bundle(&modules, "base", "", "DELETE FROM agents;");
        let db =
            paperclip_core::db::open_database(&tmp.path().join("p.db").to_string_lossy()).unwrap();
        let outcomes = migrate_modules(&db, &settings(&modules, None), None).unwrap();
        assert!(
            matches!(&outcomes[0], (id, MigrationOutcome::Failed(e)) if id == "base" && e.contains("refused")),
            "{outcomes:?}"
        );
        assert_eq!(
            outcomes[1],
            (
                "app".to_string(),
                MigrationOutcome::Skipped("requires module `base`, whose migrations failed".into())
            )
        );
    }
}
