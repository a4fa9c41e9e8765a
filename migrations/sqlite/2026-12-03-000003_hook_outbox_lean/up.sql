-- One page less per write: `seq` is the plain rowid (no AUTOINCREMENT, so no `sqlite_sequence`
-- update per commit) and `event_id` has no UNIQUE index (a time-ordered UUID, unique by
-- construction). `seq` still only grows: the newest event is never pruned, and SQLite gives a
-- new row the largest rowid + 1.
CREATE TABLE hook_outbox_lean (
    seq INTEGER PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO hook_outbox_lean (seq, event_id, hook, payload, created_at)
    SELECT seq, event_id, hook, payload, created_at FROM hook_outbox;
DROP TABLE hook_outbox;
ALTER TABLE hook_outbox_lean RENAME TO hook_outbox;
