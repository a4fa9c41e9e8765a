DROP TABLE mod_replica_probe_runs;
DROP TABLE mod_replica_probe_events;
