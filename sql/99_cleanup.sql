-- Remove pg_leadgen; nothing of it remains but the cluster-wide roles and
-- the schema PostgreSQL created for it, empty.
DROP EXTENSION pg_leadgen;
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'leadgen'::regnamespace) +
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'leadgen'::regnamespace) +
       (SELECT count(*) FROM pg_type WHERE typnamespace = 'leadgen'::regnamespace) AS objects_left_in_schema;
DROP SCHEMA leadgen;
DROP EXTENSION pg_partman, pg_stat_statements;
