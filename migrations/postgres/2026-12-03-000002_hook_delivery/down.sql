DROP TABLE hook_dead_letters;
DROP TABLE hook_readers;
