DROP TABLE mod_sql_probe_notes;
