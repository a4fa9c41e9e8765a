-- Workflow Automation module schema (PostgreSQL). Every table is named mod_workflows_* : the host
-- refuses any other name for a module's writes.
--
-- Times are BIGINT Unix milliseconds (UTC), so the same SQL works on SQLite and PostgreSQL.
-- A rule's conditions and actions are JSON text: they are read and written whole, validated by
-- the module before every write (src/rule_input.rs), and never queried inside.

-- Rules: when `hook` fires for `company_id` and every condition holds, run the actions in order.
CREATE TABLE mod_workflows_rules (
    id TEXT PRIMARY KEY NOT NULL,
    -- A rule belongs to one company and goes with it.
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    -- The trigger: one hook (e.g. issue:status_changed) …
    hook TEXT NOT NULL,
    -- … and a JSON array of {field, operator, value}, all of which must hold.
    conditions TEXT NOT NULL,
    -- JSON array of actions ({type: create_issue | update_issue | pause_agent | resume_agent, …}).
    actions TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Every event looks up the enabled rules of its hook and company.
CREATE INDEX mod_workflows_rules_hook_company ON mod_workflows_rules (hook, company_id);
CREATE INDEX mod_workflows_rules_company ON mod_workflows_rules (company_id, created_at);

-- Runs: one per rule that fired for an event — what fired it and what each action did. The
-- unique (rule_id, event_id) is also the idempotency record: delivery is at-least-once, and an
-- event delivered again does not fire a rule twice. Pruned by the retention service.
CREATE TABLE mod_workflows_runs (
    id TEXT PRIMARY KEY NOT NULL,
    rule_id TEXT NOT NULL REFERENCES mod_workflows_rules(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    -- The trigger event: its eventId and hook.
    event_id TEXT NOT NULL,
    hook TEXT NOT NULL,
    -- How many module writes led to the trigger event (its causedBy.depth; 0 when a person or
    -- the core caused it).
    depth BIGINT NOT NULL,
    -- running (claimed, actions under way), succeeded, or failed (an action failed; the rest
    -- were skipped).
    status TEXT NOT NULL,
    -- JSON array: each action's outcome (ok / failed / skipped, what it created or changed, the
    -- error).
    outcomes TEXT NOT NULL,
    -- The first action's error, when one failed.
    error TEXT,
    fired_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE UNIQUE INDEX mod_workflows_runs_rule_event ON mod_workflows_runs (rule_id, event_id);
CREATE INDEX mod_workflows_runs_rule_time ON mod_workflows_runs (rule_id, fired_at);
CREATE INDEX mod_workflows_runs_company_time ON mod_workflows_runs (company_id, fired_at);
CREATE INDEX mod_workflows_runs_time ON mod_workflows_runs (fired_at);
