-- Every issue:created event received: once per event id, with its deliveries and which
-- version handled it first.
CREATE TABLE mod_upgrade_probe_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    issue_id TEXT NOT NULL,
    version TEXT NOT NULL,
    deliveries BIGINT NOT NULL
);
