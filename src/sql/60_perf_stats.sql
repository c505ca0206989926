-- The performance toolkit, part 1: what the statistics views say.
--
-- Catalog and statistics queries are plain SQL. Functions that read other
-- sessions' activity or statements are SECURITY DEFINER (they need the
-- installing superuser's view of pg_stat_activity and pg_stat_statements)
-- and pin their search_path; each is granted to the roles in 90_roles.sql.

-- Where pg_stat_statements lives (CASCADE puts it in the first schema of
-- search_path), and a clear error when its library is not loaded. Whether
-- it is loaded is asked of pg_stat_statements itself (its one-row info
-- view fails with 55000 when it is not): shared_preload_libraries is
-- hidden from roles without pg_read_all_settings, and naming the library
-- there is not the same as its having started.
CREATE FUNCTION @extschema@.pgss_relation() RETURNS text
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

-- The statements that cost most, from pg_stat_statements. order_by: total
-- (time), mean, calls or io (blocks read). A likely N+1 pattern is a cheap
-- single-row lookup by a parameter called at least 10 times as often as
-- the median statement (and at least 100 times).
-- The text of a statement as the reports show it: a query (SELECT, WITH,
-- INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE), whose constants
-- pg_stat_statements has replaced by $n, whole; any other statement only
-- by its first words ("<ALTER ROLE statement>"): PostgreSQL keeps a
-- utility statement's text as written, passwords (ALTER ROLE ... PASSWORD,
-- CREATE USER MAPPING ... OPTIONS, and SELECT ... INTO, a utility
-- statement too) included. Which it is, the parser says
-- (statement_is_query); a text it cannot parse (a normalized one may not:
-- "interval $2") is judged by its first word.
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

CREATE FUNCTION @extschema@.perf_slow_queries(lim integer DEFAULT 10, min_calls bigint DEFAULT 1,
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
COMMENT ON FUNCTION @extschema@.perf_slow_queries(integer, bigint, text, text, boolean) IS
    'The statements that cost most (pg_stat_statements), with cache hit ratio, share of all time and N+1 flags';

-- Connections: by state, application and user; utilization of
-- max_connections; the oldest transaction and query.
CREATE FUNCTION @extschema@.perf_connection_pool() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH a AS (
        SELECT * FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend'
    ), m AS (
        SELECT current_setting('max_connections')::int AS max_conn,
               current_setting('superuser_reserved_connections')::int AS reserved
    )
    SELECT jsonb_build_object(
        'max_connections', m.max_conn,
        'superuser_reserved_connections', m.reserved,
        'total', (SELECT count(*) FROM a),
        'utilization_pct', round(100.0 * (SELECT count(*) FROM a) / m.max_conn, 2),
        'by_state', coalesce((SELECT jsonb_object_agg(st, n) FROM (
                SELECT coalesce(state, 'unknown') AS st, count(*) AS n FROM a GROUP BY 1) x), '{}'),
        'waiting_on_locks', (SELECT count(*) FROM a WHERE wait_event_type = 'Lock'),
        'idle_in_transaction', (SELECT count(*) FROM a WHERE state LIKE 'idle in transaction%'),
        'by_application', coalesce((SELECT jsonb_agg(jsonb_build_object('application', app, 'connections', n) ORDER BY n DESC, app)
              FROM (SELECT coalesce(nullif(application_name, ''), '(none)') AS app, count(*) AS n FROM a GROUP BY 1) x), '[]'),
        'by_user', coalesce((SELECT jsonb_agg(jsonb_build_object('user', u, 'connections', n) ORDER BY n DESC, u)
              FROM (SELECT coalesce(usename::text, '(none)') AS u, count(*) AS n FROM a GROUP BY 1) x), '[]'),
        'oldest_transaction_age_s', (SELECT round(extract(epoch FROM max(now() - xact_start))::numeric, 3) FROM a),
        'oldest_query_age_s', (SELECT round(extract(epoch FROM max(now() - query_start))::numeric, 3) FROM a WHERE state = 'active'),
        'background', coalesce((SELECT jsonb_object_agg(backend_type, n) FROM (
                SELECT backend_type, count(*) AS n FROM pg_catalog.pg_stat_activity
                 WHERE backend_type <> 'client backend' GROUP BY 1) x), '{}'))
      FROM m
$$;

-- One table: rows, sizes, bloat estimate, scans, HOT updates, vacuum and
-- analyze, modifications since analyze; per partition for a partitioned
-- table (totals over the partitions). Only a table the caller may read,
-- and neither a system catalog nor another extension's (table_check()).
CREATE FUNCTION @extschema@.perf_table_stats(tbl regclass) RETURNS jsonb
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

-- The database, its schemas, its largest relations, and growth per day
-- from the capacity snapshots.
CREATE FUNCTION @extschema@.perf_database_size(top integer DEFAULT 10) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'database', current_database(),
        'size_bytes', pg_catalog.pg_database_size(current_database()),
        'size_pretty', pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(current_database())),
        'schemas', (SELECT coalesce(jsonb_agg(jsonb_build_object('schema', nspname, 'size_bytes', b,
                                                                  'size_pretty', pg_catalog.pg_size_pretty(b)) ORDER BY b DESC, nspname), '[]')
                      FROM (SELECT n.nspname, sum(pg_catalog.pg_total_relation_size(c.oid))::bigint AS b
                              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                             WHERE c.relkind IN ('r', 'm', 't') AND n.nspname NOT LIKE 'pg_toast%'
                             GROUP BY 1) x),
        'top_relations', (SELECT coalesce(jsonb_agg(jsonb_build_object('relation', rel, 'kind', kind, 'size_bytes', b,
                                                                         'size_pretty', pg_catalog.pg_size_pretty(b)) ORDER BY b DESC, rel), '[]')
                            FROM (SELECT c.oid::regclass::text AS rel,
                                         CASE c.relkind WHEN 'r' THEN 'table' WHEN 'i' THEN 'index' WHEN 'm' THEN 'materialized view' END AS kind,
                                         pg_catalog.pg_relation_size(c.oid) AS b
                                    FROM pg_catalog.pg_class c
                                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                   WHERE c.relkind IN ('r', 'i', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                                     AND n.nspname NOT LIKE 'pg_toast%'
                                   ORDER BY 3 DESC LIMIT greatest(top, 1)) x),
        'growth_bytes_per_day', @extschema@.capacity_slope('database_size') * 86400)
$$;

-- Buffer cache hit ratios: overall, per table (heap and indexes) and per
-- index, largest reads first.
CREATE FUNCTION @extschema@.perf_cache_hit_rate(top integer DEFAULT 20) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'database_hit_pct', (SELECT round(100.0 * blks_hit / nullif(blks_hit + blks_read, 0), 2)
                               FROM pg_catalog.pg_stat_database WHERE datname = current_database()),
        'tables_hit_pct', (SELECT round(100.0 * sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 2)
                             FROM pg_catalog.pg_statio_user_tables),
        'indexes_hit_pct', (SELECT round(100.0 * sum(idx_blks_hit) / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0), 2)
                              FROM pg_catalog.pg_statio_user_indexes),
        'tables', (SELECT coalesce(jsonb_agg(t ORDER BY (t->>'reads')::bigint DESC, t->>'table'), '[]') FROM (
                      SELECT jsonb_build_object('table', relid::regclass::text,
                                                'heap_hit_pct', round(100.0 * heap_blks_hit / nullif(heap_blks_hit + heap_blks_read, 0), 2),
                                                'index_hit_pct', round(100.0 * idx_blks_hit / nullif(idx_blks_hit + idx_blks_read, 0), 2),
                                                'reads', coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0)) AS t
                        FROM pg_catalog.pg_statio_user_tables
                       ORDER BY coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) DESC, relid LIMIT greatest(top, 1)) x),
        'indexes', (SELECT coalesce(jsonb_agg(i ORDER BY (i->>'reads')::bigint DESC, i->>'index'), '[]') FROM (
                      SELECT jsonb_build_object('index', indexrelid::regclass::text, 'table', relid::regclass::text,
                                                'hit_pct', round(100.0 * idx_blks_hit / nullif(idx_blks_hit + idx_blks_read, 0), 2),
                                                'reads', idx_blks_read) AS i
                        FROM pg_catalog.pg_statio_user_indexes
                       ORDER BY idx_blks_read DESC, indexrelid LIMIT greatest(top, 1)) x))
$$;

-- Load the hot relations into the buffer cache: active agents and carriers,
-- the current month's partitions of leads and events, and all their
-- indexes; the pending queue. Returns the blocks read per relation.
CREATE FUNCTION @extschema@.perf_cache_warm() RETURNS TABLE (relation text, blocks bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_prewarm name := @extschema@.extension_schema('pg_prewarm');
    r record;
BEGIN
    IF v_prewarm IS NULL THEN
        RAISE EXCEPTION 'extension "pg_prewarm" is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'CREATE EXTENSION pg_prewarm;';
    END IF;
    FOR r IN
        WITH hot AS (
            SELECT 'leadgen.agents'::regclass AS rel UNION ALL SELECT 'leadgen.carriers'::regclass
            UNION ALL SELECT 'leadgen.leads_pending'::regclass UNION ALL SELECT 'leadgen.scoring_weights'::regclass
            UNION ALL
            SELECT p.partition FROM @extschema@.partitions('leadgen.leads') p
             WHERE now() >= p.range_from AND now() < p.range_to
            UNION ALL
            SELECT p.partition FROM @extschema@.partitions('leadgen.events') p
             WHERE now() >= p.range_from AND now() < p.range_to
        )
        SELECT h.rel FROM hot h
        UNION ALL
        SELECT i.indexrelid::regclass FROM hot h JOIN pg_catalog.pg_index i ON i.indrelid = h.rel
    LOOP
        relation := r.rel::text;
        EXECUTE format('SELECT %I.pg_prewarm($1)', v_prewarm) INTO blocks USING r.rel;
        RETURN NEXT;
    END LOOP;
END;
$$;
