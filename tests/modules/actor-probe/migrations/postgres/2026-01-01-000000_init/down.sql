DROP TABLE mod_actor_probe_writes; DROP TABLE mod_actor_probe_events;
