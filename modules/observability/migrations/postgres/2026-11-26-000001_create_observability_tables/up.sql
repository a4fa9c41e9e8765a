-- Observability module schema (PostgreSQL). Every table is named mod_observability_* : the host
-- refuses any other name for a module's writes.
--
-- Times are BIGINT Unix milliseconds (UTC), not TIMESTAMP: the same integer arithmetic
-- (`recorded_at >= $1`, `recorded_at / 3600000` for hourly buckets) then works unchanged on
-- SQLite and PostgreSQL, so the module's runtime SQL needs no per-backend branches.

-- One row per heartbeat that reported `tokensUsed`. Pruned by the retention service.
CREATE TABLE mod_observability_token_metrics (
    id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    -- Copied from the agent so company queries need no join (agents never change company).
    company_id TEXT NOT NULL,
    tokens_used BIGINT NOT NULL,
    cost_cents BIGINT NOT NULL DEFAULT 0,
    model TEXT NOT NULL,
    -- NULL when the heartbeat did not report a latency.
    latency_ms BIGINT,
    -- When the core recorded the heartbeat (the hook's `timestamp`).
    recorded_at BIGINT NOT NULL,
    -- When this module wrote the row (rows are written in batches, see src/ingest_buffer.rs);
    -- minus recorded_at it is how long a heartbeat takes to show up here.
    ingested_at BIGINT NOT NULL
);
CREATE INDEX mod_observability_token_metrics_agent_time
    ON mod_observability_token_metrics (agent_id, recorded_at);
CREATE INDEX mod_observability_token_metrics_company_time
    ON mod_observability_token_metrics (company_id, recorded_at);
-- Retention deletes and unfiltered windows scan by time alone.
CREATE INDEX mod_observability_token_metrics_time
    ON mod_observability_token_metrics (recorded_at);

-- Running totals per agent and model, for Prometheus counters. Retention prunes the detail rows
-- above but never these, so a counter never goes down (a decrease would read as a reset).
CREATE TABLE mod_observability_usage_totals (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    tokens_total BIGINT NOT NULL,
    cost_cents_total BIGINT NOT NULL,
    heartbeats_total BIGINT NOT NULL,
    latency_ms_sum BIGINT NOT NULL,
    latency_count BIGINT NOT NULL,
    PRIMARY KEY (agent_id, model)
);

-- Every `budget:spend_recorded`: all spend, from heartbeats and other cost events alike, which
-- is what exhausts a budget. The burn rate is computed from it. Pruned by retention.
CREATE TABLE mod_observability_spend_events (
    id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    -- The agent's spend this month after this one.
    total_cents BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX mod_observability_spend_events_agent_time
    ON mod_observability_spend_events (agent_id, recorded_at);
CREATE INDEX mod_observability_spend_events_company_time
    ON mod_observability_spend_events (company_id, recorded_at);
CREATE INDEX mod_observability_spend_events_time
    ON mod_observability_spend_events (recorded_at);

-- Every `budget:threshold_crossed` (80, 90, 100 % of a monthly budget). Pruned by retention.
CREATE TABLE mod_observability_threshold_crossings (
    id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    budget_cents BIGINT NOT NULL,
    spent_cents BIGINT NOT NULL,
    percent DOUBLE PRECISION NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX mod_observability_threshold_crossings_agent_time
    ON mod_observability_threshold_crossings (agent_id, recorded_at);
CREATE INDEX mod_observability_threshold_crossings_time
    ON mod_observability_threshold_crossings (recorded_at);

-- How many times issues of a company moved into each status (`issue:status_changed`), for a
-- Prometheus counter of throughput. A running count, so retention does not touch it.
CREATE TABLE mod_observability_issue_status_counts (
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    transitions BIGINT NOT NULL,
    PRIMARY KEY (company_id, status)
);

-- Alert rules: fire when `metric_name` summed (or averaged) over the last `window_minutes`
-- exceeds `threshold`, for one agent or (agent_id NULL) for each agent separately.
-- The window column is not called `window`: that is a reserved word in PostgreSQL.
CREATE TABLE mod_observability_alert_rules (
    id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
    metric_name TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    window_minutes BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX mod_observability_alert_rules_agent
    ON mod_observability_alert_rules (agent_id);
