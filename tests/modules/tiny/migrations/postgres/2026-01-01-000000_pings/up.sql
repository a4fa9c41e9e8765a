CREATE TABLE mod_tiny_pings (
    id TEXT PRIMARY KEY NOT NULL
);
