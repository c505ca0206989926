-- The performance toolkit on a workload built here: slow queries, plans and
-- their recommendations, the index advisor (a planted missing single-column
-- index and multi-column one, a duplicate, an unused index, constraint
-- indexes left alone, HypoPG verification), table, connection, size and
-- cache reports, bottlenecks, VACUUM through the workers, and refusals.
-- Volatile figures are shown as booleans or masked.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hypopg;
RESET client_min_messages;
CREATE SCHEMA perf_test;
CREATE TABLE perf_test.orders (
    id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, note text,
    created_at timestamptz NOT NULL);
INSERT INTO perf_test.orders
SELECT g, g % 5000, (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + g % 4], md5(g::text),
       '2026-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 60000) g;
CREATE TABLE perf_test.visits (
    id bigint, site_id int NOT NULL, day int NOT NULL, hits int NOT NULL,
    CONSTRAINT visits_id_key UNIQUE (id));
INSERT INTO perf_test.visits SELECT g, g % 300, g % 365, g % 17 FROM generate_series(1, 60000) g;
-- planted: a duplicate of the unique constraint's index, an exact
-- duplicate pair, a prefix-redundant index, and an index nobody uses
CREATE INDEX visits_id_dup ON perf_test.visits (id);
CREATE INDEX orders_status_a ON perf_test.orders (status);
CREATE INDEX orders_status_b ON perf_test.orders (status);
CREATE INDEX orders_status_created ON perf_test.orders (status, created_at);
CREATE INDEX orders_note_unused ON perf_test.orders (note);
-- planted: a foreign key without an index, and an invalid index (a unique
-- index built concurrently over duplicates fails and stays invalid)
CREATE TABLE perf_test.customers (id int PRIMARY KEY);
INSERT INTO perf_test.customers SELECT g FROM generate_series(0, 4999) g;
ALTER TABLE perf_test.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES perf_test.customers (id);
CREATE TABLE perf_test.payments (id int PRIMARY KEY, order_id bigint REFERENCES perf_test.orders (id));
\set VERBOSITY terse
CREATE UNIQUE INDEX CONCURRENTLY visits_site_unique ON perf_test.visits (site_id);
\set VERBOSITY default
ANALYZE perf_test.orders, perf_test.visits, perf_test.customers;

-- The workload.
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM perf_test.orders WHERE customer_id = 42;
SELECT count(*) FROM perf_test.orders WHERE customer_id = 43;
SELECT sum(hits) FROM perf_test.visits WHERE site_id = 7 AND day = 100;
SELECT sum(hits) FROM perf_test.visits WHERE site_id = 8 AND day = 101;
SELECT count(*) FROM perf_test.orders WHERE status = 'paid' AND created_at > '2026-01-20';
-- an N+1 pattern: one lookup by key per row, from the client
\o /dev/null
SELECT format('SELECT note FROM perf_test.orders WHERE id = %s', g) FROM generate_series(1, 200) g \gexec
\o
SELECT pg_stat_force_next_flush();

-- Slow queries: ranked, with N+1 flagged.
SELECT left(query, 60) AS query, calls, n_plus_one, rank BETWEEN 1 AND 20 AS ranked, total_ms >= 0 AS timed, share_pct BETWEEN 0 AND 100 AS share_ok
  FROM leadgen.perf_slow_queries(20, query_filter => 'perf_test')
 ORDER BY calls DESC, query LIMIT 4;
SELECT leadgen.perf_slow_queries(0);
SELECT leadgen.perf_slow_queries(5, order_by => 'random()');

-- Plans: a sequential scan keeping few rows of a large table.
SELECT r->>'rule' AS rule, r->>'statement' AS statement
  FROM jsonb_array_elements(leadgen.perf_analyze_query('SELECT * FROM perf_test.orders WHERE customer_id = 42')->'recommendations') r;
SELECT (p->>'analyzed')::boolean AS analyzed, (p->>'execution_ms')::numeric > 0 AS ran,
       jsonb_path_exists(p, '$.plan[0].Plan.** ? (@."Actual Rows" >= 0)') AS has_actuals,
       (SELECT array_agg(r->>'rule' ORDER BY r->>'rule') FROM jsonb_array_elements(p->'recommendations') r) AS rules
  FROM leadgen.perf_analyze_query('SELECT * FROM perf_test.visits WHERE site_id = 7 AND day = 100', true) p;
-- a 10x misestimate, and a sort spilling to disk
SELECT (SELECT array_agg(DISTINCT r->>'rule') FROM jsonb_array_elements(p->'recommendations') r) AS rules
  FROM leadgen.perf_analyze_query('SELECT * FROM perf_test.orders WHERE customer_id + 0 = 42 ORDER BY note', true) p;
SET work_mem = '64kB';
SELECT (SELECT array_agg(DISTINCT r->>'rule') FROM jsonb_array_elements(p->'recommendations') r) AS rules
  FROM leadgen.perf_analyze_query('SELECT * FROM perf_test.orders ORDER BY md5(note)', true) p;
RESET work_mem;
-- a column compared through a function or a cast to another type is no
-- case for an index on the bare column (one was proposed: useless)
SELECT r->>'statement' AS statement
  FROM jsonb_array_elements(leadgen.perf_analyze_query($q$SELECT * FROM perf_test.orders WHERE abs(customer_id) = 42$q$)->'recommendations') r
 WHERE r->>'statement' LIKE 'CREATE INDEX%';
SELECT r->>'statement' AS statement
  FROM jsonb_array_elements(leadgen.perf_analyze_query($q$SELECT * FROM perf_test.orders WHERE customer_id::numeric = 42$q$)->'recommendations') r
 WHERE r->>'statement' LIKE 'CREATE INDEX%';
-- a generic plan for a statement with parameters, as pg_stat_statements shows it
SELECT (leadgen.perf_analyze_query('SELECT * FROM perf_test.orders WHERE customer_id = $1')->'recommendations'->0->>'statement') AS statement;
-- numbers the text skips are typed text, unused (a client's prepared
-- statement may skip some); a "$7" in a string or a comment is no
-- parameter; a number past 65535 is refused by name
SELECT p->'plan'->0->'Plan'->>'Node Type' AS node, p ? 'plan' AS planned
  FROM leadgen.perf_analyze_query('SELECT * FROM perf_test.orders WHERE customer_id = $70') p;
SELECT p->'plan'->0->'Plan'->>'Node Type' AS node
  FROM leadgen.perf_analyze_query($q$SELECT * FROM perf_test.orders WHERE note = '$99999' AND customer_id = $2 /* $123456 */$q$) p;
SELECT leadgen.perf_analyze_query('SELECT * FROM perf_test.orders WHERE customer_id = $65536');

-- With analyze => true, only one read-only SELECT runs, and nothing changes.
CREATE FUNCTION perf_test.wipe() RETURNS bigint LANGUAGE sql AS $$
    WITH d AS (DELETE FROM perf_test.orders RETURNING 1) SELECT count(*) FROM d $$;
SELECT leadgen.perf_analyze_query('DELETE FROM perf_test.orders', true);
SELECT leadgen.perf_analyze_query('SELECT 1; DELETE FROM perf_test.orders', true);
SELECT leadgen.perf_analyze_query('SELECT 1; DELETE FROM perf_test.orders');
SELECT leadgen.perf_analyze_query('WITH d AS (DELETE FROM perf_test.orders RETURNING *) SELECT * FROM d', true);
SELECT leadgen.perf_analyze_query('SELECT * FROM perf_test.orders FOR UPDATE', true);
SELECT leadgen.perf_analyze_query('SELECT * INTO perf_test.copy FROM perf_test.orders', true);
SELECT leadgen.perf_analyze_query('SELECT perf_test.wipe()', true);
SELECT leadgen.perf_analyze_query('', true);
SELECT (leadgen.perf_analyze_query('DELETE FROM perf_test.orders')->>'analyzed')::boolean AS planned_only;
SELECT count(*) AS orders_still_there FROM perf_test.orders;

-- The index advisor.
SELECT action, statement, reason, cost_after < cost_before AS hypopg_cheaper, evidence->>'hypopg' AS hypopg
  FROM leadgen.perf_indexing_strategy()
 WHERE table_name LIKE 'perf_test.%' OR action NOT IN ('drop', 'unplanned')
 ORDER BY action, statement;
-- Constraint indexes are never proposed for dropping.
SELECT count(*) AS constraint_indexes_to_drop
  FROM leadgen.perf_indexing_strategy() s
  JOIN pg_constraint c ON c.conindid = s.index_name::regclass
 WHERE s.action = 'drop';
-- Without HypoPG, it says so.
DROP EXTENSION hypopg;
SELECT DISTINCT evidence->>'hypopg' AS hypopg FROM leadgen.perf_indexing_strategy() WHERE evidence ? 'hypopg';
-- A dropped contract index is noticed.
DROP INDEX leadgen.agents_rating_is_active_idx;
SELECT action, statement FROM leadgen.perf_indexing_strategy() WHERE table_name = 'leadgen.agents';
CREATE INDEX agents_rating_is_active_idx ON leadgen.agents (rating, is_active);

-- Tables: per partition for a partitioned table; bad names are refused.
SELECT s->>'table' AS tbl, s->>'kind' AS kind, (s->>'rows_live')::bigint > 0 AS rows_live,
       (s->>'total_bytes')::bigint > 0 AS sized, s ? 'hot_update_pct' AS has_hot, s ? 'bloat_bytes_estimate' AS has_bloat
  FROM leadgen.perf_table_stats('perf_test.orders') s;
SELECT s->>'kind' AS kind, jsonb_array_length(s->'partitions') >= 5 AS partitions_listed
  FROM leadgen.perf_table_stats('leadgen.leads') s;
SELECT leadgen.perf_table_stats('perf_test.nothing_here');
SELECT leadgen.perf_table_stats('orders; DROP TABLE perf_test.orders');
SELECT leadgen.perf_table_stats('perf_test.orders_note_unused');
SELECT count(*) AS orders_still_there FROM perf_test.orders;
-- A schema whose name needs quotes: a table just written has little bloat
-- (its statistics were looked up under the quoted name and never found,
-- and the estimate was 94%).
CREATE SCHEMA "Perf Data";
CREATE TABLE "Perf Data".orders AS SELECT * FROM perf_test.orders;
ANALYZE "Perf Data".orders;
SELECT (s->>'bloat_pct_estimate')::numeric < 20 AS little_bloat_estimated
  FROM leadgen.perf_table_stats('"Perf Data".orders') s;
DROP SCHEMA "Perf Data" CASCADE;

-- Connections, size, cache.
SELECT p ? 'by_state' AS by_state, p ? 'by_application' AS by_app, p ? 'by_user' AS by_user,
       (p->>'max_connections')::int > 0 AS max_known, (p->>'utilization_pct')::numeric >= 0 AS utilization,
       p ? 'oldest_transaction_age_s' AS oldest_xact, (p->>'waiting_on_locks')::int AS waiting
  FROM leadgen.perf_connection_pool() p;
SELECT s->>'database' = current_database() AS this_db, (s->>'size_bytes')::bigint > 0 AS sized,
       jsonb_array_length(s->'top_relations') AS top, s ? 'schemas' AS schemas
  FROM leadgen.perf_database_size(3) s;
SELECT c ? 'database_hit_pct' AS db, jsonb_array_length(c->'tables') > 0 AS tables, c ? 'indexes' AS indexes
  FROM leadgen.perf_cache_hit_rate() c;
SELECT relation, blocks >= 0 AS warmed FROM leadgen.perf_cache_warm() WHERE relation NOT LIKE '%\_p2%' ORDER BY relation;

-- VACUUM (ANALYZE) through the workers, polled.
SELECT (j->>'status') AS status, j->>'command' AS command FROM leadgen.perf_optimize_table('perf_test.orders') j \gset
SELECT :'status' AS status, :'command' AS command;
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '60 seconds';
    v_job bigint := (SELECT max(id) FROM leadgen.jobs WHERE name LIKE 'optimize perf_test.orders %');
BEGIN
    WHILE leadgen.perf_job_status(v_job)->>'status' NOT IN ('succeeded', 'failed') LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'VACUUM did not finish';
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END;
$$;
SELECT j->>'status' AS status, j->>'message' AS message
  FROM leadgen.perf_job_status((SELECT max(id) FROM leadgen.jobs WHERE name LIKE 'optimize perf_test.orders %')) j;
SELECT last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
  FROM pg_stat_user_tables WHERE relid = 'perf_test.orders'::regclass;
SELECT leadgen.perf_optimize_table('perf_test.orders_note_unused');
SELECT leadgen.perf_job_status(-1) IS NULL AS unknown_job;

-- Bottlenecks: planted dead rows and a paused queue.
ALTER TABLE perf_test.visits SET (autovacuum_enabled = false);
DELETE FROM perf_test.visits WHERE id % 2 = 0;
SELECT pg_stat_force_next_flush();
SELECT * FROM leadgen.queue_pause('leads') \gset
SELECT component, severity, regexp_replace(finding, '[0-9.]+%', 'N%') AS finding, threshold
  FROM leadgen.perf_bottlenecks()
 WHERE component IN ('tables', 'queue') AND finding NOT LIKE '%sequential%'
 ORDER BY rank;
SELECT * FROM leadgen.queue_resume('leads') \gset

-- Whether pg_stat_statements is loaded is asked of pg_stat_statements, so a
-- role that cannot read shared_preload_libraries gets the relation too.
CREATE ROLE perf_test_plain;
GRANT USAGE ON SCHEMA leadgen TO perf_test_plain;
GRANT EXECUTE ON FUNCTION leadgen.pgss_relation(), leadgen.extension_schema(name) TO perf_test_plain;
SET ROLE perf_test_plain;
SELECT count(*) AS settings_seen FROM pg_settings WHERE name = 'shared_preload_libraries';
SELECT leadgen.pgss_relation() ~ '\.pg_stat_statements$' AS found;
RESET ROLE;
REVOKE ALL ON FUNCTION leadgen.pgss_relation(), leadgen.extension_schema(name) FROM perf_test_plain;
REVOKE ALL ON SCHEMA leadgen FROM perf_test_plain;
DROP ROLE perf_test_plain;

-- Clean up.
DELETE FROM leadgen.jobs WHERE name LIKE 'optimize %';
SET client_min_messages = warning;
DROP SCHEMA perf_test CASCADE;
RESET client_min_messages;
