DROP TABLE mod_kitchen_sink_events;
