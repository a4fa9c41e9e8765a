DROP TABLE module_policy;
