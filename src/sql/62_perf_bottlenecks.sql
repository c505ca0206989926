-- The performance toolkit, part 3: bottleneck detection. Each finding has
-- its component, a severity, the measured value, the threshold it crossed
-- and what to do; most severe first.
CREATE FUNCTION @extschema@.perf_bottlenecks()
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
COMMENT ON FUNCTION @extschema@.perf_bottlenecks() IS
    'Ranked findings: cache, connections, long queries and transactions, locks, xmin horizon, dead rows, sequential scans, slow statements, queue, partitions';
