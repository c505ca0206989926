-- Queue semantics: priority, pause and resume, retries with exponential
-- backoff for transient errors, isolation of a poison row, dead letter,
-- retry from the dead letter table, an event for every transition, and the
-- queue's metrics.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
INSERT INTO leadgen.carriers (name, states, insurance_types)
VALUES ('Queue Carrier', '{CA}', '{auto,home,renters,life,health,commercial}');

-- Unknown queues are refused.
SELECT * FROM leadgen.queue_pause('orders');
SELECT * FROM leadgen.queue_metrics('orders');

-- Pause: nothing is claimed; resume: everything is.
SELECT name, paused, paused_at IS NOT NULL AS since FROM leadgen.queue_pause('leads');
SELECT name, paused FROM leadgen.queue_pause('leads');
SELECT leadgen.lead_submit(pg_temp.lead()) > 0 AS a, leadgen.lead_submit(pg_temp.lead()) > 0 AS b;
SELECT leadgen.process_pending() AS processed_while_paused;
SELECT queue_name, paused, waiting, delayed, dead FROM leadgen.queue_metrics('leads');
SELECT name, paused, paused_at FROM leadgen.queue_resume('leads');
SELECT leadgen.process_pending() AS processed_after_resume;

-- Higher priority first, then submission order.
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Low"}')) AS low \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Urgent"}'), priority => 9) AS urgent \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Mid"}'), priority => 3) AS mid \gset
SELECT leadgen.process_pending(1);
SELECT first_name FROM leadgen.leads WHERE id IN (:low, :urgent, :mid);
SELECT leadgen.process_pending(1);
SELECT first_name FROM leadgen.leads WHERE id IN (:low, :urgent, :mid) ORDER BY processed_at, id;
SELECT leadgen.process_pending();

-- A claim takes one batch, whatever the statistics say: leads_pending
-- analyzed while empty, then 300 leads; a batch of 100 takes 100.
ANALYZE leadgen.leads_pending;
SELECT count(leadgen.lead_submit(pg_temp.lead(jsonb_build_object('email', 'claim' || i || '@example.com'))))
  FROM generate_series(1, 300) i;
SELECT leadgen.process_pending(100, 100) AS processed_one_batch;
SELECT count(*) AS still_pending FROM leadgen.leads_pending;
SELECT leadgen.process_pending() AS the_rest;

-- Failures. A trigger makes the lead named Poison fail with a
-- serialization failure (transient) and the one named Broken with a data
-- exception (deterministic).
CREATE FUNCTION pg_temp.fail_some() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_name = 'Poison' THEN
        RAISE EXCEPTION 'simulated serialization failure' USING ERRCODE = 'serialization_failure';
    ELSIF NEW.first_name = 'Broken' THEN
        RAISE EXCEPTION 'simulated bad data' USING ERRCODE = 'data_exception';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER fail_some BEFORE INSERT ON leadgen.leads FOR EACH ROW EXECUTE FUNCTION pg_temp.fail_some();

-- The poison row fails its batch, and only itself: its neighbours go through.
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Before"}')) AS before \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Poison"}')) AS poison \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "After"}')) AS after \gset
SELECT leadgen.process_pending() AS processed;
SELECT first_name, status FROM leadgen.leads WHERE id IN (:before, :after) ORDER BY id;
SELECT attempts, last_error, next_attempt_at > now() AS delayed FROM leadgen.leads_pending WHERE id = :poison;
SELECT queue_name, waiting, delayed FROM leadgen.queue_metrics('leads');

-- Not due yet: not retried.
SELECT leadgen.process_pending() AS processed_before_due;

-- Each retry comes due after 1, 2, 4, 8 s; the fifth failure is the last.
UPDATE leadgen.leads_pending SET next_attempt_at = now() - interval '1 second' WHERE id = :poison;
SELECT leadgen.process_pending();
UPDATE leadgen.leads_pending SET next_attempt_at = now() - interval '1 second' WHERE id = :poison;
SELECT leadgen.process_pending();
UPDATE leadgen.leads_pending SET next_attempt_at = now() - interval '1 second' WHERE id = :poison;
SELECT leadgen.process_pending();
UPDATE leadgen.leads_pending SET next_attempt_at = now() - interval '1 second' WHERE id = :poison;
SELECT leadgen.process_pending();
SELECT count(*) AS still_pending FROM leadgen.leads_pending WHERE id = :poison;
SELECT (payload->>'attempt')::int AS attempt,
       round(extract(epoch FROM (payload->>'next_attempt_at')::timestamptz - "timestamp")) AS backoff_s
  FROM leadgen.events WHERE entity_id = :poison AND type = 'lead.retry_scheduled' ORDER BY 1;
SELECT attempts, max_attempts, jsonb_array_length(errors) AS errors,
       (SELECT array_agg(DISTINCT e->>'sqlstate') FROM jsonb_array_elements(errors) e) AS sqlstates,
       (SELECT bool_and((e->>'transient')::boolean) FROM jsonb_array_elements(errors) e) AS all_transient,
       last_error, payload->>'first_name' AS first_name
  FROM leadgen.leads_dead_letter WHERE id = :poison;

-- A deterministic error goes straight to the dead letter table, and
-- counts as failed all the same.
SELECT failed AS failed_before FROM leadgen.queue_metrics('leads') \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Broken"}')) AS broken \gset
SELECT leadgen.process_pending();
SELECT attempts, errors->0->>'sqlstate' AS sqlstate, (errors->0->>'transient')::boolean AS transient
  FROM leadgen.leads_dead_letter WHERE id = :broken;
SELECT queue_name, waiting, delayed, dead, failed > :failed_before AS failed_counted FROM leadgen.queue_metrics('leads');

-- Retry from the dead letter table: one, then the rest.
DROP TRIGGER fail_some ON leadgen.leads;
SELECT leadgen.queue_retry_dead('leads', ARRAY[:broken]::bigint[]) AS requeued;
SELECT attempts, jsonb_array_length(errors) AS errors_kept FROM leadgen.leads_pending WHERE id = :broken;
SELECT leadgen.queue_retry_dead('leads') AS requeued;
SELECT leadgen.queue_retry_dead('leads') AS nothing_left;
SELECT leadgen.process_pending();
SELECT first_name, status FROM leadgen.leads WHERE id IN (:poison, :broken) ORDER BY id;

-- Every transition of the poison lead, in order.
SELECT type, source FROM leadgen.events WHERE entity_id = :poison ORDER BY "timestamp", id;
SELECT type, source FROM leadgen.events WHERE entity_id = :broken ORDER BY "timestamp", id;

-- Metrics: shape, and the counters the workers keep in shared memory.
SELECT queue_name, paused, waiting, delayed, dead, active >= 0 AS active_ok, completed >= 0 AS completed_ok,
       failed >= 0 AS failed_ok, jsonb_array_length(throughput_per_minute) AS minutes
  FROM leadgen.queue_metrics('leads', 5);
SELECT * FROM leadgen.queue_metrics('leads', 0);

-- Drain (BullMQ's: discard what waits): the leads due go to the dead
-- letter, marked drained, their errors kept; a lead waiting for a retry
-- stays unless delayed is asked for; queue_retry_dead brings them back.
SELECT name, paused FROM leadgen.queue_pause('leads');
SELECT leadgen.lead_submit(pg_temp.lead()) AS d1 \gset
SELECT leadgen.lead_submit(pg_temp.lead()) AS d2 \gset
SELECT leadgen.lead_submit(pg_temp.lead()) AS d3 \gset
UPDATE leadgen.leads_pending SET next_attempt_at = now() + interval '1 hour', attempts = 1 WHERE id = :d3;
SELECT leadgen.queue_drain('leads') AS drained;
SELECT id = :d3 AS the_delayed_one_left FROM leadgen.leads_pending;
SELECT leadgen.queue_drain('leads', delayed => true) AS drained_with_delayed;
SELECT count(*) AS left_pending FROM leadgen.leads_pending;
SELECT id - :d1 AS lead, last_error, attempts, jsonb_array_length(errors) AS errors
  FROM leadgen.leads_dead_letter ORDER BY id;
SELECT entity_id - :d1 AS lead, type, source FROM leadgen.events WHERE type = 'lead.drained' ORDER BY entity_id;
SELECT leadgen.queue_retry_dead('leads') AS requeued;
SELECT name, paused FROM leadgen.queue_resume('leads');
SELECT leadgen.process_pending() AS processed_after_drain;
-- Wait until what was claimed has finished (no worker claims here: at
-- once; the in-flight count is the cluster's, which workers serving
-- another database may move).
SELECT leadgen.queue_wait_idle('leads', 100) = 0 OR leadgen.worker_database() <> current_database() AS idle;
SELECT leadgen.queue_drain('no-such-queue');

TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids, leadgen.leads_dead_letter;
DELETE FROM leadgen.leads_pending;
DELETE FROM leadgen.carriers;
