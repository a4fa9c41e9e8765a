DROP TABLE hook_outbox;
