-- Deliveries to modules' inbound webhooks (`POST /webhooks/<module_id>/<webhook_key>`), newest
-- kept per module (the host prunes the older ones at each delivery). `status`: the HTTP status
-- answered; `body_bytes`: the size of the request body (the body itself is never stored);
-- `duration_ms`: from the request's body read to the answer; `error`: the host's reason when the
-- module failed or the endpoint was off (404, 500, 503, 504), or the `error` text of the module's
-- own 4xx/5xx JSON answer.
CREATE TABLE module_webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id TEXT NOT NULL,
    webhook_key TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    status INTEGER NOT NULL,
    body_bytes BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX module_webhook_deliveries_module ON module_webhook_deliveries (module_id, id);
