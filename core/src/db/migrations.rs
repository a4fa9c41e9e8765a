//! The core schema's migrations, embedded per backend and applied at start-up and by
//! `paperclipai db migrate`.

use super::connection::DbConnection;
use super::database::Database;
use anyhow::Context;
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
pub fn open_database(url: &str) -> anyhow::Result<Database> {
    let db = Database::open(url).with_context(|| format!("cannot open database {url}"))?;
    let mut conn = db.conn().context("cannot connect to the database")?;
    let applied = run_core_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "core migrations applied");
    }
    Ok(db)
}
