-- The drain's clock (bench/pipeline): bench.timings and bench.drain(), and
-- the contract-writes floor (its queue and sessions), in the benchmark's
-- database (setup.sql includes this file) and in the fresh-install
-- database of shape 3 (run.sh loads it there alone).
-- Expects the schema bench.

-- Start and end of each session of a measurement (server clock).
CREATE TABLE bench.timings (label text NOT NULL, session int NOT NULL, t_start timestamptz, t_end timestamptz,
                            rows bigint);

-- Resume the paused queue and wait until the workers have emptied it: the
-- time from the resume's commit until leads_pending is empty (each batch
-- deletes its pending rows in the transaction that writes their leads).
-- The observer looks for the lowest pending id from the one it saw last:
-- nothing is submitted during a drain, so no row appears below it, and
-- each look walks only the primary key's entries of the rows claimed
-- since the last one. Looking from the head of the queue walked the dead
-- entries of every row claimed so far (until a VACUUM) every 5 ms, on the
-- workers' two cores: a cost the floors, timed by their own sessions, do
-- not pay, and one that grew with the backlog (shape 7).
CREATE PROCEDURE bench.drain(label text, timeout interval DEFAULT '15 minutes')
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    low bigint := 0;
BEGIN
    PERFORM leadgen.queue_resume('leads');
    COMMIT;
    t0 := clock_timestamp();
    LOOP
        SELECT min(p.id) INTO low FROM leadgen.leads_pending p WHERE p.id >= low;
        EXIT WHEN low IS NULL;
        IF clock_timestamp() - t0 > timeout THEN
            RAISE EXCEPTION 'the queue was not drained in %', timeout;
        END IF;
        PERFORM pg_sleep(0.005);
        COMMIT;
    END LOOP;
    INSERT INTO bench.timings VALUES (label, 0, t0, clock_timestamp(), NULL);
END;
$$;

-- The contract's writes alone: the rows pg_leadgen wrote in a measurement
-- (step 2's leads, or a shape's), each lead with its assignment's agent and
-- its event's payload, moved again into the same tables with nothing
-- computed.
CREATE TABLE bench.contract_queue (id bigint PRIMARY KEY, lead leadgen.leads NOT NULL, agent_id bigint,
                                   event_payload jsonb NOT NULL);

-- One session of the contract-writes floor: claim 100 queued rows with
-- SKIP LOCKED and write what pg_leadgen writes for them, in one statement
-- and one transaction: the lead (every index and check of the contract),
-- the assignment (its foreign keys), the agents' counts (locked in id
-- order, as pg_leadgen does) and the event. No validation, scoring,
-- duplicate lookup or choice of agent. Planned as pg_leadgen plans its
-- write: generic plans (the foreign-key checks are otherwise planned for
-- every row), by key (no sequential or bitmap scan: never analyzed, the
-- fresh database of shape 3 planned the checks as sequential scans). Each
-- session claims after the last id it took, as a pipeline worker claims
-- after its last full batch: from the head, every claim would walk the
-- dead entries of the rows already taken, and in that database no
-- autovacuum removes them.
CREATE PROCEDURE bench.contract_drain(label text, session int, batch int DEFAULT 100)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    moved bigint := 0;
    k bigint;
    last bigint := 0;
    top bigint;
BEGIN
    PERFORM set_config('plan_cache_mode', 'force_generic_plan', false),
            set_config('enable_seqscan', 'off', false), set_config('enable_bitmapscan', 'off', false);
    LOOP
        WITH c AS (
            DELETE FROM bench.contract_queue q
             WHERE q.id = ANY (ARRAY(SELECT x.id FROM bench.contract_queue x WHERE x.id > last ORDER BY x.id LIMIT batch
                                FOR UPDATE SKIP LOCKED))
            RETURNING q.*
        ), l AS (
            INSERT INTO leadgen.leads SELECT (c.lead).* FROM c RETURNING id
        ), a AS (
            INSERT INTO leadgen.lead_assignments (lead_id, lead_created_at, agent_id, status, assigned_at)
            SELECT c.id, (c.lead).created_at, c.agent_id, 'assigned', now()
              FROM c WHERE c.agent_id IS NOT NULL RETURNING 1
        ), lk AS (
            SELECT x.id FROM leadgen.agents x WHERE x.id IN (SELECT c.agent_id FROM c) ORDER BY x.id FOR NO KEY UPDATE
        ), g AS (
            UPDATE leadgen.agents ag SET current_lead_count = ag.current_lead_count + n.n
              FROM (SELECT c.agent_id, count(*)::int AS n FROM c WHERE c.agent_id IS NOT NULL GROUP BY 1) n
             WHERE ag.id = n.agent_id AND (SELECT count(*) FROM lk) >= 0 RETURNING 1
        ), e AS (
            INSERT INTO leadgen.events (entity_type, entity_id, type, source, payload, "timestamp")
            SELECT 'lead', c.id, 'lead.' || (c.lead).status, 'pipeline', c.event_payload, now() FROM c RETURNING 1
        )
        SELECT count(*), max(l.id) INTO k, top FROM l;
        COMMIT;
        EXIT WHEN k = 0;
        moved := moved + k;
        last := top;
    END LOOP;
    INSERT INTO bench.timings VALUES (label, session, t0, clock_timestamp(), moved);
END;
$$;
