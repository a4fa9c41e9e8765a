-- Its own table first (allowed), then a write to the core `agents` table (refused by the
-- host's SQL guard): nothing of this migration may be applied.
CREATE TABLE mod_fault_core_write_t (
    id TEXT PRIMARY KEY NOT NULL
);
UPDATE agents SET name = 'hijacked';
