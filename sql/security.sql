-- Security (issue #13), tried as the roles concerned: each reproduction of
-- the review is refused with its SQLSTATE, writes nothing and crashes
-- nothing; what the rules still allow works.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
\set SHOW_CONTEXT never
-- A crash anywhere restarts the postmaster: compared at the end.
SELECT pg_postmaster_start_time() AS started \gset
CREATE ROLE regress_sec_admin IN ROLE leadgen_admin;
CREATE ROLE regress_sec_reader IN ROLE leadgen_reader;
CREATE ROLE regress_sec_writer IN ROLE leadgen_writer;
CREATE SCHEMA sec_test;
GRANT USAGE ON SCHEMA sec_test TO regress_sec_admin, regress_sec_reader;
CREATE TABLE sec_test.private (id int, secret text);
CREATE FUNCTION pg_temp.wait_for_run(job text) RETURNS TABLE (status text, message text)
LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
    LOOP
        RETURN QUERY SELECT r.status, r.message FROM leadgen.job_runs r
                      WHERE r.job_name = job AND r.status IN ('succeeded', 'failed')
                      ORDER BY r.id DESC LIMIT 1;
        IF FOUND THEN
            RETURN;
        END IF;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'job % did not finish within 60 seconds', job;
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END;
$$;

-- ---- Finding 2: no job command crashes its worker ----
-- VACUUM of a catalog (perf_optimize_table('pg_class') queued one) killed
-- the job worker with signal 11 and restarted the server: the statement
-- list lived in memory that VACUUM's own transactions freed. Commands that
-- end their transaction and start others (VACUUM, a procedure's COMMIT)
-- run, then the statements after them.
CREATE PROCEDURE sec_test.commit_twice() LANGUAGE plpgsql AS $$ BEGIN COMMIT; COMMIT; END $$;
SELECT name FROM leadgen.schedule_job('sec-catalog-vacuum', '0 0 1 1 *', 'UTC',
    'VACUUM (ANALYZE) pg_class; VACUUM pg_authid; CALL sec_test.commit_twice(); SELECT 1 FROM pg_class LIMIT 1');
SELECT leadgen.job_start('sec-catalog-vacuum') > 0 AS started_run;
SELECT * FROM pg_temp.wait_for_run('sec-catalog-vacuum');
-- A transaction block left open is rolled back and the run says why.
SELECT name FROM leadgen.schedule_job('sec-open-block', '0 0 1 1 *', 'UTC', 'BEGIN; CREATE TABLE sec_test.never (i int)');
SELECT leadgen.job_start('sec-open-block') > 0 AS started_run;
SELECT * FROM pg_temp.wait_for_run('sec-open-block');
SELECT count(*) AS never_created FROM pg_class WHERE relname = 'never' AND relnamespace = 'sec_test'::regnamespace;

-- ---- Findings 2 and 7: the table functions serve user tables ----
-- Catalogs and other extensions' tables are refused, to anyone.
SELECT count(*) AS optimize_jobs FROM leadgen.jobs WHERE name LIKE 'optimize %' \gset
\set ON_ERROR_STOP 0
SET ROLE regress_sec_admin;
SELECT leadgen.perf_optimize_table('pg_class');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_optimize_table('pg_authid');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_optimize_table('information_schema.sql_features');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_optimize_table(format('%I.part_config', leadgen.partman_schema())::regclass);
\echo SQLSTATE :SQLSTATE
RESET ROLE;
SELECT leadgen.perf_optimize_table('pg_class');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_optimize_table('pg_toast.pg_toast_1255');
\echo SQLSTATE :SQLSTATE
SELECT count(*) - :optimize_jobs AS optimize_jobs_created FROM leadgen.jobs WHERE name LIKE 'optimize %';
-- perf_table_stats: open to readers, for what they may read only.
SET ROLE regress_sec_reader;
SELECT leadgen.perf_table_stats('pg_authid');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_table_stats('pg_catalog.pg_statistic');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_table_stats('leadgen.leads_pending');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_table_stats('leadgen.api_keys');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_table_stats('sec_test.private');
\echo SQLSTATE :SQLSTATE
SELECT s->>'table' AS tbl, s ? 'rows_live' AS reported FROM leadgen.perf_table_stats('leadgen.leads') s;
RESET ROLE;
SET ROLE regress_sec_admin;
SELECT leadgen.perf_table_stats('sec_test.private');
\echo SQLSTATE :SQLSTATE
SELECT s->>'table' AS tbl, s ? 'rows_live' AS reported FROM leadgen.perf_table_stats('leadgen.leads_pending') s;
RESET ROLE;
GRANT SELECT ON sec_test.private TO regress_sec_reader;
SET ROLE regress_sec_reader;
SELECT s->>'table' AS tbl, s ? 'rows_live' AS reported FROM leadgen.perf_table_stats('sec_test.private') s;
RESET ROLE;
REVOKE SELECT ON sec_test.private FROM regress_sec_reader;
SELECT leadgen.perf_table_stats('pg_class');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1

-- ---- Clean up ----
SELECT leadgen.unschedule_job(name) FROM leadgen.jobs WHERE name LIKE 'sec-%' ORDER BY name;
DROP SCHEMA sec_test CASCADE;
DROP ROLE regress_sec_admin, regress_sec_reader, regress_sec_writer;
SELECT pg_postmaster_start_time() = :'started' AS no_server_restart;
