-- One index less per write: `event_id` is a time-ordered UUID, unique by construction.
ALTER TABLE hook_outbox DROP CONSTRAINT IF EXISTS hook_outbox_event_id_key;
