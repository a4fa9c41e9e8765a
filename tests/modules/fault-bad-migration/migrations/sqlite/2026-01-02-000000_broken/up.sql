-- Two good statements, then bad SQL ("TABEL"): the whole migration must be rolled back, so
-- mod_fault_bad_migration_b must not exist afterwards and this version must not be recorded.
CREATE TABLE mod_fault_bad_migration_b (
    id TEXT PRIMARY KEY NOT NULL
);
INSERT INTO mod_fault_bad_migration_b (id) VALUES ('half-done');
CREATE TABEL mod_fault_bad_migration_c (id TEXT);
