-- Install pg_leadgen and what it requires, as a new user would. (Where the
-- server's workers serve another database, CREATE EXTENSION warns; test
-- 001_launcher checks that warning, so that this output is the same on any
-- server.)
SET client_min_messages = error;
CREATE EXTENSION pg_leadgen CASCADE;
RESET client_min_messages;

-- The session's search_path is what it was (pg_partman sets it for the
-- session while the install script runs).
SHOW search_path;

SELECT e.extname, n.nspname AS schema, e.extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname IN ('pg_leadgen', 'pg_partman', 'pg_stat_statements')
 ORDER BY 1;

SELECT leadgen.version() = (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_leadgen') AS version_is_default;
