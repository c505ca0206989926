-- Remove pg_leadgen; nothing of it remains but the cluster-wide roles and
-- the schema PostgreSQL created for it, empty. The lead tables are not the
-- extension's (they hold the leads, and pg_dump writes them whole): they
-- are dropped first, with pg_partman's template tables of them.
SELECT leadgen.partman_schema() AS partman \gset
SELECT format('DROP TABLE %s', template_table) FROM :"partman".part_config WHERE parent_table LIKE 'leadgen.%' \gexec
DROP TABLE leadgen.lead_assignments, leadgen.leads, leadgen.events;
DROP EXTENSION pg_leadgen;
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'leadgen'::regnamespace) +
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'leadgen'::regnamespace) +
       (SELECT count(*) FROM pg_type WHERE typnamespace = 'leadgen'::regnamespace) AS objects_left_in_schema;
DROP SCHEMA leadgen;
DROP EXTENSION pg_partman, pg_stat_statements;
