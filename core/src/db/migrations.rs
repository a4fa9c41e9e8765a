//! The core schema's migrations, embedded per backend and applied at start-up and by
//! `paperclipai db migrate`.

use super::connection::DbConnection;
use super::database::Database;
use anyhow::Context;
use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Applies every pending core migration; returns the versions applied now.
pub fn run_core_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES),
    }
    .map_err(|e| anyhow::anyhow!("core migrations failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Opens the database and applies pending core migrations.
/// The advisory lock key replicas take while they apply the core migrations.
const MIGRATION_LOCK: i64 = 0x7061_7065_7263_6c70;

pub fn open_database(url: &str) -> anyhow::Result<Database> {
    open_database_sized(url, None)
}

/// [`open_database`] with a pool of `pool_size` connections (`None`: the backend's default).
/// On PostgreSQL the migrations run under an advisory lock, so replicas starting together on
/// one database apply them once.
pub fn open_database_sized(url: &str, pool_size: Option<u32>) -> anyhow::Result<Database> {
    let db = Database::open_sized(url, pool_size)
        .with_context(|| format!("cannot open database {url}"))?;
    let mut conn = db.conn().context("cannot connect to the database")?;
    let applied = match &mut *conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(pg)?;
            let applied = run_core_migrations(&mut conn);
            if let DbConnection::Pg(pg) = &mut *conn {
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .execute(pg)?;
            }
            applied?
        }
        DbConnection::Sqlite(_) => run_core_migrations(&mut conn)?,
    };
    if !applied.is_empty() {
        tracing::info!(?applied, "core migrations applied");
    }
    Ok(db)
}
