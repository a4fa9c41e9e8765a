DROP TABLE mod_kitchen_sink_counters;
DROP TABLE mod_kitchen_sink_items;
