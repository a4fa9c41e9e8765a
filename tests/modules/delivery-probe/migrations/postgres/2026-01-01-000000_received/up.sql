-- Every hook event the probe received: once per event id, in arrival order (`id`), with how
-- many times it was delivered.
CREATE TABLE mod_delivery_probe_received (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    hook TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    title TEXT NOT NULL,
    deliveries BIGINT NOT NULL
);
