//! `hooks.delivery`: the hook outbox and every module's delivery as saved, for modules that
//! report on the server (the observability module's Prometheus output).

use paperclip_core::db::DbConnection;
use paperclip_core::hooks::hook_readers::{self, ReaderState};
use paperclip_core::hooks::{hook_dead_letters, hook_outbox};
use serde_json::{json, Value};

/// `{"outbox": {"size", "newestSeq"}, "modules": [{"moduleId", "state", "retainsEvents",
/// "cursor", "lagEvents", "oldestUndeliveredAgeSeconds", "retrying", "deadLetters"}]}`, modules
/// by id. Cursors are the saved ones (at most a fraction of a second behind the live ones).
pub fn delivery_status(conn: &mut DbConnection) -> diesel::QueryResult<Value> {
    let size = hook_outbox::size(conn)?;
    let newest = hook_outbox::newest_seq(conn)?;
    let mut modules = Vec::new();
    for reader in hook_readers::list(conn)? {
        let lag = hook_readers::lag(conn, reader.delivered_seq)?;
        let (retrying, dead) = hook_dead_letters::counts(conn, &reader.reader)?;
        modules.push(json!({
            "moduleId": reader.reader,
            "state": match reader.state {
                ReaderState::Active => "active",
                ReaderState::Paused => "paused",
            },
            "retainsEvents": reader.retains_events,
            "cursor": reader.delivered_seq,
            "lagEvents": lag.events,
            "oldestUndeliveredAgeSeconds": lag.oldest_age_seconds(),
            "retrying": retrying,
            "deadLetters": dead,
        }));
    }
    Ok(json!({
        "outbox": { "size": size, "newestSeq": newest },
        "modules": modules,
    }))
}
