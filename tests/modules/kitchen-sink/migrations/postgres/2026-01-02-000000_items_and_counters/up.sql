-- Items managed through the module's routes (optionally tied to a core agent), and named
-- counters (the service increments `service`).
CREATE TABLE mod_kitchen_sink_items (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    qty BIGINT NOT NULL,
    agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL
);
CREATE TABLE mod_kitchen_sink_counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO mod_kitchen_sink_counters (name, value) VALUES ('service', 0);
