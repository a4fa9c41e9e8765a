-- Revenue module schema. Every table is named mod_revenue_* : the host refuses any other name
-- for a module's writes. The same text serves SQLite and PostgreSQL (see ../sqlite).
--
-- Money is BIGINT in the currency's minor unit (cents); times are BIGINT Unix milliseconds
-- (UTC), so `occurred_at / 86400000` is the UTC day on both backends and the P&L needs no
-- per-backend date functions. No foreign keys to the core: income and costs are history and
-- stay when an agent is deleted.

-- Income: manual entries (source 'manual') and Stripe events (source 'stripe'). A refund is a
-- negative amount.
CREATE TABLE mod_revenue_income (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    -- ISO 4217 code, upper case.
    currency TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT,
    -- When the money came in (a manual entry's occurredAt, a Stripe event's `created`).
    occurred_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The Stripe event id (evt_…): unique, so a delivery of the same event again adds nothing.
    -- NULL for manual entries (both backends allow many NULLs under UNIQUE).
    stripe_event_id TEXT UNIQUE,
    -- The Stripe event type (invoice.paid, …) and the id of its object (in_…, cs_…, ch_…):
    -- a charge's refunds are summed by it so that successive partial refunds count once each.
    stripe_event_type TEXT,
    stripe_object_id TEXT
);
CREATE INDEX mod_revenue_income_company_time ON mod_revenue_income (company_id, occurred_at);
CREATE INDEX mod_revenue_income_stripe_object ON mod_revenue_income (stripe_object_id);

-- Costs: one row per `budget:spend_recorded`, keyed by the event's eventId (delivery is at
-- least once: a redelivered event inserts nothing).
CREATE TABLE mod_revenue_costs (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    -- When the core recorded the spend (the time inside the eventId, a UUIDv7).
    occurred_at BIGINT NOT NULL
);
CREATE INDEX mod_revenue_costs_company_time ON mod_revenue_costs (company_id, occurred_at);

-- Sums per company and UTC day (`occurred_at / 86400000`), kept in the same transaction as every
-- write of the rows above: the P&L reads one row per day (and currency) for the whole days of its
-- range, whatever the number of entries, and the rows above only for a day cut by the range.
CREATE TABLE mod_revenue_income_days (
    company_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    currency TEXT NOT NULL,
    income_cents BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, currency)
);
CREATE TABLE mod_revenue_cost_days (
    company_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    cost_cents BIGINT NOT NULL,
    PRIMARY KEY (company_id, day)
);
