-- Every hook event received (arrival order), with its company and its cause.
CREATE TABLE mod_actor_probe_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL,
    hook TEXT NOT NULL,
    company_id TEXT NOT NULL,
    title TEXT NOT NULL,
    cause_event_id TEXT NOT NULL,
    cause_depth BIGINT NOT NULL
);
-- Every core write the probe tried, with the answer (ok, or the error text).
CREATE TABLE mod_actor_probe_writes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    method TEXT NOT NULL,
    ok BOOLEAN NOT NULL,
    answer TEXT NOT NULL
);
