-- Each delivery of an event, by the server process (pid) that delivered it.
CREATE TABLE mod_replica_probe_events (
    event_id TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    pid BIGINT NOT NULL,
    deliveries BIGINT NOT NULL,
    PRIMARY KEY (event_id, pid)
);
-- Runs of the `tick` service, by the server process that ran them.
CREATE TABLE mod_replica_probe_runs (
    pid BIGINT PRIMARY KEY NOT NULL,
    runs BIGINT NOT NULL
);
