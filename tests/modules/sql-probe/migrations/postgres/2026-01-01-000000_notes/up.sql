-- The probe's own table: the only one it may write.
CREATE TABLE mod_sql_probe_notes (
    id BIGSERIAL PRIMARY KEY,
    body TEXT NOT NULL
);
