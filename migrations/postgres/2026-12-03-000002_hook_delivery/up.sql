-- Delivery of the hook outbox to its readers (each module with hooks is one, named by its id).
-- `delivered_seq`: every outbox event with a `seq` up to it was handled by the reader (delivered,
-- or set aside in `hook_dead_letters`); it is saved in batches, so it may lag what was handled
-- (a restart then delivers those events again: at-least-once). `state`: `active` while the
-- reader runs or the server stopped under it, `paused` once it was disabled. `retains_events`:
-- the outbox keeps the events past `delivered_seq` for it (within the retention).
CREATE TABLE hook_readers (
    reader TEXT PRIMARY KEY NOT NULL,
    delivered_seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    retains_events BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Events a reader's handler failed on: `retrying` (attempts so far) until delivered (the row is
-- deleted) or the attempts run out (`dead`, kept until replayed).
CREATE TABLE hook_dead_letters (
    reader TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    first_failed_at TIMESTAMP NOT NULL,
    last_failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (reader, event_id)
);
