-- The ingest pipeline: submission, processing, queue control, backlog
-- assignment.

-- Queues and their state: "leads", the ingest queue (leadgen.leads_pending),
-- here; "maintenance", the runs of the scheduled jobs, in 51_queues.sql.
CREATE TABLE @extschema@.queues (
    name        text PRIMARY KEY,
    paused      boolean NOT NULL DEFAULT false,
    paused_at   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO @extschema@.queues (name) VALUES ('leads');
-- A queue's state survives pg_dump: the dumped row, restored after the
-- install script has inserted the queue again, is merged into it instead
-- of colliding with it (which failed the whole COPY).
CREATE FUNCTION @extschema@.queues_merge() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE @extschema@.queues q
       SET paused = NEW.paused, paused_at = NEW.paused_at, updated_at = NEW.updated_at
     WHERE q.name = NEW.name;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER queues_merge BEFORE INSERT ON @extschema@.queues
    FOR EACH ROW EXECUTE FUNCTION @extschema@.queues_merge();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.queues', '');

-- Which broker a role submits for. A role bound here submits that
-- broker's leads only (a payload without broker_id gets it), so that a
-- repeated external_id is looked up among its broker's leads and never
-- returns another broker's lead id. A role bound to none submits leads
-- without a broker; superusers and members of leadgen_admin, for any
-- broker. One broker per role; the binding goes with the broker.
CREATE TABLE @extschema@.broker_roles (
    role        name PRIMARY KEY,
    broker_id   bigint NOT NULL REFERENCES @extschema@.brokers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broker_roles_broker_id_idx ON @extschema@.broker_roles (broker_id);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.broker_roles', '');

-- Submission. SECURITY DEFINER: leadgen_writer submits without any
-- privilege on the tables, for the brokers leadgen.broker_roles allows the
-- calling role.
CREATE FUNCTION @extschema@.lead_submit(payload jsonb, priority integer DEFAULT 0) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pg_leadgen_lead_submit'
    LANGUAGE C STRICT VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.lead_submit(jsonb, integer) IS
    'Check a lead''s JSON schema and enqueue it; returns the lead id (the original one for a repeated external_id of the same broker)';

CREATE FUNCTION @extschema@.lead_enqueue(payload jsonb, priority integer DEFAULT 0, OUT id bigint, OUT created boolean)
    AS 'MODULE_PATHNAME', 'pg_leadgen_lead_enqueue'
    LANGUAGE C STRICT VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.lead_enqueue(jsonb, integer) IS
    'lead_submit() that also says whether the lead was created (false: a repeated external_id)';

CREATE FUNCTION @extschema@.lead_submit_batch(payloads jsonb, priority integer DEFAULT 0) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_lead_submit_batch'
    LANGUAGE C STRICT VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.lead_submit_batch(jsonb, integer) IS
    'Enqueue a JSON array of leads in one statement: {accepted, rejected, existing, ids, errors}';

-- lead_submit_batch() scoped by its caller rather than by the calling role:
-- one broker, or any when broker is NULL. For api_leads_batch(), which
-- scopes by API key. Not SECURITY DEFINER and not granted to writers: only
-- a role that may write the queue itself (leadgen_admin) can call it.
CREATE FUNCTION @extschema@.lead_submit_batch_scoped(payloads jsonb, priority integer, broker bigint) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_lead_submit_batch_scoped'
    LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.lead_check(payload jsonb) RETURNS text[]
    AS 'MODULE_PATHNAME', 'pg_leadgen_lead_check'
    LANGUAGE C STRICT STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.lead_check(jsonb) IS
    'The schema problems that would make lead_submit() refuse a payload (empty when none)';

-- Processing in the calling session: what the workers do, batch by batch.
CREATE FUNCTION @extschema@.process_pending(max_leads bigint DEFAULT NULL, batch_size integer DEFAULT 100) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pg_leadgen_process_pending'
    LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION @extschema@.process_pending(bigint, integer) IS
    'Drain the leads queue in this session (up to max_leads); returns the number of leads written';

CREATE FUNCTION @extschema@.wake_at_commit() RETURNS void
    AS 'MODULE_PATHNAME', 'pg_leadgen_wake_at_commit'
    LANGUAGE C STRICT VOLATILE;

-- Queue control.
CREATE FUNCTION @extschema@.queue_row(queue text) RETURNS @extschema@.queues
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r @extschema@.queues;
BEGIN
    IF queue IS NULL THEN
        RAISE EXCEPTION 'the queue name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
              HINT = 'The queues of pg_leadgen are "leads" and "maintenance".';
    END IF;
    SELECT * INTO r FROM @extschema@.queues q WHERE q.name = queue;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'queue "%" does not exist', queue
            USING ERRCODE = 'undefined_object',
                  HINT = 'The queues of pg_leadgen are "leads" and "maintenance".';
    END IF;
    RETURN r;
END;
$$;

CREATE FUNCTION @extschema@.queue_pause(queue text) RETURNS TABLE (name text, paused boolean, paused_at timestamptz)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.queue_row(queue);
    RETURN QUERY
        UPDATE @extschema@.queues q
           SET paused = true, paused_at = CASE WHEN q.paused THEN q.paused_at ELSE now() END, updated_at = now()
         WHERE q.name = queue
        RETURNING q.name, q.paused, q.paused_at;
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_pause(text) IS
    'Stop the workers from claiming rows of the queue (batches in flight finish); idempotent';

CREATE FUNCTION @extschema@.queue_resume(queue text) RETURNS TABLE (name text, paused boolean, paused_at timestamptz)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.queue_row(queue);
    PERFORM @extschema@.wake_at_commit();
    RETURN QUERY
        UPDATE @extschema@.queues q
           SET paused = false, paused_at = NULL, updated_at = now()
         WHERE q.name = queue
        RETURNING q.name, q.paused, q.paused_at;
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_resume(text) IS
    'Let the workers claim rows of the queue again; idempotent';

CREATE FUNCTION @extschema@.queue_retry_dead(queue text, ids bigint[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_n bigint;
BEGIN
    IF (@extschema@.queue_row(queue)).name = 'maintenance' THEN
        RETURN @extschema@.maintenance_retry(ids);	-- 51_queues.sql
    END IF;
    WITH d AS (
        DELETE FROM @extschema@.leads_dead_letter dl
         WHERE ids IS NULL OR dl.id = ANY (ids)
        RETURNING dl.*
    ), p AS (
        INSERT INTO @extschema@.leads_pending (id, payload, broker_id, external_id, priority, attempts,
                                               max_attempts, next_attempt_at, last_error, errors, enqueued_at)
        SELECT d.id, d.payload, d.broker_id, d.external_id, d.priority, 0, d.max_attempts, now(),
               d.last_error, d.errors, d.enqueued_at
          FROM d
        RETURNING id
    ), e AS (
        INSERT INTO @extschema@.events (entity_type, entity_id, type, source, payload)
        SELECT 'lead', p.id, 'lead.requeued', 'queue_retry_dead', '{}'::jsonb FROM p
        RETURNING 1
    )
    SELECT count(*) INTO v_n FROM p;
    IF v_n > 0 THEN
        PERFORM @extschema@.wake_at_commit();
    END IF;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_retry_dead(text, bigint[]) IS
    'Put dead-lettered leads (all, or those ids) back in the queue with fresh attempts, or run again the jobs whose latest run failed; returns how many';

CREATE FUNCTION @extschema@.queue_stats(minutes integer,
    OUT active integer, OUT completed bigint, OUT failed bigint, OUT dead_lettered bigint, OUT samples integer,
    OUT wait_ms_mean float8, OUT wait_ms_p50 float8, OUT wait_ms_p95 float8, OUT wait_ms_p99 float8,
    OUT processing_ms_mean float8, OUT processing_ms_p50 float8, OUT processing_ms_p95 float8,
    OUT processing_ms_p99 float8, OUT throughput jsonb)
    AS 'MODULE_PATHNAME', 'pg_leadgen_queue_stats'
    LANGUAGE C STRICT VOLATILE;

-- Queue metrics: the table counts (waiting, delayed, dead, oldest waiting
-- age) and the workers' counters from shared memory (since server start):
-- completed, failed attempts, in flight, wait time (enqueued -> claimed)
-- and processing time (enqueued -> processed) over the last 4096 leads,
-- and leads per minute over the last `minutes` minutes.
CREATE FUNCTION @extschema@.queue_metrics(queue text, minutes integer DEFAULT 15)
RETURNS TABLE (queue_name text, paused boolean, waiting bigint, delayed bigint, active integer,
               completed bigint, failed bigint, dead bigint, oldest_waiting_age interval,
               wait_ms_mean float8, wait_ms_p50 float8, wait_ms_p95 float8, wait_ms_p99 float8,
               processing_ms_mean float8, processing_ms_p50 float8, processing_ms_p95 float8,
               processing_ms_p99 float8, throughput_per_minute jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    q @extschema@.queues := @extschema@.queue_row(queue);
    s record;
BEGIN
    IF q.name = 'maintenance' THEN
        RETURN QUERY SELECT * FROM @extschema@.maintenance_metrics(minutes);	-- 51_queues.sql
        RETURN;
    END IF;
    s := @extschema@.queue_stats(minutes);
    queue_name := q.name;
    paused := q.paused;
    SELECT count(*) FILTER (WHERE p.next_attempt_at <= now()),
           count(*) FILTER (WHERE p.next_attempt_at > now()),
           now() - min(p.enqueued_at) FILTER (WHERE p.next_attempt_at <= now())
      INTO waiting, delayed, oldest_waiting_age
      FROM @extschema@.leads_pending p;
    SELECT count(*) INTO dead FROM @extschema@.leads_dead_letter;
    active := s.active;
    completed := s.completed;
    failed := s.failed;
    wait_ms_mean := s.wait_ms_mean;
    wait_ms_p50 := s.wait_ms_p50;
    wait_ms_p95 := s.wait_ms_p95;
    wait_ms_p99 := s.wait_ms_p99;
    processing_ms_mean := s.processing_ms_mean;
    processing_ms_p50 := s.processing_ms_p50;
    processing_ms_p95 := s.processing_ms_p95;
    processing_ms_p99 := s.processing_ms_p99;
    throughput_per_minute := s.throughput;
    RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION @extschema@.queue_metrics(text, integer) IS
    'Waiting, delayed, active, completed, failed, dead, oldest waiting age, wait and processing times, throughput per minute';

-- The agent that takes one lead of a state and insurance type now, by the
-- pipeline's ranking (src/assign.c, agentrank.c); NULL when none may.
CREATE FUNCTION @extschema@.agent_for(state text, insurance_type text, only_agent bigint DEFAULT NULL) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pg_leadgen_agent_for'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.agent_for(text, text, bigint) IS
    'The agent that takes one lead of a state and insurance type now, by the pipeline''s ranking (or one agent only)';

-- Backlog assignment: qualified leads go to agents when capacity appears,
-- oldest first, then highest score. With p_agent, only that agent takes
-- leads (the agents trigger: the agent's row is already locked by the
-- statement that freed capacity, and no other agent is locked, so it
-- cannot deadlock with a pipeline batch). Without, every agent with room
-- is locked first, in id order as the pipeline does, and each lead goes to
-- the best of them.
CREATE FUNCTION @extschema@.assign_backlog(p_agent bigint DEFAULT NULL, p_limit integer DEFAULT 10000) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_lead   record;
    v_agent  bigint;
    v_n      integer := 0;
    v_now    timestamptz := clock_timestamp();
BEGIN
    IF p_agent IS NULL THEN
        PERFORM 1 FROM @extschema@.agents a
         WHERE a.is_active AND a.current_lead_count < a.max_leads
         ORDER BY a.id FOR UPDATE;
    END IF;
    FOR v_lead IN
        SELECT l.id, l.created_at, l.state, l.insurance_type
          FROM @extschema@.leads l
         WHERE l.status = 'qualified'
           AND EXISTS (SELECT 1 FROM @extschema@.agents a
                        WHERE (p_agent IS NULL OR a.id = p_agent)
                          AND a.is_active AND a.current_lead_count < a.max_leads
                          AND a.state = l.state AND l.insurance_type = ANY (a.specializations))
         ORDER BY l.created_at, l.quality_score DESC, l.id
         LIMIT p_limit
         FOR UPDATE OF l SKIP LOCKED
    LOOP
        -- the pipeline's own choice (assign.c): one ranking for both
        v_agent := @extschema@.agent_for(v_lead.state, v_lead.insurance_type, p_agent);
        CONTINUE WHEN v_agent IS NULL;
        UPDATE @extschema@.agents SET current_lead_count = current_lead_count + 1 WHERE id = v_agent;
        INSERT INTO @extschema@.lead_assignments (lead_id, lead_created_at, agent_id, status, assigned_at)
        VALUES (v_lead.id, v_lead.created_at, v_agent, 'assigned', v_now);
        UPDATE @extschema@.leads SET status = 'assigned'
         WHERE id = v_lead.id AND created_at = v_lead.created_at;
        INSERT INTO @extschema@.events (entity_type, entity_id, type, source, payload, "timestamp")
        VALUES ('lead', v_lead.id, 'lead.assigned', 'backlog',
                jsonb_build_object('status', 'assigned', 'agent_id', v_agent, 'from', 'qualified'), v_now);
        v_n := v_n + 1;
    END LOOP;
    IF v_n > 0 THEN
        PERFORM pg_notify('leadgen_changes',
                          json_build_object('source', 'backlog', 'leads', v_n)::text);
    END IF;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION @extschema@.assign_backlog(bigint, integer) IS
    'Assign qualified leads to agents with room (to one agent, or to the best of all); returns how many';

-- The triggers' WHEN clauses keep the pipeline's own count increments
-- from calling any function.
CREATE FUNCTION @extschema@.agents_capacity_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.assign_backlog(NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER agents_capacity_added AFTER INSERT ON @extschema@.agents
    FOR EACH ROW WHEN (NEW.is_active AND NEW.current_lead_count < NEW.max_leads)
    EXECUTE FUNCTION @extschema@.agents_capacity_changed();
CREATE TRIGGER agents_capacity_changed AFTER UPDATE ON @extschema@.agents
    FOR EACH ROW WHEN (NEW.is_active AND NEW.current_lead_count < NEW.max_leads AND
                       (NOT OLD.is_active OR NEW.max_leads > OLD.max_leads
                        OR NEW.current_lead_count < OLD.current_lead_count
                        OR NEW.state IS DISTINCT FROM OLD.state
                        OR NEW.specializations IS DISTINCT FROM OLD.specializations))
    EXECUTE FUNCTION @extschema@.agents_capacity_changed();

-- Listeners (the gateway's caches) hear of every change to agents.
CREATE FUNCTION @extschema@.notify_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('leadgen_changes',
                      json_build_object('source', TG_TABLE_NAME, 'op', lower(TG_OP))::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER agents_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.agents
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
CREATE TRIGGER carriers_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.carriers
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
-- and of changes to leads, assignments and weights made by any statement,
-- not only the pipeline's (which notifies of its batches itself): a lead
-- corrected by hand was served from the cache as it was for up to 30 s,
-- and changed weights from GET /config for up to 300 s.
CREATE TRIGGER leads_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.leads
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
CREATE TRIGGER lead_assignments_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.lead_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
CREATE TRIGGER scoring_weights_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.scoring_weights
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.notify_change();
