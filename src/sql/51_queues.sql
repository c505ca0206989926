-- Queues as BullMQ users know them. Two queues: `leads`, the ingest queue
-- (40_pipeline.sql), and `maintenance`, the runs of the scheduled jobs
-- (50_scheduler.sql). The same functions and routes work on both:
--
--   queue_pause / queue_resume   stop taking new work (what is claimed
--                                finishes) / take it again
--   queue_wait_idle              wait until what was claimed has finished
--   queue_drain                  discard what waits (the leads go to the dead
--                                letter, where queue_retry_dead brings them
--                                back; due job runs are skipped to their next
--                                time)
--   queue_metrics                waiting, delayed, active, completed, failed,
--                                dead, times, throughput
--   queue_retry_dead             retry what failed for good
--
-- For `maintenance`: waiting are the jobs due now, delayed the jobs due
-- later, active the runs starting or running, completed and failed the
-- runs of the history (leadgen.job_history_days), dead the jobs whose
-- latest run failed. While it is paused the launcher starts no run and a
-- run asked for by hand is refused.

INSERT INTO @extschema@.queues (name) VALUES ('maintenance');

-- The metrics of the maintenance queue, in queue_metrics()'s shape.
CREATE FUNCTION @extschema@.maintenance_metrics(minutes integer)
RETURNS TABLE (queue_name text, paused boolean, waiting bigint, delayed bigint, active integer,
               completed bigint, failed bigint, dead bigint, oldest_waiting_age interval,
               wait_ms_mean float8, wait_ms_p50 float8, wait_ms_p95 float8, wait_ms_p99 float8,
               processing_ms_mean float8, processing_ms_p50 float8, processing_ms_p95 float8,
               processing_ms_p99 float8, throughput_per_minute jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF minutes IS NULL OR minutes < 1 OR minutes > 60 THEN
        RAISE EXCEPTION 'minutes must be between 1 and 60'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    queue_name := 'maintenance';
    paused := (SELECT q.paused FROM @extschema@.queues q WHERE q.name = 'maintenance');
    SELECT count(*) FILTER (WHERE NOT j.paused AND j.next_run_at <= now()),
           count(*) FILTER (WHERE NOT j.paused AND j.next_run_at > now()),
           now() - min(j.next_run_at) FILTER (WHERE NOT j.paused AND j.next_run_at <= now())
      INTO waiting, delayed, oldest_waiting_age
      FROM @extschema@.jobs j;
    SELECT count(*) FILTER (WHERE r.status IN ('starting', 'running')),
           count(*) FILTER (WHERE r.status = 'succeeded'),
           count(*) FILTER (WHERE r.status = 'failed'),
           avg(extract(epoch FROM r.started_at - r.scheduled_for) * 1000),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.scheduled_for) * 1000),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.scheduled_for) * 1000),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.scheduled_for) * 1000),
           avg(extract(epoch FROM r.finished_at - r.scheduled_for) * 1000),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.scheduled_for) * 1000),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.scheduled_for) * 1000),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.scheduled_for) * 1000)
      INTO active, completed, failed, wait_ms_mean, wait_ms_p50, wait_ms_p95, wait_ms_p99,
           processing_ms_mean, processing_ms_p50, processing_ms_p95, processing_ms_p99
      FROM @extschema@.job_runs r;
    SELECT count(*) INTO dead
      FROM (SELECT DISTINCT ON (r.job_id) r.status FROM @extschema@.job_runs r
             ORDER BY r.job_id, r.id DESC) last
     WHERE last.status = 'failed';
    SELECT jsonb_agg(jsonb_build_object('minute', to_char(m AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"'),
                                        'runs', (SELECT count(*) FROM @extschema@.job_runs r
                                                  WHERE r.finished_at >= m AND r.finished_at < m + interval '1 minute'))
                     ORDER BY m)
      INTO throughput_per_minute
      FROM generate_series(date_trunc('minute', now()) - (minutes - 1) * interval '1 minute',
                           date_trunc('minute', now()), interval '1 minute') m;
    RETURN NEXT;
END;
$$;

-- Retry the jobs whose latest run failed (all, or those whose failed runs
-- are given by id): a new run of each now. Returns how many.
CREATE FUNCTION @extschema@.maintenance_retry(run_ids bigint[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_job text;
    v_n bigint := 0;
BEGIN
    FOR v_job IN
        SELECT last.job_name
          FROM (SELECT DISTINCT ON (r.job_id) r.id, r.job_name, r.status
                  FROM @extschema@.job_runs r ORDER BY r.job_id, r.id DESC) last
         WHERE last.status = 'failed' AND (run_ids IS NULL OR last.id = ANY (run_ids))
         ORDER BY last.id
    LOOP
        PERFORM @extschema@.job_start(v_job);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END;
$$;

-- Wait until what the queue has claimed has finished (after queue_pause:
-- BullMQ's pause, then close), at most timeout_ms. Returns what is still
-- in flight: leads in a batch, or job runs starting or running.
CREATE FUNCTION @extschema@.queue_wait_idle(queue text, timeout_ms integer DEFAULT 30000) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    q @extschema@.queues := @extschema@.queue_row(queue);
    v_until timestamptz := clock_timestamp() + make_interval(secs => greatest(coalesce(timeout_ms, 0), 0) / 1000.0);
    v_active integer;
BEGIN
    LOOP
        IF q.name = 'maintenance' THEN
            SELECT count(*) INTO v_active FROM @extschema@.job_runs r WHERE r.status IN ('starting', 'running');
        ELSE
            v_active := (@extschema@.queue_stats(1)).active;
        END IF;
        EXIT WHEN v_active = 0 OR clock_timestamp() >= v_until;
        PERFORM pg_sleep(0.05);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
    RETURN v_active;
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_wait_idle(text, integer) IS
    'Wait (at most timeout_ms) until what the queue has claimed has finished; returns what is still in flight';

-- Discard what waits (BullMQ's drain): for leads, the pending rows due now
-- (and with delayed, those waiting for a retry too) go to the dead letter,
-- marked drained, with their errors kept (queue_retry_dead brings them
-- back; nothing acknowledged is lost); rows a worker has claimed finish.
-- For maintenance, the jobs due now skip to their next time. Returns how
-- many.
CREATE FUNCTION @extschema@.queue_drain(queue text, delayed boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    q @extschema@.queues := @extschema@.queue_row(queue);
    v_n bigint;
BEGIN
    IF q.name = 'maintenance' THEN
        WITH s AS (
            UPDATE @extschema@.jobs j
               SET next_run_at = @extschema@.cron_next(j.schedule, j.timezone, now())
             WHERE NOT j.paused AND j.next_run_at <= now()
            RETURNING 1)
        SELECT count(*) INTO v_n FROM s;
        RETURN v_n;
    END IF;
    WITH c AS MATERIALIZED (
        SELECT p.id FROM @extschema@.leads_pending p
         WHERE p.next_attempt_at <= now() OR queue_drain.delayed
         ORDER BY p.id
           FOR UPDATE SKIP LOCKED
    ), d AS (
        DELETE FROM @extschema@.leads_pending p USING c WHERE p.id = c.id
        RETURNING p.*
    ), l AS (
        INSERT INTO @extschema@.leads_dead_letter (id, payload, broker_id, external_id, priority, attempts,
                                                   max_attempts, next_attempt_at, last_error, errors, enqueued_at)
        SELECT d.id, d.payload, d.broker_id, d.external_id, d.priority, d.attempts, d.max_attempts, d.next_attempt_at,
               'drained from the queue by queue_drain()',
               d.errors || jsonb_build_array(jsonb_build_object('error', 'drained from the queue by queue_drain()',
                                                                'at', now(), 'transient', false)),
               d.enqueued_at
          FROM d
        RETURNING id
    ), e AS (
        INSERT INTO @extschema@.events (entity_type, entity_id, type, source, payload)
        SELECT 'lead', l.id, 'lead.drained', 'queue_drain', '{}'::jsonb FROM l
        RETURNING 1
    )
    SELECT count(*) INTO v_n FROM l;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_drain(text, boolean) IS
    'Discard what waits: leads due (and with delayed, waiting for a retry) go to the dead letter, due job runs skip to their next time';
