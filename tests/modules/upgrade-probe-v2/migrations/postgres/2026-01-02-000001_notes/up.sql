-- Added in version 2: notes posted to POST /notes.
CREATE TABLE mod_upgrade_probe_notes (
    text TEXT NOT NULL
);
