CREATE TABLE hook_outbox_full (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO hook_outbox_full (seq, event_id, hook, payload, created_at)
    SELECT seq, event_id, hook, payload, created_at FROM hook_outbox;
DROP TABLE hook_outbox;
ALTER TABLE hook_outbox_full RENAME TO hook_outbox;
