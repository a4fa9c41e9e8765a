ALTER TABLE hook_outbox ADD CONSTRAINT hook_outbox_event_id_key UNIQUE (event_id);
