-- Every hook payload the kitchen sink receives, as the host delivered it (JSON text).
CREATE TABLE mod_kitchen_sink_events (
    id BIGSERIAL PRIMARY KEY,
    hook TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX mod_kitchen_sink_events_hook ON mod_kitchen_sink_events (hook);
