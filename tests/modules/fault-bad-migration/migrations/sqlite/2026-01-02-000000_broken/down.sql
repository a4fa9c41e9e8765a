DROP TABLE mod_fault_bad_migration_b;
