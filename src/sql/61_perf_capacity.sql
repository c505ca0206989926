-- The performance toolkit, part 2: capacity snapshots and forecasts, and
-- table maintenance run through the workers (perf_optimize_table,
-- perf_job_status). Bottleneck detection is part 3 (62_perf_bottlenecks.sql).

-- Snapshots of the resources that run out: taken by the built-in job
-- capacity_snapshot (every 5 minutes), kept `retention_days`.
CREATE TABLE @extschema@.capacity_snapshots (
    resource  text NOT NULL,
    taken_at  timestamptz NOT NULL DEFAULT now(),
    value     double precision NOT NULL,
    PRIMARY KEY (resource, taken_at)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.capacity_snapshots', '');

-- The resources that can be forecast, with their unit.
CREATE FUNCTION @extschema@.capacity_resources() RETURNS TABLE (resource text, unit text, description text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('database_size', 'bytes', 'size of the database'),
           ('lead_volume', 'leads/day', 'leads created in the 24 hours before the snapshot'),
           ('queue_depth', 'leads', 'rows waiting in leadgen.leads_pending'),
           ('connections', 'connections', 'client connections'),
           ('xid_age', 'transactions', 'age of the oldest unfrozen transaction ID of the database')
$$;

CREATE FUNCTION @extschema@.capacity_snapshot(retention_days integer DEFAULT 400) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_now timestamptz := now();
    v_n integer;
BEGIN
    INSERT INTO @extschema@.capacity_snapshots (resource, taken_at, value)
    VALUES ('database_size', v_now, pg_catalog.pg_database_size(current_database())),
           ('lead_volume', v_now, (SELECT count(*) FROM @extschema@.leads WHERE created_at > v_now - interval '1 day')),
           ('queue_depth', v_now, (SELECT count(*) FROM @extschema@.leads_pending)),
           ('connections', v_now, (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend')),
           ('xid_age', v_now, (SELECT age(datfrozenxid) FROM pg_catalog.pg_database WHERE datname = current_database()))
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    INSERT INTO @extschema@.capacity_snapshots (resource, taken_at, value)
    SELECT 'table_size:' || c.oid::regclass::text, v_now, pg_catalog.pg_total_relation_size(c.oid)
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.capacity_snapshots WHERE taken_at < v_now - make_interval(days => retention_days);
    RETURN v_n;
END;
$$;

-- Two-sided 95% quantile of Student's t with df degrees of freedom.
CREATE FUNCTION @extschema@.t_quantile_975(df integer) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE
        WHEN df < 1 THEN NULL
        WHEN df <= 30 THEN (ARRAY[12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                  2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042])[df]
        WHEN df <= 60 THEN 2.042 - (df - 30) * (2.042 - 2.000) / 30.0
        WHEN df <= 120 THEN 2.000 - (df - 60) * (2.000 - 1.980) / 60.0
        ELSE 1.960 END
$$;

CREATE FUNCTION @extschema@.capacity_check_resource(p_resource text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_resource IS NULL OR NOT (p_resource IN (SELECT resource FROM @extschema@.capacity_resources())
                                  OR p_resource LIKE 'table\_size:%') THEN
        RAISE EXCEPTION 'unknown resource %', coalesce(quote_literal(p_resource), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Resources: database_size, lead_volume, queue_depth, connections, xid_age, table_size:<table>.';
    END IF;
END;
$$;

-- Least-squares slope of a resource over its snapshots, per second.
CREATE FUNCTION @extschema@.capacity_slope(p_resource text) RETURNS double precision
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT regr_slope(value, extract(epoch FROM taken_at))
      FROM @extschema@.capacity_snapshots WHERE resource = p_resource
$$;

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
        -- A lead was waiting at t when created_at <= t < processed_at, so
        -- the depth at t is the leads made by t less those processed by t
        -- (processed_at >= created_at), plus the rows still pending that
        -- were enqueued by t. One pass over the window's leads: each is
        -- counted at the first day point at or after its creation (+1) and
        -- its processing (-1), and the depth of a point is the running
        -- sum; a count per point would read the window 30 times.
        RETURN QUERY
            WITH pts AS (
                SELECT array_agg(g.t ORDER BY g.t) AS ts
                  FROM generate_series(v_today - interval '29 days', v_today, interval '1 day') g(t)),
            steps AS (
                -- the index of the first point at or after each time: the
                -- number of points before it
                SELECT width_bucket(l.created_at - interval '1 microsecond', pts.ts) AS k, 1 AS n
                  FROM @extschema@.leads l, pts
                 WHERE l.created_at >= v_today - interval '31 days' AND l.created_at <= v_today
                   AND l.processed_at >= l.created_at
                UNION ALL
                SELECT width_bucket(l.processed_at - interval '1 microsecond', pts.ts), -1
                  FROM @extschema@.leads l, pts
                 WHERE l.created_at >= v_today - interval '31 days' AND l.created_at <= v_today
                   AND l.processed_at >= l.created_at
                UNION ALL
                SELECT width_bucket(p.enqueued_at - interval '1 microsecond', pts.ts), 1
                  FROM @extschema@.leads_pending p, pts
                 WHERE p.enqueued_at <= v_today),
            per_point AS (
                SELECT k, sum(n) AS n FROM steps WHERE k < 30 GROUP BY k)
            SELECT d.t, d.depth::double precision
              FROM (SELECT pts.ts[i + 1] AS t,
                           sum(coalesce(pp.n, 0)) OVER (ORDER BY i) AS depth
                      FROM pts, generate_series(0, 29) i
                      LEFT JOIN per_point pp ON pp.k = i) d
             WHERE d.t <= before
               AND d.t > (SELECT min(created_at) FROM @extschema@.leads WHERE created_at >= v_today - interval '31 days');
    ELSIF p_resource = 'database_size' THEN
        RETURN QUERY
            -- the database's size read once (it lists every file of the
            -- database), not once per boundary
            WITH parts AS MATERIALIZED (
                SELECT p.range_from, pg_catalog.pg_total_relation_size(p.partition) AS bytes,
                       -- rows were written to it: a heap page (an empty
                       -- partition's indexes have a size, and tables'
                       -- differ: compared with the smallest partition of
                       -- any table, empty leads partitions held data)
                       pg_catalog.pg_relation_size(p.partition) > 0 AS written
                  FROM @extschema@.partitioned_tables t, @extschema@.partitions(t.parent_table::regclass) p
                 WHERE NOT p.is_default),
            db AS MATERIALIZED (SELECT pg_catalog.pg_database_size(current_database()) AS size)
            SELECT b.boundary,
                   (db.size - (SELECT coalesce(sum(x.bytes), 0) FROM parts x WHERE x.range_from >= b.boundary))::double precision
              FROM (SELECT DISTINCT range_from AS boundary FROM parts) b, db
             WHERE b.boundary <= least(before, now())
               AND EXISTS (SELECT 1 FROM parts x WHERE x.range_from < b.boundary AND x.written);
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

-- Utilization now, six-month forecasts, days until a limit, and alerts.
-- The disk limit is leadgen.disk_budget when set (PostgreSQL cannot
-- see free disk space); XID wraparound is 2^31 transactions, and
-- autovacuum's forced freeze starts at autovacuum_freeze_max_age.
CREATE FUNCTION @extschema@.perf_capacity_dashboard() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_db bigint := pg_catalog.pg_database_size(current_database());
    v_conn bigint := (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend');
    v_max bigint := current_setting('max_connections')::bigint;
    v_xid bigint := (SELECT age(datfrozenxid) FROM pg_catalog.pg_database WHERE datname = current_database());
    v_freeze bigint := current_setting('autovacuum_freeze_max_age')::bigint;
    v_budget bigint := (SELECT nullif(setting::bigint, 0) * 1024 * 1024 FROM pg_catalog.pg_settings WHERE name = 'leadgen.disk_budget');
    v_queue bigint := (SELECT count(*) FROM @extschema@.leads_pending);
    v_forecasts jsonb := '{}';
    v_alerts jsonb := '[]';
    r record;
    f record;
    v_days jsonb;

    -- growth per day of each limited resource (null when not growing)
    v_db_day float8 := nullif(greatest(@extschema@.capacity_slope('database_size'), 0), 0) * 86400;
    v_xid_day float8 := nullif(greatest(@extschema@.capacity_slope('xid_age'), 0), 0) * 86400;
    v_conn_day float8 := nullif(greatest(@extschema@.capacity_slope('connections'), 0), 0) * 86400;
BEGIN
    FOR r IN SELECT resource FROM @extschema@.capacity_resources() LOOP
        BEGIN
            SELECT * INTO f FROM @extschema@.perf_capacity_forecast(r.resource, 6) ORDER BY at DESC LIMIT 1;
            v_forecasts := v_forecasts || jsonb_build_object(r.resource, jsonb_build_object(
                'month', f.month, 'projected', round(f.projected::numeric, 1),
                'lower_95', round(f.lower_95::numeric, 1), 'upper_95', round(f.upper_95::numeric, 1)));
        EXCEPTION WHEN object_not_in_prerequisite_state THEN
            v_forecasts := v_forecasts || jsonb_build_object(r.resource, 'not enough snapshots');
        END;
    END LOOP;

    v_days := jsonb_build_object(
        'disk', round(((v_budget - v_db) / v_db_day)::numeric, 1),
        'xid_forced_freeze', round(((v_freeze - v_xid) / v_xid_day)::numeric, 1),
        'xid_wraparound', round(((2147483648 - v_xid) / v_xid_day)::numeric, 1),
        'connections', round(((v_max - v_conn) / v_conn_day)::numeric, 1));

    IF v_budget IS NOT NULL AND v_db > 0.8 * v_budget THEN
        v_alerts := v_alerts || jsonb_build_object('severity', CASE WHEN v_db > 0.9 * v_budget THEN 'critical' ELSE 'warning' END,
            'resource', 'disk', 'message', format('database uses %s%% of leadgen.disk_budget', round(100.0 * v_db / v_budget)));
    END IF;
    IF v_conn > 0.8 * v_max THEN
        v_alerts := v_alerts || jsonb_build_object('severity', 'warning', 'resource', 'connections',
            'message', format('%s of %s connections in use', v_conn, v_max));
    END IF;
    IF v_xid > 0.75 * v_freeze THEN
        v_alerts := v_alerts || jsonb_build_object('severity', CASE WHEN v_xid > v_freeze THEN 'critical' ELSE 'warning' END,
            'resource', 'xid_age', 'message', format('transaction ID age %s nears autovacuum_freeze_max_age %s', v_xid, v_freeze));
    END IF;
    FOR r IN SELECT key, CASE WHEN jsonb_typeof(value) = 'number' THEN value::numeric END AS value
               FROM jsonb_each(v_days) LOOP
        CONTINUE WHEN r.value IS NULL OR r.value >= 30;
        v_alerts := v_alerts || jsonb_build_object('severity', CASE WHEN r.value < 7 THEN 'critical' ELSE 'warning' END,
            'resource', r.key, 'message', format('limit reached in %s days at the current trend', r.value));
    END LOOP;

    RETURN jsonb_build_object(
        'now', jsonb_build_object(
            'database_size_bytes', v_db,
            'disk_budget_bytes', v_budget,
            'disk_used_pct', CASE WHEN v_budget > 0 THEN round(100.0 * v_db / v_budget, 2) END,
            'connections', v_conn, 'max_connections', v_max,
            'connections_used_pct', round(100.0 * v_conn / v_max, 2),
            'xid_age', v_xid, 'xid_wraparound_used_pct', round(100.0 * v_xid / 2147483648, 4),
            'queue_depth', v_queue),
        'forecast_6_months', v_forecasts,
        'days_until', v_days,
        'alerts', v_alerts);
END;
$$;

-- VACUUM (ANALYZE) of one table, which cannot run inside the caller's
-- transaction: a one-off job, run at once in a background worker of its own.
-- Only a table the caller may read, and neither a system catalog nor
-- another extension's (table_check()). Returns the job to poll with
-- perf_job_status().
CREATE FUNCTION @extschema@.perf_optimize_table(tbl regclass) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_kind "char";
    v_job @extschema@.jobs;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'tbl must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Pass a table, e.g. ''leadgen.leads''.';
    END IF;
    SELECT relkind INTO v_kind FROM pg_catalog.pg_class WHERE oid = tbl;
    IF v_kind IS NULL OR v_kind NOT IN ('r', 'p', 'm') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass a table, e.g. ''leadgen.leads''.';
    END IF;
    IF (SELECT relpersistence FROM pg_catalog.pg_class WHERE oid = tbl) = 't' THEN
        RAISE EXCEPTION '"%" is a temporary table', tbl
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'A job runs in another session, which cannot see it: VACUUM it in its own session.';
    END IF;
    PERFORM @extschema@.table_check(tbl);
    -- a one-off job, held (paused) so that the launcher leaves it alone,
    -- run at once by this session's commit; the table named with its
    -- schema, the one checked whatever the job's search_path
    INSERT INTO @extschema@.jobs (name, schedule, timezone, command, once, paused)
    SELECT format('optimize %s %s', tbl, to_char(clock_timestamp(), 'YYYY-MM-DD"T"HH24:MI:SS.US')),
           '@yearly', 'UTC', format('VACUUM (ANALYZE) %I.%I', n.nspname, c.relname), true, true
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tbl
    RETURNING * INTO v_job;
    PERFORM @extschema@.job_start(v_job.name);
    RETURN jsonb_build_object('job_id', v_job.id, 'job_name', v_job.name, 'command', v_job.command, 'status', 'queued');
END;
$$;

-- The state of a job's latest run: queued (not started yet), starting,
-- running, succeeded or failed, with its message.
CREATE FUNCTION @extschema@.perf_job_status(job_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN j.id IS NULL THEN NULL ELSE jsonb_build_object(
        'job_id', j.id, 'job_name', j.name, 'command', j.command,
        'status', coalesce(r.status, 'queued'), 'message', r.message,
        'started_at', r.started_at, 'finished_at', r.finished_at) END
      FROM (SELECT 1) one
      LEFT JOIN @extschema@.jobs j ON j.id = perf_job_status.job_id
      LEFT JOIN LATERAL (SELECT * FROM @extschema@.job_runs x WHERE x.job_id = j.id ORDER BY x.id DESC LIMIT 1) r ON true
$$;

INSERT INTO @extschema@.jobs (name, schedule, timezone, command) VALUES
    ('capacity_snapshot', '*/5 * * * *', 'UTC', 'SELECT @extschema@.capacity_snapshot()');
