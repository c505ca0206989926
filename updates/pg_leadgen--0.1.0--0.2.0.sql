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
                  HINT = 'Pass next_cursor exactly as a previous page returned it, to the same list with the same filters.';
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
GRANT EXECUTE ON FUNCTION @extschema@.perf_capacity_forecast(text, integer) TO leadgen_reader;

-- ---- Security (issue #13): table functions serve user tables only ----
-- table_check() refuses PostgreSQL's catalogs, other extensions' tables and
-- tables the calling role (or a role named) may not use; perf_table_stats()
-- and perf_optimize_table() call it, and so do archive policies.
CREATE FUNCTION @extschema@.table_check(tbl regclass, role regrole DEFAULT NULL, privileges text DEFAULT 'SELECT')
RETURNS regclass
    AS 'MODULE_PATHNAME', 'pg_leadgen_table_check'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.table_check(regclass, regrole, text) IS
    'The table, unless it is a system catalog, another extension''s table, or one the role may not use so';
REVOKE ALL ON FUNCTION @extschema@.table_check(regclass, regrole, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.table_check(regclass, regrole, text) TO leadgen_admin;

CREATE OR REPLACE FUNCTION @extschema@.perf_table_stats(tbl regclass) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_kind "char";
    v_result jsonb;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'tbl must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Pass a table or a partitioned table, e.g. ''leadgen.leads''.';
    END IF;
    SELECT relkind INTO v_kind FROM pg_catalog.pg_class WHERE oid = tbl;
    IF v_kind IS NULL OR v_kind NOT IN ('r', 'p', 'm') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Pass a table or a partitioned table, e.g. ''leadgen.leads''.';
    END IF;
    PERFORM @extschema@.table_check(tbl);
    WITH parts AS (
        SELECT c.oid, c.oid::regclass::text AS name
          FROM pg_catalog.pg_class c
         WHERE c.oid = tbl AND v_kind <> 'p'
        UNION ALL
        SELECT p.relid, p.relid::regclass::text
          FROM pg_catalog.pg_partition_tree(tbl) p
         WHERE p.isleaf AND v_kind = 'p'
    ), s AS (
        SELECT p.name,
               coalesce(st.n_live_tup, 0) AS live, coalesce(st.n_dead_tup, 0) AS dead,
               pg_catalog.pg_relation_size(p.oid) AS heap,
               pg_catalog.pg_table_size(p.oid) - pg_catalog.pg_relation_size(p.oid) AS toast,
               pg_catalog.pg_indexes_size(p.oid) AS indexes,
               pg_catalog.pg_total_relation_size(p.oid) AS total,
               coalesce(st.seq_scan, 0) AS seq_scan, coalesce(st.seq_tup_read, 0) AS seq_tup_read,
               coalesce(st.idx_scan, 0) AS idx_scan, coalesce(st.n_tup_upd, 0) AS upd,
               coalesce(st.n_tup_hot_upd, 0) AS hot, coalesce(st.n_mod_since_analyze, 0) AS mods,
               st.last_vacuum, st.last_autovacuum, st.last_analyze, st.last_autoanalyze,
               c.relpages, c.reltuples,
               -- bloat estimate: pages the live rows would need at the
               -- table's average row width, against pages in use
               (SELECT coalesce(sum(avg_width), 0) + 24 FROM pg_catalog.pg_stats ps
                 WHERE ps.schemaname = (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = c.relnamespace) AND ps.tablename = c.relname) AS row_width
          FROM parts p
          JOIN pg_catalog.pg_class c ON c.oid = p.oid
          LEFT JOIN pg_catalog.pg_stat_all_tables st ON st.relid = p.oid
    ), e AS (
        SELECT s.*,
               greatest(s.relpages - ceil(s.live * s.row_width / (current_setting('block_size')::numeric * 0.9)), 0)
                   * current_setting('block_size')::bigint AS bloat_bytes
          FROM s
    )
    SELECT jsonb_build_object(
        'table', tbl::text,
        'kind', CASE v_kind WHEN 'p' THEN 'partitioned' WHEN 'm' THEN 'materialized view' ELSE 'table' END,
        'rows_live', sum(live), 'rows_dead', sum(dead),
        'dead_pct', round(100.0 * sum(dead) / nullif(sum(live) + sum(dead), 0), 2),
        'heap_bytes', sum(heap), 'toast_bytes', sum(toast), 'index_bytes', sum(indexes), 'total_bytes', sum(total),
        'total_pretty', pg_catalog.pg_size_pretty(sum(total)),
        'bloat_bytes_estimate', sum(bloat_bytes),
        'bloat_pct_estimate', round(100.0 * sum(bloat_bytes) / nullif(sum(heap), 0), 2),
        'seq_scan', sum(seq_scan), 'seq_tup_read', sum(seq_tup_read), 'idx_scan', sum(idx_scan),
        'index_scan_pct', round(100.0 * sum(idx_scan) / nullif(sum(idx_scan) + sum(seq_scan), 0), 2),
        'n_tup_upd', sum(upd), 'n_tup_hot_upd', sum(hot),
        'hot_update_pct', round(100.0 * sum(hot) / nullif(sum(upd), 0), 2),
        'n_mod_since_analyze', sum(mods),
        'last_vacuum', max(last_vacuum), 'last_autovacuum', max(last_autovacuum),
        'last_analyze', max(last_analyze), 'last_autoanalyze', max(last_autoanalyze),
        'partitions', CASE WHEN v_kind = 'p' THEN coalesce(jsonb_agg(jsonb_build_object(
                'partition', name, 'rows_live', live, 'rows_dead', dead, 'total_bytes', total,
                'seq_scan', seq_scan, 'idx_scan', idx_scan, 'n_mod_since_analyze', mods,
                'last_autovacuum', last_autovacuum, 'last_autoanalyze', last_autoanalyze) ORDER BY name), '[]') END)
      INTO v_result
      FROM e;
    RETURN v_result;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.perf_optimize_table(tbl regclass) RETURNS jsonb
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

-- ---- Security (issue #13): writers bound to brokers ----
-- broker_roles binds a role to the broker whose leads it submits;
-- lead_submit(), lead_enqueue(), lead_submit_batch() and lead_check() apply
-- the calling role's binding (in C). api_leads_batch() scopes by API key
-- through lead_submit_batch_scoped().
CREATE TABLE @extschema@.broker_roles (
    role        name PRIMARY KEY,
    broker_id   bigint NOT NULL REFERENCES @extschema@.brokers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broker_roles_broker_id_idx ON @extschema@.broker_roles (broker_id);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.broker_roles', '');
GRANT ALL ON @extschema@.broker_roles TO leadgen_admin;

CREATE FUNCTION @extschema@.lead_submit_batch_scoped(payloads jsonb, priority integer, broker bigint) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_lead_submit_batch_scoped'
    LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.lead_submit_batch_scoped(jsonb, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.lead_submit_batch_scoped(jsonb, integer, bigint) TO leadgen_admin;

CREATE OR REPLACE FUNCTION @extschema@.api_leads_batch(body_text text, ndjson boolean, scope_broker bigint DEFAULT NULL,
                                            OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c_max     constant integer := 1000;
    v_items   jsonb := '[]';
    v_errors  jsonb := '[]';        -- problems found here, by index
    v_line    text;
    v_n       integer := 0;
    v_item    jsonb;
    v_res     jsonb;
    v_bad     jsonb;
BEGIN
    IF ndjson THEN
        FOR v_line IN SELECT x FROM regexp_split_to_table(body_text, E'\r?\n') x LOOP
            CONTINUE WHEN btrim(v_line) = '';
            BEGIN
                v_item := v_line::jsonb;
            EXCEPTION WHEN invalid_text_representation OR character_not_in_repertoire
                        OR untranslatable_character THEN
                v_item := NULL;
                v_errors := v_errors || jsonb_build_object('index', v_n, 'problems',
                                                           jsonb_build_array('The line is not valid JSON.'));
            END;
            v_items := v_items || jsonb_build_array(coalesce(v_item, 'null'::jsonb));
            v_n := v_n + 1;
            IF v_n > c_max THEN
                EXIT;
            END IF;
        END LOOP;
    ELSE
        v_items := body_text::jsonb;
        IF jsonb_typeof(v_items) <> 'array' THEN
            status := 400;
            body := json_build_object('error', json_build_object(
                        'code', 'bad_request', 'message', 'The body must be a JSON array of leads (or NDJSON).'))::text;
            RETURN;
        END IF;
        v_n := jsonb_array_length(v_items);
    END IF;
    IF v_n > c_max THEN
        status := 413;
        body := json_build_object('error', json_build_object(
                    'code', 'payload_too_large',
                    'message', format('A batch holds at most %s leads.', c_max),
                    'details', json_build_object('max_items', c_max)))::text;
        RETURN;
    END IF;
    IF v_n = 0 THEN
        status := 400;
        body := json_build_object('error', json_build_object(
                    'code', 'bad_request', 'message', 'The batch is empty.'))::text;
        RETURN;
    END IF;

    -- A bound key: leads without a broker get the key's; another broker is
    -- refused item by item.
    IF scope_broker IS NOT NULL THEN
        SELECT coalesce(jsonb_agg(CASE
                   WHEN jsonb_typeof(e) <> 'object' THEN e
                   WHEN NOT e ? 'broker_id' THEN e || jsonb_build_object('broker_id', scope_broker)
                   WHEN e->'broker_id' = to_jsonb(scope_broker) THEN e
                   ELSE 'null'::jsonb END ORDER BY i), '[]'),
               v_errors || coalesce(jsonb_agg(jsonb_build_object('index', i - 1, 'problems',
                                    jsonb_build_array('broker_id is not the broker of this API key.')))
                                    FILTER (WHERE jsonb_typeof(e) = 'object' AND e ? 'broker_id'
                                                  AND e->'broker_id' <> to_jsonb(scope_broker)), '[]')
          INTO v_items, v_errors
          FROM jsonb_array_elements(v_items) WITH ORDINALITY AS x(e, i);
    END IF;

    v_res := @extschema@.lead_submit_batch_scoped(v_items, 0, scope_broker);
    -- Items refused here were sent as null: their problems are ours, not
    -- lead_submit_batch's "must be a JSON object".
    IF jsonb_array_length(v_errors) > 0 THEN
        v_bad := (SELECT jsonb_agg(f->'index') FROM jsonb_array_elements(v_errors) f);
        v_res := jsonb_set(v_res, '{errors}',
                           (SELECT coalesce(jsonb_agg(x.e ORDER BY (x.e->>'index')::integer), '[]')
                              FROM (SELECT e FROM jsonb_array_elements(v_errors) e
                                    UNION ALL
                                    SELECT e FROM jsonb_array_elements(v_res->'errors') e
                                     WHERE NOT v_bad @> jsonb_build_array(e->'index')) x));
    END IF;
    status := 202;
    body := v_res::text;
END;
$$;

-- ---- Security (issue #13): archive predicates ----
-- A policy has an owner (the role that wrote it; only a superuser may name
-- another: writer_owner(), which jobs_check() uses too). Policies written
-- before 0.2.0 belong to leadgen_admin, the role whose members could write
-- them: their predicates run with its rights.
-- A predicate is checked when written and again when run
-- (archive_predicate_check(), in C), and the statements that contain it run
-- as the owner through run_as(), which only its owner may call.
CREATE FUNCTION @extschema@.writer_owner(requested name) RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
                THEN requested ELSE current_user END
$$;
REVOKE ALL ON FUNCTION @extschema@.writer_owner(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.writer_owner(name) TO leadgen_admin;

CREATE OR REPLACE FUNCTION @extschema@.jobs_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Who the command runs as: its writer, unless a superuser names
    -- another. Only a change of the command or the owner decides it again;
    -- starting, draining or rescheduling a job leaves its owner as it is.
    IF TG_OP = 'INSERT' OR NEW.command IS DISTINCT FROM OLD.command OR NEW.owner IS DISTINCT FROM OLD.owner THEN
        NEW.owner := @extschema@.writer_owner(NEW.owner);
    END IF;
    IF TG_OP = 'INSERT' AND NEW.once AND NEW.next_run_at IS NOT NULL THEN
        RETURN NEW;             -- a one-off run at the time given
    END IF;
    IF TG_OP = 'INSERT' OR NEW.schedule IS DISTINCT FROM OLD.schedule OR NEW.timezone IS DISTINCT FROM OLD.timezone
       OR (NOT NEW.paused AND OLD.paused) THEN
        NEW.next_run_at := @extschema@.cron_next(NEW.schedule, NEW.timezone, now());
    END IF;
    RETURN NEW;
END;
$$;

ALTER TABLE @extschema@.archive_policies ADD COLUMN owner name NOT NULL DEFAULT 'leadgen_admin';
ALTER TABLE @extschema@.archive_policies ALTER COLUMN owner SET DEFAULT current_user;

CREATE FUNCTION @extschema@.run_as(role regrole, statement text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_run_as'
    LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.run_as(regrole, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.archive_predicate_check(tbl regclass, predicate text, owner regrole) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_leadgen_archive_predicate_check'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.archive_predicate_check(regclass, text, regrole) IS
    'Check an archive policy''s predicate as its owner; returns the expression to run';
REVOKE ALL ON FUNCTION @extschema@.archive_predicate_check(regclass, text, regrole) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.archive_predicate_check(regclass, text, regrole) TO leadgen_admin;

-- The table a move or copy policy writes, quoted for a statement: its
-- target as written (schema.table), or for a schema alone the policy's
-- table's own name in it. (Built unquoted, a table named
-- 'x/**/OF"t";ALTER/**/ROLE...' made archive_run()'s CREATE TABLE run the
-- rest as superuser.)
CREATE FUNCTION @extschema@.archive_target(p @extschema@.archive_policies) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN p.strategy NOT IN ('move', 'copy') OR p.target IS NULL THEN NULL
                WHEN p.target ~ '\.' THEN format('%I.%I', split_part(p.target, '.', 1), split_part(p.target, '.', 2))
                ELSE format('%I.%I', p.target, (SELECT c.relname FROM pg_catalog.pg_class c
                                                  WHERE c.oid = to_regclass(p.table_name)))
           END
$$;

CREATE FUNCTION @extschema@.archive_policy_verify(p @extschema@.archive_policies) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rel regclass := to_regclass(p.table_name);
    v_owner regrole := to_regrole(quote_ident(p.owner));
    v_pred text;
    v_target regclass;
BEGIN
    IF p.table_name IS NULL THEN
        RAISE EXCEPTION 'the policy''s table must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Name the table with its schema, e.g. leadgen.events.';
    END IF;
    IF v_rel IS NULL THEN
        RAISE EXCEPTION 'table "%" does not exist', p.table_name
            USING ERRCODE = 'undefined_table', HINT = 'Name the table with its schema, e.g. leadgen.events.';
    END IF;
    IF (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid = v_rel) = 't' THEN
        RAISE EXCEPTION 'table % is temporary', v_rel
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'A policy runs later and in other sessions: name a permanent table.';
    END IF;
    IF v_owner IS NULL THEN
        RAISE EXCEPTION 'role "%" does not exist', p.owner
            USING ERRCODE = 'undefined_object',
                  HINT = 'A policy runs as its owner; a superuser may give it another (UPDATE leadgen.archive_policies SET owner = ...).';
    END IF;
    IF p.age_column IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_attribute
             WHERE attrelid = v_rel AND attname = p.age_column AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'column "%" does not exist in %', p.age_column, v_rel USING ERRCODE = 'undefined_column';
    END IF;
    IF p.predicate IS NOT NULL THEN
        v_pred := @extschema@.archive_predicate_check(v_rel, p.predicate, v_owner);
    END IF;
    PERFORM @extschema@.table_check(v_rel, v_owner, CASE WHEN p.strategy = 'copy' THEN 'SELECT' ELSE 'SELECT, DELETE' END);
    IF p.target IS NOT NULL AND p.target !~ '^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$' THEN
        RAISE EXCEPTION 'target "%" is not a plain table or schema name', p.target
            USING ERRCODE = 'invalid_name', HINT = 'Use lower-case schema.table (or a schema name for partitions).';
    END IF;
    IF p.target IS NOT NULL AND p.strategy IN ('move', 'copy') THEN
        v_target := to_regclass(@extschema@.archive_target(p));
        IF v_target IS NOT NULL THEN
            PERFORM @extschema@.table_check(v_target, v_owner, CASE WHEN p.strategy = 'copy' THEN 'SELECT, INSERT' ELSE 'INSERT' END);
        END IF;
    END IF;
    RETURN v_pred;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.archive_policy_verify(@extschema@.archive_policies) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.archive_policy_verify(@extschema@.archive_policies) TO leadgen_admin;

CREATE OR REPLACE FUNCTION @extschema@.archive_policies_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.owner := @extschema@.writer_owner(NEW.owner);
    PERFORM @extschema@.archive_policy_verify(NEW);
    NEW.table_name := to_regclass(NEW.table_name)::text;
    IF NEW.schedule IS NOT NULL THEN
        PERFORM @extschema@.schedule_job('archive:' || NEW.name, NEW.schedule, NEW.timezone,
                                         format('SELECT * FROM @extschema@.perf_archive(%L)', NEW.name));
    ELSIF TG_OP = 'UPDATE' AND OLD.schedule IS NOT NULL THEN
        DELETE FROM @extschema@.jobs WHERE name = 'archive:' || NEW.name;
    END IF;
    RETURN NEW;
END;
$$;

-- ---- Queues as BullMQ users know them ----
-- The job runs are a queue ("maintenance", 51_queues.sql, which follows
-- this file whole); the queue functions and the dead-letter route serve
-- both queues.
CREATE OR REPLACE FUNCTION @extschema@.queue_row(queue text) RETURNS @extschema@.queues
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.queues;
BEGIN
    IF queue IS NULL THEN
        RAISE EXCEPTION 'the queue name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'The queues of pg_leadgen are "leads" and "maintenance".';
    END IF;
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

-- ---- Security (issue #13): plans as the caller, or as the statement's role ----
-- explain_query() (C) explains one statement as the calling role in a
-- security-restricted operation and a read-only subtransaction that is
-- rolled back, in the caller's search_path, canceled past timeout_ms;
-- with ANALYZE it refuses volatile functions (but the clock, random and
-- sleep) and releases the session advisory locks the statement took.
-- perf_analyze_query() is SQL without SET, so that it passes the caller's
-- search_path to plan_advice(), its former body. explain_plan_as() plans a
-- pg_stat_statements text as the role that ran it, for
-- perf_indexing_strategy(), which lists the statements it could not plan.
CREATE FUNCTION @extschema@.explain_query(query text, "analyze" boolean DEFAULT false, timeout_ms integer DEFAULT 0,
                                          search_path text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_explain_query'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.explain_query(text, boolean, integer, text) IS
    'EXPLAIN (FORMAT JSON, VERBOSE[, ANALYZE, BUFFERS]) of one statement as the calling role, rolled back, with a timeout';
REVOKE ALL ON FUNCTION @extschema@.explain_query(text, boolean, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.explain_query(text, boolean, integer, text) TO leadgen_reader, leadgen_admin;

CREATE OR REPLACE FUNCTION @extschema@.explain_plan(query text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT @extschema@.explain_query($1, false, 0, pg_catalog.current_setting('search_path'))
$$;

CREATE FUNCTION @extschema@.explain_plan_as(query text, role oid, search_path text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_explain_plan_as'
    LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.explain_plan_as(text, oid, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.role_search_path(role oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT substr(c, length('search_path=') + 1)
      FROM pg_catalog.pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) c
     WHERE c LIKE 'search_path=%'
       AND (s.setrole, s.setdatabase) IN ((role, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())),
                                          (role, 0),
                                          (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())))
     ORDER BY s.setrole = 0, s.setdatabase = 0
     LIMIT 1
$$;
REVOKE ALL ON FUNCTION @extschema@.role_search_path(oid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.role_search_path(oid) TO leadgen_admin;

CREATE FUNCTION @extschema@.plan_advice(query text, "analyze" boolean, timeout_ms integer, search_path text)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_analyze boolean := coalesce($2, false);
    v_plan jsonb;
    v_recs jsonb := '[]';
    v_seen text[] := '{}';
    v_node jsonb;
    v_processes float8;
    v_rel regclass;
    v_root regclass;
    v_cols text[];
    v_reltuples float8;
    v_loops float8;
    v_actual float8;
    v_removed float8;
    v_est float8;
    v_create text;
    v_large constant float8 := 10000;
BEGIN
    IF query IS NULL OR btrim(query) = '' THEN
        RAISE EXCEPTION 'query must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_analyze THEN
        PERFORM @extschema@.statement_kind(query, true);
        IF query ~ '\$[0-9]+' THEN
            RAISE EXCEPTION 'analyze => true needs a query without $n parameters'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Put values in place of the parameters, or call it without analyze for the generic plan.';
        END IF;
    END IF;
    v_plan := @extschema@.explain_query(query, v_analyze, timeout_ms, search_path);

    FOR v_node, v_processes IN SELECT n.node, n.processes FROM @extschema@.plan_nodes(v_plan) n LOOP
        v_rel := NULL;
        IF v_node ? 'Relation Name' THEN
            v_rel := to_regclass(format('%I.%I', v_node->>'Schema', v_node->>'Relation Name'));
        END IF;
        v_root := coalesce(pg_partition_root(v_rel), v_rel);
        v_reltuples := CASE WHEN v_rel IS NOT NULL THEN @extschema@.table_rows(v_rel) ELSE 0 END;
        v_loops := coalesce((v_node->>'Actual Loops')::float8, 1);
        v_actual := (v_node->>'Actual Rows')::float8 * v_loops;
        v_removed := coalesce((v_node->>'Rows Removed by Filter')::float8, 0) * v_loops;

        -- sequential scans that throw most rows away on large tables
        IF v_node->>'Node Type' = 'Seq Scan' AND v_node ? 'Filter' AND v_rel IS NOT NULL AND v_reltuples >= v_large
           AND ((v_analyze AND v_removed > 0 AND v_removed >= 0.9 * (v_removed + coalesce(v_actual, 0)))
                OR (NOT v_analyze AND (v_node->>'Plan Rows')::float8 * v_processes <= 0.1 * v_reltuples)) THEN
            v_cols := @extschema@.plan_columns(v_rel, v_node->>'Filter');
            v_create := CASE WHEN cardinality(v_cols) > 0 AND NOT @extschema@.has_index_on(v_root, v_cols) THEN
                format('CREATE INDEX ON %s (%s)', v_root, (SELECT string_agg(quote_ident(c), ', ') FROM unnest(v_cols) c)) END;
            IF NOT format('%s %s', v_root, v_cols) = ANY (v_seen) THEN
                v_seen := v_seen || format('%s %s', v_root, v_cols);
                v_recs := v_recs || jsonb_build_object(
                    'rule', 'seq_scan_filter', 'severity', 'warning', 'relation', v_root::text,
                    'message', format('sequential scan of %s (%s rows) keeps few rows of its filter %s',
                                      v_rel, v_reltuples::bigint, v_node->>'Filter')
                               || CASE WHEN v_root <> v_rel THEN format(' (a partition of %s)', v_root) ELSE '' END
                               || CASE WHEN v_create IS NULL AND cardinality(v_cols) > 0
                                       THEN format('; %s has an index on (%s) the planner did not use: check the estimates (ANALYZE %s)',
                                                   v_root, array_to_string(v_cols, ', '), v_root) ELSE '' END,
                    'statement', v_create);
            END IF;
        END IF;

        -- row estimates off by more than 10x (per loop, as the planner estimates)
        IF v_analyze AND v_node ? 'Actual Rows' THEN
            v_est := (v_node->>'Plan Rows')::float8;
            v_actual := (v_node->>'Actual Rows')::float8;
            IF greatest(v_actual, v_est) >= 100 AND greatest(v_actual, v_est) / greatest(least(v_actual, v_est), 1) > 10 THEN
                v_cols := CASE WHEN v_rel IS NOT NULL THEN @extschema@.plan_columns(v_rel, coalesce(v_node->>'Filter', v_node->>'Index Cond')) END;
                v_recs := v_recs || jsonb_build_object(
                    'rule', 'misestimate', 'severity', 'warning', 'relation', v_rel::text,
                    'message', format('%s estimated %s rows, got %s', v_node->>'Node Type', v_est::bigint, v_actual::bigint),
                    'statement', CASE
                        WHEN v_rel IS NOT NULL AND cardinality(v_cols) >= 2
                        THEN format('CREATE STATISTICS ON %s FROM %s; ANALYZE %s',
                                    (SELECT string_agg(quote_ident(c), ', ') FROM unnest(v_cols) c), v_rel, v_rel)
                        WHEN v_rel IS NOT NULL THEN format('ANALYZE %s', v_rel)
                        ELSE 'ANALYZE the tables of the query' END);
            END IF;
        END IF;

        -- sorts and hashes spilling to disk
        IF v_node->>'Sort Space Type' = 'Disk' OR (v_node->>'Hash Batches')::int > 1 THEN
            v_recs := v_recs || jsonb_build_object(
                'rule', 'spill_to_disk', 'severity', 'warning',
                'message', format('%s spilled to disk (%s kB); work_mem is %s', v_node->>'Node Type',
                                  coalesce(v_node->>'Sort Space Used', v_node->>'Peak Memory Usage'), current_setting('work_mem')),
                'statement', format('SET work_mem = ''%sMB''',
                                    greatest(4, ceil(coalesce((v_node->>'Sort Space Used')::numeric, 4096) * 2 / 1024))));
        END IF;

        -- nested loops over many rows
        IF v_node->>'Node Type' = 'Nested Loop'
           AND coalesce((v_node->>'Actual Rows')::float8 * v_loops, (v_node->>'Plan Rows')::float8) > 100000 THEN
            v_recs := v_recs || jsonb_build_object(
                'rule', 'nested_loop', 'severity', 'warning',
                'message', format('nested loop over %s rows', coalesce((v_node->>'Actual Rows')::float8 * v_loops, (v_node->>'Plan Rows')::float8)::bigint),
                'statement', 'Index the join column of the inner side, or check the estimates (ANALYZE) that made the planner choose a nested loop');
        END IF;
    END LOOP;

    IF (v_plan->0->'Plan'->>'Total Cost')::float8 > 1000000 THEN
        v_recs := v_recs || jsonb_build_object(
            'rule', 'high_cost', 'severity', 'info',
            'message', format('the plan''s total cost is %s', round((v_plan->0->'Plan'->>'Total Cost')::numeric)),
            'statement', NULL);
    END IF;

    RETURN jsonb_build_object(
        'query', query,
        'analyzed', v_analyze,
        'total_cost', (v_plan->0->'Plan'->>'Total Cost')::numeric,
        'planning_ms', (v_plan->0->>'Planning Time')::numeric,
        'execution_ms', (v_plan->0->>'Execution Time')::numeric,
        'recommendations', v_recs,
        'plan', v_plan)
        || CASE WHEN v_plan->0 ? 'Substituted Parameters' THEN jsonb_build_object(
               'substituted', v_plan->0->'Substituted Parameters', 'planned_text', v_plan->0->'Planned Text') ELSE '{}' END;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.plan_advice(text, boolean, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.plan_advice(text, boolean, integer, text) TO leadgen_reader, leadgen_admin;

CREATE OR REPLACE FUNCTION @extschema@.perf_analyze_query(query text, "analyze" boolean DEFAULT false, timeout_ms integer DEFAULT 30000)
RETURNS jsonb
LANGUAGE sql AS $$
    SELECT @extschema@.plan_advice($1, $2, $3, pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION @extschema@.perf_analyze_query(text, boolean, integer) IS
    'EXPLAIN (FORMAT JSON, and ANALYZE, BUFFERS when asked) with recommendations from rules over the plan';

-- ---- The insurance types, once in SQL ----
-- insurance_types() is the one list; the domain, the checks of agents and
-- carriers and GET /api/v1/config read it.
CREATE FUNCTION @extschema@.insurance_types() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial']
$$;
GRANT EXECUTE ON FUNCTION @extschema@.insurance_types() TO leadgen_reader;
ALTER DOMAIN @extschema@.insurance_type DROP CONSTRAINT insurance_type_check;
ALTER DOMAIN @extschema@.insurance_type ADD CONSTRAINT insurance_type_check
    CHECK (VALUE = ANY (@extschema@.insurance_types()));
ALTER TABLE @extschema@.agents DROP CONSTRAINT agents_specializations_check,
    ADD CONSTRAINT agents_specializations_check CHECK (specializations <@ @extschema@.insurance_types());
ALTER TABLE @extschema@.carriers DROP CONSTRAINT carriers_insurance_types_check,
    ADD CONSTRAINT carriers_insurance_types_check CHECK (insurance_types <@ @extschema@.insurance_types());
CREATE OR REPLACE FUNCTION @extschema@.api_config() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT json_build_object(
        'insurance_types', to_json(@extschema@.insurance_types()),
        'statuses', json_build_array('assigned', 'qualified', 'rejected', 'duplicate'),
        'rejection_codes', json_build_array('MISSING_FIELD', 'UNSUPPORTED_INSURANCE_TYPE', 'INVALID_EMAIL',
                                            'INVALID_PHONE', 'INVALID_ZIP', 'INVALID_STATE', 'ZIP_STATE_MISMATCH',
                                            'AGE_OUT_OF_RANGE', 'INVALID_VEHICLE', 'INVALID_PROPERTY',
                                            'INVALID_COVERAGE', 'INVALID_BUSINESS', 'NO_CONSENT', 'STATE_NOT_SERVED'),
        'scoring_weights', (SELECT json_object_agg(w.component, w.points ORDER BY w.component)
                              FROM @extschema@.scoring_weights w),
        'states_served', (SELECT coalesce(json_object_agg(x.insurance_type, x.states ORDER BY x.insurance_type), '{}')
                            FROM (SELECT t.insurance_type, json_agg(DISTINCT s.state ORDER BY s.state) AS states
                                    FROM @extschema@.carriers c,
                                         unnest(c.insurance_types) t(insurance_type),
                                         unnest(c.states) s(state)
                                   WHERE c.is_active
                                   GROUP BY t.insurance_type) x),
        'limits', json_build_object(
            'max_payload_bytes', pg_size_bytes(coalesce(current_setting('leadgen.max_payload_size', true), '64kB')),
            'batch_max_items', 1000,
            'list_default_limit', 20, 'list_max_limit', 500))::text
$$;

-- ---- One ranking of agents ----
-- The backlog sweep takes the agent the pipeline would (agent_for, in C).
-- The agent that takes one lead of a state and insurance type now, by the
-- pipeline's ranking (src/assign.c, agentrank.c); NULL when none may.
CREATE FUNCTION @extschema@.agent_for(state text, insurance_type text, only_agent bigint DEFAULT NULL) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pg_leadgen_agent_for'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.agent_for(text, text, bigint) IS
    'The agent that takes one lead of a state and insurance type now, by the pipeline''s ranking (or one agent only)';

CREATE OR REPLACE FUNCTION @extschema@.assign_backlog(p_agent bigint DEFAULT NULL, p_limit integer DEFAULT 10000) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_lead   record;
    v_agent  bigint;
    v_n      integer := 0;
    v_now    timestamptz := clock_timestamp();
BEGIN
    IF p_agent IS NULL THEN
        PERFORM 1 FROM @extschema@.agents a
         WHERE a.is_active AND a.current_lead_count < a.max_leads
         ORDER BY a.id FOR UPDATE;
    END IF;
    FOR v_lead IN
        SELECT l.id, l.created_at, l.state, l.insurance_type
          FROM @extschema@.leads l
         WHERE l.status = 'qualified'
           AND EXISTS (SELECT 1 FROM @extschema@.agents a
                        WHERE (p_agent IS NULL OR a.id = p_agent)
                          AND a.is_active AND a.current_lead_count < a.max_leads
                          AND a.state = l.state AND l.insurance_type = ANY (a.specializations))
         ORDER BY l.created_at, l.quality_score DESC, l.id
         LIMIT p_limit
         FOR UPDATE OF l SKIP LOCKED
    LOOP
        -- the pipeline's own choice (assign.c): one ranking for both
        v_agent := @extschema@.agent_for(v_lead.state, v_lead.insurance_type, p_agent);
        CONTINUE WHEN v_agent IS NULL;
        UPDATE @extschema@.agents SET current_lead_count = current_lead_count + 1 WHERE id = v_agent;
        INSERT INTO @extschema@.lead_assignments (lead_id, lead_created_at, agent_id, status, assigned_at)
        VALUES (v_lead.id, v_lead.created_at, v_agent, 'assigned', v_now);
        UPDATE @extschema@.leads SET status = 'assigned'
         WHERE id = v_lead.id AND created_at = v_lead.created_at;
        INSERT INTO @extschema@.events (entity_type, entity_id, type, source, payload, "timestamp")
        VALUES ('lead', v_lead.id, 'lead.assigned', 'backlog',
                jsonb_build_object('status', 'assigned', 'agent_id', v_agent, 'from', 'qualified'), v_now);
        v_n := v_n + 1;
    END LOOP;
    IF v_n > 0 THEN
        PERFORM pg_notify('leadgen_changes',
                          json_build_object('source', 'backlog', 'leads', v_n)::text);
    END IF;
    RETURN v_n;
END;
$$;

-- pgss_relation asks pg_stat_statements whether it is loaded.
CREATE OR REPLACE FUNCTION @extschema@.pgss_relation() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_schema name := @extschema@.extension_schema('pg_stat_statements');
BEGIN
    IF v_schema IS NULL THEN
        RAISE EXCEPTION 'extension "pg_stat_statements" is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'CREATE EXTENSION pg_stat_statements;';
    END IF;
    BEGIN
        EXECUTE format('SELECT 1 FROM %I.pg_stat_statements_info', v_schema);
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        RAISE EXCEPTION 'pg_stat_statements is not loaded'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The slow query report reads the statistics pg_stat_statements collects in shared memory.',
                  HINT = 'Add pg_stat_statements to shared_preload_libraries and restart the server.';
    END;
    RETURN format('%I.pg_stat_statements', v_schema);
END;
$$;

-- ---- A state's leads, best first: an index for lists filtered by state ----
CREATE INDEX leads_state_quality_score_id_idx ON @extschema@.leads (state, quality_score, id);

-- ---- Listeners hear of changes to leads, assignments and weights made by any statement ----
CREATE TRIGGER leads_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.leads
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
CREATE TRIGGER lead_assignments_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.lead_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
CREATE TRIGGER scoring_weights_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.scoring_weights
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();

-- ---- A plain pg_dump / pg_restore round trip (src/sql/98_dump.sql) ----
-- leads, events, their partitions, lead_assignments and pg_partman's
-- template tables leave the extension at the end of this update (98_dump.sql
-- follows in the built script): pg_dump writes them as a user's tables,
-- definitions, rows, then keys and indexes. lead_assignments stops being
-- configuration (ALTER EXTENSION ... DROP forgets that too); the event ids'
-- sequence is no longer owned by events (a member sequence owned by a
-- table pg_dump writes on its own would lose that on restore).
ALTER SEQUENCE @extschema@.event_id_seq OWNED BY NONE;

-- ---- Issue #15: the advisor on an application's tables ----
-- Plans are walked node by node, each once (plan_nodes(): a lax JSON path
-- met the nodes of a Gather twice), and rows count over all the processes
-- of a parallel plan (plan_advice()). A text whose parameters cannot all
-- stay parameters (interval $2) is planned with literals in their place
-- (explain_query() in C). Proposals go to the partitioned table of a
-- partition scanned, with the steps of an online build; a partial index
-- whose predicate is "col IS NOT NULL" serves its columns (has_index_on());
-- HypoPG must find an index used and 10% cheaper for one of its
-- statements; no drop proposal names a partition, an archived partition,
-- the replica identity or the only index of a foreign key.
CREATE FUNCTION @extschema@.plan_nodes(plan jsonb) RETURNS TABLE (node jsonb, processes double precision)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE n(node, workers) AS (
        SELECT e->'Plan', 0
          FROM jsonb_array_elements(CASE jsonb_typeof(plan) WHEN 'array' THEN plan ELSE '[]' END) e
         WHERE jsonb_typeof(e->'Plan') = 'object'
        UNION ALL
        SELECT c, CASE WHEN n.node->>'Node Type' IN ('Gather', 'Gather Merge')
                       THEN coalesce((n.node->>'Workers Planned')::int, 0) ELSE n.workers END
          FROM n CROSS JOIN LATERAL jsonb_array_elements(
                   CASE jsonb_typeof(n.node->'Plans') WHEN 'array' THEN n.node->'Plans' ELSE '[]' END) c
    )
    SELECT n.node,
           CASE WHEN n.workers > 0 AND (n.node->>'Parallel Aware')::boolean
                THEN n.workers + CASE WHEN current_setting('parallel_leader_participation')::boolean
                                      THEN greatest(0, 1 - 0.3 * n.workers) ELSE 0 END
                ELSE 1 END
      FROM n
$$;
CREATE FUNCTION @extschema@.table_rows(tbl regclass) RETURNS double precision
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(sum(greatest(c.reltuples, coalesce(pg_stat_get_live_tuples(c.oid), 0), 0)), 0)
      FROM pg_class c
     WHERE c.oid IN (SELECT t.relid FROM pg_partition_tree(tbl) t WHERE t.isleaf)
        OR (c.oid = tbl AND c.relkind <> 'p')
$$;

CREATE OR REPLACE FUNCTION @extschema@.has_index_on(tbl regclass, cols text[]) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_index i
         WHERE i.indrelid = tbl
           AND (@extschema@.index_columns(i.indexrelid::regclass))[1:cardinality(cols)] = cols
           AND (i.indpred IS NULL
                OR (SELECT bool_and(coalesce(x.m[1] = ANY (cols), false))
                      FROM regexp_split_to_table(regexp_replace(pg_catalog.pg_get_expr(i.indpred, i.indrelid), '[()]', '', 'g'),
                                                 '\s+AND\s+') t
                     CROSS JOIN LATERAL (SELECT regexp_match(t, '^"?([^" ]+)"? IS NOT NULL$') AS m) x)))
$$;

CREATE FUNCTION @extschema@.index_online_build(tbl regclass, cols text[]) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH t AS (
        SELECT p.relid, p.parentrelid, p.isleaf, p.level, c.relnamespace::regnamespace AS nsp,
               left(c.relname || '_' || array_to_string(cols, '_'), 59) || '_idx' AS idx
          FROM pg_catalog.pg_partition_tree(tbl) p JOIN pg_catalog.pg_class c ON c.oid = p.relid
    ), s AS (
        SELECT t.level, t.relid::regclass::text AS rel, 1 AS step,
               format('CREATE INDEX %s%I ON %s%s (%s)', CASE WHEN t.isleaf THEN 'CONCURRENTLY ' ELSE '' END, t.idx,
                      CASE WHEN t.isleaf THEN '' ELSE 'ONLY ' END, t.relid::regclass,
                      (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) c)) AS stmt
          FROM t
        UNION ALL
        SELECT t.level, t.relid::regclass::text, 2,
               format('ALTER INDEX %I.%I ATTACH PARTITION %I.%I', p.nsp, p.idx, t.nsp, t.idx)
          FROM t JOIN t p ON p.relid = t.parentrelid
    )
    SELECT array_agg(s.stmt ORDER BY s.level, s.rel, s.step) FROM s
$$;
CREATE FUNCTION @extschema@.archived_tables() RETURNS SETOF regclass
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partman name := @extschema@.partman_schema();
BEGIN
    RETURN QUERY
        SELECT c.oid::regclass
          FROM @extschema@.archive_policies p
          JOIN pg_catalog.pg_class s ON s.oid = to_regclass(p.table_name)
          JOIN pg_catalog.pg_namespace n ON n.nspname = split_part(p.target, '.', 1)
          JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid
         WHERE p.strategy = 'move' AND s.relkind = 'p' AND c.relkind IN ('r', 'p')
           AND left(c.relname, length(s.relname) + 2) = s.relname || '_p';
    IF v_partman IS NOT NULL THEN
        RETURN QUERY EXECUTE format(
            'SELECT c.oid::regclass FROM %I.part_config pc'
            ' JOIN pg_catalog.pg_namespace n ON n.nspname = pc.retention_schema'
            ' JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN (''r'', ''p'')', v_partman);
    END IF;
END;
$$;
CREATE FUNCTION @extschema@.index_serves_key(idx regclass, cols text[]) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_index i
         WHERE i.indexrelid = idx AND i.indpred IS NULL
           AND ((SELECT array_agg(x ORDER BY x) FROM unnest((@extschema@.index_columns(idx))[1:cardinality(cols)]) x)
                    = (SELECT array_agg(x ORDER BY x) FROM unnest(cols) x)
                OR (i.indisunique AND @extschema@.index_columns(idx) <@ cols)))
$$;
CREATE FUNCTION @extschema@.constraint_columns(con oid) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_catalog.pg_constraint c
      CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
     WHERE c.oid = con
$$;

CREATE OR REPLACE FUNCTION @extschema@.perf_indexing_strategy(statements integer DEFAULT 50, min_rows bigint DEFAULT 10000)
RETURNS TABLE (action text, statement text, table_name text, index_name text, reason text, evidence jsonb,
               cost_before numeric, cost_after numeric)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_pgss text;
    v_hypopg name := @extschema@.extension_schema('hypopg');
    v_stats_reset timestamptz;
    q record;
    v_plan jsonb;
    v_node jsonb;
    v_processes float8;
    v_rel regclass;
    v_root regclass;
    v_cols text[];
    v_collist text;
    v_cand jsonb := '{}';
    v_key text;
    v_c jsonb;
    v_after jsonb;
    v_hypo text[];
    v_part regclass;
    v_used boolean;
    v_s jsonb;
    v_stmt jsonb;
    v_unplanned jsonb := '[]';
    v_default_path text;
    r record;
BEGIN
    SELECT stats_reset INTO v_stats_reset FROM pg_catalog.pg_stat_database WHERE datname = current_database();

    -- 1. The workload: indexes the costliest statements would use.
    BEGIN
        v_pgss := @extschema@.pgss_relation();
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        v_pgss := NULL;
    END;
    -- the search_path of a role the catalog says nothing of: the
    -- configuration file's (readable by superusers only), or the default
    BEGIN
        v_default_path := (SELECT setting FROM pg_catalog.pg_file_settings
                            WHERE name = 'search_path' AND applied ORDER BY seqno DESC LIMIT 1);
    EXCEPTION WHEN insufficient_privilege THEN
        v_default_path := NULL;
    END;
    v_default_path := coalesce(v_default_path, (SELECT boot_val FROM pg_catalog.pg_settings WHERE name = 'search_path'));
    IF v_pgss IS NOT NULL THEN
        FOR q IN EXECUTE format($q$
            SELECT p.queryid, p.query, p.userid, sum(p.calls) AS calls, sum(p.total_exec_time) AS total_ms
              FROM %s p
             WHERE p.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
               AND p.query ~* '^\s*(select|update|delete|with)\s'
               AND p.query !~* '(pg_catalog|pg_stat|information_schema|leadgen\.perf_|EXPLAIN|hypopg)'
               AND @extschema@.statement_is_query(p.query) IS NOT FALSE
             GROUP BY 1, 2, 3 ORDER BY 5 DESC, 1, 3 LIMIT $1$q$, v_pgss) USING statements
        LOOP
            BEGIN
                v_plan := @extschema@.explain_plan_as(q.query, q.userid,
                                                      coalesce(@extschema@.role_search_path(q.userid), v_default_path));
            EXCEPTION WHEN OTHERS THEN
                -- temporary tables of another session, a dropped role...
                v_unplanned := v_unplanned || jsonb_build_object(
                    'queryid', q.queryid, 'query', left(@extschema@.statement_shown(q.query), 300),
                    'role', (SELECT rolname FROM pg_catalog.pg_roles WHERE oid = q.userid),
                    'sqlstate', SQLSTATE, 'error', SQLERRM);
                CONTINUE;
            END;
            FOR v_node, v_processes IN
                SELECT n.node, n.processes FROM @extschema@.plan_nodes(v_plan) n WHERE n.node ? 'Relation Name'
            LOOP
                v_rel := to_regclass(format('%I.%I', v_node->>'Schema', v_node->>'Relation Name'));
                CONTINUE WHEN v_rel IS NULL;
                -- the table the statement names: a partition's partitioned table
                v_root := coalesce(pg_catalog.pg_partition_root(v_rel), v_rel);
                CONTINUE WHEN @extschema@.table_rows(v_root) < min_rows;
                v_cols := NULL;
                IF v_node->>'Node Type' = 'Seq Scan' AND v_node ? 'Filter' THEN
                    -- without HypoPG to ask, a scan that keeps much of its table is no case
                    CONTINUE WHEN v_hypopg IS NULL
                        AND (v_node->>'Plan Rows')::float8 * v_processes > 0.1 * @extschema@.table_rows(v_rel);
                    v_cols := @extschema@.plan_columns(v_rel, v_node->>'Filter');
                ELSIF v_node->>'Node Type' IN ('Index Scan', 'Index Only Scan', 'Bitmap Heap Scan') AND v_node ? 'Filter' THEN
                    v_cols := @extschema@.plan_columns(v_rel, coalesce(v_node->>'Index Cond', v_node->>'Recheck Cond', '') || ' AND ' || (v_node->>'Filter'));
                END IF;
                CONTINUE WHEN v_cols IS NULL OR cardinality(v_cols) = 0 OR @extschema@.has_index_on(v_root, v_cols);
                v_key := v_root::text || '(' || array_to_string(v_cols, ',') || ')';
                -- each statement that would use the index, once, the costliest first
                v_s := jsonb_build_object(
                        'queryid', q.queryid, 'query', left(@extschema@.statement_shown(q.query), 300),
                        'role', (SELECT rolname FROM pg_catalog.pg_roles WHERE oid = q.userid), 'userid', q.userid,
                        'calls', q.calls, 'total_ms', round(q.total_ms::numeric, 3), 'node', v_node->>'Node Type',
                        'filter', v_node->>'Filter', 'cost_before', (v_plan->0->'Plan'->>'Total Cost')::numeric,
                        'text', q.query)
                    || CASE WHEN v_root <> v_rel THEN jsonb_build_object('partition', v_rel::text) ELSE '{}' END
                    || CASE WHEN v_plan->0 ? 'Substituted Parameters' THEN jsonb_build_object(
                           'constants_substituted', v_plan->0->'Substituted Parameters',
                           'planned_text', left(v_plan->0->>'Planned Text', 300)) ELSE '{}' END;
                IF NOT v_cand ? v_key THEN
                    v_cand := v_cand || jsonb_build_object(v_key, jsonb_build_object(
                        'table', v_root::text, 'columns', to_jsonb(v_cols), 'statements', jsonb_build_array(v_s)));
                ELSIF NOT v_cand->v_key->'statements' @> jsonb_build_array(jsonb_build_object('queryid', q.queryid, 'userid', q.userid)) THEN
                    v_cand := jsonb_set(v_cand, ARRAY[v_key, 'statements'], (v_cand->v_key->'statements') || v_s);
                END IF;
            END LOOP;
        END LOOP;
    END IF;

    -- 2. Foreign keys without an index on their referencing columns: one
    -- more reason for a workload candidate on the same columns, or a
    -- candidate of their own.
    FOR r IN
        SELECT con.conrelid::regclass AS tbl, con.conname, @extschema@.constraint_columns(con.oid) AS cols
          FROM pg_catalog.pg_constraint con
          JOIN pg_catalog.pg_class cl ON cl.oid = con.conrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
         WHERE con.contype = 'f' AND con.conparentid = 0 AND NOT cl.relispartition
           AND n.nspname NOT IN ('pg_catalog', 'information_schema', '@extschema@')
           AND cl.oid NOT IN (SELECT x FROM @extschema@.archived_tables() x)
         ORDER BY 1, 2
    LOOP
        -- covered: an index leads with the key's columns (any order), or a
        -- unique index on some of them finds the row alone
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                               WHERE i.indrelid = r.tbl AND @extschema@.index_serves_key(i.indexrelid::regclass, r.cols));
        v_key := r.tbl::text || '(' || array_to_string(r.cols, ',') || ')';
        IF v_cand ? v_key THEN
            v_cand := jsonb_set(v_cand, ARRAY[v_key, 'foreign_key'], to_jsonb(r.conname::text));
        ELSE
            v_cand := v_cand || jsonb_build_object(v_key, jsonb_build_object(
                'table', r.tbl::text, 'columns', to_jsonb(r.cols), 'foreign_key', r.conname::text));
        END IF;
    END LOOP;

    FOR v_key, v_c IN SELECT key, value FROM jsonb_each(v_cand) ORDER BY key LOOP
        action := 'create';
        table_name := v_c->>'table';
        index_name := NULL;
        v_root := table_name::regclass;
        v_collist := (SELECT string_agg(quote_ident(c), ', ') FROM jsonb_array_elements_text(v_c->'columns') c);
        -- the statement the evidence shows: the costliest, or the first
        -- one HypoPG finds the index serves
        v_s := v_c->'statements'->0;
        cost_before := (v_s->>'cost_before')::numeric;
        cost_after := NULL;
        evidence := v_c - 'statements';
        IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = v_root) = 'p' THEN
            statement := format('CREATE INDEX ON %s (%s)', table_name, v_collist);
            evidence := evidence || jsonb_build_object('online_build', to_jsonb(@extschema@.index_online_build(
                v_root, ARRAY(SELECT jsonb_array_elements_text(v_c->'columns')))));
        ELSE
            statement := format('CREATE INDEX CONCURRENTLY ON %s (%s)', table_name, v_collist);
        END IF;
        IF v_s IS NULL THEN
            NULL;               -- no statement to verify the index with
        ELSIF v_hypopg IS NOT NULL THEN
            v_used := NULL;
            BEGIN
                -- on every partition of a partitioned table: the planner
                -- uses the indexes of the partitions it scans
                v_hypo := '{}';
                FOR v_part IN SELECT t.relid FROM pg_catalog.pg_partition_tree(v_root) t WHERE t.isleaf
                              UNION ALL SELECT v_root WHERE pg_catalog.pg_partition_root(v_root) IS NULL LOOP
                    EXECUTE format('SELECT indexname FROM %I.hypopg_create_index($1)', v_hypopg)
                       INTO v_key USING format('CREATE INDEX ON %s (%s)', v_part, v_collist);
                    v_hypo := v_hypo || v_key;
                END LOOP;
                v_used := false;
                FOR v_stmt IN SELECT value FROM jsonb_array_elements(v_c->'statements') LIMIT 5 LOOP
                    v_after := @extschema@.explain_plan_as(v_stmt->>'text', (v_stmt->>'userid')::oid,
                                                           coalesce(@extschema@.role_search_path((v_stmt->>'userid')::oid), v_default_path));
                    IF EXISTS (SELECT 1 FROM @extschema@.plan_nodes(v_after) n WHERE n.node->>'Index Name' = ANY (v_hypo))
                       AND (v_after->0->'Plan'->>'Total Cost')::numeric <= 0.9 * (v_stmt->>'cost_before')::numeric THEN
                        v_used := true;
                        v_s := v_stmt;
                        cost_before := (v_s->>'cost_before')::numeric;
                        cost_after := (v_after->0->'Plan'->>'Total Cost')::numeric;
                        EXIT;
                    END IF;
                    cost_after := coalesce(cost_after, (v_after->0->'Plan'->>'Total Cost')::numeric);
                END LOOP;
                EXECUTE format('SELECT %I.hypopg_reset()', v_hypopg);
                evidence := evidence || jsonb_build_object('hypopg', 'verified', 'uses_index', v_used);
            EXCEPTION WHEN query_canceled THEN
                -- a cancel or a statement_timeout (not among OTHERS): the
                -- hypothetical indexes, which no rollback undoes, go first;
                -- left, the session's later plans used them
                EXECUTE format('SELECT %I.hypopg_reset()', v_hypopg);
                RAISE;
            WHEN OTHERS THEN
                EXECUTE format('SELECT %I.hypopg_reset()', v_hypopg);
                evidence := evidence || jsonb_build_object('hypopg', 'could not verify: ' || SQLERRM);
            END;
            -- an index the planner would use for none of the statements, or
            -- that saves less than a tenth of their cost, is no proposal
            -- (but for a foreign key's)
            CONTINUE WHEN NOT v_used AND NOT v_c ? 'foreign_key';
        ELSE
            evidence := evidence || jsonb_build_object('hypopg', 'not installed: CREATE EXTENSION hypopg verifies each index with a hypothetical one');
        END IF;
        IF v_s IS NOT NULL THEN
            evidence := evidence || (v_s - 'cost_before' - 'userid' - 'text')
                        || jsonb_build_object('statements', jsonb_array_length(v_c->'statements'));
        END IF;
        reason := concat_ws('; ',
            CASE WHEN v_s IS NOT NULL THEN format('the workload filters %s on %s with a %s', table_name,
                         (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(v_c->'columns') c),
                         lower(v_s->>'node') || coalesce(' of its partition ' || (v_s->>'partition'), '')) END,
            CASE WHEN v_c ? 'foreign_key' THEN format('foreign key %s has no index: deletes and updates of the referenced rows scan %s',
                                                      v_c->>'foreign_key', table_name) END,
            CASE WHEN evidence ? 'online_build' THEN format('%s is partitioned: CREATE INDEX CONCURRENTLY cannot build the index, '
                         'and CREATE INDEX blocks writes to every partition while it builds; evidence.online_build builds it '
                         'without (ON ONLY, each partition CONCURRENTLY, ATTACH)', table_name) END);
        RETURN NEXT;
    END LOOP;

    -- 3. Indexes of the lead contract that someone dropped.
    FOR r IN
        SELECT c.tbl, c.cols, c.name
          FROM (VALUES
            ('@extschema@.leads', '{status,created_at}'::text[], 'leads_status_created_at_idx'),
            ('@extschema@.leads', '{insurance_type,quality_score}', 'leads_insurance_type_quality_score_idx'),
            ('@extschema@.leads', '{zip_code,insurance_type}', 'leads_zip_code_insurance_type_idx'),
            ('@extschema@.leads', '{source,status}', 'leads_source_status_idx'),
            ('@extschema@.leads', '{broker_id,status,created_at}', 'leads_broker_id_status_created_at_idx'),
            ('@extschema@.leads', '{insurance_type,status,zip_code}', 'leads_insurance_type_status_zip_code_idx'),
            ('@extschema@.agents', '{is_active,current_lead_count}', 'agents_is_active_current_lead_count_idx'),
            ('@extschema@.agents', '{state,city,specializations}', 'agents_state_city_specializations_idx'),
            ('@extschema@.agents', '{rating,is_active}', 'agents_rating_is_active_idx'),
            ('@extschema@.lead_assignments', '{status,assigned_at}', 'lead_assignments_status_assigned_at_idx'),
            ('@extschema@.lead_assignments', '{agent_id,status}', 'lead_assignments_agent_id_status_idx'),
            ('@extschema@.lead_assignments', '{lead_id,status}', 'lead_assignments_lead_id_status_idx'),
            ('@extschema@.events', '{entity_type,entity_id,timestamp}', 'events_entity_type_entity_id_timestamp_idx'),
            ('@extschema@.events', '{type,timestamp}', 'events_type_timestamp_idx'),
            ('@extschema@.events', '{source,timestamp}', 'events_source_timestamp_idx'),
            ('@extschema@.carriers', '{is_active,partnership_status}', 'carriers_is_active_partnership_status_idx'),
            ('@extschema@.carriers', '{partnership_tier,performance_score}', 'carriers_partnership_tier_performance_score_idx')
          ) AS c(tbl, cols, name)
         WHERE NOT @extschema@.has_index_on(c.tbl::regclass, c.cols)
    LOOP
        action := 'create';
        table_name := r.tbl;
        index_name := r.name;
        statement := format('CREATE INDEX %I ON %s (%s)', r.name, r.tbl,
                            (SELECT string_agg(quote_ident(x), ', ') FROM unnest(r.cols) x));
        reason := 'a composite index the lead platform''s load tests proved necessary is missing';
        evidence := jsonb_build_object('columns', to_jsonb(r.cols));
        cost_before := NULL;
        cost_after := NULL;
        RETURN NEXT;
    END LOOP;

    -- 4. Invalid indexes (a failed CREATE INDEX CONCURRENTLY).
    FOR r IN
        SELECT i.indexrelid::regclass AS idx, i.indrelid::regclass AS tbl
          FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
         WHERE NOT i.indisvalid AND c.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'pg_toast')
    LOOP
        action := 'reindex';
        table_name := r.tbl::text;
        index_name := r.idx::text;
        statement := format('REINDEX INDEX CONCURRENTLY %s', r.idx);
        reason := 'the index is invalid: it is maintained on writes but never used to read';
        evidence := jsonb_build_object('indisvalid', false);
        cost_before := NULL;
        cost_after := NULL;
        RETURN NEXT;
    END LOOP;

    -- 5. Duplicate, prefix-redundant and unused indexes. The indexes of
    -- pg_leadgen itself serve its pipeline and API and are kept; those of
    -- partitions are judged as their partitioned table's index; archived
    -- partitions are read by nobody, by design.
    FOR r IN
        WITH idx AS (
            SELECT i.indexrelid::regclass AS idx, i.indrelid::regclass AS tbl, i.indisunique, i.indisprimary,
                   i.indisreplident, c.relkind = 'I' AS partitioned,
                   i.indkey::text AS keys, i.indclass::text AS classes, coalesce(i.indexprs::text, '') AS exprs,
                   -- per key column: operator class, collation, order (DESC, NULLS FIRST)
                   string_to_array(i.indclass::text, ' ') AS class_a, string_to_array(i.indcollation::text, ' ') AS coll_a,
                   string_to_array(i.indoption::text, ' ') AS opt_a,
                   coalesce(i.indpred::text, '') AS pred, am.amname,
                   @extschema@.index_columns(i.indexrelid::regclass) AS cols,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid
                             AND con.contype IN ('p', 'u', 'x')) AS backs_constraint,
                   -- the foreign keys no other index serves
                   (SELECT string_agg(con.conname::text, ', ' ORDER BY con.conname)
                      FROM pg_catalog.pg_constraint con
                     WHERE con.contype = 'f' AND con.conrelid = i.indrelid
                       AND @extschema@.index_serves_key(i.indexrelid::regclass, @extschema@.constraint_columns(con.oid))
                       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index j
                                        WHERE j.indrelid = i.indrelid AND j.indexrelid <> i.indexrelid AND j.indisvalid
                                          AND @extschema@.index_serves_key(j.indexrelid::regclass, @extschema@.constraint_columns(con.oid)))
                   ) AS serves_fk,
                   coalesce((SELECT sum(s.idx_scan) FROM pg_catalog.pg_stat_all_indexes s
                              WHERE s.indexrelid = i.indexrelid
                                 OR s.indexrelid IN (SELECT t.relid FROM pg_catalog.pg_partition_tree(i.indexrelid) t)), 0) AS scans,
                   coalesce((SELECT sum(pg_catalog.pg_relation_size(t.relid)) FROM pg_catalog.pg_partition_tree(i.indexrelid) t),
                            pg_catalog.pg_relation_size(i.indexrelid)) AS bytes
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
              JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
              JOIN pg_catalog.pg_am am ON am.oid = c.relam
             WHERE NOT c.relispartition AND NOT t.relispartition AND i.indisvalid
               AND t.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'pg_toast', 'information_schema', '@extschema@')
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indrelid AND d.deptype = 'e')
               AND t.oid NOT IN (SELECT x FROM @extschema@.archived_tables() x)
        )
        SELECT a.*, b.idx AS other, b.backs_constraint AS other_backs,
               CASE WHEN b.idx IS NOT NULL AND a.keys = b.keys THEN 'duplicate'
                    WHEN b.idx IS NOT NULL THEN 'prefix'
                    WHEN a.scans = 0 THEN 'unused' END AS kind
          FROM idx a
          LEFT JOIN LATERAL (
              SELECT b.* FROM idx b
               WHERE b.tbl = a.tbl AND b.idx <> a.idx AND b.amname = a.amname AND a.amname = 'btree'
                 AND b.exprs = '' AND a.exprs = '' AND b.pred = a.pred
                 AND ((a.keys = b.keys AND a.class_a = b.class_a AND a.coll_a = b.coll_a AND a.opt_a = b.opt_a
                       AND (b.backs_constraint OR b.indisunique OR (NOT a.backs_constraint AND NOT a.indisunique AND b.idx::oid < a.idx::oid)))
                      OR (cardinality(a.cols) < cardinality(b.cols) AND b.cols[1:cardinality(a.cols)] = a.cols
                          AND b.class_a[1:cardinality(a.class_a)] = a.class_a AND b.coll_a[1:cardinality(a.coll_a)] = a.coll_a
                          AND b.opt_a[1:cardinality(a.opt_a)] = a.opt_a))
                 -- the other stays: scanned, or kept for a constraint or a
                 -- foreign key (two unscanned twins are both unused, and
                 -- an index was once dropped for a twin dropped as unused)
                 AND (b.scans > 0 OR b.backs_constraint OR b.indisunique OR b.indisprimary OR b.serves_fk IS NOT NULL)
               ORDER BY b.backs_constraint DESC, b.idx::oid LIMIT 1) b ON true
         ORDER BY a.tbl::text, a.idx::text
    LOOP
        CONTINUE WHEN r.kind IS NULL;
        table_name := r.tbl::text;
        index_name := r.idx::text;
        cost_before := NULL;
        cost_after := NULL;
        IF r.backs_constraint OR r.indisunique OR r.indisprimary OR r.indisreplident THEN
            CONTINUE WHEN r.kind = 'unused';
            action := 'keep';
            statement := NULL;
            reason := format('%s, but it enforces a primary key, unique or exclusion constraint%s',
                             CASE r.kind WHEN 'duplicate' THEN 'duplicates ' || r.other::text ELSE 'is a prefix of ' || r.other::text END,
                             CASE WHEN r.indisreplident THEN ', or is the replica identity' ELSE '' END);
            evidence := jsonb_build_object('kind', r.kind, 'other', r.other::text, 'backs_constraint', true);
        ELSIF r.kind = 'unused' AND r.serves_fk IS NOT NULL THEN
            action := 'keep';
            statement := NULL;
            reason := format('no scan since the statistics were reset, but it is the only index that serves foreign key %s: '
                             'deletes and updates of the referenced rows would scan %s', r.serves_fk, r.tbl);
            evidence := jsonb_build_object('kind', r.kind, 'scans', r.scans, 'columns', to_jsonb(r.cols), 'foreign_key', r.serves_fk);
        ELSE
            action := 'drop';
            statement := format(CASE WHEN r.partitioned THEN 'DROP INDEX %s' ELSE 'DROP INDEX CONCURRENTLY %s' END, r.idx);
            reason := CASE r.kind
                WHEN 'duplicate' THEN format('same columns as %s', r.other)
                WHEN 'prefix' THEN format('its columns are a prefix of %s, which serves the same lookups', r.other)
                ELSE format('no scan since the statistics were reset (%s)', coalesce(v_stats_reset::text, 'never reset: since the cluster was created')) END
                || CASE WHEN r.partitioned THEN format('; the index of partitioned table %s and of each of its partitions '
                                                      '(DROP INDEX CONCURRENTLY cannot drop it: DROP INDEX locks the table a moment)', r.tbl)
                        ELSE '' END;
            evidence := jsonb_build_object('kind', r.kind, 'scans', r.scans, 'size_bytes', r.bytes,
                                           'columns', to_jsonb(r.cols), 'other', r.other::text,
                                           'stats_reset', v_stats_reset);
        END IF;
        RETURN NEXT;
    END LOOP;

    -- 6. The statements of the workload that could not be planned.
    FOR v_c IN SELECT value FROM jsonb_array_elements(v_unplanned) LOOP
        action := 'unplanned';
        statement := NULL;
        table_name := NULL;
        index_name := NULL;
        reason := format('the statement could not be planned as role %s: %s',
                         coalesce(v_c->>'role', '(dropped)'), v_c->>'error');
        evidence := v_c;
        cost_before := NULL;
        cost_after := NULL;
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.perf_indexing_strategy(integer, bigint) IS
    'Index recommendations (create, drop, keep, reindex; unplanned statements) with statements, reasons and evidence; verified with HypoPG when installed';
-- readers plan with them (perf_analyze_query); granted in a fresh
-- install's order: the reader, then leadgen_admin (91_api_roles.sql)
REVOKE EXECUTE ON FUNCTION @extschema@.has_index_on(regclass, text[]), @extschema@.index_columns(regclass)
    FROM leadgen_admin;
GRANT EXECUTE ON FUNCTION @extschema@.plan_nodes(jsonb), @extschema@.table_rows(regclass),
                          @extschema@.has_index_on(regclass, text[]), @extschema@.index_columns(regclass)
    TO leadgen_reader;

-- ---- Issue #15: archive results ----
-- The rows of whole partitions count as rows qualifying and archived, as a
-- dry run counts them; moved, they are appended to the target table named
-- (pg_partman detaches the partitions in place, the detached tables are
-- dropped), not left as tables of their own in the target's schema; copy
-- goes in batches; a schema that exists is not created again (its NOTICE
-- reached the caller).
CREATE OR REPLACE FUNCTION @extschema@.archive_run(policy text, dry_run boolean)
RETURNS TABLE (policy_name text, table_name text, strategy text, cutoff timestamptz, partitions_archived integer,
               rows_qualifying bigint, rows_archived bigint, batches integer, verified boolean, was_dry_run boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p @extschema@.archive_policies;
    v_rel regclass;
    v_where text;
    v_pred text;
    v_role regrole;
    v_row jsonb;
    v_partman name := @extschema@.partman_schema();
    v_parted boolean;
    v_target_rel text;
    v_target_schema name;
    v_parts jsonb;
    v_part text;
    v_cols text;
    v_target_cols text;
    v_n bigint;
    v_d bigint;
    v_i bigint;
    v_run bigint;
BEGIN
    IF $2 IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be null'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true to count what would go, false to archive it.';
    END IF;
    IF policy IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.archive_policies a WHERE a.name = policy) THEN
        RAISE EXCEPTION 'archive policy "%" does not exist', policy
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name FROM leadgen.archive_policies lists them.';
    END IF;
    FOR p IN SELECT * FROM @extschema@.archive_policies a
              WHERE (policy IS NULL AND a.enabled) OR a.name = policy ORDER BY a.name LOOP
        v_pred := @extschema@.archive_policy_verify(p);
        v_rel := p.table_name::regclass;
        v_role := quote_ident(p.owner)::regrole;
        policy_name := p.name;
        table_name := v_rel::text;
        strategy := p.strategy;
        cutoff := now() - p.older_than;
        partitions_archived := 0;
        rows_qualifying := 0;
        rows_archived := 0;
        batches := 0;
        verified := true;
        was_dry_run := $2;
        v_where := concat_ws(' AND ',
                             CASE WHEN p.age_column IS NOT NULL THEN format('%I < %L::timestamptz', p.age_column, cutoff) END,
                             v_pred);
        v_target_rel := @extschema@.archive_target(p);
        v_target_schema := CASE WHEN v_target_rel IS NOT NULL THEN split_part(p.target, '.', 1) END;
        -- rows are written by column name: a target whose columns are in
        -- another order gets each value in its own column (v_target_cols:
        -- the same names, of the target's row t, for copy's comparison)
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
               string_agg('t.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
          INTO v_cols, v_target_cols
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = v_rel AND a.attnum > 0 AND NOT a.attisdropped;
        INSERT INTO @extschema@.archive_runs (policy, dry_run) VALUES (p.name, $2) RETURNING id INTO v_run;

        -- Whole partitions, through pg_partman's retention: those whose
        -- range ends before the cutoff (its rule); the rows of those it will
        -- drop are counted first.
        v_parted := v_partman IS NOT NULL AND p.predicate IS NULL AND p.strategy IN ('move', 'delete') AND EXISTS (
            SELECT 1 FROM @extschema@.partitioned_tables t WHERE t.parent_table = v_rel::text AND t.control = p.age_column);
        v_parts := '{}';
        IF v_parted THEN
            FOR v_part IN SELECT x.partition::text FROM @extschema@.partitions(v_rel) x
                           WHERE NOT x.is_default AND x.range_to < cutoff ORDER BY x.range_from LOOP
                v_n := NULL;
                IF NOT $2 AND p.strategy = 'delete' THEN
                    EXECUTE format('SELECT count(*) FROM %s', v_part) INTO v_n;
                END IF;
                v_parts := v_parts || jsonb_build_object(v_part, v_n);
            END LOOP;
        END IF;

        -- A missing target is made when something goes to it (the schema
        -- too, without a word), and belongs to the role that writes it.
        IF NOT $2 AND v_target_rel IS NOT NULL AND to_regclass(v_target_rel) IS NULL
           AND (v_parts <> '{}' OR (@extschema@.run_as(v_role, format('SELECT EXISTS (SELECT FROM %s WHERE %s) AS found',
                                                                       v_rel, v_where))->>'found')::boolean) THEN
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = v_target_schema) THEN
                EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %s', v_target_schema, v_role);
            END IF;
            EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS)', v_target_rel, v_rel);
            EXECUTE format('ALTER TABLE %s OWNER TO %s', v_target_rel, v_role);
        END IF;

        IF $2 THEN
            partitions_archived := (SELECT count(*) FROM jsonb_object_keys(v_parts));
        ELSIF v_parts <> '{}' THEN
            BEGIN
                -- move: detached and kept where they are, for their rows to
                -- be appended to the target
                EXECUTE format('SELECT %I.drop_partition_time(p_parent_table := $1, p_retention := $2, p_keep_table := $3,'
                               ' p_reference_timestamp := $4)', v_partman)
                   USING v_rel::text, p.older_than, p.strategy = 'move', now();
            EXCEPTION WHEN foreign_key_violation THEN
                RAISE EXCEPTION 'archive policy "%": partitions of % are still referenced', p.name, v_rel
                    USING ERRCODE = 'foreign_key_violation', DETAIL = SQLERRM,
                          HINT = 'Archive the referencing rows first (for leads: a policy on leadgen.lead_assignments by assigned_at).';
            END;
            -- the partitions pg_partman took: no longer partitions of the table
            FOR v_part, v_n IN SELECT key, value::bigint FROM jsonb_each_text(v_parts) ORDER BY key LOOP
                CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits
                                       WHERE inhrelid = to_regclass(v_part) AND inhparent = v_rel);
                IF p.strategy = 'move' THEN
                    -- detached: nothing reaches it through the table any more
                    EXECUTE format('SELECT count(*) FROM %s', v_part) INTO v_n;
                    -- appended as the owner (the target's triggers run as
                    -- it), who may not own the detached table pg_partman
                    -- made: it may read it now
                    EXECUTE format('GRANT SELECT ON %s TO %s', v_part, v_role);
                    v_i := (@extschema@.run_as(v_role, format('WITH i AS (INSERT INTO %s (%s) SELECT %s FROM %s RETURNING 1)'
                                                              ' SELECT count(*) AS n FROM i',
                                                              v_target_rel, v_cols, v_cols, v_part))->>'n')::bigint;
                    IF v_i <> v_n THEN
                        verified := false;
                        RAISE EXCEPTION 'archive policy "%": partition % had % rows but % were appended to %',
                                        p.name, v_part, v_n, v_i, v_target_rel
                            USING ERRCODE = 'data_exception';
                    END IF;
                    EXECUTE format('DROP TABLE %s', v_part);
                END IF;
                partitions_archived := partitions_archived + 1;
                rows_qualifying := rows_qualifying + v_n;
                rows_archived := rows_archived + v_n;
                RAISE NOTICE 'archive policy "%": partition % (% rows) %', p.name, v_part, v_n,
                             CASE p.strategy WHEN 'move' THEN 'moved to ' || v_target_rel ELSE 'dropped' END;
            END LOOP;
            UPDATE @extschema@.archive_runs SET partitions = partitions_archived, rows_done = rows_archived WHERE id = v_run;
        END IF;

        -- The rows left, in batches.
        v_n := (@extschema@.run_as(v_role, format('SELECT count(*) AS n FROM %s WHERE %s', v_rel, v_where))->>'n')::bigint;
        rows_qualifying := rows_qualifying + v_n;
        IF NOT $2 AND v_n > 0 THEN
            LOOP
                -- The batch's rows are taken once (a materialized CTE), then
                -- deleted by (tableoid, ctid) among the rows of the predicate
                -- again (the table not aliased: a predicate may name it), so
                -- that the delete reads only the partitions the predicate
                -- leaves (a month of a year of events: 87 ms a
                -- batch of 10,000 instead of 225). As "IN (subquery)", a plan
                -- made on statistics that call the table tiny may also run
                -- the LIMIT subquery again for every row (the workers' claim
                -- did).
                IF p.strategy = 'move' THEN
                    v_row := @extschema@.run_as(v_role, format(
                                   'WITH b AS MATERIALIZED ('
                                   '  SELECT tableoid AS _batch_rel, ctid AS _batch_row FROM %1$s WHERE %2$s'
                                   '   LIMIT %3$s FOR UPDATE SKIP LOCKED),'
                                   ' d AS (DELETE FROM %1$s USING b WHERE (%2$s)'
                                   '        AND tableoid = b._batch_rel AND ctid = b._batch_row RETURNING %1$s.*),'
                                   ' i AS (INSERT INTO %4$s (%5$s) SELECT %5$s FROM d RETURNING 1)'
                                   ' SELECT (SELECT count(*) FROM d) AS deleted, (SELECT count(*) FROM i) AS inserted',
                                   v_rel, v_where, p.batch_size, v_target_rel, v_cols));
                ELSIF p.strategy = 'delete' THEN
                    v_row := @extschema@.run_as(v_role, format(
                                   'WITH b AS MATERIALIZED ('
                                   '  SELECT tableoid AS _batch_rel, ctid AS _batch_row FROM %1$s WHERE %2$s'
                                   '   LIMIT %3$s FOR UPDATE SKIP LOCKED),'
                                   ' d AS (DELETE FROM %1$s USING b WHERE (%2$s)'
                                   '        AND tableoid = b._batch_rel AND ctid = b._batch_row RETURNING 1)'
                                   ' SELECT count(*) AS deleted, count(*) AS inserted FROM d', v_rel, v_where, p.batch_size));
                ELSE
                    -- copy: up to batch_size rows not yet in the target (the
                    -- same row: the target's columns of the table's, by
                    -- name, as a row of the table, compared as text, so
                    -- that json, xml or point columns, which have no
                    -- equality, compare too), the candidates taken whole
                    -- first (a materialized CTE, planned for all its rows:
                    -- a hash anti-join, not a loop over the target per row)
                    v_row := @extschema@.run_as(v_role, format(
                                   'WITH c AS MATERIALIZED (SELECT * FROM %1$s s WHERE %2$s'
                                   '  AND NOT EXISTS (SELECT 1 FROM %3$s t WHERE ROW(%5$s)::%1$s::text = s::text)),'
                                   ' i AS (INSERT INTO %3$s (%6$s) SELECT %6$s FROM c LIMIT %4$s RETURNING 1)'
                                   ' SELECT count(*) AS deleted, count(*) AS inserted FROM i',
                                   v_rel, v_where, v_target_rel, p.batch_size, v_target_cols, v_cols));
                END IF;
                v_d := (v_row->>'deleted')::bigint;
                v_i := (v_row->>'inserted')::bigint;
                EXIT WHEN v_d = 0;
                batches := batches + 1;
                rows_archived := rows_archived + v_i;
                IF v_d <> v_i THEN
                    verified := false;
                    RAISE EXCEPTION 'archive policy "%": batch % deleted % rows but inserted %', p.name, batches, v_d, v_i
                        USING ERRCODE = 'data_exception';
                END IF;
                RAISE NOTICE 'archive policy "%": % of % rows', p.name, rows_archived, rows_qualifying;
                UPDATE @extschema@.archive_runs SET rows_done = rows_archived, batches = archive_run.batches WHERE id = v_run;
            END LOOP;
        END IF;
        UPDATE @extschema@.archive_runs
           SET partitions = partitions_archived, rows_qualifying = archive_run.rows_qualifying,
               rows_done = rows_archived, batches = archive_run.batches, finished_at = clock_timestamp()
         WHERE id = v_run;
        -- rows gone (or copied): the gateway's cached answers may hold them
        IF NOT $2 AND (rows_archived > 0 OR partitions_archived > 0) THEN
            PERFORM pg_notify('leadgen_changes', json_build_object('source', 'archive', 'policy', p.name,
                                                                   'table', v_rel::text)::text);
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- 0.2.0: a NULL name, table or list gets its own error (22004) instead of
-- a message about "<NULL>".
CREATE OR REPLACE FUNCTION @extschema@.job_row(job_name text) RETURNS @extschema@.jobs
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.jobs;
BEGIN
    IF job_name IS NULL THEN
        RAISE EXCEPTION 'the job name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'SELECT name FROM leadgen.jobs lists the jobs.';
    END IF;
    SELECT * INTO r FROM @extschema@.jobs j WHERE j.name = job_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job "%" does not exist', job_name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM leadgen.jobs lists the jobs.';
    END IF;
    RETURN r;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.api_list_spec(resource text)
RETURNS TABLE (tbl text, default_fields text[], all_fields text[], filters jsonb, sorts text[])
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF resource IS NULL THEN
        RAISE EXCEPTION 'the list name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'The lists are leads, agents and carriers.';
    END IF;
    CASE resource
    WHEN 'leads' THEN
        tbl := '@extschema@.leads';
        default_fields := ARRAY['id', 'external_id', 'broker_id', 'source', 'status', 'insurance_type',
                                'first_name', 'last_name', 'email', 'phone', 'date_of_birth', 'zip_code',
                                'city', 'state', 'quality_score', 'rejection_reasons', 'duplicate_of',
                                'created_at', 'processed_at'];
        all_fields := default_fields || ARRAY['details'];
        filters := '{"status": "t.status = $",
                     "insurance_type": "t.insurance_type = lower($::text)",
                     "state": "t.state = upper($::text)",
                     "zip_code": "t.zip_code = $",
                     "broker_id": "t.broker_id = $::bigint",
                     "scope_broker": "t.broker_id = $::bigint",
                     "source": "t.source = $",
                     "created_after": "t.created_at >= $::timestamptz",
                     "created_before": "t.created_at < $::timestamptz"}';
        sorts := ARRAY['created_at', 'quality_score', 'id'];
    WHEN 'agents' THEN
        tbl := '@extschema@.agents';
        default_fields := ARRAY['id', 'name', 'state', 'city', 'specializations', 'is_active',
                                'current_lead_count', 'max_leads', 'rating', 'created_at'];
        all_fields := default_fields || ARRAY['email'];
        filters := '{"state": "t.state = upper($::text)",
                     "city": "t.city = $",
                     "is_active": "t.is_active = $::boolean",
                     "specialization": "lower($::text) = ANY (t.specializations)"}';
        sorts := ARRAY['id', 'rating', 'current_lead_count'];
    WHEN 'carriers' THEN
        tbl := '@extschema@.carriers';
        default_fields := ARRAY['id', 'name', 'is_active', 'partnership_status', 'partnership_tier',
                                'performance_score', 'states', 'insurance_types', 'created_at'];
        all_fields := default_fields;
        filters := '{"is_active": "t.is_active = $::boolean",
                     "partnership_status": "t.partnership_status = $",
                     "partnership_tier": "t.partnership_tier = $",
                     "state": "upper($::text) = ANY (t.states)",
                     "insurance_type": "lower($::text) = ANY (t.insurance_types)"}';
        sorts := ARRAY['id', 'performance_score'];
    ELSE
        RAISE EXCEPTION 'unknown list "%"', resource
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The lists are leads, agents and carriers.';
    END CASE;
    RETURN NEXT;
END;
$$;

-- The text of a statement as the reports show it: a query (SELECT, WITH,
-- INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE), whose constants
-- pg_stat_statements has replaced by $n, whole; any other statement only
-- by its first words ("<ALTER ROLE statement>"): PostgreSQL keeps a
-- utility statement's text as written, passwords (ALTER ROLE ... PASSWORD,
-- CREATE USER MAPPING ... OPTIONS) included.
CREATE FUNCTION @extschema@.statement_is_query(query text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_leadgen_statement_is_query'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.statement_is_query(text) IS
    'Whether a statement text is a query (not a utility statement, nor SELECT INTO); NULL when it does not parse';

CREATE FUNCTION @extschema@.statement_shown(query text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN coalesce(@extschema@.statement_is_query(query),
                              b ~* '^(select|with|insert|update|delete|merge|values|table)\M' OR b ~ '^\(') THEN query
                ELSE '<' || upper(coalesce(substring(b FROM '^([A-Za-z]+(\s+[A-Za-z]+)?)'), 'unknown')) || ' statement>' END
      FROM (SELECT regexp_replace(query, '^(\s|/\*.*?\*/|--[^\n]*(\n|$))*', '') AS b) x
$$;

CREATE OR REPLACE FUNCTION @extschema@.perf_slow_queries(lim integer DEFAULT 10, min_calls bigint DEFAULT 1,
                                              order_by text DEFAULT 'total', query_filter text DEFAULT NULL,
                                              all_databases boolean DEFAULT false)
RETURNS TABLE (rank integer, queryid bigint, query text, database name, username name,
               calls bigint, total_ms numeric, mean_ms numeric, max_ms numeric, rows bigint,
               rows_per_call numeric, cache_hit_pct numeric, share_pct numeric, n_plus_one boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rel text := @extschema@.pgss_relation();
BEGIN
    IF lim IS NULL THEN
        RAISE EXCEPTION 'lim must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Pass how many statements to list, from 1 to 1000.';
    END IF;
    IF lim < 1 OR lim > 1000 THEN
        RAISE EXCEPTION 'lim must be between 1 and 1000, not %', lim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF order_by IS NULL OR order_by NOT IN ('total', 'mean', 'calls', 'io') THEN
        RAISE EXCEPTION 'order_by must be one of total, mean, calls, io, not %', coalesce(quote_literal(order_by), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH s AS (
            SELECT p.queryid, p.shown AS query, p.dbid, p.userid, sum(p.calls)::bigint AS calls,
                   sum(p.total_exec_time) AS total_ms, max(p.max_exec_time) AS max_ms, sum(p.rows)::bigint AS rows,
                   sum(p.shared_blks_hit) AS hit, sum(p.shared_blks_read) AS rd
              FROM (SELECT x.*, @extschema@.statement_shown(x.query) AS shown FROM %s x) p
             WHERE ($3 OR p.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
               AND p.calls >= $2
               AND ($4 IS NULL OR p.shown ILIKE '%%' || $4 || '%%')
             GROUP BY p.queryid, p.query, p.shown, p.dbid, p.userid
        ), t AS (
            SELECT sum(total_ms) AS all_ms,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY calls) AS median_calls FROM s
        )
        SELECT (row_number() OVER (ORDER BY CASE $5 WHEN 'total' THEN s.total_ms
                                                   WHEN 'mean' THEN s.total_ms / greatest(s.calls, 1)
                                                   WHEN 'calls' THEN s.calls::float8
                                                   ELSE s.rd::float8 END DESC, s.queryid))::integer,
               s.queryid, s.query, d.datname, r.rolname, s.calls,
               round(s.total_ms::numeric, 3), round((s.total_ms / greatest(s.calls, 1))::numeric, 3),
               round(s.max_ms::numeric, 3), s.rows,
               round(s.rows::numeric / greatest(s.calls, 1), 2),
               CASE WHEN s.hit + s.rd > 0 THEN round((100 * s.hit / (s.hit + s.rd))::numeric, 2) END,
               round((100 * s.total_ms / nullif(t.all_ms, 0))::numeric, 2),
               (s.calls >= 100 AND s.calls >= 10 * t.median_calls
                AND s.total_ms / greatest(s.calls, 1) < 1
                AND s.rows <= s.calls
                AND s.query ~* '^\s*select' AND s.query ~ '=\s*\$[0-9]+') AS n_plus_one
          FROM s CROSS JOIN t
          LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid
         ORDER BY 1
         LIMIT $1
    $q$, v_rel) USING lim, min_calls, all_databases, query_filter, order_by;
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.api_key_create(name text, tier text, broker_id bigint DEFAULT NULL) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key text := 'lg_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
BEGIN
    IF tier IS NULL THEN
        RAISE EXCEPTION 'the key''s tier must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'The tiers are partner, admin and internal.';
    END IF;
    IF tier NOT IN ('partner', 'admin', 'internal') THEN
        RAISE EXCEPTION 'invalid API key tier "%"', tier
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The tiers are partner, admin and internal.';
    END IF;
    IF api_key_create.broker_id IS NOT NULL AND tier <> 'partner' THEN
        RAISE EXCEPTION 'only a partner key can be bound to a broker'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Create the key with tier ''partner'', or without a broker.';
    END IF;
    INSERT INTO @extschema@.api_keys (name, tier, broker_id, key_hash, key_prefix)
    VALUES (api_key_create.name, api_key_create.tier, api_key_create.broker_id,
            sha256(convert_to(v_key, 'UTF8')), left(v_key, 11));
    RETURN v_key;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'an API key named "%" already exists', api_key_create.name
        USING ERRCODE = 'duplicate_object',
              HINT = 'Revoke it with leadgen.api_key_revoke() and delete it, or choose another name.';
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.api_key_revoke(name text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF api_key_revoke.name IS NULL THEN
        RAISE EXCEPTION 'the key name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'SELECT name FROM leadgen.api_keys lists the keys.';
    END IF;
    UPDATE @extschema@.api_keys k SET revoked_at = coalesce(k.revoked_at, now())
     WHERE k.name = api_key_revoke.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'API key "%" does not exist', api_key_revoke.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM leadgen.api_keys lists the keys.';
    END IF;
    PERFORM pg_notify('leadgen_changes', json_build_object('source', 'api_keys', 'op', 'revoke')::text);
    RETURN true;
END;
$$;

-- 0.2.0: the window of the analytics summary is checked (1 to 3650 days).
-- GET /api/v1/analytics/summary: leads of the last `days` days.
CREATE OR REPLACE FUNCTION @extschema@.api_analytics_summary(days integer DEFAULT 30) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF days IS NULL OR days NOT BETWEEN 1 AND 3650 THEN
        RAISE EXCEPTION 'the window is % days', coalesce(days::text, 'null')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a number of days from 1 to 3650.';
    END IF;
    RETURN (WITH l AS (
        SELECT status, insurance_type, state, created_at
          FROM @extschema@.leads
         WHERE created_at >= now() - make_interval(days => days)
    ), n AS (
        SELECT count(*) AS total,
               count(*) FILTER (WHERE status = 'assigned') AS assigned,
               count(*) FILTER (WHERE status = 'rejected') AS rejected,
               count(*) FILTER (WHERE created_at >= now() - interval '1 hour') AS last_hour,
               count(*) FILTER (WHERE created_at >= now() - interval '1 day') AS last_day
          FROM l
    )
    SELECT json_build_object(
        'window_days', days,
        'total', n.total,
        'by_status', (SELECT coalesce(json_object_agg(status, c ORDER BY status), '{}')
                        FROM (SELECT status, count(*) c FROM l GROUP BY status) x),
        'by_insurance_type', (SELECT coalesce(json_object_agg(insurance_type, c ORDER BY insurance_type), '{}')
                                FROM (SELECT insurance_type, count(*) c FROM l
                                       WHERE insurance_type IS NOT NULL GROUP BY insurance_type) x),
        'by_state', (SELECT coalesce(json_object_agg(state, c ORDER BY state), '{}')
                       FROM (SELECT state, count(*) c FROM l WHERE state IS NOT NULL GROUP BY state) x),
        'conversion_rate', CASE WHEN n.total > 0 THEN round(n.assigned::numeric / n.total, 4) ELSE 0 END,
        'rejection_rate', CASE WHEN n.total > 0 THEN round(n.rejected::numeric / n.total, 4) ELSE 0 END,
        'throughput', json_build_object('last_hour', n.last_hour, 'last_day', n.last_day,
                                        'per_minute_last_hour', round(n.last_hour / 60.0, 2)),
        'pending', (SELECT count(*) FROM @extschema@.leads_pending),
        'dead_letter', (SELECT count(*) FROM @extschema@.leads_dead_letter))::text
      FROM n);
END;
$$;

-- 0.2.0: a long query is named by its session and query_id, not its text
-- (readers and the gateway may call perf_bottlenecks()).
CREATE OR REPLACE FUNCTION @extschema@.perf_bottlenecks()
RETURNS TABLE (rank integer, component text, severity text, finding text, value numeric, threshold numeric,
               recommendation text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_max numeric := current_setting('max_connections')::numeric;
BEGIN
    RETURN QUERY
    WITH f AS (
        -- buffer cache
        SELECT 'cache'::text AS component,
               CASE WHEN hit < 95 THEN 'critical' ELSE 'warning' END AS severity,
               'buffer cache hit ratio of the database is low'::text AS finding, hit AS value, 99::numeric AS threshold,
               'Raise shared_buffers, or find the queries that read most (perf_slow_queries(order_by => ''io'')).'::text AS recommendation
          FROM (SELECT round(100.0 * blks_hit / nullif(blks_hit + blks_read, 0), 2) AS hit
                  FROM pg_catalog.pg_stat_database WHERE datname = current_database()) x
         WHERE hit < 99 AND (SELECT blks_hit + blks_read FROM pg_catalog.pg_stat_database WHERE datname = current_database()) > 10000
        UNION ALL
        -- connections
        SELECT 'connections', CASE WHEN n > 0.95 * v_max THEN 'critical' ELSE 'warning' END,
               'connections above 80% of max_connections', round(100.0 * n / v_max, 2), 80,
               'Put a connection pooler in front, or lower the pools of the applications (perf_connection_pool()).'
          FROM (SELECT count(*) AS n FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend') x
         WHERE n > 0.8 * v_max
        UNION ALL
        SELECT 'connections', CASE WHEN age > 300 THEN 'critical' ELSE 'warning' END,
               format('session %s (%s) idle in transaction', pid, coalesce(nullif(application_name, ''), usename::text)),
               round(age, 1), 60,
               'Commit or roll back; set idle_in_transaction_session_timeout.'
          FROM (SELECT pid, application_name, usename, extract(epoch FROM now() - state_change)::numeric AS age
                  FROM pg_catalog.pg_stat_activity WHERE state LIKE 'idle in transaction%') x
         WHERE age > 60
        UNION ALL
        -- long queries and transactions
        SELECT 'queries', CASE WHEN age > 300 THEN 'critical' ELSE 'warning' END,
               format('query of session %s (%s) running for %s s, query_id %s', pid,
                      coalesce(nullif(application_name, ''), usename::text), round(age), coalesce(query_id::text, 'unknown')),
               round(age, 1), 30,
               'Look at its plan (perf_analyze_query; its text is in pg_stat_activity and pg_stat_statements, for those who may read them), or cancel it (pg_cancel_backend).'
          FROM (SELECT pid, application_name, usename, query_id, extract(epoch FROM now() - query_start)::numeric AS age
                  FROM pg_catalog.pg_stat_activity
                 WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()) x
         WHERE age > 30
        UNION ALL
        SELECT 'transactions', CASE WHEN age > 3600 THEN 'critical' ELSE 'warning' END,
               format('transaction of session %s open for %s s', pid, round(age)), round(age, 1), 300,
               'Long transactions hold back vacuum and hold locks: end it, or set transaction_timeout in the application.'
          FROM (SELECT pid, extract(epoch FROM now() - xact_start)::numeric AS age
                  FROM pg_catalog.pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()
                   AND backend_type = 'client backend') x
         WHERE age > 300
        UNION ALL
        -- locks
        SELECT 'locks', CASE WHEN n > 10 THEN 'critical' ELSE 'warning' END,
               'sessions waiting on locks', n::numeric, 0,
               'Find the blockers: SELECT pid, pg_blocking_pids(pid), query FROM pg_stat_activity WHERE wait_event_type = ''Lock''.'
          FROM (SELECT count(*) AS n FROM pg_catalog.pg_stat_activity WHERE wait_event_type = 'Lock') x
         WHERE n > 0
        UNION ALL
        -- the xmin horizon
        SELECT 'vacuum', 'warning', format('replication slot %s holds the xmin horizon back', slot_name),
               age(coalesce(xmin, catalog_xmin))::numeric, 1000000,
               'Drop the slot if its consumer is gone (pg_drop_replication_slot), or let it catch up.'
          FROM pg_catalog.pg_replication_slots
         WHERE age(coalesce(xmin, catalog_xmin)) > 1000000
        UNION ALL
        SELECT 'vacuum', CASE WHEN age(backend_xmin) > 10000000 THEN 'critical' ELSE 'warning' END,
               format('session %s holds the xmin horizon back (vacuum cannot remove newer dead rows)', pid),
               age(backend_xmin)::numeric, 1000000,
               'End the long transaction or query of that session.'
          FROM pg_catalog.pg_stat_activity
         WHERE backend_xmin IS NOT NULL AND age(backend_xmin) > 1000000
        UNION ALL
        -- dead tuples and sequential scans
        SELECT 'tables', CASE WHEN dead_pct > 50 THEN 'critical' ELSE 'warning' END,
               format('%s has %s%% dead rows', relid::regclass, dead_pct), dead_pct, 20,
               format('VACUUM (ANALYZE) %s (perf_optimize_table), and check autovacuum settings for it.', relid::regclass)
          FROM (SELECT relid, round(100.0 * n_dead_tup / nullif(n_live_tup + n_dead_tup, 0), 2) AS dead_pct
                  FROM pg_catalog.pg_stat_user_tables WHERE n_live_tup + n_dead_tup > 1000) x
         WHERE dead_pct > 20
        UNION ALL
        SELECT 'tables', 'warning',
               format('%s (%s rows) is read by sequential scans (%s of %s scans)', relid::regclass, n_live_tup, seq_scan, seq_scan + coalesce(idx_scan, 0)),
               round(100.0 * seq_scan / nullif(seq_scan + coalesce(idx_scan, 0), 0), 2), 50,
               'perf_indexing_strategy() proposes the index the workload needs.'
          FROM pg_catalog.pg_stat_user_tables
         WHERE n_live_tup > 100000 AND seq_scan > 100 AND seq_scan > coalesce(idx_scan, 0)
        UNION ALL
        -- the queue
        SELECT 'queue', CASE WHEN depth > 100000 THEN 'critical' ELSE 'warning' END,
               'leads waiting in the queue', depth::numeric, 10000,
               'Add pipeline workers (leadgen.workers) or raise leadgen.batch_size; check that the queue is not paused.'
          FROM (SELECT count(*) AS depth FROM @extschema@.leads_pending WHERE next_attempt_at <= now()) x
         WHERE depth > 10000
        UNION ALL
        SELECT 'queue', CASE WHEN age > 300 THEN 'critical' ELSE 'warning' END,
               'the oldest waiting lead is old', round(age, 1), 60,
               'Check that the workers run (leadgen.preloaded(), pg_stat_activity) and the queue is not paused (queue_metrics).'
          FROM (SELECT extract(epoch FROM now() - min(enqueued_at))::numeric AS age
                  FROM @extschema@.leads_pending WHERE next_attempt_at <= now()) x
         WHERE age > 60
        UNION ALL
        SELECT 'queue', 'warning', 'the leads queue is paused', 1, 0, 'SELECT * FROM leadgen.queue_resume(''leads'');'
          FROM @extschema@.queues WHERE name = 'leads' AND paused
        UNION ALL
        -- partitions ahead
        SELECT 'partitions', 'critical', format('%s has only %s monthly partitions ahead', t.parent_table, ahead), ahead::numeric, 2,
               'SELECT * FROM leadgen.run_maintenance(); and check that the partition_maintenance job runs.'
          FROM @extschema@.partitioned_tables t
          CROSS JOIN LATERAL (SELECT count(*) AS ahead FROM @extschema@.partitions(t.parent_table::regclass) p
                               WHERE NOT p.is_default AND p.range_from > now()) x
         WHERE ahead < 2
    )
    SELECT (row_number() OVER (ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                                        f.component, f.finding))::integer,
           f.component, f.severity, f.finding, f.value, f.threshold, f.recommendation
      FROM f
     ORDER BY 1;

    -- slow statements, when pg_stat_statements is there
    BEGIN
        RETURN QUERY
        SELECT 1000 + s.rank, 'queries'::text, 'warning'::text,
               format('statement %s takes %s ms on average over %s calls', s.queryid, s.mean_ms, s.calls),
               s.mean_ms, 100::numeric,
               'perf_analyze_query() on it shows where the time goes.'::text
          FROM @extschema@.perf_slow_queries(5, 10, 'mean') s
         WHERE s.mean_ms > 100;
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        NULL;
    END;
END;
$$;

-- 0.2.0: a rate-limit bucket counts per window length (a call with another
-- window, or the sweep of a shorter one, reset it).
CREATE OR REPLACE FUNCTION @extschema@.api_rate_take(bucket text, lim integer, window_seconds integer DEFAULT 60)
RETURNS TABLE (allowed boolean, remaining integer, reset_seconds integer, retry_after integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_now    double precision := extract(epoch FROM clock_timestamp());
    v_ws     double precision;
    v_start  timestamptz;
    r        @extschema@.api_rate_limits;
    v_f      double precision;
    v_used   double precision;
    v_next   double precision;
    -- a bucket counts per window length: a call with another window (or a
    -- sweep by a shorter one) cannot reset it
    v_key    text := bucket || '/' || window_seconds;
BEGIN
    IF lim IS NULL OR lim < 1 OR window_seconds IS NULL OR window_seconds < 1 THEN
        RAISE EXCEPTION 'a rate limit needs a positive limit and window'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_ws := floor(v_now / window_seconds) * window_seconds;
    v_start := to_timestamp(v_ws);
    INSERT INTO @extschema@.api_rate_limits AS t (bucket, window_start)
    VALUES (v_key, v_start)
    ON CONFLICT ON CONSTRAINT api_rate_limits_pkey DO UPDATE
       SET prev_count = CASE WHEN t.window_start = v_start THEN t.prev_count
                             WHEN t.window_start = v_start - make_interval(secs => window_seconds) THEN t.cur_count
                             ELSE 0 END,
           cur_count = CASE WHEN t.window_start = v_start THEN t.cur_count ELSE 0 END,
           window_start = v_start
    RETURNING t.* INTO r;
    v_f := (v_now - v_ws) / window_seconds;
    v_used := r.prev_count * (1 - v_f) + r.cur_count;
    allowed := v_used + 1 <= lim;
    IF allowed THEN
        UPDATE @extschema@.api_rate_limits t SET cur_count = t.cur_count + 1 WHERE t.bucket = v_key;
        v_used := v_used + 1;
        retry_after := 0;
    ELSE
        -- When does the weighted count leave room for one more request?
        IF r.cur_count + 1 <= lim THEN
            v_next := v_ws + window_seconds * (1 - (lim - r.cur_count - 1)::double precision / greatest(r.prev_count, 1));
        ELSE
            v_next := v_ws + window_seconds * (2 - (lim - 1)::double precision / greatest(r.cur_count, 1));
        END IF;
        retry_after := greatest(1, ceil(v_next - v_now))::integer;
    END IF;
    remaining := greatest(0, floor(lim - v_used))::integer;
    reset_seconds := greatest(1, ceil(v_ws + window_seconds - v_now))::integer;
    -- Buckets idle for more than two of their windows count nothing: drop
    -- some now and then.
    IF random() < 0.001 THEN
        DELETE FROM @extschema@.api_rate_limits t
         WHERE t.window_start < clock_timestamp()
                                - make_interval(secs => 2 * coalesce(substring(t.bucket FROM '/([0-9]+)$')::double precision, 0));
    END IF;
    RETURN NEXT;
END;
$$;

-- 0.2.0: a carrier's states hold no NULL (the pipeline's coverage list
-- skips one all the same: it crashed every batch).
ALTER TABLE @extschema@.carriers ADD CONSTRAINT carriers_states_check CHECK (array_position(states, NULL) IS NULL);

-- ---- plan_columns: columns compared through a function or a cast are none ----
CREATE OR REPLACE FUNCTION @extschema@.plan_columns(rel regclass, expr text) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE f(t, n) AS (
        SELECT coalesce(expr, ''), 0
        UNION ALL
        SELECT regexp_replace(f.t, '\m[a-z_][a-z0-9_]*\([^()]*\)', '#', 'g'), f.n + 1
          FROM f WHERE f.t ~ '\m[a-z_][a-z0-9_]*\(' AND f.n < 32
    ), m AS (
        SELECT g[1] AS col,
               CASE WHEN g[2] IN ('=', 'IS') THEN 0 WHEN g[2] IN ('<', '>', '<=', '>=') THEN 1 ELSE 2 END AS kind
          FROM (SELECT f.t FROM f ORDER BY f.n DESC LIMIT 1) x
         CROSS JOIN LATERAL regexp_matches(x.t,
                              '\(?"?([a-z_][a-z0-9_]*)"?\)?(?:::(?:text|character varying|character|bpchar|name))?\s+(=|<>|<=|>=|<|>|~~\*?|IS NOT|IS)', 'g') g
    ), c AS (
        SELECT m.col, min(m.kind) AS kind FROM m GROUP BY m.col
    )
    SELECT coalesce(array_agg(c.col ORDER BY c.kind,
                              (SELECT CASE WHEN s.n_distinct < 0 THEN -s.n_distinct * greatest(cl.reltuples, 1) ELSE s.n_distinct END
                                 FROM pg_catalog.pg_stats s JOIN pg_catalog.pg_class cl ON cl.oid = rel
                                WHERE s.schemaname = (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = cl.relnamespace) AND s.tablename = cl.relname
                                  AND s.attname = c.col LIMIT 1) DESC NULLS LAST,
                              c.col), '{}')
      FROM c
     WHERE c.kind < 2
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = rel AND a.attname = c.col AND a.attnum > 0 AND NOT a.attisdropped)
$$;

-- ---- api_list_statement: a page sorts its own columns, not whole rows ----
CREATE OR REPLACE FUNCTION @extschema@.api_list_statement(resource text, filters text[], fields text[],
                                               sort text, with_cursor boolean)
RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s        record;
    v_desc   boolean;
    v_col    text;
    v_dir    text;
    v_cmp    text;
    v_where  text[] := '{}';
    v_cols   text[] := '{}';
    v_f      text;
    v_i      integer := 3;
    v_sort   text := coalesce(nullif(sort, ''), NULL);
BEGIN
    SELECT * INTO s FROM @extschema@.api_list_spec(resource);
    IF v_sort IS NULL THEN
        v_sort := CASE resource WHEN 'leads' THEN '-created_at' ELSE 'id' END;
    END IF;
    v_desc := left(v_sort, 1) = '-';
    v_col := ltrim(v_sort, '-+');
    IF NOT v_col = ANY (s.sorts) OR v_sort ~ '^[-+][-+]' THEN
        RAISE EXCEPTION 'cannot sort % by "%"', resource, v_sort
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Sort by one of %s, with a leading "-" for descending order.', array_to_string(s.sorts, ', '));
    END IF;
    v_dir := CASE WHEN v_desc THEN 'DESC' ELSE 'ASC' END;
    v_cmp := CASE WHEN v_desc THEN '<' ELSE '>' END;

    FOREACH v_f IN ARRAY coalesce(filters, '{}') LOOP
        v_i := v_i + 1;
        IF NOT s.filters ? v_f THEN
            RAISE EXCEPTION 'unknown filter "%" for %', v_f, resource
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('The filters of %s are %s.', resource,
                                    (SELECT string_agg(k, ', ') FROM jsonb_object_keys(s.filters - 'scope_broker') k));
        END IF;
        v_where := v_where || replace(s.filters->>v_f, '$', '$' || v_i);
    END LOOP;
    IF with_cursor THEN
        v_where := v_where || format('(t.%I, t.id) %s ((SELECT c.k FROM c)::%s, (SELECT c.id FROM c))',
                                     v_col, v_cmp,
                                     CASE v_col WHEN 'created_at' THEN 'timestamptz' WHEN 'id' THEN 'bigint' ELSE 'numeric' END);
    END IF;

    IF fields IS NULL OR cardinality(fields) = 0 THEN
        fields := s.default_fields;
    END IF;
    -- each field once, in the order first asked
    fields := ARRAY(SELECT f FROM unnest(fields) WITH ORDINALITY u(f, i) GROUP BY f ORDER BY min(i));
    FOREACH v_f IN ARRAY fields LOOP
        IF NOT v_f = ANY (s.all_fields) THEN
            RAISE EXCEPTION 'unknown field "%" for %', v_f, resource
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('The fields of %s are %s.', resource, array_to_string(s.all_fields, ', '));
        END IF;
        v_cols := v_cols || format('t.%I', v_f);
    END LOOP;

    -- The page is cut first (filters, order, offset, one row more than the
    -- limit to know whether a next page exists), then written by api_page
    -- in that order.
    RETURN format($f$%s
SELECT coalesce(@extschema@.api_page(ROW(%s), t._k, t.id, least(greatest($1::integer, 1), 500),
                                     greatest($2::bigint, 0), %L, %L::text[]),
                @extschema@.api_page_empty(least(greatest($1::integer, 1), 500), greatest($2::bigint, 0)))
  FROM (SELECT %s, t.%I AS _k
          FROM %s t
         WHERE %s
         ORDER BY t.%I %s, t.id %s
         LIMIT least(greatest($1::integer, 1), 500) + 1 OFFSET greatest($2::bigint, 0)) t$f$,
        CASE WHEN with_cursor THEN format('WITH c AS (SELECT * FROM @extschema@.api_cursor_decode(%L, $3::text))', v_sort) ELSE '' END,
        array_to_string(v_cols, ', '),
        v_sort,
        fields,
        -- the page's columns only, not the whole row: a deep offset
        -- sorted every column of the rows it skips (to disk on leads)
        (SELECT string_agg(format('t.%I', c), ', ' ORDER BY o)
           FROM (SELECT c, min(o) AS o FROM unnest(fields || ARRAY['id']) WITH ORDINALITY u(c, o) GROUP BY c) x),
        v_col,
        s.tbl,
        coalesce(nullif(array_to_string(v_where, ' AND '), ''), 'true'),
        v_col, v_dir, v_dir);
END;
$$;
