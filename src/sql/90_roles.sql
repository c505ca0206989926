-- Roles and privileges (docs/SECURITY.md is the page a reviewer reads).
--
--   leadgen_reader     reads the lead domain and the read-only functions
--   leadgen_writer     submits leads, nothing else
--   leadgen_admin      everything in the schema; member of both above
--
-- The REST gateway's roles are in 91_api_roles.sql.
-- The roles are cluster-wide and NOLOGIN: a DBA grants them to login roles
-- (GRANT leadgen_writer TO vendor_api). They are created when missing and
-- survive DROP EXTENSION, since other databases may use them. PUBLIC gets
-- nothing in the schema.

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['leadgen_reader', 'leadgen_writer', 'leadgen_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
END;
$roles$;

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;

GRANT USAGE ON SCHEMA @extschema@ TO leadgen_reader, leadgen_writer, leadgen_admin;

-- Reader: the domain and its introspection, no queue internals.
GRANT SELECT ON @extschema@.brokers, @extschema@.agents, @extschema@.carriers,
                @extschema@.leads, @extschema@.lead_assignments, @extschema@.events,
                @extschema@.scoring_weights, @extschema@.partitioned_tables
    TO leadgen_reader;
GRANT EXECUTE ON FUNCTION @extschema@.version(), @extschema@.preloaded(), @extschema@.insurance_types(),
                          @extschema@.worker_database(), @extschema@.partitions(regclass),
                          @extschema@.partman_schema(), @extschema@.partman_major_version(),
                          @extschema@.extension_schema(name),
                          @extschema@.queue_metrics(text, integer), @extschema@.queue_stats(integer),
                          @extschema@.queue_row(text)
    TO leadgen_reader;
GRANT SELECT ON @extschema@.queues, @extschema@.jobs, @extschema@.job_runs TO leadgen_reader;
GRANT EXECUTE ON FUNCTION @extschema@.cron_next(text, text, timestamptz),
                          @extschema@.cron_next_runs(text, text, integer, timestamptz)
    TO leadgen_reader;

-- Reader: the performance reports that show no statement text.
GRANT EXECUTE ON FUNCTION @extschema@.perf_connection_pool(), @extschema@.perf_table_stats(regclass),
                          @extschema@.perf_database_size(integer), @extschema@.perf_cache_hit_rate(integer),
                          @extschema@.perf_capacity_forecast(text, integer), @extschema@.perf_capacity_dashboard(),
                          @extschema@.perf_bottlenecks(), @extschema@.perf_job_status(bigint),
                          @extschema@.perf_analyze_query(text, boolean, integer),
                          @extschema@.capacity_resources(), @extschema@.capacity_slope(text),
                          @extschema@.statement_kind(text, boolean), @extschema@.explain_plan(text),
                          @extschema@.explain_query(text, boolean, integer, text),
                          @extschema@.plan_advice(text, boolean, integer, text),
                          @extschema@.plan_columns(regclass, text), @extschema@.plan_nodes(jsonb),
                          @extschema@.table_rows(regclass), @extschema@.has_index_on(regclass, text[]),
                          @extschema@.index_columns(regclass)
    TO leadgen_reader;
GRANT SELECT ON @extschema@.capacity_snapshots, @extschema@.archive_policies, @extschema@.archive_runs TO leadgen_reader;

-- Writer: submit leads only, through the SECURITY DEFINER functions.
GRANT EXECUTE ON FUNCTION @extschema@.lead_submit(jsonb, integer), @extschema@.lead_enqueue(jsonb, integer),
                          @extschema@.lead_submit_batch(jsonb, integer), @extschema@.lead_check(jsonb)
    TO leadgen_writer;

-- Admin: everything (but TRIGGER on the tables: 91_api_roles.sql).
GRANT ALL ON ALL TABLES IN SCHEMA @extschema@ TO leadgen_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA @extschema@ TO leadgen_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ TO leadgen_admin;
-- (but run_as() and explain_plan_as(): 91_api_roles.sql, after the last
-- grant of every function)
GRANT leadgen_reader, leadgen_writer TO leadgen_admin;

-- pg_partman's create_parent() set search_path for the whole session while
-- this script ran (see run_maintenance()); give the session back the value
-- it resets to, instead of the script's.
SELECT pg_catalog.set_config('search_path', s.reset_val, false)
  FROM pg_catalog.pg_settings s WHERE s.name = 'search_path';
