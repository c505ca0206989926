-- The index advisor and perf_analyze_query on an application's own tables,
-- as a DBA meets them (issue #15): tables created and queried unqualified
-- in public by the application's role, a 300,000-row table looked up by an
-- unindexed column, parallel plans, statement texts that do not parse as
-- pg_stat_statements keeps them (interval $n), and a partitioned table
-- with its indexes, an archived partition and a foreign key's index.
-- Figures that depend on the machine are shown as booleans; no row depends
-- on today's date (the data is dated in 2026, the lookups are before or
-- after all of it).
SELECT count(*) = 0 AS hypopg_new FROM pg_extension WHERE extname = 'hypopg' \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hypopg;
RESET client_min_messages;
CREATE ROLE regress_adv_app;
GRANT USAGE, CREATE ON SCHEMA public TO regress_adv_app;
GRANT leadgen_reader TO regress_adv_app;              -- perf_analyze_query

-- The application's schema, unqualified, as its role.
SET ROLE regress_adv_app;
SHOW search_path;
CREATE TABLE shop_orders (
    id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, note text,
    created_at timestamptz NOT NULL);
INSERT INTO shop_orders
SELECT g, g % 20000, (ARRAY['new', 'paid', 'shipped'])[1 + g % 3], md5(g::text),
       '2026-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 300000) g;
CREATE INDEX shop_orders_note_idx ON shop_orders (note);         -- nobody reads it
CREATE INDEX shop_orders_id_idx ON shop_orders (id);             -- the primary key's again
CREATE TABLE shop_payments (id int PRIMARY KEY, order_id bigint REFERENCES shop_orders (id));
CREATE INDEX shop_payments_order_id_idx ON shop_payments (order_id);   -- unused, but the foreign key's
CREATE TABLE shop_events (id bigint NOT NULL, kind text NOT NULL, ref text, amount int, created_at timestamptz NOT NULL)
    PARTITION BY RANGE (created_at);
CREATE TABLE shop_events_p2026_01 PARTITION OF shop_events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE shop_events_p2026_02 PARTITION OF shop_events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE shop_events_p2026_03 PARTITION OF shop_events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
CREATE TABLE shop_events_default PARTITION OF shop_events DEFAULT;
-- on the partitioned table, so on each partition: a partial index the
-- lookups by ref use, and one nobody uses
CREATE INDEX shop_events_ref_idx ON shop_events (ref, created_at) WHERE ref IS NOT NULL;
CREATE INDEX shop_events_kind_idx ON shop_events (kind);
INSERT INTO shop_events
SELECT g, 'k' || g % 50, 'r' || g, g % 10000, '2026-01-01'::timestamptz + g * interval '2 minutes'
  FROM generate_series(1, 60000) g;
ANALYZE shop_orders, shop_payments, shop_events;
-- and a table nobody analyzed yet (no statistics, reltuples -1)
CREATE TABLE shop_visits (id bigint NOT NULL, visitor_id int NOT NULL, page text) WITH (autovacuum_enabled = false);
INSERT INTO shop_visits SELECT g, g % 5000, 'p' || g % 7 FROM generate_series(1, 50000) g;
RESET ROLE;

-- A partition archived before 0.2.0 (pg_partman's retention moved it to the
-- schema of a move policy's target): its indexes are nobody's to drop.
CREATE SCHEMA adv_archive;
CREATE TABLE adv_archive.shop_events_p2025_12 (LIKE shop_events INCLUDING INDEXES);
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
VALUES ('adv-events', 'public.shop_events', 'created_at', '1 year', 'move', 'adv_archive.shop_events');

-- The workload, as the application's role, in parallel plans.
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SET ROLE regress_adv_app;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
\o /dev/null
SELECT format('SELECT count(*) FROM shop_orders WHERE customer_id = %s', g) FROM generate_series(1, 5) g \gexec
SELECT count(*) FROM shop_orders WHERE created_at > now() - interval '1 hour';
SELECT count(*) FROM shop_orders WHERE created_at < timestamptz '2025-06-01' - interval '1 day';
SELECT count(*) FROM shop_events WHERE ref = 'r42' AND kind <> 'x' AND created_at >= '2026-01-01';
SELECT format('SELECT kind FROM shop_events WHERE id = %s', g) FROM generate_series(1, 5) g \gexec
SELECT format('SELECT count(*) FROM shop_visits WHERE visitor_id = %s', g) FROM generate_series(1, 3) g \gexec
\o
RESET ROLE;
SELECT pg_stat_force_next_flush();

-- Proposals on the application's tables: the missing indexes (once each,
-- though each parallel plan scans the table in a Gather and a Parallel
-- Seq Scan; a partitioned table's, not its partition's; none where a
-- partial index serves; on a table never analyzed too), verified with
-- HypoPG, and the indexes to drop.
SELECT action, statement, cost_after < cost_before AS hypopg_cheaper, evidence->>'hypopg' AS hypopg,
       evidence->'uses_index' AS uses_index, evidence->'constants_substituted' AS substituted,
       evidence->>'kind' AS kind, evidence->>'foreign_key' AS foreign_key
  FROM leadgen.perf_indexing_strategy()
 WHERE table_name LIKE 'public.shop%' OR table_name LIKE 'adv_archive.%'
 ORDER BY action, statement, index_name;
-- Texts that do not parse as pg_stat_statements keeps them were planned
-- with constants in place of those parameters, and the evidence says so;
-- none of the application's statements is left unplanned.
SELECT evidence->>'query' AS query, evidence->>'planned_text' AS planned_text
  FROM leadgen.perf_indexing_strategy()
 WHERE table_name = 'public.shop_orders' AND evidence ? 'planned_text';
SELECT count(*) AS unplanned FROM leadgen.perf_indexing_strategy()
 WHERE action = 'unplanned' AND evidence->>'query' LIKE '%shop\_%';
-- Partitioned: the scan was of a partition, the proposal is for the table;
-- CREATE INDEX CONCURRENTLY cannot build it, evidence.online_build can.
SELECT evidence->>'partition' LIKE 'public.shop_events\_%' AS partition_scanned,
       reason LIKE '%CONCURRENTLY cannot build%' AS says_why, jsonb_array_length(evidence->'online_build') AS steps
  FROM leadgen.perf_indexing_strategy() WHERE table_name = 'public.shop_events' AND action = 'create';
SELECT jsonb_array_elements_text(evidence->'online_build') AS online_build
  FROM leadgen.perf_indexing_strategy() WHERE table_name = 'public.shop_events' AND action = 'create';
-- The online build works, and then nothing is proposed for that table.
\o /dev/null
SELECT s FROM leadgen.perf_indexing_strategy() p, jsonb_array_elements_text(p.evidence->'online_build') s
 WHERE p.table_name = 'public.shop_events' AND p.action = 'create' \gexec
\o
SELECT i.indisvalid AS valid, count(*) FILTER (WHERE t.relid <> i.indexrelid) AS partitions_attached
  FROM pg_index i, pg_partition_tree(i.indexrelid) t
 WHERE i.indexrelid = 'public.shop_events_id_idx'::regclass GROUP BY 1;
SELECT count(*) AS shop_events_proposals FROM leadgen.perf_indexing_strategy()
 WHERE table_name = 'public.shop_events' AND action = 'create';
-- No drop proposal names a partition, an archived partition, or an index
-- behind a primary key, unique or other constraint, anywhere.
SELECT count(*) AS partition_or_archived_drops
  FROM leadgen.perf_indexing_strategy() s JOIN pg_index i ON i.indexrelid = s.index_name::regclass
  JOIN pg_class t ON t.oid = i.indrelid
 WHERE s.action = 'drop' AND (t.relispartition OR t.relnamespace = 'adv_archive'::regnamespace);
SELECT count(*) AS constraint_indexes_to_drop
  FROM leadgen.perf_indexing_strategy() s JOIN pg_index i ON i.indexrelid = s.index_name::regclass
 WHERE s.action = 'drop'
   AND (i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid));

-- perf_analyze_query, unqualified, as the application's role: one
-- recommendation for a parallel scan, and with analyze the rows removed by
-- all its processes (per process, a third of the table looked kept).
SET ROLE regress_adv_app;
SELECT jsonb_path_exists(p, 'strict $.plan[*].Plan.** ? (@."Node Type" == "Gather")') AS parallel,
       jsonb_array_length(p->'recommendations') AS recommendations,
       p->'recommendations'->0->>'statement' AS statement
  FROM leadgen.perf_analyze_query('SELECT * FROM shop_orders WHERE customer_id = 42') p;
SELECT jsonb_array_length(p->'recommendations') AS recommendations,
       p->'recommendations'->0->>'statement' AS statement
  FROM leadgen.perf_analyze_query('SELECT * FROM shop_orders WHERE customer_id = 42', true) p;
-- a filter that keeps a third of the rows is no case for an index
SELECT jsonb_array_length(p->'recommendations') AS recommendations
  FROM leadgen.perf_analyze_query('SELECT * FROM shop_orders WHERE status = ''paid''', true) p;
-- a partitioned table: one recommendation, for the table
SELECT r->>'relation' AS relation, r->>'statement' AS statement
  FROM jsonb_array_elements(leadgen.perf_analyze_query('SELECT * FROM shop_events WHERE amount = 7')->'recommendations') r;
-- a text as pg_stat_statements keeps it
SELECT p->'substituted' AS substituted, p->>'planned_text' AS planned_text,
       p->'recommendations'->0->>'statement' AS statement
  FROM leadgen.perf_analyze_query('SELECT count(*) FROM shop_orders WHERE created_at > now() - interval $1') p;
RESET ROLE;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- Drops: an index is redundant only beside one that sorts and compares
-- as it does (same operator classes, collations, DESC and NULLS FIRST),
-- and only beside one that stays. The workload reads people by name and
-- by (a, b DESC); people_a_bdesc_idx was proposed as "same columns as"
-- people_a_b_idx, itself proposed as unused: both gone, no index left.
CREATE TABLE adv_people (id int PRIMARY KEY, name text, a int, b int);
INSERT INTO adv_people SELECT g, 'n' || g, g % 100, g % 37 FROM generate_series(1, 20000) g;
CREATE INDEX adv_people_name_idx ON adv_people (name);
CREATE INDEX adv_people_name_c_idx ON adv_people (name COLLATE "C");
CREATE INDEX adv_people_name_pattern_a_idx ON adv_people (name text_pattern_ops, a);
CREATE INDEX adv_people_a_b_idx ON adv_people (a, b);
CREATE INDEX adv_people_a_bdesc_idx ON adv_people (a, b DESC);
CREATE INDEX adv_people_a_idx ON adv_people (a);
ANALYZE adv_people;
SET enable_seqscan = off;
SET enable_sort = off;
SELECT count(*) FROM adv_people WHERE name = 'n5';
SELECT id FROM adv_people WHERE a = 5 ORDER BY a, b DESC LIMIT 1;
SELECT id FROM adv_people WHERE a = 6 ORDER BY a, b DESC LIMIT 1;
RESET enable_seqscan;
RESET enable_sort;
SELECT pg_stat_force_next_flush();
SELECT indexrelname, idx_scan > 0 AS scanned FROM pg_stat_user_indexes WHERE relname = 'adv_people' ORDER BY 1;
SELECT action, index_name, evidence->>'kind' AS kind, evidence->>'other' AS other FROM leadgen.perf_indexing_strategy()
 WHERE table_name = 'public.adv_people' AND action IN ('drop', 'keep') ORDER BY index_name;
DROP TABLE adv_people;

-- A statement_timeout (or a cancel) in the middle of the HypoPG check takes
-- its hypothetical indexes with it: no rollback undoes them, and left, the
-- session's later plans used indexes that do not exist. adv_nap() is folded
-- at planning and sleeps only while a hypothetical index exists.
CREATE TABLE adv_slow (a int, b text);
INSERT INTO adv_slow SELECT g, 'x' FROM generate_series(1, 20000) g;
ANALYZE adv_slow;
CREATE FUNCTION adv_nap() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM public.hypopg()) THEN
        PERFORM pg_sleep(3);
    END IF;
    RETURN 5;
END $$;
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM adv_slow WHERE a = adv_nap();
SET statement_timeout = '1s';
\set VERBOSITY terse
SELECT count(*) FROM leadgen.perf_indexing_strategy(1, 0);
\set VERBOSITY default
RESET statement_timeout;
SELECT count(*) AS hypothetical_indexes_left FROM public.hypopg();
DROP FUNCTION adv_nap();
DROP TABLE adv_slow;

-- Clean up.
DELETE FROM leadgen.archive_policies WHERE name = 'adv-events';
DELETE FROM leadgen.archive_runs WHERE policy = 'adv-events';
SET client_min_messages = warning;
DROP SCHEMA adv_archive CASCADE;
DROP TABLE shop_payments, shop_orders, shop_events, shop_visits;
RESET client_min_messages;
REVOKE ALL ON SCHEMA public FROM regress_adv_app;
DROP ROLE regress_adv_app;
\if :hypopg_new
DROP EXTENSION hypopg;
\endif
