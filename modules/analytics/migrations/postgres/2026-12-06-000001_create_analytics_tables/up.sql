-- Analytics module schema. Every table is named mod_analytics_* : the host refuses any other
-- name for a module's writes. The same statements serve SQLite and PostgreSQL.
--
-- Times are BIGINT Unix milliseconds (UTC): bucket starts are computed by the module, so
-- `day_start >= $1` reads the same on both backends. No foreign keys to the core's tables: an
-- agent deleted later keeps its history (its spend was spent), and a late event of a deleted
-- agent is still counted instead of failing its batch.

-- The `eventId` of every event the module has counted: an event delivered again (delivery is
-- at least once) finds its id here and counts nothing. Pruned after a week by the retention
-- service (redeliveries come within seconds; a week also covers a replayed dead letter).
CREATE TABLE mod_analytics_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    handled_at BIGINT NOT NULL
);
CREATE INDEX mod_analytics_events_handled ON mod_analytics_events (handled_at);

-- Heartbeats per agent and UTC hour: an hour with a row is an active hour of the agent. Serves
-- `GET /utilisation/recent`; kept 31 days.
CREATE TABLE mod_analytics_agent_hours (
    agent_id TEXT NOT NULL,
    hour_start BIGINT NOT NULL,
    company_id TEXT NOT NULL,
    heartbeats BIGINT NOT NULL,
    PRIMARY KEY (agent_id, hour_start)
);
CREATE INDEX mod_analytics_agent_hours_company ON mod_analytics_agent_hours (company_id, hour_start);
CREATE INDEX mod_analytics_agent_hours_time ON mod_analytics_agent_hours (hour_start);

-- Per agent and UTC day: heartbeats, active hours (hours with at least one heartbeat) and
-- spend in cents (`budget:spend_recorded`). Serves the burn rate and the utilisation per day.
CREATE TABLE mod_analytics_agent_days (
    agent_id TEXT NOT NULL,
    day_start BIGINT NOT NULL,
    company_id TEXT NOT NULL,
    heartbeats BIGINT NOT NULL,
    active_hours BIGINT NOT NULL,
    spend_cents BIGINT NOT NULL,
    PRIMARY KEY (agent_id, day_start)
);
CREATE INDEX mod_analytics_agent_days_company ON mod_analytics_agent_days (company_id, day_start);
CREATE INDEX mod_analytics_agent_days_time ON mod_analytics_agent_days (day_start);

-- Issues in progress: when each entered `in_progress` (the first time since it was last done).
-- Deleted when the issue reaches `done`.
CREATE TABLE mod_analytics_issue_starts (
    issue_id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL,
    started_at BIGINT NOT NULL
);

-- One row per move of an issue to `done`, with its cycle time (NULL when it never was in
-- progress). Serves issues done per week and the cycle-time statistics.
CREATE TABLE mod_analytics_issues_done (
    event_id TEXT PRIMARY KEY NOT NULL,
    issue_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    -- The assignee when it was done, if any.
    agent_id TEXT,
    done_at BIGINT NOT NULL,
    cycle_ms BIGINT
);
CREATE INDEX mod_analytics_issues_done_company ON mod_analytics_issues_done (company_id, done_at);
CREATE INDEX mod_analytics_issues_done_agent ON mod_analytics_issues_done (agent_id, done_at);

-- One row per `goal:completed`.
CREATE TABLE mod_analytics_goals_completed (
    event_id TEXT PRIMARY KEY NOT NULL,
    goal_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    -- The goal's owner agent, if any.
    agent_id TEXT,
    completed_at BIGINT NOT NULL
);
CREATE INDEX mod_analytics_goals_completed_company ON mod_analytics_goals_completed (company_id, completed_at);
CREATE INDEX mod_analytics_goals_completed_agent ON mod_analytics_goals_completed (agent_id, completed_at);
