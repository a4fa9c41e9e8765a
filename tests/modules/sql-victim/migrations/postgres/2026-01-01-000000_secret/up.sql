-- Rows no other module may read or change (the security battery looks for them in every answer).
CREATE TABLE mod_sql_victim_secret (
    id TEXT PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL
);
INSERT INTO mod_sql_victim_secret (id, secret) VALUES ('s1', 'victim-secret-7f3a9c1e');
INSERT INTO mod_sql_victim_secret (id, secret) VALUES ('s2', 'victim-secret-b20d44aa');
