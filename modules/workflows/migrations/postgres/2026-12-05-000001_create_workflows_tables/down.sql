DROP TABLE mod_workflows_runs;
DROP TABLE mod_workflows_rules;
