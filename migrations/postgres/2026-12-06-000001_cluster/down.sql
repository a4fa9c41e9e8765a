DROP TABLE module_bundles;
DROP TABLE cluster_leases;
DROP TABLE replicas;
