-- The REST gateway's role (leadgen_api) may call the route functions and
-- nothing else: no table privilege, no trigger, no way to act as an admin
-- without an admin API key, no SQL text of a client run with more than a
-- reader's rights. The route functions are owned by leadgen_api_owner and
-- leadgen_api_query, neither of them a superuser.
\set ON_ERROR_STOP 0
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE regress_gateway LOGIN IN ROLE leadgen_api;
SELECT leadgen.api_key_create('regress-admin', 'admin') AS admin_key \gset
SELECT leadgen.api_key_create('regress-partner', 'partner') AS partner_key \gset
SELECT leadgen.api_key_create('regress-internal', 'internal') AS internal_key \gset
RESET client_min_messages;

-- The owners of the SECURITY DEFINER functions of the REST boundary.
SELECT p.proowner::regrole AS owner, r.rolsuper AS superuser, count(*) AS route_functions
  FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
 WHERE p.pronamespace = 'leadgen'::regnamespace AND p.proname LIKE 'api\_%' AND p.prosecdef
 GROUP BY 1, 2 ORDER BY 1;
-- What leadgen_api holds: EXECUTE on the route functions and on
-- wait_for_standby (which runs as its caller and reads no table), USAGE on
-- the schema, nothing on any relation.
SELECT count(*) AS relation_privileges
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'leadgen'::regnamespace AND a.grantee = 'leadgen_api'::regrole;
SELECT p.oid::regprocedure AS executable_by_leadgen_api,
       CASE WHEN p.prosecdef THEN p.proowner::regrole::text ELSE '(its caller)' END AS runs_as
  FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.pronamespace = 'leadgen'::regnamespace AND a.grantee = 'leadgen_api'::regrole
 ORDER BY p.oid::regprocedure::text COLLATE "C";

SET ROLE regress_gateway;
-- No table, whatever the statement (finding 3 of the security review).
SELECT count(*) FROM leadgen.leads;
\echo :SQLSTATE
DELETE FROM leadgen.api_keys;
\echo :SQLSTATE
TRUNCATE leadgen.jobs;
\echo :SQLSTATE
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('x', 'leadgen.brokers', 'true', '1 day', 'delete');
\echo :SQLSTATE
UPDATE leadgen.api_secret SET secret = 'known';
\echo :SQLSTATE
CREATE FUNCTION pg_temp.evil() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER evil BEFORE UPDATE ON leadgen.scoring_weights FOR EACH ROW EXECUTE FUNCTION pg_temp.evil();
\echo :SQLSTATE
SELECT leadgen.schedule_job('x', '* * * * *', 'UTC', 'SELECT 1');
\echo :SQLSTATE
SELECT leadgen.perf_archive('x');
\echo :SQLSTATE

-- The route functions answer.
SELECT leadgen.api_ready()::jsonb ? 'version' AS ready;
SELECT leadgen.api_list('agents', '{}', '{}', 'id', NULL, 1, 0, NULL)::jsonb ? 'data' AS list;
SELECT leadgen.api_config()::jsonb ? 'insurance_types' AS config;
-- /metrics: every family the alert rules read, with a help text and a
-- type, as the gateway role reads them
SELECT metric, kind, help <> '' AS has_help, value >= 0 AS non_negative
  FROM leadgen.api_metrics() ORDER BY metric;

-- An action needs an admin key: none, an unknown one, a partner's, an
-- internal one are refused; an admin's is taken.
SELECT leadgen.api_queue_pause(NULL, 'leads');
\echo :SQLSTATE
SELECT leadgen.api_queue_pause('lg_not_a_key', 'leads');
\echo :SQLSTATE
SELECT leadgen.api_queue_pause(:'partner_key', 'leads');
\echo :SQLSTATE
SELECT leadgen.api_queue_pause(:'internal_key', 'leads');
\echo :SQLSTATE
SELECT leadgen.api_queue_pause(:'admin_key', 'leads')::jsonb#>>'{data,0,paused}' AS paused;
SELECT leadgen.api_queue_resume(:'admin_key', 'leads')::jsonb#>>'{data,0,paused}' AS paused;

-- No SQL command over HTTP: scheduled jobs are of named kinds, their
-- command written by the function (the route that inserted a policy whose
-- predicate read pg_authid).
SELECT leadgen.api_schedule_job(:'admin_key', jsonb_build_object('name', 'x', 'cron', '* * * * *',
    'command', $$INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy) VALUES ('x', 'leadgen.brokers', 'true', '1 day', 'delete')$$));
\echo :SQLSTATE
SELECT leadgen.api_schedule_job(:'admin_key', '{"name": "x", "cron": "* * * * *", "job": "drop_database"}');
\echo :SQLSTATE
SELECT leadgen.api_schedule_job(:'admin_key', '{"name": "x", "cron": "* * * * *", "job": "archive", "policy": "nope"}');
\echo :SQLSTATE
SELECT j->>'command' AS command, j->>'owner' AS owner
  FROM leadgen.api_schedule_job(:'admin_key', '{"name": "regress-optimize", "cron": "0 3 * * *", "job": "optimize_table", "table": "agents"}') x,
       LATERAL (SELECT x::jsonb AS j) y;
-- ... and only the jobs scheduled over HTTP: a name of another role's job
-- (here pg_leadgen's own partition maintenance, a superuser's) is refused,
-- and the job is left as it was.
SELECT leadgen.api_schedule_job(:'admin_key', '{"name": "partition_maintenance", "cron": "0 0 1 1 *", "job": "capacity_snapshot"}');
\echo :SQLSTATE
SELECT leadgen.api_schedule_job(:'admin_key', '{"name": "regress-optimize", "cron": "0 4 * * *", "job": "optimize_table", "table": "agents"}')::jsonb->>'schedule' AS rescheduled_own;

-- A client's statement in analyze-query runs as leadgen_api_query, a reader.
SELECT leadgen.api_analyze_query(:'admin_key', '{"query": "SELECT rolpassword FROM pg_authid"}');
\echo :SQLSTATE
SELECT leadgen.api_analyze_query(:'admin_key', '{"query": "SELECT secret FROM leadgen.api_secret"}');
\echo :SQLSTATE
SELECT leadgen.api_analyze_query(:'partner_key', '{"query": "SELECT 1"}');
\echo :SQLSTATE
SELECT (leadgen.api_analyze_query(:'admin_key', '{"query": "SELECT count(*) FROM leadgen.agents"}'))::jsonb ? 'plan' AS analyzed;
RESET ROLE;
SELECT owner, schedule, command FROM leadgen.jobs WHERE name = 'partition_maintenance';

-- Clean up.
DROP FUNCTION pg_temp.evil();
SELECT leadgen.unschedule_job('regress-optimize');
DELETE FROM leadgen.api_keys WHERE name LIKE 'regress-%';
DROP ROLE regress_gateway;
\set VERBOSITY default
\set ON_ERROR_STOP 1
