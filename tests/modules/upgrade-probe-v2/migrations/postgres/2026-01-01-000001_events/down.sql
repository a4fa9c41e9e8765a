DROP TABLE mod_upgrade_probe_events;
