//! The channel replicas tell each other about changes on: PostgreSQL `NOTIFY` on
//! [`CHANNEL`] (a listener connection receives them, see the server's cluster sync). On SQLite
//! there is one replica and nothing to tell.

use crate::db::DbConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// The notification channel of module state changes.
pub const CHANNEL: &str = "paperclip_cluster";

/// Tells every replica listening on [`CHANNEL`] that `what` changed (delivered when the
/// current transaction commits, at once outside one). A no-op on SQLite.
pub fn announce(conn: &mut DbConnection, what: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(what)
            .execute(c)
            .map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}
