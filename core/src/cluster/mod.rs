//! Several server processes (replicas) on one PostgreSQL database: each replica's row and
//! heartbeat ([`replicas`]), leases that let one replica at a time do a piece of work
//! ([`leases`]), and the notification channel replicas tell each other about changes on
//! ([`notify`]). Nothing here knows what the work is (the module host names its leases).
//!
//! Times that decide between replicas (lease expiry, heartbeat age) are the database's clock on
//! PostgreSQL, so replicas on machines whose clocks differ still agree; SQLite has a single
//! replica and uses this process's clock.

pub mod leases;
pub mod notify;
pub mod replicas;
