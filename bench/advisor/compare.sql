-- bench/advisor: the proposals of pg_leadgen's and pg_qualstats' index
-- advisors on one workload, each CREATE INDEX checked with HypoPG, counted
-- against what the workload needs (run.sh loads it; psql -v scale=N).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- What the mix needs, and the statements that show it (a value that is
-- there: the cost of a lookup that finds rows).
CREATE TEMP TABLE needed (tbl regclass, cols text[], why text);
INSERT INTO needed VALUES
    ('pgbench_accounts', '{abalance}', 'lookups by balance'),
    ('pgbench_history', '{aid}', 'an account''s history'),
    ('pgbench_history', '{mtime}', 'the last 5 minutes'),
    ('pgbench_history', '{tid,delta}', 'a teller''s large amounts');
CREATE TEMP TABLE mix (tbl regclass, q text);
INSERT INTO mix VALUES
    ('pgbench_accounts', 'SELECT aid, bid FROM pgbench_accounts WHERE abalance = 4242'),
    ('pgbench_history', 'SELECT count(*) FROM pgbench_history WHERE aid = 4242'),
    ('pgbench_history', 'SELECT count(*) FROM pgbench_history WHERE mtime > now() - interval ''5 minutes'''),
    ('pgbench_history', 'SELECT sum(delta) FROM pgbench_history WHERE tid = 42 AND delta > 4000');
-- planted
CREATE TEMP TABLE planted (idx text, kind text);
INSERT INTO planted VALUES ('public.pgbench_accounts_aid_idx', 'duplicate'), ('public.pgbench_accounts_bid_idx', 'unused');

-- The proposals. pg_leadgen: its create rows; pg_qualstats: its advisor's
-- indexes (defaults: quals filtering 1000 rows and 30% of them).
CREATE TEMP TABLE leadgen_rows AS SELECT * FROM leadgen.perf_indexing_strategy();
CREATE TEMP TABLE proposals (tool text, stmt text, tbl regclass, cols text[]);
INSERT INTO proposals
SELECT 'pg_leadgen', statement, table_name::regclass, ARRAY(SELECT jsonb_array_elements_text(evidence->'columns'))
  FROM leadgen_rows WHERE action = 'create';
INSERT INTO proposals
SELECT 'pg_qualstats', s, m[1]::regclass, string_to_array(replace(m[2], ' ', ''), ',')
  FROM json_array_elements_text(pg_qualstats_index_advisor()->'indexes') s,
       LATERAL regexp_match(s, 'ON ([^ ]+) USING \w+ \((.*)\)$') m;

-- HypoPG's check of one proposal: hypothetical indexes (on each partition
-- of a partitioned table), the cost of each statement of the mix on the
-- table (its partitioned table, for a partition) before and after.
CREATE FUNCTION pg_temp.hypo_check(p_tbl regclass, p_cols text[],
                                   OUT verified boolean, OUT cost_before numeric, OUT cost_after numeric, OUT query text)
LANGUAGE plpgsql AS $$
DECLARE
    v_root regclass := coalesce(pg_partition_root(p_tbl), p_tbl);
    v_names text[] := '{}';
    v_name text;
    v_part regclass;
    v_plan jsonb;
    v_before numeric[] := '{}';
    v_after numeric;
    m record;
    i int := 0;
BEGIN
    verified := false;
    PERFORM hypopg_reset();
    FOR m IN SELECT * FROM mix WHERE tbl = v_root ORDER BY q LOOP
        EXECUTE 'EXPLAIN (FORMAT JSON) ' || m.q INTO v_plan;
        v_before := v_before || (v_plan->0->'Plan'->>'Total Cost')::numeric;
    END LOOP;
    FOR v_part IN SELECT t.relid FROM pg_partition_tree(p_tbl) t WHERE t.isleaf
                  UNION ALL SELECT p_tbl WHERE (SELECT relkind FROM pg_class WHERE oid = p_tbl) <> 'p' LOOP
        SELECT indexname INTO v_name
          FROM hypopg_create_index(format('CREATE INDEX ON %s (%s)', v_part,
                                          (SELECT string_agg(quote_ident(c), ', ') FROM unnest(p_cols) c)));
        v_names := v_names || v_name;
    END LOOP;
    FOR m IN SELECT * FROM mix WHERE tbl = v_root ORDER BY q LOOP
        i := i + 1;
        EXECUTE 'EXPLAIN (FORMAT JSON) ' || m.q INTO v_plan;
        v_after := (v_plan->0->'Plan'->>'Total Cost')::numeric;
        -- the plan uses a hypothetical index, and costs at least 10% less;
        -- the statement it saves most of is shown
        IF EXISTS (SELECT 1 FROM unnest(v_names) n WHERE v_plan::text LIKE '%"' || n || '"%')
           AND v_after <= 0.9 * v_before[i]
           AND (NOT verified OR v_after / v_before[i] < cost_after / cost_before) THEN
            verified := true;
            cost_before := v_before[i];
            cost_after := v_after;
            query := m.q;
        ELSIF NOT verified AND cost_before IS NULL THEN
            cost_before := v_before[i];
            cost_after := v_after;
            query := m.q;
        END IF;
    END LOOP;
    PERFORM hypopg_reset();
END;
$$;

CREATE TEMP TABLE judged AS
SELECT p.tool, p.stmt, p.tbl, p.cols, h.*,
       n.tbl IS NOT NULL AS needed,
       (SELECT pn.tbl FROM needed pn
         WHERE pn.tbl = pg_partition_root(p.tbl) AND p.tbl <> pn.tbl
           AND (SELECT array_agg(x ORDER BY x) FROM unnest(pn.cols) x) = (SELECT array_agg(x ORDER BY x) FROM unnest(p.cols) x)) AS partition_of
  FROM proposals p
  CROSS JOIN LATERAL pg_temp.hypo_check(p.tbl, p.cols) h
  LEFT JOIN needed n ON n.tbl = p.tbl
       AND (SELECT array_agg(x ORDER BY x) FROM unnest(n.cols) x) = (SELECT array_agg(x ORDER BY x) FROM unnest(p.cols) x);

\pset format unaligned
\pset tuples_only on
\echo '#### Proposals to create, each checked with HypoPG'
\echo
\echo '| tool | proposal | against the mix | HypoPG: cost of the mix statement before -> after |'
\echo '|---|---|---|---|'
SELECT format('| %s | `%s` | %s | %s |', tool, stmt,
              CASE WHEN needed THEN 'needed'
                   WHEN partition_of IS NOT NULL THEN format('on one partition of %s, the table the mix queries', partition_of)
                   ELSE 'not needed' END,
              CASE WHEN verified THEN format('%s -> %s (%s%% less)', round(cost_before), round(cost_after),
                                             round(100 * (1 - cost_after / cost_before)))
                   WHEN cost_before IS NULL THEN 'no statement of the mix on that table'
                   ELSE format('%s -> %s (not used, or less than 10%% saved)', round(cost_before), round(cost_after)) END)
  FROM judged ORDER BY tool, stmt;
\echo
\echo '#### pg_leadgen: indexes to drop or keep, statements it could not plan'
\echo
\echo '| action | statement or index | kind | reason |'
\echo '|---|---|---|---|'
SELECT format('| %s | `%s` | %s | %s |', action, coalesce(statement, index_name, '-'), coalesce(evidence->>'kind', '-'),
              CASE WHEN action = 'unplanned' THEN left(evidence->>'query', 60) || ': ' || (evidence->>'error') ELSE reason END)
  FROM leadgen_rows WHERE action IN ('drop', 'keep', 'reindex', 'unplanned') ORDER BY action, coalesce(statement, index_name);
\echo
\echo '#### Per tool'
\echo
\echo '| tool | missing indexes found | missed | wrong proposals | HypoPG: cost drops | duplicates found | unused found | other drops | PK/unique/constraint drops |'
\echo '|---|---|---|---|---|---|---|---|---|'
WITH tools(tool) AS (VALUES ('pg_leadgen'), ('pg_qualstats')),
found AS (
    SELECT t.tool, n.tbl, n.cols, n.why,
           EXISTS (SELECT 1 FROM judged j WHERE j.tool = t.tool AND j.needed AND j.tbl = n.tbl
                      AND (SELECT array_agg(x ORDER BY x) FROM unnest(j.cols) x) = (SELECT array_agg(x ORDER BY x) FROM unnest(n.cols) x)) AS found,
           EXISTS (SELECT 1 FROM judged j WHERE j.tool = t.tool AND j.partition_of = n.tbl
                      AND (SELECT array_agg(x ORDER BY x) FROM unnest(j.cols) x) = (SELECT array_agg(x ORDER BY x) FROM unnest(n.cols) x)) AS on_partitions
      FROM tools t CROSS JOIN needed n
),
drops AS (
    SELECT r.index_name, r.evidence->>'kind' AS kind, p.kind AS planted,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = r.index_name::regclass
                      AND (i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid))) AS constraint_index
      FROM leadgen_rows r LEFT JOIN planted p ON p.idx = r.index_name WHERE r.action = 'drop'
)
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |', t.tool,
       format('%s of %s', (SELECT count(*) FROM found f WHERE f.tool = t.tool AND f.found), (SELECT count(*) FROM needed)),
       coalesce((SELECT string_agg(format('%s (%s)%s', f.tbl, array_to_string(f.cols, ', '),
                                          CASE WHEN f.on_partitions THEN ': proposed on its partitions instead' ELSE '' END), '; ')
                   FROM found f WHERE f.tool = t.tool AND NOT f.found), 'none'),
       (SELECT count(*) FROM judged j WHERE j.tool = t.tool AND NOT j.needed),
       format('%s of %s', (SELECT count(*) FROM judged j WHERE j.tool = t.tool AND j.verified),
                          (SELECT count(*) FROM judged j WHERE j.tool = t.tool)),
       CASE t.tool WHEN 'pg_leadgen' THEN
           format('%s of %s', (SELECT count(*) FROM drops d WHERE d.planted = 'duplicate' AND d.kind IN ('duplicate', 'prefix')),
                              (SELECT count(*) FROM planted WHERE kind = 'duplicate'))
           ELSE 'not reported' END,
       CASE t.tool WHEN 'pg_leadgen' THEN
           format('%s of %s', (SELECT count(*) FROM drops d WHERE d.planted = 'unused' AND d.kind = 'unused'),
                              (SELECT count(*) FROM planted WHERE kind = 'unused'))
           ELSE 'not reported' END,
       CASE t.tool WHEN 'pg_leadgen' THEN (SELECT count(*) FROM drops d WHERE d.planted IS NULL)::text ELSE 'not reported' END,
       CASE t.tool WHEN 'pg_leadgen' THEN (SELECT count(*) FROM drops d WHERE d.constraint_index)::text ELSE 'not reported' END)
  FROM tools t ORDER BY t.tool;
