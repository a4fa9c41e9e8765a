-- Notifications module schema (PostgreSQL). Every table is named mod_notifications_* : the host
-- refuses any other name for a module's writes. Times are BIGINT Unix milliseconds (UTC), so the
-- same comparisons work on SQLite and PostgreSQL; JSON values are stored as TEXT.

-- A channel: where one company's notifications go.
CREATE TABLE mod_notifications_channels (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- webhook | slack | discord | email
    kind TEXT NOT NULL,
    -- JSON array of hook names, e.g. ["issue:status_changed"].
    hooks TEXT NOT NULL,
    -- JSON array of {path, op, value}.
    filters TEXT NOT NULL,
    -- Message template; NULL: the hook's default.
    template TEXT,
    -- The URL of webhook, slack and discord channels: plain, or a $NAME reference (a secret).
    url TEXT,
    -- JSON SMTP settings of email channels (the password plain or a $NAME reference).
    email TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mod_notifications_channels_company
    ON mod_notifications_channels (company_id, created_at);

-- A delivery: one event's message for one channel, pending until sent or given up; the log.
CREATE TABLE mod_notifications_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    channel_id TEXT NOT NULL REFERENCES mod_notifications_channels(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    hook TEXT NOT NULL,
    event_id TEXT NOT NULL,
    -- The rendered email subject (email channels) and message.
    subject TEXT,
    message TEXT NOT NULL,
    -- The event's payload as JSON (a generic webhook sends it).
    payload TEXT NOT NULL,
    -- pending | sent | failed
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT
);
-- Hook delivery is at least once: an event delivered again must not queue a second message.
CREATE UNIQUE INDEX mod_notifications_deliveries_channel_event
    ON mod_notifications_deliveries (channel_id, event_id);
-- The delivery service's query: pending deliveries by due time.
CREATE INDEX mod_notifications_deliveries_due
    ON mod_notifications_deliveries (status, next_attempt_at);
-- The log, newest first.
CREATE INDEX mod_notifications_deliveries_created
    ON mod_notifications_deliveries (created_at);
