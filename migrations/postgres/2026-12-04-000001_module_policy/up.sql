-- What the operator decided about a module beyond enabling it. `granted`: the capabilities
-- (core writes) granted, a JSON array of names; NULL means "not decided through the API yet",
-- and `modules.grants.<id>` in the config applies. `company_mode`: `all` or `only`;
-- `company_ids`: with `only`, a JSON array of the companies the module serves.
CREATE TABLE module_policy (
    module_id TEXT PRIMARY KEY NOT NULL,
    granted TEXT,
    company_mode TEXT NOT NULL,
    company_ids TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
