-- A correct first migration: it must be applied and recorded.
CREATE TABLE mod_fault_bad_migration_a (
    id TEXT PRIMARY KEY NOT NULL
);
