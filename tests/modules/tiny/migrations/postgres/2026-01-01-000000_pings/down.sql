DROP TABLE mod_tiny_pings;
