DROP TABLE mod_fault_core_write_t;
