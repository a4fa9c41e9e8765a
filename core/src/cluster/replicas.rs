//! The replicas of one database (`replicas`): each running server's row — id, host, process,
//! address, version — and its heartbeat. A replica whose heartbeat is older than the lease time
//! is dead: the others remove its row (its leases lapse on their own).

use crate::db::schema::replicas;
use crate::db::{now, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::time::Duration;

/// One replica's row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = replicas)]
pub struct Replica {
    /// The replica's id (generated at start).
    pub replica_id: String,
    /// The machine's host name.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// Where its HTTP server listens (`ip:port`), once bound.
    pub address: Option<String>,
    /// The server version it runs.
    pub version: String,
    /// When it started.
    pub started_at: NaiveDateTime,
    /// Its last heartbeat.
    pub heartbeat_at: NaiveDateTime,
}

/// Adds (or replaces) the replica's row.
pub fn register(conn: &mut DbConnection, replica: &Replica) -> QueryResult<()> {
    diesel::delete(replicas::table.filter(replicas::replica_id.eq(&replica.replica_id)))
        .execute(conn)?;
    diesel::insert_into(replicas::table)
        .values(replica)
        .execute(conn)
        .map(|_| ())
}

/// Records where the replica listens.
pub fn set_address(conn: &mut DbConnection, replica_id: &str, address: &str) -> QueryResult<()> {
    diesel::update(replicas::table.filter(replicas::replica_id.eq(replica_id)))
        .set(replicas::address.eq(address))
        .execute(conn)
        .map(|_| ())
}

/// Renews the replica's heartbeat (the database's clock on PostgreSQL). Returns false when
/// its row is gone (removed as dead by another replica: register again).
pub fn heartbeat(conn: &mut DbConnection, replica_id: &str) -> QueryResult<bool> {
    let changed = match conn {
        DbConnection::Pg(c) => diesel::sql_query(
            "UPDATE replicas SET heartbeat_at = now() AT TIME ZONE 'UTC' WHERE replica_id = $1",
        )
        .bind::<Text, _>(replica_id)
        .execute(c)?,
        DbConnection::Sqlite(c) => {
            diesel::update(replicas::table.filter(replicas::replica_id.eq(replica_id)))
                .set(replicas::heartbeat_at.eq(now()))
                .execute(c)?
        }
    };
    Ok(changed == 1)
}

/// Removes the replica's row (it stops).
pub fn remove(conn: &mut DbConnection, replica_id: &str) -> QueryResult<()> {
    diesel::delete(replicas::table.filter(replicas::replica_id.eq(replica_id)))
        .execute(conn)
        .map(|_| ())
}

/// Every replica's row, oldest first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Replica>> {
    replicas::table
        .order((replicas::started_at.asc(), replicas::replica_id.asc()))
        .select(Replica::as_select())
        .load(conn)
}

/// Removes the rows whose heartbeat is older than `dead_after`; returns how many.
pub fn remove_dead(conn: &mut DbConnection, dead_after: Duration) -> QueryResult<usize> {
    let ms = i64::try_from(dead_after.as_millis()).unwrap_or(i64::MAX);
    match conn {
        DbConnection::Pg(c) => diesel::sql_query(
            "DELETE FROM replicas WHERE heartbeat_at < now() AT TIME ZONE 'UTC' - $1 * interval '1 millisecond'",
        )
        .bind::<BigInt, _>(ms)
        .execute(c),
        DbConnection::Sqlite(c) => {
            let oldest = now() - chrono::Duration::milliseconds(ms);
            diesel::delete(replicas::table.filter(replicas::heartbeat_at.lt(oldest))).execute(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::test_backends::each_backend;

    fn replica(id: &str) -> Replica {
        Replica {
            replica_id: id.to_string(),
            host: "h".to_string(),
            pid: 1,
            address: None,
            version: "0".to_string(),
            started_at: now(),
            heartbeat_at: now(),
        }
    }

    #[test]
    fn rows_heartbeat_and_the_dead_are_removed() {
        each_backend(|db| {
            let mut pooled = db.conn().unwrap();
            let conn = &mut *pooled;
            register(conn, &replica("a")).unwrap();
            register(conn, &replica("b")).unwrap();
            set_address(conn, "a", "127.0.0.1:1").unwrap();
            std::thread::sleep(Duration::from_millis(400));
            assert!(heartbeat(conn, "a").unwrap());
            assert_eq!(remove_dead(conn, Duration::from_millis(250)).unwrap(), 1);
            let left = list(conn).unwrap();
            assert_eq!(left.len(), 1);
            assert_eq!(left[0].address.as_deref(), Some("127.0.0.1:1"));
            assert!(!heartbeat(conn, "b").unwrap(), "b was removed");
            remove(conn, "a").unwrap();
            assert!(list(conn).unwrap().is_empty());
        });
    }
}
