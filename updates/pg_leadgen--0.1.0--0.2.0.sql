-- pg_leadgen 0.1.0 -> 0.2.0. Runs as ALTER EXTENSION pg_leadgen UPDATE TO '0.2.0'.
--
-- Every change of src/sql since 0.1.0 is made here too, so that an updated
-- database is the same as a fresh 0.2.0 install: test/t/004_upgrade.pl
-- compares the two (functions, owners, privileges, settings, tables,
-- indexes, triggers, extension members, configuration rows). The files
-- new in 0.2.0 (src/sql/71_api_routes.sql, 91_api_roles.sql) follow this
-- one whole in the built script (Makefile, UPDATE_SRC).
\echo Use "ALTER EXTENSION pg_leadgen UPDATE TO '0.2.0'" to load this file. \quit

-- ---- Jobs run by hand start at once, in any database ----
-- job_start() records a run and starts its worker at commit; run_job_now()
-- and perf_optimize_table() use it instead of waiting for the launcher.
-- job_runs_sweep() marks failed the runs whose worker died or never started.
-- Runs that cannot end by themselves are marked failed: their worker died
-- (a crash restarts the whole server) or never started (no free background
-- worker slot; a minute's grace for a busy postmaster). The launcher calls
-- it at start and every sweep; job_start() in any database.
CREATE FUNCTION @extschema@.job_runs_sweep() RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH s AS (
        UPDATE @extschema@.job_runs r
           SET status = 'failed', finished_at = clock_timestamp(),
               message = CASE WHEN r.pid IS NULL
                              THEN 'its worker never started (no free background worker slot, or the server stopped first)'
                              ELSE 'its worker ended without recording an outcome (it crashed, or the server restarted)' END
         WHERE r.status IN ('starting', 'running')
           AND CASE WHEN r.pid IS NULL THEN r.created_at < now() - interval '1 minute'
                    ELSE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                                      WHERE a.pid = r.pid AND a.backend_type = 'pg_leadgen job') END
        RETURNING 1)
    SELECT count(*) FROM s
$$;


CREATE FUNCTION @extschema@.job_start(job_name text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pg_leadgen_job_start'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.job_start(text) IS
    'Record a run of a job now and start it when the transaction commits; returns the run id';

CREATE OR REPLACE FUNCTION @extschema@.run_job_now(job_name text) RETURNS @extschema@.jobs
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.job_start(job_name);
    RETURN @extschema@.job_row(job_name);
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.perf_optimize_table(tbl regclass) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_kind "char";
    v_job @extschema@.jobs;
BEGIN
    SELECT relkind INTO v_kind FROM pg_catalog.pg_class WHERE oid = tbl;
    IF v_kind IS NULL OR v_kind NOT IN ('r', 'p', 'm') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass a table, e.g. ''leadgen.leads''.';
    END IF;
    -- a one-off job, held (paused) so that the launcher leaves it alone,
    -- run at once by this session's commit
    INSERT INTO @extschema@.jobs (name, schedule, timezone, command, once, paused)
    VALUES (format('optimize %s %s', tbl, to_char(clock_timestamp(), 'YYYY-MM-DD"T"HH24:MI:SS.US')),
            '@yearly', 'UTC', format('VACUUM (ANALYZE) %s', tbl), true, true)
    RETURNING * INTO v_job;
    PERFORM @extschema@.job_start(v_job.name);
    RETURN jsonb_build_object('job_id', v_job.id, 'job_name', v_job.name, 'command', v_job.command, 'status', 'queued');
END;
$$;

-- ---- List cursors: HMAC-SHA256, verified in constant time ----
CREATE FUNCTION @extschema@.api_cursor_verify(payload text, signature text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_leadgen_api_cursor_verify'
    LANGUAGE C STABLE STRICT;

CREATE OR REPLACE FUNCTION @extschema@.api_cursor_decode(sort text, cursor text, OUT k text, OUT id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_b64  text := split_part(cursor, '.', 1);
    v_p    text;
    v_j    jsonb;
BEGIN
    BEGIN
        v_b64 := translate(v_b64, '-_', '+/');
        v_b64 := v_b64 || repeat('=', (4 - length(v_b64) % 4) % 4);
        v_p := convert_from(decode(v_b64, 'base64'), 'UTF8');
        v_j := v_p::jsonb;
    EXCEPTION WHEN OTHERS THEN
        v_j := NULL;
    END;
    IF v_j IS NULL OR cursor !~ '^[A-Za-z0-9_-]+\.[0-9a-f]{24}$'
       OR NOT @extschema@.api_cursor_verify(v_p, split_part(cursor, '.', 2))
       OR jsonb_typeof(v_j) <> 'array' OR jsonb_array_length(v_j) <> 3 THEN
        RAISE EXCEPTION 'invalid cursor'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass next_cursor exactly as a previous page returned it.';
    END IF;
    IF v_j->>0 IS DISTINCT FROM sort THEN
        RAISE EXCEPTION 'the cursor belongs to another sort order (%)', v_j->>0
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Keep the sort parameter of the page that returned the cursor.';
    END IF;
    k := v_j->>1;
    id := (v_j->>2)::bigint;
END;
$$;

-- ---- Capacity forecasts from day one ----
-- perf_capacity_forecast() gains data_points and basis (its result type
-- changes: dropped and made again), and reads the data's own history while
-- snapshots are few (capacity_history, capacity_value_now).
DROP FUNCTION @extschema@.perf_capacity_forecast(text, integer);
-- A resource's value now, as capacity_snapshot() records it.
CREATE FUNCTION @extschema@.capacity_value_now(p_resource text) RETURNS double precision
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.capacity_check_resource(p_resource);
    RETURN CASE p_resource
        WHEN 'database_size' THEN pg_catalog.pg_database_size(current_database())
        WHEN 'lead_volume' THEN (SELECT count(*) FROM @extschema@.leads WHERE created_at > now() - interval '1 day')
        WHEN 'queue_depth' THEN (SELECT count(*) FROM @extschema@.leads_pending)
        WHEN 'connections' THEN (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend')
        WHEN 'xid_age' THEN (SELECT age(datfrozenxid) FROM pg_catalog.pg_database WHERE datname = current_database())
        ELSE pg_catalog.pg_total_relation_size(to_regclass(substr(p_resource, 12))) END;
END;
$$;

-- The history of a resource that the data already holds, for the days
-- before the first snapshot (a fresh install has none): leads per day from
-- leads.created_at (60 days); the queue's depth at the end of each day
-- from when leads were submitted and processed (30 days); the database's
-- size at each month boundary, from its size now less the monthly
-- partitions of leads and events made after it. Other resources have no
-- history in the data. Points are at or before `before`.
CREATE FUNCTION @extschema@.capacity_history(p_resource text, before timestamptz)
RETURNS TABLE (taken_at timestamptz, value double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_today timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    IF p_resource = 'lead_volume' THEN
        RETURN QUERY
            SELECT d.day_end, coalesce(c.n, 0)::double precision
              FROM generate_series(v_today - interval '59 days', v_today, interval '1 day') d(day_end)
              LEFT JOIN (SELECT date_trunc('day', l.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day' AS day_end,
                                count(*) AS n
                           FROM @extschema@.leads l
                          WHERE l.created_at >= v_today - interval '60 days' AND l.created_at < v_today
                          GROUP BY 1) c USING (day_end)
             WHERE d.day_end <= before
               AND d.day_end > (SELECT date_trunc('day', min(created_at) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                                  FROM @extschema@.leads WHERE created_at >= v_today - interval '60 days');
    ELSIF p_resource = 'queue_depth' THEN
        RETURN QUERY
            SELECT d.t,
                   ((SELECT count(*) FROM @extschema@.leads l
                      WHERE l.created_at >= v_today - interval '31 days' AND l.created_at <= d.t AND l.processed_at > d.t)
                    + (SELECT count(*) FROM @extschema@.leads_pending p WHERE p.enqueued_at <= d.t))::double precision
              FROM generate_series(v_today - interval '29 days', v_today, interval '1 day') d(t)
             WHERE d.t <= before
               AND d.t > (SELECT min(created_at) FROM @extschema@.leads WHERE created_at >= v_today - interval '31 days');
    ELSIF p_resource = 'database_size' THEN
        RETURN QUERY
            WITH parts AS (
                SELECT p.range_from, pg_catalog.pg_total_relation_size(p.partition) AS bytes
                  FROM @extschema@.partitioned_tables t, @extschema@.partitions(t.parent_table::regclass) p
                 WHERE NOT p.is_default)
            SELECT b.boundary,
                   (pg_catalog.pg_database_size(current_database())
                    - (SELECT coalesce(sum(x.bytes), 0) FROM parts x WHERE x.range_from >= b.boundary))::double precision
              FROM (SELECT DISTINCT range_from AS boundary FROM parts) b
             WHERE b.boundary <= least(before, now())
               AND EXISTS (SELECT 1 FROM parts x WHERE x.range_from < b.boundary
                              AND x.bytes > (SELECT min(y.bytes) FROM parts y));
    END IF;
END;
$$;

-- Monthly projections of a resource, one row per month ahead at the
-- month's end, by a least-squares line with a 95% prediction interval.
-- The points are the resource's snapshots; while they span less than a
-- week (a fresh install), the history the data holds before the first
-- snapshot too (capacity_history), and basis says so. With fewer than
-- three points at distinct times there is no trend: the projection is the
-- value now, without an interval. Values are rounded to whole units, and
-- never below zero.
CREATE FUNCTION @extschema@.perf_capacity_forecast(resource text, months integer DEFAULT 6)
RETURNS TABLE (month text, at timestamptz, projected double precision, lower_95 double precision,
               upper_95 double precision, unit text, snapshots bigint, data_points bigint, basis text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_n bigint; v_slope float8; v_icept float8; v_xbar float8; v_sxx float8; v_syy float8; v_sxy float8;
    v_s float8; v_t float8; v_first timestamptz; v_span interval; v_now float8; v_hist boolean;
BEGIN
    PERFORM @extschema@.capacity_check_resource(resource);
    IF months IS NULL OR months < 1 OR months > 60 THEN
        RAISE EXCEPTION 'months must be from 1 to 60, not %', coalesce(months::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT r.unit INTO unit FROM @extschema@.capacity_resources() r WHERE r.resource = perf_capacity_forecast.resource;
    unit := coalesce(unit, 'bytes');
    SELECT count(*), min(s.taken_at), max(s.taken_at) - min(s.taken_at) INTO snapshots, v_first, v_span
      FROM @extschema@.capacity_snapshots s WHERE s.resource = perf_capacity_forecast.resource;

    v_hist := snapshots < 3 OR v_span < interval '7 days';
    SELECT count(*) FILTER (WHERE p.from_data), count(*), regr_slope(p.y, p.x), regr_intercept(p.y, p.x),
           avg(p.x), regr_sxx(p.y, p.x), regr_syy(p.y, p.x), regr_sxy(p.y, p.x)
      INTO data_points, v_n, v_slope, v_icept, v_xbar, v_sxx, v_syy, v_sxy
      FROM (SELECT extract(epoch FROM s.taken_at)::float8 AS x, s.value AS y, false AS from_data
              FROM @extschema@.capacity_snapshots s WHERE s.resource = perf_capacity_forecast.resource
            UNION ALL
            SELECT extract(epoch FROM h.taken_at)::float8, h.value, true
              FROM @extschema@.capacity_history(resource, coalesce(v_first, now()) - interval '1 second') h
             WHERE v_hist) p;
    basis := CASE WHEN data_points = 0 THEN 'snapshots' WHEN snapshots = 0 THEN 'data' ELSE 'snapshots and data' END;

    IF v_n < 3 OR v_sxx IS NULL OR v_sxx = 0 THEN
        -- no trend yet: the value now, flat
        basis := 'value now';
        v_now := @extschema@.capacity_value_now(resource);
        FOR i IN 1..months LOOP
            at := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i + 1)) AT TIME ZONE 'UTC' - interval '1 microsecond';
            month := to_char(at AT TIME ZONE 'UTC', 'YYYY-MM');
            projected := round(v_now);
            lower_95 := NULL;
            upper_95 := NULL;
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;
    v_s := sqrt(greatest(v_syy - v_sxy * v_sxy / v_sxx, 0) / (v_n - 2));
    v_t := @extschema@.t_quantile_975((v_n - 2)::integer);
    FOR i IN 1..months LOOP
        at := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i + 1)) AT TIME ZONE 'UTC' - interval '1 microsecond';
        month := to_char(at AT TIME ZONE 'UTC', 'YYYY-MM');
        projected := v_icept + v_slope * extract(epoch FROM at);
        -- every resource counts something: a falling line stops at zero
        lower_95 := greatest(round(projected - v_t * v_s * sqrt(1 + 1.0 / v_n + (extract(epoch FROM at) - v_xbar)^2 / v_sxx)), 0);
        upper_95 := greatest(round(projected + v_t * v_s * sqrt(1 + 1.0 / v_n + (extract(epoch FROM at) - v_xbar)^2 / v_sxx)), 0);
        projected := greatest(round(projected), 0);
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.perf_capacity_forecast(text, integer) IS
    'Monthly linear projections of a resource with a 95% prediction interval, from its snapshots (and the data''s own history while they are few)';
GRANT EXECUTE ON FUNCTION @extschema@.perf_capacity_forecast(text, integer) TO leadgen_reader;

-- ---- Queues as BullMQ users know them ----
-- The job runs are a queue ("maintenance", 51_queues.sql, which follows
-- this file whole); the queue functions and the dead-letter route serve
-- both queues.
CREATE OR REPLACE FUNCTION @extschema@.queue_row(queue text) RETURNS @extschema@.queues
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.queues;
BEGIN
    SELECT * INTO r FROM @extschema@.queues q WHERE q.name = queue;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'queue "%" does not exist', queue
            USING ERRCODE = 'undefined_object',
                  HINT = 'The queues of pg_leadgen are "leads" and "maintenance".';
    END IF;
    RETURN r;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.queue_retry_dead(queue text, ids bigint[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_n bigint;
BEGIN
    IF (@extschema@.queue_row(queue)).name = 'maintenance' THEN
        RETURN @extschema@.maintenance_retry(ids);	-- 51_queues.sql
    END IF;
    WITH d AS (
        DELETE FROM @extschema@.leads_dead_letter dl
         WHERE ids IS NULL OR dl.id = ANY (ids)
        RETURNING dl.*
    ), p AS (
        INSERT INTO @extschema@.leads_pending (id, payload, broker_id, external_id, priority, attempts,
                                               max_attempts, next_attempt_at, last_error, errors, enqueued_at)
        SELECT d.id, d.payload, d.broker_id, d.external_id, d.priority, 0, d.max_attempts, now(),
               d.last_error, d.errors, d.enqueued_at
          FROM d
        RETURNING id
    ), e AS (
        INSERT INTO @extschema@.events (entity_type, entity_id, type, source, payload)
        SELECT 'lead', p.id, 'lead.requeued', 'queue_retry_dead', '{}'::jsonb FROM p
        RETURNING 1
    )
    SELECT count(*) INTO v_n FROM p;
    IF v_n > 0 THEN
        PERFORM @extschema@.wake_at_commit();
    END IF;
    RETURN v_n;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.queue_metrics(queue text, minutes integer DEFAULT 15)
RETURNS TABLE (queue_name text, paused boolean, waiting bigint, delayed bigint, active integer,
               completed bigint, failed bigint, dead bigint, oldest_waiting_age interval,
               wait_ms_mean float8, wait_ms_p50 float8, wait_ms_p95 float8, wait_ms_p99 float8,
               processing_ms_mean float8, processing_ms_p50 float8, processing_ms_p95 float8,
               processing_ms_p99 float8, throughput_per_minute jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    q @extschema@.queues := @extschema@.queue_row(queue);
    s record;
BEGIN
    IF q.name = 'maintenance' THEN
        RETURN QUERY SELECT * FROM @extschema@.maintenance_metrics(minutes);	-- 51_queues.sql
        RETURN;
    END IF;
    s := @extschema@.queue_stats(minutes);
    queue_name := q.name;
    paused := q.paused;
    SELECT count(*) FILTER (WHERE p.next_attempt_at <= now()),
           count(*) FILTER (WHERE p.next_attempt_at > now()),
           now() - min(p.enqueued_at) FILTER (WHERE p.next_attempt_at <= now())
      INTO waiting, delayed, oldest_waiting_age
      FROM @extschema@.leads_pending p;
    SELECT count(*) INTO dead FROM @extschema@.leads_dead_letter;
    active := s.active;
    completed := s.completed;
    failed := s.failed;
    wait_ms_mean := s.wait_ms_mean;
    wait_ms_p50 := s.wait_ms_p50;
    wait_ms_p95 := s.wait_ms_p95;
    wait_ms_p99 := s.wait_ms_p99;
    processing_ms_mean := s.processing_ms_mean;
    processing_ms_p50 := s.processing_ms_p50;
    processing_ms_p95 := s.processing_ms_p95;
    processing_ms_p99 := s.processing_ms_p99;
    throughput_per_minute := s.throughput;
    RETURN NEXT;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.api_dead_letter(queue text, lim integer DEFAULT 50, off bigint DEFAULT 0) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    q @extschema@.queues := @extschema@.queue_row(queue);
BEGIN
    IF q.name = 'maintenance' THEN
        -- the jobs whose latest run failed, with that run
        RETURN (WITH failed AS (
                    SELECT last.id, last.job_name, last.scheduled_for, last.message AS last_error,
                           last.finished_at AS failed_at
                      FROM (SELECT DISTINCT ON (r.job_id) r.* FROM @extschema@.job_runs r
                             ORDER BY r.job_id, r.id DESC) last
                     WHERE last.status = 'failed')
                SELECT json_build_object(
                    'queue', q.name,
                    'total', (SELECT count(*) FROM failed),
                    'data', coalesce(json_agg(d ORDER BY d.failed_at DESC, d.id DESC), '[]'))::text
                  FROM (SELECT * FROM failed ORDER BY failed_at DESC, id DESC
                         LIMIT least(greatest(coalesce(lim, 50), 0), 500) OFFSET greatest(coalesce(off, 0), 0)) d);
    END IF;
    RETURN (SELECT json_build_object(
                'queue', q.name,
                'total', (SELECT count(*) FROM @extschema@.leads_dead_letter),
                'data', coalesce(json_agg(d ORDER BY d.failed_at DESC, d.id DESC), '[]'))::text
              FROM (SELECT * FROM @extschema@.leads_dead_letter
                     ORDER BY failed_at DESC, id DESC
                     LIMIT least(greatest(coalesce(lim, 50), 0), 500) OFFSET greatest(coalesce(off, 0), 0)) d);
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_retry_dead(text, bigint[]) IS
    'Put dead-lettered leads (all, or those ids) back in the queue with fresh attempts, or run again the jobs whose latest run failed; returns how many';
