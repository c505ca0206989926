-- DROP EXTENSION removes every object of pg_leadgen, and CREATE EXTENSION
-- brings back the same set; pg_partman's configuration is re-registered,
-- once. A second database installs it too.

SELECT leadgen.partman_schema() AS partman \gset

CREATE TEMP TABLE objects_before AS
    SELECT pg_describe_object(classid, objid, objsubid) AS object
      FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_leadgen');
SELECT count(*) > 40 AS has_objects FROM objects_before;

-- Without its lead tables first (they are not members), DROP EXTENSION
-- refuses: they use its sequences and reference its tables.
\set VERBOSITY terse
DROP EXTENSION pg_leadgen;
\set VERBOSITY default
SELECT format('DROP TABLE %s', template_table) FROM :"partman".part_config WHERE parent_table LIKE 'leadgen.%' \gexec
DROP TABLE leadgen.lead_assignments, leadgen.leads, leadgen.events;
DROP EXTENSION pg_leadgen;
-- PostgreSQL creates the control file's schema outside the extension, so
-- it stays, empty.
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'leadgen'::regnamespace) +
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'leadgen'::regnamespace) +
       (SELECT count(*) FROM pg_type WHERE typnamespace = 'leadgen'::regnamespace) AS objects_left_in_schema;
SELECT count(*) AS template_tables_left FROM pg_class WHERE relname LIKE 'template_leadgen_%';
-- pg_partman's own maintenance is not broken by what is left of us.
SELECT :"partman".run_maintenance(p_jobmon := false);

SET client_min_messages = error;
CREATE EXTENSION pg_leadgen;
RESET client_min_messages;
SHOW search_path;

SELECT object AS missing_after_reinstall FROM objects_before
EXCEPT
SELECT pg_describe_object(classid, objid, objsubid)
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_leadgen');
SELECT parent_table, count(*) FROM :"partman".part_config WHERE parent_table LIKE 'leadgen.%' GROUP BY 1 ORDER BY 1;

-- A second database installs pg_leadgen too (the warning it gets where the
-- workers serve another database is checked by test 001_launcher).
CREATE DATABASE regress_leadgen_other;
\c regress_leadgen_other
SET client_min_messages = error;
CREATE EXTENSION pg_leadgen CASCADE;
SELECT leadgen.version() = (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_leadgen') AS installed;
-- A fresh install has no history of its size: no partition was written
-- (empty leads partitions, larger than empty events partitions, counted as
-- holding data: months the database did not exist in, its size now dated
-- back, and a forecast that it will shrink).
SELECT count(*) AS size_history_points FROM leadgen.capacity_history('database_size', now());
\c contrib_regression
DROP DATABASE regress_leadgen_other;
