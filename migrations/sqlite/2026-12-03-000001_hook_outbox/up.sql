-- The transactional hook outbox: every hook event of a core write, inserted in the write's own
-- transaction, so an event exists if and only if its write committed. `seq` only grows
-- (AUTOINCREMENT never reuses a number, even after pruning); `payload` is the JSON text as
-- delivered, with its `eventId`. No index on `created_at`: one more index page per write costs
-- more than the scan of a pruned (bounded) table when the retention is applied.
CREATE TABLE hook_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
