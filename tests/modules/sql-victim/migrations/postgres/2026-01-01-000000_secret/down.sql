DROP TABLE mod_sql_victim_secret;
