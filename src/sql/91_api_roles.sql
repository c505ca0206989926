-- The REST gateway's roles and privileges (docs/SECURITY.md is the page a
-- reviewer reads).
--
--   leadgen_api        the gateway's login role is granted it: EXECUTE on
--                      the route functions (71_api_routes.sql and the api_*
--                      functions of 70_api.sql), no table privilege at all
--   leadgen_api_owner  owns the route functions (SECURITY DEFINER): reads
--                      the domain, writes only what the routes write; owns
--                      the jobs scheduled over HTTP (their commands are
--                      written by api_schedule_job)
--   leadgen_api_query  owns api_analyze_query: a client's statement runs
--                      with a reader's rights, nothing more
--
-- NOLOGIN, cluster-wide, created when missing and kept by DROP EXTENSION,
-- like the roles of 90_roles.sql (which runs first: PUBLIC has nothing).
-- Also run by the update from 0.1.0, where these roles first appeared.

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['leadgen_api', 'leadgen_api_owner', 'leadgen_api_query'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
END;
$roles$;

-- Functions new since an earlier version (run by an update) get what
-- 90_roles.sql gives every function: nothing for PUBLIC, EXECUTE for
-- leadgen_admin.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ TO leadgen_admin;
-- ... but the functions that run SQL as another role: only pg_leadgen's
-- SECURITY DEFINER functions call them (and the C code refuses others).
REVOKE EXECUTE ON FUNCTION @extschema@.run_as(regrole, text), @extschema@.explain_plan_as(text, oid, text)
    FROM leadgen_admin;

-- The gateway's login role (GRANT leadgen_api TO leadgen_gateway) may call
-- the route functions and nothing else; an admin action also needs an
-- admin API key, which the function checks (api_require).
GRANT USAGE ON SCHEMA @extschema@ TO leadgen_api, leadgen_api_owner, leadgen_api_query;
DO $api$
DECLARE
    -- the route functions, and who owns each (leadgen_api_owner unless said)
    v_route text[] := ARRAY[
        'api_key_verify(text)', 'api_rate_take(text, integer, integer)',
        'api_lead_submit(jsonb, bigint)', 'api_lead_submit_many(text[], bigint[])',
        'api_leads_batch(text, boolean, bigint)', 'api_lead(bigint, bigint)',
        'api_list(text, text[], text[], text, text, integer, bigint, text)',
        'api_config()', 'api_analytics_summary(integer)', 'api_dead_letter(text, integer, bigint)',
        'api_ready()', 'api_metrics()',
        'api_indexing_strategy()', 'api_connection_pool(jsonb)', 'api_slow_queries(integer)',
        'api_table_stats(text)', 'api_database_size()', 'api_cache_hit_rate(jsonb)',
        'api_job_metrics(text)', 'api_capacity_dashboard()', 'api_capacity_forecast(text, integer)',
        'api_bottlenecks()',
        'api_analyze_query(text, jsonb)', 'api_optimize_table(text, text)', 'api_archive(text, jsonb)',
        'api_cache_warm(text)', 'api_cache_invalidate(text, jsonb)', 'api_schedule_job(text, jsonb)',
        'api_queue_pause(text, text)', 'api_queue_resume(text, text)', 'api_queue_retry_failed(text, text)',
        'api_queue_wait_idle(text, text, jsonb, text)', 'api_queue_drain(text, text, jsonb)'];
    v_fn text;
BEGIN
    FOREACH v_fn IN ARRAY v_route LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO leadgen_api', v_fn);
        EXECUTE format('ALTER FUNCTION @extschema@.%s OWNER TO %I', v_fn,
                       CASE WHEN v_fn LIKE 'api_analyze_query(%' THEN 'leadgen_api_query' ELSE 'leadgen_api_owner' END);
    END LOOP;
    -- the helpers the route functions call
    ALTER FUNCTION @extschema@.api_require(text, text) OWNER TO leadgen_api_owner;
    ALTER FUNCTION @extschema@.api_table(text) OWNER TO leadgen_api_owner;
END;
$api$;

-- A durable acknowledgement (52_replication.sql, new in 0.2.0): for whoever
-- submits leads, the gateway included. Not SECURITY DEFINER: it reads
-- shared memory and runs no statement.
GRANT EXECUTE ON FUNCTION @extschema@.wait_for_standby(integer, text) TO leadgen_writer, leadgen_api;

-- What the route functions read and write, as leadgen_api_owner; also the
-- rights of the jobs scheduled over HTTP, which it owns (their commands
-- are written by api_schedule_job).
GRANT leadgen_reader TO leadgen_api_owner;
-- (perf_metrics is new in 0.2.0; 90_roles.sql grants its elders)
GRANT EXECUTE ON FUNCTION @extschema@.perf_metrics() TO leadgen_reader;
GRANT SELECT ON @extschema@.leads_pending, @extschema@.leads_dead_letter, @extschema@.lead_external_ids,
                @extschema@.api_keys
    TO leadgen_api_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.api_rate_limits TO leadgen_api_owner;
GRANT INSERT ON @extschema@.leads_pending, @extschema@.lead_external_ids TO leadgen_api_owner;
GRANT DELETE ON @extschema@.leads_dead_letter TO leadgen_api_owner;
GRANT INSERT ON @extschema@.events TO leadgen_api_owner;
GRANT USAGE ON SEQUENCE @extschema@.event_id_seq TO leadgen_api_owner;
GRANT UPDATE ON @extschema@.queues TO leadgen_api_owner;
GRANT INSERT, UPDATE ON @extschema@.jobs TO leadgen_api_owner;
GRANT UPDATE, DELETE ON @extschema@.leads_pending TO leadgen_api_owner;
GRANT INSERT ON @extschema@.leads_dead_letter TO leadgen_api_owner;
GRANT INSERT, UPDATE ON @extschema@.job_runs TO leadgen_api_owner;
GRANT USAGE ON SEQUENCE @extschema@.lead_id_seq, @extschema@.jobs_id_seq, @extschema@.job_runs_id_seq
    TO leadgen_api_owner;
GRANT EXECUTE ON FUNCTION @extschema@.api_require(text, text), @extschema@.api_table(text),
                          @extschema@.api_list_statement(text, text[], text[], text, boolean),
                          @extschema@.api_list_spec(text),
                          @extschema@.api_cursor_encode(text, text, bigint), @extschema@.api_cursor_decode(text, text),
                          @extschema@.api_cursor_sign(text), @extschema@.api_cursor_verify(text, text),
                          @extschema@.api_page_step(internal, record, anyelement, bigint, integer, bigint, text, text[]),
                          @extschema@.api_page_final(internal),
                          @extschema@.api_page(record, anyelement, bigint, integer, bigint, text, text[]),
                          @extschema@.api_page_empty(integer, bigint),
                          @extschema@.lead_submit_batch(jsonb, integer), @extschema@.lead_check(jsonb),
                          @extschema@.lead_submit_batch_scoped(jsonb, integer, bigint), @extschema@.writer_owner(name),
                          @extschema@.queue_pause(text), @extschema@.queue_resume(text),
                          @extschema@.queue_retry_dead(text, bigint[]), @extschema@.wake_at_commit(),
                          @extschema@.queue_wait_idle(text, integer), @extschema@.queue_drain(text, boolean),
                          @extschema@.queue_stats(integer), @extschema@.maintenance_retry(bigint[]),
                          @extschema@.job_start(text), @extschema@.job_runs_sweep(),
                          @extschema@.schedule_job(text, text, text, text), @extschema@.job_row(text),
                          @extschema@.perf_indexing_strategy(integer, bigint),
                          @extschema@.perf_slow_queries(integer, bigint, text, text, boolean),
                          @extschema@.perf_cache_warm(), @extschema@.perf_optimize_table(regclass),
                          @extschema@.perf_archive(text, boolean), @extschema@.archive_run(text, boolean),
                          @extschema@.capacity_snapshot(integer), @extschema@.run_maintenance(),
                          @extschema@.maintain_partitions(), @extschema@.assign_backlog(bigint, integer)
    TO leadgen_api_owner;
-- analyze-query's owner: a reader, and the key check.
GRANT leadgen_reader TO leadgen_api_query;
GRANT EXECUTE ON FUNCTION @extschema@.api_require(text, text) TO leadgen_api_query;


-- leadgen_admin gets every privilege on the tables but TRIGGER (new in
-- 0.2.0): its trigger on a table pg_leadgen writes would run as whoever
-- writes it, the superuser who owns the SECURITY DEFINER functions and
-- runs the workers. A trigger function in pg_temp was enough to become
-- superuser.
REVOKE TRIGGER ON ALL TABLES IN SCHEMA @extschema@ FROM leadgen_admin;
