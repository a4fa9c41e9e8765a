//! Leases (`cluster_leases`): a named piece of work done by one replica at a time. The holder
//! renews its lease before it expires; once expired, any replica may take it. Acquiring and
//! renewing are the same single statement (an upsert that only wins over an expired lease or
//! one's own), so two replicas never both hold a lease by the database's clock.

use crate::db::schema::cluster_leases;
use crate::db::{now, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use std::time::Duration;

/// One lease as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = cluster_leases)]
pub struct Lease {
    /// What the lease is for (e.g. `module:<id>`).
    pub name: String,
    /// The replica holding it.
    pub holder: String,
    /// Since when this holder has held it.
    pub acquired_at: NaiveDateTime,
    /// When it lapses unless renewed.
    pub expires_at: NaiveDateTime,
}

const PG_ACQUIRE: &str = "INSERT INTO cluster_leases (name, holder, acquired_at, expires_at) \
     VALUES ($1, $2, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' + $3 * interval '1 millisecond') \
     ON CONFLICT (name) DO UPDATE SET \
       acquired_at = CASE WHEN cluster_leases.holder = EXCLUDED.holder \
                     THEN cluster_leases.acquired_at ELSE EXCLUDED.acquired_at END, \
       holder = EXCLUDED.holder, \
       expires_at = EXCLUDED.expires_at \
     WHERE cluster_leases.holder = EXCLUDED.holder \
        OR cluster_leases.expires_at < now() AT TIME ZONE 'UTC'";

const SQLITE_ACQUIRE: &str = "INSERT INTO cluster_leases (name, holder, acquired_at, expires_at) \
     VALUES (?, ?, ?, ?) \
     ON CONFLICT (name) DO UPDATE SET \
       acquired_at = CASE WHEN cluster_leases.holder = excluded.holder \
                     THEN cluster_leases.acquired_at ELSE excluded.acquired_at END, \
       holder = excluded.holder, \
       expires_at = excluded.expires_at \
     WHERE cluster_leases.holder = excluded.holder \
        OR cluster_leases.expires_at < excluded.acquired_at";

/// Takes the lease `name` for `holder` for `ttl`, or renews it when `holder` has it already.
/// Returns whether `holder` holds it now (false: another replica holds an unexpired lease).
pub fn try_acquire(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> QueryResult<bool> {
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let changed = match conn {
        DbConnection::Pg(c) => diesel::sql_query(PG_ACQUIRE)
            .bind::<Text, _>(name)
            .bind::<Text, _>(holder)
            .bind::<BigInt, _>(ttl_ms)
            .execute(c)?,
        DbConnection::Sqlite(c) => {
            let at = now();
            let expires = at + chrono::Duration::milliseconds(ttl_ms);
            diesel::sql_query(SQLITE_ACQUIRE)
                .bind::<Text, _>(name)
                .bind::<Text, _>(holder)
                .bind::<Timestamp, _>(at)
                .bind::<Timestamp, _>(expires)
                .execute(c)?
        }
    };
    Ok(changed == 1)
}

/// Gives up the lease `name` if `holder` has it (another replica may take it at once).
pub fn release(conn: &mut DbConnection, name: &str, holder: &str) -> QueryResult<()> {
    diesel::delete(
        cluster_leases::table
            .filter(cluster_leases::name.eq(name))
            .filter(cluster_leases::holder.eq(holder)),
    )
    .execute(conn)
    .map(|_| ())
}

/// Gives up every lease `holder` has (a replica going down).
pub fn release_all(conn: &mut DbConnection, holder: &str) -> QueryResult<usize> {
    diesel::delete(cluster_leases::table.filter(cluster_leases::holder.eq(holder))).execute(conn)
}

/// Every lease whose name starts with `prefix`, by name (expired ones included: their holder
/// died or gave up without releasing, and the next taker replaces them). The table holds a
/// row per module at most, so the prefix is matched here rather than with `LIKE` (whose `_`
/// and `%` would need escaping).
pub fn list(conn: &mut DbConnection, prefix: &str) -> QueryResult<Vec<Lease>> {
    let all: Vec<Lease> = cluster_leases::table
        .order(cluster_leases::name.asc())
        .select(Lease::as_select())
        .load(conn)?;
    Ok(all
        .into_iter()
        .filter(|lease| lease.name.starts_with(prefix))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::test_backends::each_backend;

    #[test]
    fn one_holder_at_a_time_and_an_expired_lease_changes_hands() {
        each_backend(|db| {
            let mut pooled = db.conn().unwrap();
            let conn = &mut *pooled;
            let ttl = Duration::from_millis(300);
            assert!(try_acquire(conn, "module:a", "r1", ttl).unwrap());
            assert!(
                !try_acquire(conn, "module:a", "r2", ttl).unwrap(),
                "held by r1"
            );
            assert!(try_acquire(conn, "module:a", "r1", ttl).unwrap(), "renewed");
            let first = list(conn, "module:").unwrap();
            assert_eq!(first.len(), 1);
            assert_eq!(first[0].holder, "r1");
            std::thread::sleep(Duration::from_millis(450));
            assert!(try_acquire(conn, "module:a", "r2", ttl).unwrap(), "expired");
            assert!(!try_acquire(conn, "module:a", "r1", ttl).unwrap());
            let taken = list(conn, "module:").unwrap();
            assert_eq!(taken[0].holder, "r2");
            assert!(taken[0].acquired_at >= first[0].acquired_at);
            release(conn, "module:a", "r1").unwrap();
            assert_eq!(list(conn, "").unwrap().len(), 1, "only the holder releases");
            assert_eq!(release_all(conn, "r2").unwrap(), 1);
            assert!(
                try_acquire(conn, "module:a", "r1", ttl).unwrap(),
                "released"
            );
        });
    }
}
