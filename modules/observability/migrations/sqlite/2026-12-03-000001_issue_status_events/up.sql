-- The issue:status_changed events already counted in mod_observability_issue_status_counts, by
-- eventId, so that an event delivered again (at-least-once delivery after a crash) is not counted
-- twice. Pruned by the retention service like the other time-stamped rows (recorded_at, Unix ms).
CREATE TABLE mod_observability_issue_status_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    recorded_at BIGINT NOT NULL
);
