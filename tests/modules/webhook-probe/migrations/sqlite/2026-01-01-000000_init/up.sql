-- Every delivery the stripe webhook handler got: the verdict of the signature check, the raw
-- body in hex (exact bytes), the headers and query it saw.
CREATE TABLE mod_webhook_probe_received (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_key TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    error TEXT NOT NULL,
    body_hex TEXT NOT NULL,
    signature TEXT NOT NULL,
    content_type TEXT NOT NULL,
    custom_header TEXT NOT NULL,
    query TEXT NOT NULL
);
