-- The REST boundary: one function per route of the gateway (gateway/src/
-- routes.c names them), each building the route's JSON body. The gateway's
-- role (leadgen_api) may execute these and nothing else: no table
-- privilege at all. They are SECURITY DEFINER, owned by leadgen_api_owner,
-- a role that reads the lead domain and writes only what the routes write
-- (90_roles.sql), never a superuser.
--
-- A route that changes something takes the caller's API key first and
-- checks its tier here (api_require): the gateway's role alone cannot act
-- as an admin. Routes that only read trust the gateway's own tier check.
-- No route runs SQL text a client wrote with these functions' rights:
-- analyze-query runs as leadgen_api_query, a reader that owns nothing
-- else, and jobs scheduled over HTTP are of named kinds whose command is
-- written here.

-- The caller's API key, live and of the tier asked for (admin, or internal
-- for internal-or-admin); its id. An unknown or revoked key is 28000
-- (401), a key of a lower tier 42501 (403).
CREATE FUNCTION @extschema@.api_require(key text, tier text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id   bigint;
    v_tier text;
BEGIN
    SELECT k.id, k.tier INTO v_id, v_tier
      FROM @extschema@.api_keys k
     WHERE k.key_hash = sha256(convert_to(coalesce(key, ''), 'UTF8')) AND k.revoked_at IS NULL;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'the API key is unknown or revoked'
            USING ERRCODE = 'invalid_authorization_specification',
                  HINT = 'Send a live key in Authorization: Bearer or X-API-Key.';
    END IF;
    IF NOT (v_tier = api_require.tier OR (api_require.tier = 'internal' AND v_tier = 'admin')) THEN
        RAISE EXCEPTION 'this action needs an % API key', api_require.tier
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('The key is of tier %s.', v_tier);
    END IF;
    RETURN v_id;
END;
$$;

-- A table named by a route: schema.table, or a table of leadgen or public.
CREATE FUNCTION @extschema@.api_table(name text) RETURNS regclass
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v regclass;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'the table name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Name a table as schema.table, or a table of leadgen or public.';
    END IF;
    IF name ~ '^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$' THEN
        v := to_regclass(name);
    ELSIF name ~ '^[A-Za-z_][A-Za-z0-9_$]*$' THEN
        v := coalesce(to_regclass('@extschema@.' || quote_ident(name)), to_regclass('public.' || quote_ident(name)));
    END IF;
    IF v IS NULL THEN
        RAISE EXCEPTION 'table "%" does not exist', name
            USING ERRCODE = 'undefined_table',
                  HINT = 'Name a table as schema.table, or a table of leadgen or public.';
    END IF;
    RETURN v;
END;
$$;

-- GET /ready: the extension is there, in the version the gateway speaks.
CREATE FUNCTION @extschema@.api_ready() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('{"status":"ready","version":%s}', to_json(@extschema@.version()))
$$;

-- GET /metrics: the database's samples (perf_metrics), after the gateway's own.
CREATE FUNCTION @extschema@.api_metrics()
RETURNS TABLE (metric text, kind text, help text, labels text, value double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@.perf_metrics()
$$;

-- GET /api/v1/leads, /agents, /carriers: one page (src/listroute.c). A
-- filter's value that does not parse as its column's type is a 22xxx
-- error (400).
CREATE FUNCTION @extschema@.api_list(resource text, filters text[], vals text[], fields text, sort text,
                                     lim integer, off bigint, cursor text) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_leadgen_api_list'
    LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.api_list(text, text[], text[], text, text, integer, bigint, text) IS
    'The JSON page of a list route: resource, filter names and values, fields, sort, limit, offset, cursor';

-- ---- /api/v1/performance: reports ----

CREATE FUNCTION @extschema@.api_indexing_strategy() RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT json_build_object('data', coalesce(json_agg(t), '[]'::json))::text
      FROM @extschema@.perf_indexing_strategy() t
$$;

CREATE FUNCTION @extschema@.api_connection_pool(gateway jsonb) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT (@extschema@.perf_connection_pool() || jsonb_build_object('gateway', gateway))::text
$$;

CREATE FUNCTION @extschema@.api_slow_queries(lim integer) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT json_build_object('data', coalesce(json_agg(t), '[]'::json))::text
      FROM @extschema@.perf_slow_queries(lim) t
$$;

CREATE FUNCTION @extschema@.api_table_stats(tbl text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT @extschema@.perf_table_stats(@extschema@.api_table(tbl))::text
$$;

CREATE FUNCTION @extschema@.api_database_size() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT @extschema@.perf_database_size()::text
$$;

CREATE FUNCTION @extschema@.api_cache_hit_rate(gateway jsonb) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT (@extschema@.perf_cache_hit_rate() || jsonb_build_object('gateway', gateway))::text
$$;

CREATE FUNCTION @extschema@.api_job_metrics(queue text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT json_build_object('data', coalesce(json_agg(m), '[]'::json))::text FROM @extschema@.queue_metrics(queue) m
$$;

CREATE FUNCTION @extschema@.api_capacity_dashboard() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT @extschema@.perf_capacity_dashboard()::text
$$;

CREATE FUNCTION @extschema@.api_capacity_forecast(resource text, months integer) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT json_build_object('resource', resource, 'months', months, 'data', coalesce(json_agg(t), '[]'::json))::text
      FROM @extschema@.perf_capacity_forecast(resource, months) t
$$;

CREATE FUNCTION @extschema@.api_bottlenecks() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT json_build_object('data', coalesce(json_agg(t), '[]'::json))::text
      FROM @extschema@.perf_bottlenecks() t
$$;

-- ---- /api/v1/performance: actions (an admin key, checked here) ----

-- POST /database/analyze-query. Owned by leadgen_api_query (ALTER below in
-- 90_roles.sql): the client's statement runs with a reader's rights.
CREATE FUNCTION @extschema@.api_analyze_query(key text, body jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    IF jsonb_typeof(body->'query') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'the body needs "query", the statement to analyze'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Send {"query": "SELECT ...", "analyze": false, "timeout_ms": 30000}.';
    END IF;
    RETURN @extschema@.perf_analyze_query(body->>'query', coalesce((body->>'analyze')::boolean, false),
                                          coalesce((body->>'timeout_ms')::integer, 30000))::text;
END;
$$;

-- POST /database/optimize-table/{table}: VACUUM (ANALYZE) in a job.
CREATE FUNCTION @extschema@.api_optimize_table(key text, tbl text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    RETURN @extschema@.perf_optimize_table(@extschema@.api_table(tbl))::text;
END;
$$;

-- POST /database/archive {"policy": name or absent for every enabled
-- policy, "dry_run": false}
CREATE FUNCTION @extschema@.api_archive(key text, body jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    RETURN (SELECT json_build_object('data', coalesce(json_agg(t), '[]'::json))::text
              FROM @extschema@.perf_archive(body->>'policy', coalesce((body->>'dry_run')::boolean, false)) t);
END;
$$;

-- POST /cache/warm: the buffer cache here, and every gateway's response
-- cache (they hear it on leadgen_changes).
CREATE FUNCTION @extschema@.api_cache_warm(key text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    PERFORM pg_notify('leadgen_changes', json_build_object('source', 'gateway', 'op', 'warm')::text);
    RETURN (SELECT json_build_object('data', coalesce(json_agg(t), '[]'::json),
                                     'gateway', 'warming on every instance')::text
              FROM @extschema@.perf_cache_warm() t);
END;
$$;

-- POST /cache/invalidate {"pattern": "/api/v1/leads*"}: every gateway drops
-- the cached answers whose path matches; the pattern is returned.
CREATE FUNCTION @extschema@.api_cache_invalidate(key text, body jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_pattern text := coalesce(body->>'pattern', '*');
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    PERFORM pg_notify('leadgen_changes',
                      json_build_object('source', 'gateway', 'op', 'invalidate', 'pattern', v_pattern)::text);
    RETURN v_pattern;
END;
$$;

-- POST /jobs/schedule {"name", "cron", "timezone", "job", ...}: a recurring
-- job of a named kind, whose command is written here (a SQL command is
-- scheduled in the database, with leadgen.schedule_job(), as the role that
-- will run it):
--   optimize_table  {"table": "leadgen.leads"}   VACUUM (ANALYZE) of a table
--   archive         {"policy": "old-events"}     an archive policy
--   capacity_snapshot, partition_maintenance, assign_backlog
CREATE FUNCTION @extschema@.api_schedule_job(key text, body jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_kind    text := body->>'job';
    v_command text;
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    IF body ? 'command' THEN
        RAISE EXCEPTION 'a SQL command cannot be scheduled over HTTP'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Schedule one of the job kinds (optimize_table, archive, capacity_snapshot, partition_maintenance, assign_backlog), or a SQL command in the database with leadgen.schedule_job().';
    END IF;
    IF v_kind = 'archive' AND NOT EXISTS (SELECT 1 FROM @extschema@.archive_policies a WHERE a.name = body->>'policy') THEN
        RAISE EXCEPTION 'archive policy "%" does not exist', coalesce(body->>'policy', '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name FROM leadgen.archive_policies lists them.';
    END IF;
    v_command := CASE v_kind
        WHEN 'optimize_table' THEN
            format('SELECT @extschema@.perf_optimize_table(%L)', @extschema@.api_table(body->>'table')::text)
        WHEN 'archive' THEN format('SELECT * FROM @extschema@.perf_archive(%L)', body->>'policy')
        WHEN 'capacity_snapshot' THEN 'SELECT @extschema@.capacity_snapshot()'
        WHEN 'partition_maintenance' THEN 'SELECT * FROM @extschema@.run_maintenance()'
        WHEN 'assign_backlog' THEN 'SELECT @extschema@.assign_backlog()'
        END;
    IF v_command IS NULL THEN
        RAISE EXCEPTION 'unknown job kind "%"', coalesce(v_kind, '')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The kinds are optimize_table (with "table"), archive (with "policy"), capacity_snapshot, partition_maintenance and assign_backlog.';
    END IF;
    -- a name taken by a job of another role (pg_leadgen's own, a DBA's) is
    -- not the gateway's to change
    IF EXISTS (SELECT 1 FROM @extschema@.jobs j WHERE j.name = body->>'name' AND j.owner <> current_user) THEN
        RAISE EXCEPTION 'job "%" belongs to role "%"', body->>'name',
                        (SELECT j.owner FROM @extschema@.jobs j WHERE j.name = body->>'name')
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Over HTTP only the jobs scheduled over HTTP may be changed; choose another name, or change this job in the database as its owner.';
    END IF;
    RETURN (SELECT row_to_json(j)::text
              FROM @extschema@.schedule_job(body->>'name', body->>'cron', coalesce(body->>'timezone', 'UTC'), v_command) j);
END;
$$;

-- POST /jobs/{queue}/pause, /resume, /retry-failed, /drain, on the queues
-- leads and maintenance (51_queues.sql). The gateway follows a pause with
-- api_queue_wait_idle in a statement of its own (the workers see the pause
-- once it is committed): with {"wait": true, "timeout_ms": n} it waits
-- until what was claimed has finished, and says so in the answer.
CREATE FUNCTION @extschema@.api_queue_pause(key text, queue text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    RETURN (SELECT json_build_object('data', coalesce(json_agg(q), '[]'::json))::text FROM @extschema@.queue_pause(queue) q);
END;
$$;

CREATE FUNCTION @extschema@.api_queue_resume(key text, queue text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    RETURN (SELECT json_build_object('data', coalesce(json_agg(q), '[]'::json))::text FROM @extschema@.queue_resume(queue) q);
END;
$$;

CREATE FUNCTION @extschema@.api_queue_wait_idle(key text, queue text, body jsonb, paused text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_left integer;
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    IF NOT coalesce((body->>'wait')::boolean, false) THEN
        RETURN paused;
    END IF;
    v_left := @extschema@.queue_wait_idle(queue, least(coalesce((body->>'timeout_ms')::integer, 10000), 25000));
    RETURN (paused::jsonb || jsonb_build_object('idle', v_left = 0, 'active', v_left))::text;
END;
$$;

CREATE FUNCTION @extschema@.api_queue_drain(key text, queue text, body jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    RETURN json_build_object('queue', queue,
                             'drained', @extschema@.queue_drain(queue, coalesce((body->>'delayed')::boolean, false)))::text;
END;
$$;

CREATE FUNCTION @extschema@.api_queue_retry_failed(key text, queue text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.api_require(key, 'admin');
    RETURN json_build_object('queue', queue, 'requeued', @extschema@.queue_retry_dead(queue))::text;
END;
$$;
