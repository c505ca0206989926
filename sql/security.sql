-- Security (issue #13), tried as the roles concerned: each reproduction of
-- the review is refused with its SQLSTATE, writes nothing and crashes
-- nothing; what the rules still allow works.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
\set job_helpers :abs_srcdir '/sql/include/jobs.sql'
\i :job_helpers
\set SHOW_CONTEXT never
-- A crash anywhere restarts the postmaster: compared at the end.
SELECT pg_postmaster_start_time() AS started \gset
CREATE ROLE regress_sec_admin IN ROLE leadgen_admin;
CREATE ROLE regress_sec_reader IN ROLE leadgen_reader;
CREATE ROLE regress_sec_writer IN ROLE leadgen_writer;
CREATE SCHEMA sec_test;
GRANT USAGE ON SCHEMA sec_test TO regress_sec_admin, regress_sec_reader;
CREATE TABLE sec_test.private (id int, secret text);

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

-- ---- Finding 10: writers are bound to brokers ----
-- A writer named another broker's broker_id and external_id and got that
-- broker's lead id back. A role bound to a broker (leadgen.broker_roles)
-- submits that broker's leads only; a role bound to none, leads without a
-- broker.
INSERT INTO leadgen.brokers (id, name) VALUES (9001, 'Sec Broker A'), (9002, 'Sec Broker B');
CREATE ROLE regress_sec_vendor_a IN ROLE leadgen_writer;
INSERT INTO leadgen.broker_roles (role, broker_id) VALUES ('regress_sec_vendor_a', 9001);
SELECT leadgen.lead_submit(pg_temp.lead('{"broker_id": 9002, "external_id": "sec-b-1"}')) AS lead_b \gset
SELECT pg_temp.lead('{"broker_id": 9002, "external_id": "sec-b-1"}') AS as_b,
       pg_temp.lead('{"broker_id": 9001, "external_id": "sec-b-1"}') AS as_a,
       pg_temp.lead('{"external_id": "sec-b-1"}') AS as_mine,
       pg_temp.lead('{"external_id": "sec-none-1"}') AS as_none \gset
SELECT count(*) AS pending_before FROM leadgen.leads_pending \gset
SET ROLE regress_sec_vendor_a;
SELECT leadgen.lead_submit(:'as_b');
\echo SQLSTATE :SQLSTATE
SELECT * FROM leadgen.lead_enqueue(:'as_b');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit('{"broker_id": 999999, "external_id": "sec-b-1"}');
\echo SQLSTATE :SQLSTATE
SELECT b->'ids' AS ids, b->'errors'->0->'problems' AS problems
  FROM leadgen.lead_submit_batch(jsonb_build_array(:'as_b'::jsonb)) b;
SELECT leadgen.lead_check('{"broker_id": 9002}');
-- Its own broker, named or not; the same external_id is another key there.
SELECT leadgen.lead_submit(:'as_mine') AS lead_a \gset
SELECT :lead_a <> :lead_b AS not_the_other_brokers_lead;
SELECT leadgen.lead_submit(:'as_a') = :lead_a AS same_lead_again;
SELECT (leadgen.lead_submit_batch(jsonb_build_array(:'as_mine'::jsonb))->'ids'->>0)::bigint = :lead_a AS batch_same_lead;
SELECT leadgen.lead_check('{}') AS no_problems;
RESET ROLE;
SELECT broker_id, payload->'broker_id' AS payload_broker FROM leadgen.leads_pending WHERE id = :lead_a;
-- A writer bound to no broker submits leads without one.
SET ROLE regress_sec_writer;
SELECT leadgen.lead_submit(:'as_b');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit(:'as_none') AS lead_none \gset
RESET ROLE;
SELECT broker_id IS NULL AS no_broker FROM leadgen.leads_pending WHERE id = :lead_none;
-- Nothing else was written: two leads, neither of broker 9002.
SELECT count(*) - :pending_before AS pending_created FROM leadgen.leads_pending;
SELECT count(*) AS rows_of_9002_by_writers FROM leadgen.leads_pending WHERE broker_id = 9002 AND id <> :lead_b;
-- The gateway's path scopes by API key, whatever its role: unchanged.
SELECT pg_temp.lead('{"external_id": "sec-api-1"}') AS as_api_1,
       jsonb_build_array(pg_temp.lead('{"external_id": "sec-api-2"}')) AS as_api_2 \gset
SET ROLE regress_sec_admin;
SELECT status, body::jsonb->>'status' AS state FROM leadgen.api_lead_submit(:'as_api_1', 9002);
SELECT status, body::jsonb->'accepted' AS accepted FROM leadgen.api_leads_batch(:'as_api_2', false, 9002);
RESET ROLE;
SELECT count(*) AS api_leads_of_9002 FROM leadgen.leads_pending WHERE broker_id = 9002 AND external_id LIKE 'sec-api-%';

-- ---- Finding 1: archive predicates ----
-- archive_run() is SECURITY DEFINER and ran a policy's predicate text as its
-- (superuser) owner: a leadgen_admin read pg_authid through an error
-- message and wrote a file with lo_export. A predicate is now one boolean
-- expression over the table's own columns, checked when written and when
-- run, and runs as the policy's owner.
SELECT count(*) AS runs_before FROM leadgen.archive_runs \gset
SELECT count(*) AS large_objects_before FROM pg_largeobject_metadata \gset
SELECT current_setting('data_directory') || '/pg_leadgen_sec_probe' AS probe \gset
SET ROLE regress_sec_admin;
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-authid', 'leadgen.brokers',
        $$ (query_to_xml('select rolname, rolpassword from pg_authid', false, false, ''))::text::int > 0 $$, '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-authid', 'leadgen.brokers',
        $$ (table_to_xml('pg_authid', false, false, ''))::text::int > 0 $$, '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-file', 'leadgen.brokers',
        format('lo_export(lo_from_bytea(0, %L::bytea), %L) > 0', 'x', :'probe'), '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
-- other tables, subqueries, aggregates, statements around the expression
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-bad', 'leadgen.brokers', 'id IN (SELECT broker_id FROM leadgen.api_keys)', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-bad', 'leadgen.brokers', 'true UNION SELECT 1 FROM pg_authid WHERE true', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-bad', 'leadgen.brokers', 'true) OR (true', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-bad', 'leadgen.brokers', 'current_setting(''data_directory'') <> name', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-bad', 'leadgen.brokers', 'brokers = brokers', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-bad', 'pg_catalog.pg_authid', 'rolsuper', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
RESET ROLE;
SELECT count(*) AS policies_written FROM leadgen.archive_policies WHERE name LIKE 'sec-%';
-- A row smuggled in with the trigger disabled is refused when it runs, dry
-- run or not, before anything is read or written.
ALTER TABLE leadgen.archive_policies DISABLE TRIGGER archive_policies_check;
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, owner)
VALUES ('sec-smuggled', 'leadgen.brokers',
        format('lo_export(lo_from_bytea(0, %L::bytea), %L) > 0', 'x', :'probe'), '1 day', 'delete', 'regress_sec_admin'),
       ('sec-smuggled-xml', 'leadgen.brokers',
        $$ (query_to_xml('select rolname, rolpassword from pg_authid', false, false, ''))::text::int > 0 $$, '1 day', 'delete', 'regress_sec_admin');
ALTER TABLE leadgen.archive_policies ENABLE TRIGGER archive_policies_check;
SET ROLE regress_sec_admin;
SELECT * FROM leadgen.perf_archive('sec-smuggled', true);
\echo SQLSTATE :SQLSTATE
SELECT * FROM leadgen.perf_archive('sec-smuggled');
\echo SQLSTATE :SQLSTATE
SELECT * FROM leadgen.perf_archive('sec-smuggled-xml', true);
\echo SQLSTATE :SQLSTATE
RESET ROLE;
-- ... also when a superuser runs it.
SELECT * FROM leadgen.perf_archive('sec-smuggled');
\echo SQLSTATE :SQLSTATE
DELETE FROM leadgen.archive_policies WHERE name LIKE 'sec-smuggled%';
SELECT pg_stat_file(:'probe', true) IS NULL AS no_file_written,
       (SELECT count(*) FROM pg_largeobject_metadata) - :large_objects_before AS large_objects_created,
       (SELECT count(*) FROM leadgen.archive_runs) - :runs_before AS runs_recorded;

-- A predicate owned by a role that may not read a column cannot read it.
CREATE TABLE sec_test.accounts (id int, created_at timestamptz, secret text);
INSERT INTO sec_test.accounts SELECT g, now() - g * interval '1 day', 'secret ' || g FROM generate_series(1, 5) g;
GRANT SELECT (id, created_at), DELETE ON sec_test.accounts TO regress_sec_admin;
SET ROLE regress_sec_admin;
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-column', 'sec_test.accounts', $$secret LIKE 'secret 1%'$$, '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('sec-column', 'sec_test.accounts', 'id > 3', '1 day', 'delete');
\echo SQLSTATE :SQLSTATE
RESET ROLE;
ALTER TABLE leadgen.archive_policies DISABLE TRIGGER archive_policies_check;
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, owner)
VALUES ('sec-column', 'sec_test.accounts', $$secret LIKE 'secret 1%'$$, '1 day', 'delete', 'regress_sec_admin');
ALTER TABLE leadgen.archive_policies ENABLE TRIGGER archive_policies_check;
SELECT * FROM leadgen.perf_archive('sec-column');
\echo SQLSTATE :SQLSTATE
DELETE FROM leadgen.archive_policies WHERE name = 'sec-column';
SELECT count(*) AS accounts_left FROM sec_test.accounts;

-- A real predicate still works, as its owner: the owner is the writer
-- whatever the row says.
INSERT INTO leadgen.events (entity_type, entity_id, type, source, "timestamp")
SELECT 'lead', g, CASE WHEN g <= 4 THEN 'sec.rejected' ELSE 'sec.assigned' END, 'SEC-test',
       CASE WHEN g % 2 = 0 THEN now() - interval '100 days' ELSE now() - interval '1 hour' END
  FROM generate_series(1, 6) g;
SET ROLE regress_sec_admin;
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, owner)
VALUES ('sec-events', 'leadgen.events',
        $$type IN ('sec.rejected', 'sec.spam') AND lower(source) LIKE 'sec%' AND "timestamp" < now() - interval '90 days'
          AND date_trunc('day', "timestamp") <= current_date AND coalesce(payload->>'keep', 'no') <> 'yes'$$,
        '1 day', 'delete', 'postgres');
SELECT name, owner FROM leadgen.archive_policies WHERE name = 'sec-events';
SELECT policy_name, rows_qualifying, rows_archived, was_dry_run FROM leadgen.perf_archive('sec-events', true);
SELECT policy_name, rows_qualifying, rows_archived, verified FROM leadgen.perf_archive('sec-events');
-- moved to a table made for the policy, which belongs to its owner
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, target)
VALUES ('sec-events-move', 'leadgen.events', $$type = 'sec.assigned' AND source = 'SEC-test' AND "timestamp" < now() - interval '90 days'$$,
        '1 day', 'move', 'sec_archive.events');
SELECT policy_name, rows_qualifying, rows_archived, verified FROM leadgen.perf_archive('sec-events-move');
SELECT count(*) AS archived FROM sec_archive.events;
RESET ROLE;
SELECT relowner::regrole AS archive_table_owner FROM pg_class WHERE oid = 'sec_archive.events'::regclass;
SELECT type, "timestamp" < now() - interval '90 days' AS old, count(*)
  FROM leadgen.events WHERE source = 'SEC-test' GROUP BY 1, 2 ORDER BY 1, 2;
DROP SCHEMA sec_archive CASCADE;
DELETE FROM leadgen.archive_policies WHERE name LIKE 'sec-%';
DELETE FROM leadgen.archive_runs WHERE policy LIKE 'sec-%';
DELETE FROM leadgen.events WHERE source = 'SEC-test';

-- ---- Finding 4: analyze-query leaves nothing behind, and stops in time ----
-- EXPLAIN ANALYZE of SELECT pg_advisory_lock(777) left the lock held after
-- the rollback (session advisory locks survive it), on pooled gateway
-- connections; timeout_ms was set while the function's own statement ran,
-- so it never applied.
CREATE TABLE sec_test.orders (id int, customer int);
INSERT INTO sec_test.orders SELECT g, g % 10 FROM generate_series(1, 100) g;
GRANT SELECT ON sec_test.orders TO regress_sec_reader;
CREATE FUNCTION sec_test.sneaky_lock() RETURNS int LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM pg_advisory_lock(778);      -- declared STABLE, takes a session lock
    RETURN 1;
END $$;
CREATE FUNCTION sec_test.sneaky_temp() RETURNS int LANGUAGE plpgsql STABLE AS $$
BEGIN
    EXECUTE 'CREATE TEMP TABLE sec_left_behind (i int)';
    RETURN 1;
END $$;
CREATE FUNCTION sec_test.sneaky_settings() RETURNS int LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM set_config('work_mem', '1234kB', false);
    RETURN 1;
END $$;
SELECT current_setting('work_mem') AS work_mem_before, current_setting('statement_timeout') AS timeout_before \gset
SET ROLE regress_sec_reader;
SELECT pg_advisory_lock(779);   -- the session's own, before
SELECT leadgen.perf_analyze_query('SELECT pg_advisory_lock(777)', true);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_analyze_query('SELECT 1 FROM sec_test.orders WHERE pg_try_advisory_lock(777)', true);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_analyze_query('SELECT set_config(''work_mem'', ''1234kB'', false)', true);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_analyze_query('SELECT sec_test.sneaky_lock()', true)->'analyzed' AS analyzed;
-- (a function declared STABLE cannot create a temporary table, and the
-- statement runs in a security-restricted operation, which refuses one)
SELECT leadgen.perf_analyze_query('SELECT sec_test.sneaky_temp()', true);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_analyze_query('SELECT sec_test.sneaky_settings()', true)->'analyzed' AS analyzed;
SELECT objid AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY objid;
SELECT current_setting('work_mem') = :'work_mem_before' AS work_mem_unchanged;
SELECT count(*) AS temp_tables FROM pg_class WHERE relname = 'sec_left_behind';
SELECT pg_advisory_unlock(779);
-- timeout_ms bounds the analyzed statement itself (SQLSTATE 57014).
SELECT clock_timestamp() AS t0 \gset
SELECT leadgen.perf_analyze_query('SELECT count(*) FROM generate_series(1, 200000000)', true, 300);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_analyze_query('SELECT pg_sleep(5)', true, 500);
\echo SQLSTATE :SQLSTATE
SELECT clock_timestamp() - :'t0'::timestamptz < interval '4 seconds' AS both_canceled_in_time;
SELECT current_setting('statement_timeout') = :'timeout_before' AS statement_timeout_unchanged;
SELECT (leadgen.perf_analyze_query('SELECT pg_sleep(0.01)', true, 5000)->>'execution_ms')::numeric > 0 AS within_timeout;
-- It plans in the caller's search_path and runs as the caller.
SET search_path = sec_test, public;
SELECT p->'analyzed' AS analyzed, p->'plan'->0->'Plan'->>'Relation Name' AS relation
  FROM leadgen.perf_analyze_query('SELECT * FROM orders WHERE customer = 3', true) p;
PREPARE "pg_leadgen explain 1" AS SELECT 1;    -- the session's own, left alone
SELECT leadgen.perf_analyze_query('SELECT * FROM orders WHERE customer = $1')->'plan'->0->'Plan'->>'Filter' AS generic_filter;
SELECT name, statement FROM pg_prepared_statements ORDER BY name;
DEALLOCATE "pg_leadgen explain 1";
SHOW search_path;
RESET search_path;
SELECT leadgen.perf_analyze_query('SELECT * FROM sec_test.private', true);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.perf_analyze_query('SELECT * FROM sec_test.private');
\echo SQLSTATE :SQLSTATE
RESET ROLE;
-- Nobody calls the functions that run SQL as another role but their owner.
SET ROLE regress_sec_admin;
SELECT leadgen.run_as('postgres', 'SELECT 1');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.explain_plan_as('SELECT 1', 10, NULL);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.archive_predicate_check('leadgen.brokers', 'true', 'postgres');
\echo SQLSTATE :SQLSTATE
RESET ROLE;
SELECT p.oid::regprocedure AS runs_sql_as_another_role, array_agg(a.grantee::regrole ORDER BY a.grantee::regrole::text) AS grantees
  FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.oid IN ('leadgen.run_as'::regproc, 'leadgen.explain_plan_as'::regproc)
 GROUP BY 1 ORDER BY 1;

-- ---- perf_indexing_strategy plans each statement as the role that ran it ----
-- It planned the texts of pg_stat_statements as its superuser owner: a
-- function of any user evaluated while planning ran as superuser.
CREATE ROLE regress_sec_app;
GRANT USAGE, CREATE ON SCHEMA sec_test TO regress_sec_app;
CREATE TABLE sec_test.gone (id int);
GRANT SELECT ON sec_test.gone TO regress_sec_app;
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SET ROLE regress_sec_app;
CREATE TABLE sec_test.app_rows (id int);
CREATE FUNCTION sec_test.app_probe() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE NOTICE 'app_probe() ran as %', current_user;
    RETURN 1;
END $$;
SELECT count(*) FROM sec_test.app_rows WHERE id = sec_test.app_probe();
SELECT count(*) FROM sec_test.gone WHERE id = 1;
RESET ROLE;
DROP TABLE sec_test.gone;
SELECT action, reason, evidence->>'role' AS role
  FROM leadgen.perf_indexing_strategy(1000, 0)
 WHERE action = 'unplanned' AND evidence->>'query' LIKE '%sec_test.%'
 ORDER BY reason;

-- ---- Date-only archive policies run as their owner ----
-- A policy without a predicate ran its statements with archive_run()'s
-- (superuser) rights: the admin's own trigger on its own table, or a
-- function of its view in a dry run, ran as superuser (and could make the
-- admin one).
GRANT CREATE ON SCHEMA sec_test TO regress_sec_admin;
SET ROLE regress_sec_admin;
CREATE TABLE sec_test.aged (id int, ts timestamptz);
INSERT INTO sec_test.aged VALUES (1, '2020-01-01 00:00+00'), (2, '2020-01-02 00:00+00');
CREATE TABLE sec_test.aged_archive (LIKE sec_test.aged);
CREATE FUNCTION sec_test.who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% % of sec_test.% runs as %', TG_WHEN, TG_OP, TG_TABLE_NAME, current_user;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER who BEFORE DELETE ON sec_test.aged FOR EACH ROW EXECUTE FUNCTION sec_test.who();
CREATE TRIGGER who BEFORE INSERT ON sec_test.aged_archive FOR EACH ROW EXECUTE FUNCTION sec_test.who();
CREATE FUNCTION sec_test.seen(t timestamptz) RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'sec_test.seen() runs as %', current_user;
    RETURN t;
END $$;
CREATE VIEW sec_test.aged_view AS SELECT id, sec_test.seen(ts) AS ts FROM sec_test.aged;
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy)
VALUES ('sec-aged-view', 'sec_test.aged_view', 'ts', '1 day', 'delete');
SELECT policy_name, rows_qualifying, was_dry_run FROM leadgen.perf_archive('sec-aged-view', true);
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target, batch_size)
VALUES ('sec-aged', 'sec_test.aged', 'ts', '1 day', 'move', 'sec_test.aged_archive', 1);
SELECT policy_name, rows_qualifying, rows_archived, verified FROM leadgen.perf_archive('sec-aged');
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
RESET ROLE;
SELECT (SELECT count(*) FROM sec_test.aged) AS left_behind, (SELECT count(*) FROM sec_test.aged_archive) AS archived;
DELETE FROM leadgen.archive_policies WHERE name IN ('sec-aged', 'sec-aged-view');

-- archive_predicate_check with a table or an owner that does not exist:
-- an error (it crashed the backend on a table OID that is no table).
SET ROLE regress_sec_admin;
SELECT leadgen.archive_predicate_check(0, 'true', 'regress_sec_admin');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.archive_predicate_check(4294967294, 'true', 'regress_sec_admin');
\echo SQLSTATE :SQLSTATE
RESET ROLE;
SELECT leadgen.archive_predicate_check('leadgen.brokers', 'true', 0);
\echo SQLSTATE :SQLSTATE

-- ---- Names in public do not reach pg_leadgen's statements ----
-- Its statements call built-in functions by name. A function of the same
-- name in a schema of the search_path matching the arguments better ran
-- instead, in the session of whoever submitted or processed leads (in the
-- background workers, as superuser: test/t/010_search_path.pl). In a new
-- session, so that the statements are prepared with these functions there.
CREATE FUNCTION public.nextval(text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'public.nextval(text) runs as %', current_user;
    RETURN pg_catalog.nextval($1::regclass);
END $$;
CREATE FUNCTION public.power(integer, integer) RETURNS double precision LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'public.power(integer, integer) runs as %', current_user;
    RETURN pg_catalog.power($1::float8, $2::float8);
END $$;
CREATE FUNCTION public.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'public.unnest(bigint[]) runs as %', current_user;
    RETURN QUERY SELECT pg_catalog.unnest($1);
END $$;
CREATE FUNCTION sec_test.fail_transient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_name = 'Retry' THEN
        RAISE EXCEPTION 'simulated serialization failure' USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sec_fail_transient BEFORE INSERT ON leadgen.leads FOR EACH ROW EXECUTE FUNCTION sec_test.fail_transient();
DELETE FROM leadgen.leads_pending;  -- the leads of the sections above stay unwritten
\c
\set SHOW_CONTEXT never
SET ROLE regress_sec_writer;
SELECT leadgen.lead_submit(jsonb_build_object(
           'source', 'web_form', 'insurance_type', 'auto', 'first_name', f, 'last_name', 'Public',
           'email', 'sec.public.' || f || '@example.com', 'zip_code', '94103', 'state', 'CA', 'city', 'San Francisco',
           'tcpa_consent', true,
           'consent_at', to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))) > 0 AS submitted
  FROM unnest(ARRAY['Plain', 'Retry']) f;
RESET ROLE;
SELECT leadgen.process_pending() AS written;
SELECT payload->>'first_name' AS first_name, attempts, last_error FROM leadgen.leads_pending WHERE payload->>'last_name' = 'Public';
DROP TRIGGER sec_fail_transient ON leadgen.leads;
DROP FUNCTION public.nextval(text), public.power(integer, integer), public.unnest(bigint[]);
DELETE FROM leadgen.leads_pending WHERE payload->>'last_name' = 'Public';

-- ---- Second review: what an admin, a reader and the gateway could reach ----
-- leadgen_admin held TRIGGER on every table: its trigger (a function in
-- pg_temp) on a table pg_leadgen writes ran as the superuser who writes it.
SET ROLE regress_sec_admin;
CREATE FUNCTION pg_temp.sec_esc() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER sec_esc BEFORE INSERT ON leadgen.leads_pending FOR EACH ROW EXECUTE FUNCTION pg_temp.sec_esc();
\echo SQLSTATE :SQLSTATE
CREATE TRIGGER sec_esc BEFORE UPDATE ON leadgen.jobs FOR EACH ROW EXECUTE FUNCTION pg_temp.sec_esc();
\echo SQLSTATE :SQLSTATE
-- Starting, draining or rescheduling another role's job left it to the
-- caller (the owner was decided again at every UPDATE); only a new command
-- or owner decides it now.
UPDATE leadgen.jobs SET next_run_at = next_run_at, schedule = '8 * * * *' WHERE name = 'partition_maintenance';
RESET ROLE;
SELECT owner, schedule FROM leadgen.jobs WHERE name = 'partition_maintenance';
UPDATE leadgen.jobs SET schedule = '7 * * * *' WHERE name = 'partition_maintenance';
SELECT name, owner FROM leadgen.schedule_job('sec-owned', '0 4 * * *', 'UTC', 'SELECT 1');
SET ROLE regress_sec_admin;
UPDATE leadgen.jobs SET command = 'SELECT 2' WHERE name = 'sec-owned';
RESET ROLE;
SELECT owner, command FROM leadgen.jobs WHERE name = 'sec-owned';
-- The slow-query report showed utility statements as written, passwords
-- included, to the gateway's internal keys; a query_filter could probe
-- them.
ALTER ROLE regress_sec_reader PASSWORD 'sec-Hunter2-secret';
ALTER ROLE regress_sec_reader PASSWORD NULL;
SELECT count(*) AS shown_with_password
  FROM leadgen.perf_slow_queries(1000, 1, 'total', NULL, true) WHERE query LIKE '%Hunter2%';
SELECT count(*) AS found_by_filter FROM leadgen.perf_slow_queries(1000, 1, 'total', 'Hunter2', true);
SELECT count(*) > 0 AS alter_role_listed
  FROM leadgen.perf_slow_queries(1000, 1, 'total', 'ALTER ROLE statement', true);
SELECT leadgen.statement_shown(q) FROM (VALUES
    ($$ALTER ROLE x PASSWORD 'p'$$), ('/* a comment */ select $1'), ('-- a line
  WITH a AS (SELECT 1) SELECT * FROM a'), ('(SELECT 1) UNION SELECT 2'), ('CREATE USER MAPPING FOR x SERVER s'),
    ('vacuum'), ('')) v(q);
-- Payloads with fewer broker scopes than leads: the extra leads went
-- unscoped (for any broker).
SELECT * FROM leadgen.api_lead_submit_many(ARRAY['{}', '{}'], ARRAY[1]::bigint[]);
\echo SQLSTATE :SQLSTATE
DROP FUNCTION pg_temp.sec_esc();

-- ---- Review 4: the performance toolkit ----
-- The index advisor planned a superuser's statement, which names its
-- table without a schema, as the superuser in the caller's session, where
-- an admin's temporary view of that name came first: the view's function
-- ran as the superuser. A session that holds temporary tables or types no
-- longer acts as another role: the statement is unplanned, and says why.
CREATE TABLE public.sec_adv_big (id int, account int);
INSERT INTO public.sec_adv_big SELECT g, g % 100 FROM generate_series(1, 2000) g;
SELECT count(*) FROM sec_adv_big WHERE account = 42;
SET ROLE regress_sec_admin;
CREATE FUNCTION pg_temp.sec_evil(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE NOTICE 'sec_evil ran as a superuser: %', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
    RETURN true;
END $$;
CREATE TEMP VIEW sec_adv_big AS SELECT 1 AS id, 1 AS account WHERE pg_temp.sec_evil(1);
SELECT action, evidence->>'sqlstate' AS sqlstate, evidence->>'error' AS error
  FROM leadgen.perf_indexing_strategy(50, 0) WHERE evidence->>'query' LIKE '%sec_adv_big%';
-- without temporary objects, the same statement is planned as its role
DISCARD TEMP;
SELECT count(*) AS unplanned_sec_adv_big
  FROM leadgen.perf_indexing_strategy(50, 0) WHERE action = 'unplanned' AND evidence->>'query' LIKE '%sec_adv_big%';
-- ... unless a schema on the superuser's search_path is one a role that
-- is no superuser may create in: its function of a closer type match
-- would be folded at planning, as the superuser.
RESET ROLE;
GRANT CREATE ON SCHEMA public TO regress_sec_app;
SET ROLE regress_sec_admin;
SELECT action, evidence->>'sqlstate' AS sqlstate, evidence->>'error' AS error
  FROM leadgen.perf_indexing_strategy(50, 0) WHERE evidence->>'query' LIKE '%sec_adv_big%';
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM regress_sec_app;
SET ROLE regress_sec_admin;
-- perf_optimize_table named a temporary table unqualified in its job,
-- which ran elsewhere and vacuumed public's table of that name
CREATE TEMP TABLE sec_adv_big (id int);
SELECT leadgen.perf_optimize_table('sec_adv_big');
\echo SQLSTATE :SQLSTATE
DISCARD TEMP;
RESET ROLE;
-- SELECT ... INTO is a utility statement: pg_stat_statements keeps its
-- constants, and the reports showed them.
SELECT 'victim@example.com'::text AS email INTO TEMP sec_into;
DROP TABLE sec_into;
SELECT count(*) AS shown_with_constant
  FROM leadgen.perf_slow_queries(1000, 1, 'total', NULL, true) WHERE query LIKE '%victim@example.com%';
SELECT leadgen.statement_shown(q) FROM (VALUES
    ($$SELECT 'x' INTO TEMP t$$), ('SELECT $1 FROM t'), ($$SELECT interval $2$$), ($$WITH a AS (SELECT 1) SELECT * INTO b FROM a$$),
    ('INSERT INTO t VALUES ($1)'), ($$EXPLAIN SELECT 'x'$$), ($$CREATE TABLE t AS SELECT 'x'$$)) v(q);

-- An archive policy whose target is a schema archives into a table of
-- the policy's table's name there: the name went into archive_run()'s
-- statements unquoted, run as superuser (a name holding
-- 'ALTER ROLE ... SUPERUSER' made its owner one). Temporary tables are no
-- policy's table; names are quoted.
SET ROLE regress_sec_admin;
CREATE TYPE pg_temp.t AS ();
CREATE TEMP VIEW "x/**/OF""t"";ALTER/**/ROLE""regress_sec_admin""SUPERUSER;--" AS SELECT now() - interval '10 days' AS ts;
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
VALUES ('sec-inject-temp', 'pg_temp."x/**/OF""t"";ALTER/**/ROLE""regress_sec_admin""SUPERUSER;--"', 'ts', '1 day', 'copy', 'sec_archive');
\echo SQLSTATE :SQLSTATE
SELECT policy_name FROM leadgen.perf_archive('sec-inject-temp');
SELECT rolsuper AS admin_became_superuser FROM pg_roles WHERE rolname = 'regress_sec_admin';
RESET ROLE;
CREATE SCHEMA sec_adm AUTHORIZATION regress_sec_admin;
SET ROLE regress_sec_admin;
CREATE TABLE sec_adm."x/**/OF""t"";ALTER/**/ROLE""regress_sec_admin""SUPERUSER;--" (ts timestamptz);
INSERT INTO sec_adm."x/**/OF""t"";ALTER/**/ROLE""regress_sec_admin""SUPERUSER;--" VALUES (now() - interval '10 days');
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
VALUES ('sec-inject', 'sec_adm."x/**/OF""t"";ALTER/**/ROLE""regress_sec_admin""SUPERUSER;--"', 'ts', '1 day', 'copy', 'sec_archive');
SELECT policy_name, rows_qualifying, rows_archived, verified FROM leadgen.perf_archive('sec-inject');
RESET ROLE;
DISCARD TEMP;
SELECT rolsuper AS admin_became_superuser FROM pg_roles WHERE rolname = 'regress_sec_admin';
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, (SELECT count(*) FROM sec_archive."x/**/OF""t"";ALTER/**/ROLE""regress_sec_admin""SUPERUSER;--") AS copied
  FROM pg_class c WHERE c.relnamespace = 'sec_archive'::regnamespace;
-- Rows were written into an existing target by position: a target with
-- the same columns in another order got first names as last names.
SET ROLE regress_sec_admin;
-- (a json column too: copy compared rows with = and json has none)
CREATE TABLE sec_adm.contacts (id int, at timestamptz, first_name text, last_name text, extra json);
INSERT INTO sec_adm.contacts VALUES (1, now() - interval '30 days', 'Ada', 'Lovelace', '{"a": 1}'),
                                    (2, now() - interval '30 days', 'Alan', NULL, NULL);
CREATE TABLE sec_adm.contacts_moved (id int, at timestamptz, last_name text, first_name text, extra json);
CREATE TABLE sec_adm.contacts_copied (extra json, last_name text, first_name text, at timestamptz, id int);
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target) VALUES
    ('sec-order-copy', 'sec_adm.contacts', 'at', '7 days', 'copy', 'sec_adm.contacts_copied'),
    ('sec-order-move', 'sec_adm.contacts', 'at', '7 days', 'move', 'sec_adm.contacts_moved');
SELECT policy_name, rows_archived, verified FROM leadgen.perf_archive('sec-order-copy');
-- copied again: the rows are found in the target (by name), nothing twice
SELECT policy_name, rows_archived, verified FROM leadgen.perf_archive('sec-order-copy');
SELECT policy_name, rows_archived, verified FROM leadgen.perf_archive('sec-order-move');
SELECT 'copied' AS target, id, first_name, last_name FROM sec_adm.contacts_copied
UNION ALL
SELECT 'moved', id, first_name, last_name FROM sec_adm.contacts_moved ORDER BY 1, 2;
-- a NULL dry_run ran as a real one until a NOT NULL constraint stopped it
SELECT * FROM leadgen.perf_archive('sec-order-copy', NULL);
\echo SQLSTATE :SQLSTATE
RESET ROLE;
DELETE FROM leadgen.archive_policies WHERE name LIKE 'sec-%';
DROP SCHEMA sec_adm, sec_archive CASCADE;
DROP TABLE public.sec_adv_big;

\set ON_ERROR_STOP 1

-- ---- Clean up ----
SELECT leadgen.unschedule_job(name) FROM leadgen.jobs WHERE name LIKE 'sec-%' ORDER BY name;
DELETE FROM leadgen.leads_pending;
DELETE FROM leadgen.lead_external_ids;
DELETE FROM leadgen.brokers WHERE name LIKE 'Sec Broker %';
DROP SCHEMA sec_test CASCADE;
DROP OWNED BY regress_sec_app;
DROP ROLE regress_sec_admin, regress_sec_reader, regress_sec_writer, regress_sec_vendor_a, regress_sec_app;
SELECT pg_postmaster_start_time() = :'started' AS no_server_restart;
