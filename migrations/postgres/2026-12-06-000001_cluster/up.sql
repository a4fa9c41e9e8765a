-- Several server processes (replicas) on one database. `replicas`: each running server, with
-- the heartbeat it renews every second; a row whose heartbeat is older than the lease time is a
-- replica that died (removed by the others).
CREATE TABLE replicas (
    replica_id TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    address TEXT,
    version TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);
-- Work that one replica at a time does (a module's services and hook delivery): the holder
-- renews it before `expires_at`; once expired any replica may take it.
CREATE TABLE cluster_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- Module bundles installed through the store, kept in the database so that every replica can
-- lay the same bytes out (content-addressed by the archive's SHA-256; the bundle's signature is
-- inside the archive). The newest row of a module is the one its replicas run.
CREATE TABLE module_bundles (
    sha256 TEXT PRIMARY KEY NOT NULL,
    module_id TEXT NOT NULL,
    version TEXT NOT NULL,
    archive BYTEA NOT NULL,
    stored_by TEXT NOT NULL,
    stored_at TIMESTAMP NOT NULL
);
CREATE INDEX module_bundles_by_module ON module_bundles (module_id, stored_at);
