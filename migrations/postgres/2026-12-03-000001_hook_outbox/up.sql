-- The transactional hook outbox: every hook event of a core write, inserted in the write's own
-- transaction, so an event exists if and only if its write committed. `seq` only grows (an
-- identity is never reused; numbers of rolled-back inserts are skipped, so there may be gaps);
-- `payload` is the JSON text as delivered, with its `eventId`. No index on `created_at`: one more
-- index page per write costs more than the scan of a pruned (bounded) table when the retention
-- is applied.
CREATE TABLE hook_outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
