-- The performance toolkit, part 6: the database's figures for Prometheus.
-- GET /metrics of the gateway renders these rows after its own (the route
-- function api_metrics() calls perf_metrics()); the alert rules and the
-- Grafana dashboard of deploy/ read them.

-- One row per sample: the metric's name, its Prometheus type, its help
-- text, its labels (Prometheus text, without braces) and its value. The
-- queue's figures come from queue_metrics('leads'); the rest from the
-- statistics views. SECURITY DEFINER: a role that may call it sees every
-- session's transaction horizon, which pg_stat_activity hides from others.
CREATE FUNCTION @extschema@.perf_metrics()
RETURNS TABLE (metric text, kind text, help text, labels text, value double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    q record;
    v_xmin_age bigint;
BEGIN
    SELECT * INTO q FROM @extschema@.queue_metrics('leads');
    RETURN QUERY VALUES
        ('leadgen_queue_waiting', 'gauge', 'Leads waiting in the ingest queue, due now.', 'queue="leads"', q.waiting::float8),
        ('leadgen_queue_delayed', 'gauge', 'Leads in the ingest queue waiting for a retry that is not due yet.', 'queue="leads"', q.delayed::float8),
        ('leadgen_queue_active', 'gauge', 'Leads being processed by the pipeline workers now.', 'queue="leads"', q.active::float8),
        ('leadgen_queue_completed', 'gauge', 'Leads processed since the server started (restarts at zero with it).', 'queue="leads"', q.completed::float8),
        ('leadgen_queue_failed', 'gauge', 'Failed processing attempts since the server started (restarts at zero with it).', 'queue="leads"', q.failed::float8),
        ('leadgen_queue_dead', 'gauge', 'Leads in the dead-letter table.', 'queue="leads"', q.dead::float8),
        ('leadgen_queue_oldest_waiting_seconds', 'gauge', 'Age of the oldest lead waiting in the ingest queue, 0 when none waits.', 'queue="leads"',
         coalesce(extract(epoch FROM q.oldest_waiting_age), 0)::float8),
        ('leadgen_queue_paused', 'gauge', 'Whether the ingest queue is paused (1) or claimed from (0).', 'queue="leads"',
         CASE WHEN q.paused THEN 1 ELSE 0 END::float8),
        ('leadgen_queue_processing_p95_seconds', 'gauge', 'End-to-end time from submission to processed lead, 95th percentile of the last 4096 leads.', 'queue="leads"',
         coalesce(q.processing_ms_p95, 0) / 1000);

    -- connections: every client backend against max_connections
    RETURN QUERY
    SELECT 'leadgen_db_connections', 'gauge', 'Client connections to the server, in every database.', '',
           count(*)::float8
      FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend';
    RETURN QUERY
    SELECT 'leadgen_db_max_connections', 'gauge', 'The server''s max_connections less superuser_reserved_connections.', '',
           (current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int)::float8;

    -- transaction ID age: the oldest unfrozen XID of any database (wraparound at 2^31)
    RETURN QUERY
    SELECT 'leadgen_db_xid_age', 'gauge', 'Age in transactions of the oldest unfrozen transaction ID of any database (wraparound near 2.1 billion).', '',
           max(age(datfrozenxid))::float8
      FROM pg_catalog.pg_database WHERE datallowconn;

    -- the xmin horizon: how far back the oldest snapshot, open transaction,
    -- replication slot or prepared transaction holds vacuum
    SELECT max(a) INTO v_xmin_age FROM (
        SELECT greatest(age(backend_xmin), age(backend_xid)) AS a FROM pg_catalog.pg_stat_activity
         WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL
        UNION ALL
        SELECT greatest(age(xmin), age(catalog_xmin)) FROM pg_catalog.pg_replication_slots
        UNION ALL
        SELECT age(transaction) FROM pg_catalog.pg_prepared_xacts) h;
    RETURN QUERY VALUES
        ('leadgen_db_xmin_horizon_age', 'gauge', 'Age in transactions of the oldest xmin that holds vacuum back (sessions, replication slots, prepared transactions); 0 when none.', '',
         coalesce(v_xmin_age, 0)::float8);
    RETURN QUERY
    SELECT 'leadgen_db_oldest_transaction_seconds', 'gauge', 'Age of the oldest open transaction of a client backend, 0 when none.', '',
           coalesce(extract(epoch FROM max(now() - xact_start)), 0)::float8
      FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend' AND xact_start IS NOT NULL;

    -- the buffer cache of this database (the hit ratio is hit / (hit + read))
    RETURN QUERY
    SELECT 'leadgen_db_blocks_hit_total', 'counter', 'Buffer cache hits of this database since its statistics were reset.', '',
           blks_hit::float8
      FROM pg_catalog.pg_stat_database WHERE datname = current_database();
    RETURN QUERY
    SELECT 'leadgen_db_blocks_read_total', 'counter', 'Blocks this database read from outside the buffer cache since its statistics were reset.', '',
           blks_read::float8
      FROM pg_catalog.pg_stat_database WHERE datname = current_database();
    RETURN QUERY
    SELECT 'leadgen_db_size_bytes', 'gauge', 'Size of this database.', '',
           pg_catalog.pg_database_size(current_database())::float8;
END;
$$;
COMMENT ON FUNCTION @extschema@.perf_metrics() IS
    'Prometheus samples of the queue and the server: name, type, help, labels, value';
