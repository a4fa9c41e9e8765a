-- The transactional hook outbox: every hook event of a core write, inserted in the write's own
-- transaction, so an event exists if and only if its write committed. `seq` only grows
-- (AUTOINCREMENT never reuses a number, even after pruning); `payload` is the JSON text as
-- delivered, with its `eventId`.
CREATE TABLE hook_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX hook_outbox_created_at ON hook_outbox(created_at);
