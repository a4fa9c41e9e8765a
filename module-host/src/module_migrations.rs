//! A module's own migrations: `migrations/<backend>/<version>_<name>/up.sql` inside its bundle
//! (`sqlite` or `postgres`), applied in version order, each in its own transaction together with
//! its `mod_migrations` row (checksum = SHA-256 of `up.sql`). Every statement of a migration
//! passes the SQL guard before any of them runs, so a refused migration leaves no trace; the
//! migrations before it stay applied (as after a database error), the ones after it wait. An
//! applied migration whose file changed stops the module: the database no longer matches what
//! the module was built for.

use super::discovery::sha256_hex;
use super::module_db::{describe_migration_error, ModuleRights};
use super::sql_guard::{SqlGuard, SqlGuardError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use paperclip_core::db::schema::mod_migrations;
use paperclip_core::db::{now, write_tx, Backend, DbConnection};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// One migration found in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleMigration {
    /// The folder name, e.g. `2026-01-01-000001_create_metrics`.
    pub folder: String,
    /// The version: the folder name up to the first `_`.
    pub version: String,
    /// The text of `up.sql`.
    pub up_sql: String,
    /// SHA-256 of `up.sql`, hex.
    pub checksum: String,
}

/// A row of `mod_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The migration version.
    pub version: String,
    /// The checksum recorded when it was applied.
    pub checksum: String,
}

/// Why a module's migrations did not (all) run. Each names the migration.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The migrations folder could not be read.
    #[error("cannot read migrations in {}: {source}", .dir.display())]
    Read {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A folder name without a version.
    #[error("migration folder `{0}` is not named <version>_<name> (e.g. 2026-01-01-000001_create_tables)")]
    BadFolder(String),
    /// A migration folder without `up.sql`.
    #[error("migration `{0}` has no up.sql")]
    MissingUp(String),
    /// Two folders with one version.
    #[error("migrations `{0}` and `{1}` have the same version")]
    DuplicateVersion(String, String),
    /// An applied migration's `up.sql` is not the one that was applied.
    #[error("migration `{folder}` changed after it was applied (applied checksum {applied}, file checksum {current}); restore the original file or add a new migration")]
    Changed {
        /// The migration.
        folder: String,
        /// Checksum recorded in `mod_migrations`.
        applied: String,
        /// Checksum of the file now.
        current: String,
    },
    /// A statement the module may not run.
    #[error("migration `{folder}` refused: {source}")]
    Refused {
        /// The migration.
        folder: String,
        /// The guard's explanation.
        source: SqlGuardError,
    },
    /// The database refused a statement; the migration was rolled back.
    #[error("migration `{folder}` failed and was rolled back: {message}")]
    Failed {
        /// The migration.
        folder: String,
        /// The database's message.
        message: String,
    },
    /// `mod_migrations` could not be read.
    #[error("cannot read mod_migrations: {0}")]
    Bookkeeping(String),
}

/// The migrations folder of a bundle for a backend.
pub fn migrations_dir(bundle_dir: &Path, backend: Backend) -> PathBuf {
    bundle_dir.join("migrations").join(backend.name())
}

/// Reads the bundle's migrations for `backend`, sorted by version. No folder: no migrations.
pub fn read_bundle_migrations(
    bundle_dir: &Path,
    backend: Backend,
) -> Result<Vec<ModuleMigration>, MigrationError> {
    let dir = migrations_dir(bundle_dir, backend);
    let read_error = |source| MigrationError::Read {
        dir: dir.clone(),
        source,
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_error(e)),
    };
    let mut migrations = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_error)?;
        if !entry.path().is_dir() {
            continue;
        }
        let folder = entry.file_name().to_string_lossy().into_owned();
        if folder.starts_with('.') {
            continue;
        }
        let version =
            version_of(&folder).ok_or_else(|| MigrationError::BadFolder(folder.clone()))?;
        let up_sql = match std::fs::read_to_string(entry.path().join("up.sql")) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(MigrationError::MissingUp(folder))
            }
            Err(e) => return Err(read_error(e)),
        };
        migrations.push(ModuleMigration {
            checksum: sha256_hex(&up_sql),
            version,
            folder,
            up_sql,
        });
    }
    migrations.sort_by(|a, b| {
        compare_versions(&a.version, &b.version).then_with(|| a.folder.cmp(&b.folder))
    });
    for pair in migrations.windows(2) {
        if compare_versions(&pair[0].version, &pair[1].version) == Ordering::Equal {
            return Err(MigrationError::DuplicateVersion(
                pair[0].folder.clone(),
                pair[1].folder.clone(),
            ));
        }
    }
    Ok(migrations)
}

/// The version part of a `<version>_<name>` folder: digits and `-`, at least one digit.
fn version_of(folder: &str) -> Option<String> {
    let (version, name) = folder.split_once('_')?;
    let well_formed = !name.is_empty()
        && version.bytes().any(|b| b.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    well_formed.then(|| version.to_string())
}

/// Orders versions numerically (ignoring `-`), so `2` comes before `10` and
/// `2026-01-02-000001` after `2026-01-01-000009`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let digits = |v: &str| -> String {
        let d: String = v.chars().filter(char::is_ascii_digit).collect();
        let trimmed = d.trim_start_matches('0');
        trimmed.to_string()
    };
    let (da, db) = (digits(a), digits(b));
    da.len().cmp(&db.len()).then_with(|| da.cmp(&db))
}

/// The migrations still to apply, in order; an applied migration whose checksum differs from
/// its file is an error.
pub fn pending_migrations<'a>(
    migrations: &'a [ModuleMigration],
    applied: &[AppliedMigration],
) -> Result<Vec<&'a ModuleMigration>, MigrationError> {
    let mut pending = Vec::new();
    for migration in migrations {
        match applied.iter().find(|a| a.version == migration.version) {
            Some(done) if done.checksum != migration.checksum => {
                return Err(MigrationError::Changed {
                    folder: migration.folder.clone(),
                    applied: done.checksum.clone(),
                    current: migration.checksum.clone(),
                })
            }
            Some(_) => {}
            None => pending.push(migration),
        }
    }
    Ok(pending)
}

/// The `mod_migrations` rows of a module.
pub fn applied_migrations(
    conn: &mut DbConnection,
    module_id: &str,
) -> Result<Vec<AppliedMigration>, MigrationError> {
    mod_migrations::table
        .filter(mod_migrations::module_id.eq(module_id))
        .select((mod_migrations::version, mod_migrations::checksum))
        .load::<(String, String)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(version, checksum)| AppliedMigration { version, checksum })
                .collect()
        })
        .map_err(|e| MigrationError::Bookkeeping(e.to_string()))
}

/// Applies the bundle's pending migrations for the guard's module, in version order; returns the
/// folders applied. Each migration is checked whole by the guard, then run in its own transaction
/// with its `mod_migrations` row; the first refused or failing one stops the run.
///
/// The statements run with the module's engine-level rights ([`ModuleRights`]: its own
/// PostgreSQL role, the SQLite authorizer); the `mod_migrations` row is written with the
/// host's.
pub fn run_module_migrations(
    conn: &mut DbConnection,
    guard: &SqlGuard,
    rights: &ModuleRights,
    bundle_dir: &Path,
) -> Result<Vec<String>, MigrationError> {
    let backend = conn.backend();
    let migrations = read_bundle_migrations(bundle_dir, backend)?;
    if migrations.is_empty() {
        return Ok(Vec::new());
    }
    let applied = applied_migrations(conn, guard.module_id())?;
    let pending = pending_migrations(&migrations, &applied)?;
    if !pending.is_empty() {
        rights.prepare(conn).map_err(MigrationError::Bookkeeping)?;
    }

    let mut done = Vec::new();
    for migration in pending {
        let statements = guard
            .check_script(&migration.up_sql, backend)
            .map_err(|source| MigrationError::Refused {
                folder: migration.folder.clone(),
                source,
            })?;
        let failed = |e: diesel::result::Error| MigrationError::Failed {
            folder: migration.folder.clone(),
            message: describe_migration_error(&e),
        };
        write_tx(conn, |tx| {
            rights.migration(tx, |tx| {
                for statement in &statements {
                    tx.batch_execute(&statement.sql)?;
                }
                Ok(())
            })?;
            diesel::insert_into(mod_migrations::table)
                .values((
                    mod_migrations::module_id.eq(guard.module_id()),
                    mod_migrations::version.eq(&migration.version),
                    mod_migrations::checksum.eq(&migration.checksum),
                    mod_migrations::applied_at.eq(now()),
                ))
                .execute(tx)?;
            Ok::<_, diesel::result::Error>(())
        })
        .map_err(failed)?;
        tracing::info!(module = guard.module_id(), migration = %migration.folder, "module migration applied");
        done.push(migration.folder.clone());
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_migration(bundle: &Path, backend: &str, folder: &str, sql: &str) {
        let dir = bundle.join("migrations").join(backend).join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("up.sql"), sql).unwrap();
        std::fs::write(dir.join("down.sql"), "-- nothing").unwrap();
    }

    fn open_sqlite(dir: &Path) -> DbConnection {
        let url = dir.join("test.db").to_string_lossy().into_owned();
        let mut conn = DbConnection::open(&url).unwrap();
        paperclip_core::db::migrations::run_core_migrations(&mut conn).unwrap();
        conn
    }

    #[test]
    fn versions_order_numerically() {
        let mut versions = vec!["10", "2", "0001", "2026-01-02-000001", "2026-01-01-000009"];
        versions.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            versions,
            vec!["0001", "2", "10", "2026-01-01-000009", "2026-01-02-000001"]
        );
        assert_eq!(compare_versions("01", "1"), Ordering::Equal);
    }

    #[test]
    fn folder_names_must_carry_a_version() {
        assert_eq!(
            version_of("2026-01-01-000001_init").as_deref(),
            Some("2026-01-01-000001")
        );
        assert_eq!(version_of("3_add_index").as_deref(), Some("3"));
        assert_eq!(version_of("init"), None);
        assert_eq!(version_of("v1_init"), None);
        assert_eq!(version_of("1_"), None);
    }

    #[test]
    fn bundle_migrations_are_read_for_the_backend_in_version_order() {
        let bundle = tempfile::tempdir().unwrap();
        write_migration(bundle.path(), "sqlite", "10_third", "SELECT 3;");
        write_migration(bundle.path(), "sqlite", "2_second", "SELECT 2;");
        write_migration(bundle.path(), "sqlite", "1_first", "SELECT 1;");
        write_migration(bundle.path(), "postgres", "1_only_pg", "SELECT 1;");
        let found = read_bundle_migrations(bundle.path(), Backend::Sqlite).unwrap();
        let folders: Vec<&str> = found.iter().map(|m| m.folder.as_str()).collect();
        assert_eq!(folders, vec!["1_first", "2_second", "10_third"]);
        assert_eq!(found[0].checksum, sha256_hex("SELECT 1;"));
        let pg = read_bundle_migrations(bundle.path(), Backend::Postgres).unwrap();
        assert_eq!(pg.len(), 1);
        let none = tempfile::tempdir().unwrap();
        assert!(read_bundle_migrations(none.path(), Backend::Sqlite)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn malformed_bundles_are_reported() {
        let bundle = tempfile::tempdir().unwrap();
        write_migration(bundle.path(), "sqlite", "1_a", "SELECT 1;");
        write_migration(bundle.path(), "sqlite", "01_b", "SELECT 1;");
        let err = read_bundle_migrations(bundle.path(), Backend::Sqlite).unwrap_err();
        assert_eq!(
            err.to_string(),
            "migrations `01_b` and `1_a` have the same version"
        );

        let bundle = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(bundle.path().join("migrations/sqlite/1_no_up")).unwrap();
        let err = read_bundle_migrations(bundle.path(), Backend::Sqlite).unwrap_err();
        assert_eq!(err.to_string(), "migration `1_no_up` has no up.sql");

        let bundle = tempfile::tempdir().unwrap();
        write_migration(bundle.path(), "sqlite", "first", "SELECT 1;");
        let err = read_bundle_migrations(bundle.path(), Backend::Sqlite).unwrap_err();
        assert!(matches!(err, MigrationError::BadFolder(_)), "{err}");
    }

    #[test]
    fn pending_skips_applied_and_refuses_a_changed_one() {
        let migration = |folder: &str, version: &str, sql: &str| ModuleMigration {
            folder: folder.to_string(),
            version: version.to_string(),
            up_sql: sql.to_string(),
            checksum: sha256_hex(sql),
        };
        let files = vec![migration("1_a", "1", "A"), migration("2_b", "2", "B")];
        let applied = vec![AppliedMigration {
            version: "1".into(),
            checksum: sha256_hex("A"),
        }];
        let pending = pending_migrations(&files, &applied).unwrap();
        assert_eq!(pending, vec![&files[1]]);

        let tampered = vec![AppliedMigration {
            version: "1".into(),
            checksum: sha256_hex("the original A"),
        }];
        let err = pending_migrations(&files, &tampered).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("migration `1_a` changed after it was applied"),
            "{err}"
        );
    }

    #[test]
    fn migrations_apply_once_with_their_rows() {
        let tmp = tempfile::tempdir().unwrap();
        let mut conn = open_sqlite(tmp.path());
        let bundle = tmp.path().join("bundle");
        write_migration(
            &bundle,
            "sqlite",
            "1_create",
            "CREATE TABLE mod_meter_usage (id TEXT PRIMARY KEY NOT NULL, tokens BIGINT NOT NULL);",
        );
        write_migration(
            &bundle,
            "sqlite",
            "2_index",
            "CREATE INDEX mod_meter_usage_tokens ON mod_meter_usage (tokens);\n\
             INSERT INTO mod_meter_usage (id, tokens) VALUES ('seed', 1);",
        );
        let guard = SqlGuard::new("meter");
        let applied =
            run_module_migrations(&mut conn, &guard, &ModuleRights::for_guard(&guard), &bundle)
                .unwrap();
        assert_eq!(applied, vec!["1_create", "2_index"]);
        let rows = applied_migrations(&mut conn, "meter").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].checksum.len(), 64);

        // A second run applies nothing.
        assert!(run_module_migrations(
            &mut conn,
            &guard,
            &ModuleRights::for_guard(&guard),
            &bundle
        )
        .unwrap()
        .is_empty());

        // Changing an applied file stops the module.
        write_migration(
            &bundle,
            "sqlite",
            "1_create",
            "CREATE TABLE mod_meter_x (id TEXT);",
        );
        let err =
            run_module_migrations(&mut conn, &guard, &ModuleRights::for_guard(&guard), &bundle)
                .unwrap_err();
        assert!(matches!(err, MigrationError::Changed { .. }), "{err}");
    }

    #[test]
    fn a_refused_migration_runs_none_of_its_statements_and_stops_the_later_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let mut conn = open_sqlite(tmp.path());
        let bundle = tmp.path().join("bundle");
        write_migration(
            &bundle,
            "sqlite",
            "1_ok",
            "CREATE TABLE mod_meter_ok (id TEXT);",
        );
        write_migration(
            &bundle,
            "sqlite",
            "2_bad",
            "CREATE TABLE mod_meter_half (id TEXT);\nDROP TABLE agents;",
        );
        write_migration(
            &bundle,
            "sqlite",
            "3_later",
            "CREATE TABLE mod_meter_later (id TEXT);",
        );
        let err = run_module_migrations(
            &mut conn,
            &SqlGuard::new("meter"),
            &ModuleRights::for_guard(&SqlGuard::new("meter")),
            &bundle,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("migration `2_bad` refused"),
            "{err}"
        );
        assert!(err.to_string().contains("agents"), "{err}");
        let applied = applied_migrations(&mut conn, "meter").unwrap();
        assert_eq!(applied.len(), 1, "only the first migration is recorded");
        let exists = |conn: &mut DbConnection, table: &str| {
            diesel::sql_query(format!("SELECT 1 FROM {table}"))
                .execute(conn)
                .is_ok()
        };
        assert!(exists(&mut conn, "mod_meter_ok"));
        assert!(
            !exists(&mut conn, "mod_meter_half"),
            "no statement of the refused one ran"
        );
        assert!(
            !exists(&mut conn, "mod_meter_later"),
            "later migrations wait"
        );
    }

    #[test]
    fn a_failing_migration_is_rolled_back_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let mut conn = open_sqlite(tmp.path());
        let bundle = tmp.path().join("bundle");
        write_migration(
            &bundle,
            "sqlite",
            "1_ok",
            "CREATE TABLE mod_meter_a (id TEXT);",
        );
        write_migration(
            &bundle,
            "sqlite",
            "2_fails",
            "CREATE TABLE mod_meter_b (id TEXT);\nINSERT INTO mod_meter_missing (id) VALUES ('x');",
        );
        let err = run_module_migrations(
            &mut conn,
            &SqlGuard::new("meter"),
            &ModuleRights::for_guard(&SqlGuard::new("meter")),
            &bundle,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("migration `2_fails` failed and was rolled back"),
            "{err}"
        );
        let rows = applied_migrations(&mut conn, "meter").unwrap();
        assert_eq!(rows.len(), 1, "the first migration stays applied");
        assert!(diesel::sql_query("SELECT 1 FROM mod_meter_b")
            .execute(&mut conn)
            .is_err());
    }
}
