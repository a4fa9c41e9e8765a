-- Core schema of Paperclip (PostgreSQL). Timestamps are UTC; ids are UUID strings.
CREATE TABLE companies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    issue_prefix TEXT NOT NULL,
    issue_counter BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    title TEXT,
    status TEXT NOT NULL DEFAULT 'idle',
    reports_to TEXT REFERENCES agents(id),
    budget_monthly_cents BIGINT NOT NULL DEFAULT 0,
    spent_monthly_cents BIGINT NOT NULL DEFAULT 0,
    spend_month TEXT NOT NULL,
    budget_alerts_sent INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    last_heartbeat_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agents_company ON agents(company_id);
CREATE INDEX agents_reports_to ON agents(reports_to);

CREATE TABLE goals (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT,
    level TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned',
    parent_id TEXT REFERENCES goals(id),
    owner_agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX goals_company ON goals(company_id);
CREATE INDEX goals_parent ON goals(parent_id);

CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    goal_id TEXT REFERENCES goals(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX projects_company ON projects(company_id);

CREATE TABLE issues (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    identifier TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'todo',
    priority TEXT NOT NULL DEFAULT 'medium',
    assignee_agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
    project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
    goal_id TEXT REFERENCES goals(id) ON DELETE SET NULL,
    parent_id TEXT REFERENCES issues(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (company_id, number)
);
CREATE INDEX issues_company_status ON issues(company_id, status);
CREATE INDEX issues_assignee ON issues(assignee_agent_id);

CREATE TABLE activity (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activity_company_time ON activity(company_id, created_at);

CREATE TABLE heartbeats (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    tokens_used BIGINT,
    cost_cents BIGINT,
    model TEXT,
    latency_ms BIGINT,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX heartbeats_agent_time ON heartbeats(agent_id, created_at);

CREATE TABLE cost_events (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    amount_cents BIGINT NOT NULL,
    source TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cost_events_agent ON cost_events(agent_id, created_at);

-- Module host bookkeeping: whether each module is enabled, in which order it was first
-- enabled (the holder of a slot or prefix keeps it), and a config saved from the UI.
CREATE TABLE module_state (
    module_id TEXT PRIMARY KEY NOT NULL,
    enabled BOOLEAN NOT NULL,
    enable_order BIGINT NOT NULL,
    config_override TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE mod_migrations (
    module_id TEXT NOT NULL,
    version TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (module_id, version)
);
