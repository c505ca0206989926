-- Helpers of the tests that count a drain's scans (duplicates,
-- assignment), session-local in pg_temp.
SET client_min_messages = warning;
-- pg_temp.leaves(rels): the relations, or their partitions when partitioned.
CREATE FUNCTION pg_temp.leaves(rels regclass[]) RETURNS SETOF regclass
LANGUAGE sql AS $$
    SELECT coalesce(t.relid, r) FROM unnest(rels) r LEFT JOIN LATERAL pg_partition_tree(r) t ON true
     WHERE t.relid IS NULL OR t.isleaf
$$;
-- pg_temp.scans(tables, wanted): this transaction's scan counters of the
-- tables (or their partitions) and of their indexes: sequential scans,
-- scans of the indexes not in wanted (nor partitions of them), scans of
-- those in wanted and the entries read from them. Pending statistics are
-- flushed only between transactions, so differences within one are exact.
CREATE FUNCTION pg_temp.scans(tables regclass[], wanted regclass[]) RETURNS TABLE (what text, n bigint)
LANGUAGE sql AS $$
    WITH heaps AS (SELECT pg_temp.leaves(tables) AS relid),
         want AS (SELECT pg_temp.leaves(wanted) AS relid),
         idx AS (SELECT i.indexrelid AS relid, i.indexrelid IN (SELECT relid FROM want) AS wanted
                   FROM pg_index i WHERE i.indrelid IN (SELECT relid FROM heaps))
    SELECT 'sequential scans', sum(pg_stat_get_xact_numscans(relid))::bigint FROM heaps
    UNION ALL
    SELECT 'scans of other indexes', coalesce(sum(pg_stat_get_xact_numscans(relid)), 0)::bigint FROM idx WHERE NOT wanted
    UNION ALL
    SELECT 'scans of its indexes', sum(pg_stat_get_xact_numscans(relid))::bigint FROM idx WHERE wanted
    UNION ALL
    SELECT 'entries read from its indexes', sum(pg_stat_get_xact_tuples_returned(relid))::bigint FROM idx WHERE wanted
$$;
-- pg_temp.drain_scans(tables, wanted, payloads): submit the payloads, drain,
-- and tell what the drain's scans of the tables were (pg_temp.scans). Call
-- it in a transaction of its own.
CREATE FUNCTION pg_temp.drain_scans(tables regclass[], wanted regclass[], payloads jsonb[])
RETURNS TABLE (what text, n bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    CREATE TEMP TABLE scans_before ON COMMIT DROP AS SELECT * FROM pg_temp.scans(tables, wanted);
    PERFORM leadgen.lead_submit(p) FROM unnest(payloads) p;
    PERFORM leadgen.process_pending();
    RETURN QUERY
        SELECT a.what, a.n - b.n FROM pg_temp.scans(tables, wanted) a JOIN scans_before b USING (what)
         ORDER BY a.what;
    DROP TABLE scans_before;
END;
$$;
-- pg_temp.autovacuum(tables, enabled): autovacuum kept away from the tables
-- (and their partitions), or let back.
CREATE FUNCTION pg_temp.autovacuum(tables regclass[], enabled boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT pg_temp.leaves(tables) AS relid LOOP
        EXECUTE format(CASE WHEN enabled THEN 'ALTER TABLE %s RESET (autovacuum_enabled)'
                            ELSE 'ALTER TABLE %s SET (autovacuum_enabled = false)' END, r.relid::regclass);
    END LOOP;
END;
$$;
RESET client_min_messages;
