-- pg_leadgen 0.1.0 -> 0.2.0. Runs as ALTER EXTENSION pg_leadgen UPDATE TO '0.2.0'.
--
-- Every change of src/sql since 0.1.0 is made here too, so that an updated
-- database is the same as a fresh 0.2.0 install: test/t/004_upgrade.pl
-- compares the two (functions, owners, privileges, settings, tables,
-- indexes, triggers, extension members, configuration rows).
\echo Use "ALTER EXTENSION pg_leadgen UPDATE TO '0.2.0'" to load this file. \quit
