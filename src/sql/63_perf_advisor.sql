-- The performance toolkit, part 4: plans and indexes.

CREATE FUNCTION @extschema@.statement_kind(query text, read_only boolean DEFAULT false) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_leadgen_statement_kind'
    LANGUAGE C STRICT IMMUTABLE;

-- The plan of one statement as the calling role (perf.c): EXPLAIN (VERBOSE,
-- FORMAT JSON), with ANALYZE and BUFFERS when "analyze" (a single plain
-- SELECT that calls no volatile function but for the clock, random and
-- sleep). It runs in a security-restricted operation, in a read-only
-- subtransaction that is always rolled back, in search_path (NULL: the
-- current one), canceled past timeout_ms (0: no limit of its own) with
-- SQLSTATE 57014; session advisory locks it took are released. A statement
-- with $n parameters (as pg_stat_statements shows them) gets its generic
-- plan; a parameter that cannot stay one (interval $2 does not parse) is
-- replaced by a literal its position accepts, and the plan's first object
-- says so ("Substituted Parameters", "Planned Text").
CREATE FUNCTION @extschema@.explain_query(query text, "analyze" boolean DEFAULT false, timeout_ms integer DEFAULT 0,
                                          search_path text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_explain_query'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.explain_query(text, boolean, integer, text) IS
    'EXPLAIN (FORMAT JSON, VERBOSE[, ANALYZE, BUFFERS]) of one statement as the calling role, rolled back, with a timeout';

-- The plan of a statement without running it, in the caller's search_path.
CREATE FUNCTION @extschema@.explain_plan(query text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT @extschema@.explain_query($1, false, 0, pg_catalog.current_setting('search_path'))
$$;

-- The plan of a statement made as another role (the index advisor plans
-- the statements of pg_stat_statements as the roles that ran them):
-- planning may evaluate that role's functions. Only its owner may call it
-- (90_roles.sql grants it to no one, and the C code refuses others).
CREATE FUNCTION @extschema@.explain_plan_as(query text, role oid, search_path text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_explain_plan_as'
    LANGUAGE C VOLATILE;

-- The search_path a role's sessions start with in this database, as far as
-- the catalog says (its setting here, its setting anywhere, the
-- database's); NULL when none says.
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

-- Columns a plan node's filter or index condition compares, in the order
-- an index serves best: equality conditions first, then ranges; within
-- each, the most distinct column first (pg_stats). A column compared
-- through a function (lower(email) = ...) or a cast to another type than
-- text's kin ((code)::integer = ...) is none: an index on it would not
-- serve (such conditions were advice for an index on the bare column).
-- Function calls are taken out first, innermost first.
CREATE FUNCTION @extschema@.plan_columns(rel regclass, expr text) RETURNS text[]
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

-- The nodes of a plan (EXPLAIN FORMAT JSON), each once, with the share of
-- the rows of its relation a node's "Plan Rows" stands for: a parallel
-- aware node under a Gather is planned per process, so its rows are those
-- of one process of workers + the leader's part (as the planner divides
-- them); 1 elsewhere.
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

-- The rows of a table as far as the catalog and the statistics know: its
-- estimate, or the rows counted since (a table never analyzed has none);
-- for a partitioned table, the sum of its partitions'.
CREATE FUNCTION @extschema@.table_rows(tbl regclass) RETURNS double precision
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(sum(greatest(c.reltuples, coalesce(pg_stat_get_live_tuples(c.oid), 0), 0)), 0)
      FROM pg_class c
     WHERE c.oid IN (SELECT t.relid FROM pg_partition_tree(tbl) t WHERE t.isleaf)
        OR (c.oid = tbl AND c.relkind <> 'p')
$$;

-- perf_analyze_query()'s work: the plan, in search_path, and the rules.
-- Each node of the plan is judged once (plan_nodes()); rows of a parallel
-- plan are counted over all its processes: "Plan Rows" of a parallel scan
-- times its processes, "Actual Rows" and "Rows Removed by Filter" (per
-- loop) times "Actual Loops". An index is proposed on the table the query
-- names: the partitioned table of a partition scanned, once per table and
-- columns, and not when that table has it already.
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

-- The plan of a query and what to do about it. With "analyze" => true the
-- query runs (EXPLAIN ANALYZE, BUFFERS): only a single read-only SELECT is
-- accepted, it runs in a read-only subtransaction that is always rolled
-- back, canceled past timeout_ms (explain_query()). The statement is
-- planned in the caller's search_path and runs as the caller: this
-- function is SQL without SET, its references qualified, and hands the
-- search_path to plan_advice(), which pins its own.
CREATE FUNCTION @extschema@.perf_analyze_query(query text, "analyze" boolean DEFAULT false, timeout_ms integer DEFAULT 30000)
RETURNS jsonb
LANGUAGE sql AS $$
    SELECT @extschema@.plan_advice($1, $2, $3, pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION @extschema@.perf_analyze_query(text, boolean, integer) IS
    'EXPLAIN (FORMAT JSON, and ANALYZE, BUFFERS when asked) with recommendations from rules over the plan';

-- The columns of an index, by name, in order (NULL for expressions).
CREATE FUNCTION @extschema@.index_columns(idx regclass) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_catalog.pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indexrelid = idx
$$;

-- Whether a table has an index whose leading columns are cols, in order: a
-- full index, or a partial one whose predicate only says that some of
-- those columns are not null (which a lookup by them implies: the
-- pipeline's contact indexes are such).
CREATE FUNCTION @extschema@.has_index_on(tbl regclass, cols text[]) RETURNS boolean
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

-- How to build an index on a partitioned table without blocking its writes
-- (CREATE INDEX CONCURRENTLY cannot build one there): the index on the
-- partitioned tables alone (ON ONLY: invalid until each partition has its
-- own), each leaf partition's built CONCURRENTLY, each attached to its
-- parent's index; the last attach makes the whole valid.
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

-- Tables that hold archived rows: partitions of a table that pg_partman's
-- retention detached into another schema (the schema of a move policy's
-- target, as pg_leadgen did before 0.2.0, or pg_partman's own
-- retention_schema). Nobody reads them by design: their indexes are no
-- drop proposals.
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

-- Whether an index serves lookups by a key of cols (a foreign key's): it
-- leads with those columns, in any order, or is unique on some of them.
CREATE FUNCTION @extschema@.index_serves_key(idx regclass, cols text[]) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_index i
         WHERE i.indexrelid = idx AND i.indpred IS NULL
           AND ((SELECT array_agg(x ORDER BY x) FROM unnest((@extschema@.index_columns(idx))[1:cardinality(cols)]) x)
                    = (SELECT array_agg(x ORDER BY x) FROM unnest(cols) x)
                OR (i.indisunique AND @extschema@.index_columns(idx) <@ cols)))
$$;

-- The columns of a constraint, by name, in order.
CREATE FUNCTION @extschema@.constraint_columns(con oid) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_catalog.pg_constraint c
      CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
     WHERE c.oid = con
$$;

-- One list of index recommendations: action (create, drop, keep, reindex),
-- the exact statement, the reason and the evidence. Sources: the workload
-- in pg_stat_statements (generic plans of the costliest statements: a
-- sequential scan keeping few rows of a large table, an index scan with a
-- residual filter), unused indexes, duplicate and prefix-redundant indexes,
-- invalid indexes, foreign keys without an index, and the composite
-- indexes of the lead contract.
-- Each statement is planned as the role that ran it (pg_stat_statements'
-- userid), in a security-restricted operation and that role's search_path:
-- planning may evaluate functions, which must not run with this function's
-- rights. A text whose parameters cannot all stay parameters (a typed
-- literal: "interval $2") is planned with literals in their place, and the
-- evidence says which (explain_query()). The statements that could not be
-- planned are listed (action unplanned), with why.
-- An index is proposed on the table the statement names: for a partition
-- scanned, its partitioned table (nothing when that has the index; a
-- plain CREATE INDEX, since CONCURRENTLY cannot build an index on a
-- partitioned table, and the steps that build it without blocking writes
-- in evidence.online_build). With HypoPG installed, each index to create is
-- verified with hypothetical indexes (on each partition of a partitioned
-- table): the planner's cost of the statement that motivated it, before
-- and after; an index the planner would not use, or that saves less than a
-- tenth of that cost, is no proposal. Without HypoPG, a sequential scan must keep at most a tenth
-- of its table's rows (all the processes of a parallel scan).
-- Never proposed for dropping: an index behind a primary key, unique or
-- exclusion constraint, a unique index, the replica identity, the only
-- index that serves a foreign key, an index of a partition (its
-- partitioned table's index is judged) or of an archived partition.
CREATE FUNCTION @extschema@.perf_indexing_strategy(statements integer DEFAULT 50, min_rows bigint DEFAULT 10000)
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
