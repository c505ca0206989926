-- pg_leadgen 0.1.0 -> 0.2.0. Runs as ALTER EXTENSION pg_leadgen UPDATE TO '0.2.0'.
--
-- Every change of src/sql since 0.1.0 is made here too, so that an updated
-- database is the same as a fresh 0.2.0 install: test/t/004_upgrade.pl
-- compares the two (functions, owners, privileges, settings, tables,
-- indexes, triggers, extension members, configuration rows). The files
-- new in 0.2.0 (src/sql/71_api_routes.sql, 91_api_roles.sql) follow this
-- one whole in the built script (Makefile, UPDATE_SRC).
\echo Use "ALTER EXTENSION pg_leadgen UPDATE TO '0.2.0'" to load this file. \quit

-- ---- Jobs run by hand start at once, in any database ----
-- job_start() records a run and starts its worker at commit; run_job_now()
-- and perf_optimize_table() use it instead of waiting for the launcher.
-- job_runs_sweep() marks failed the runs whose worker died or never started.
-- Runs that cannot end by themselves are marked failed: their worker died
-- (a crash restarts the whole server) or never started (no free background
-- worker slot; a minute's grace for a busy postmaster). The launcher calls
-- it at start and every sweep; job_start() in any database.
CREATE FUNCTION @extschema@.job_runs_sweep() RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH s AS (
        UPDATE @extschema@.job_runs r
           SET status = 'failed', finished_at = clock_timestamp(),
               message = CASE WHEN r.pid IS NULL
                              THEN 'its worker never started (no free background worker slot, or the server stopped first)'
                              ELSE 'its worker ended without recording an outcome (it crashed, or the server restarted)' END
         WHERE r.status IN ('starting', 'running')
           AND CASE WHEN r.pid IS NULL THEN r.created_at < now() - interval '1 minute'
                    ELSE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                                      WHERE a.pid = r.pid AND a.backend_type = 'pg_leadgen job') END
        RETURNING 1)
    SELECT count(*) FROM s
$$;


CREATE FUNCTION @extschema@.job_start(job_name text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pg_leadgen_job_start'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.job_start(text) IS
    'Record a run of a job now and start it when the transaction commits; returns the run id';

CREATE OR REPLACE FUNCTION @extschema@.run_job_now(job_name text) RETURNS @extschema@.jobs
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @extschema@.job_start(job_name);
    RETURN @extschema@.job_row(job_name);
END;
$$;

CREATE OR REPLACE FUNCTION @extschema@.perf_optimize_table(tbl regclass) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_kind "char";
    v_job @extschema@.jobs;
BEGIN
    SELECT relkind INTO v_kind FROM pg_catalog.pg_class WHERE oid = tbl;
    IF v_kind IS NULL OR v_kind NOT IN ('r', 'p', 'm') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass a table, e.g. ''leadgen.leads''.';
    END IF;
    -- a one-off job, held (paused) so that the launcher leaves it alone,
    -- run at once by this session's commit
    INSERT INTO @extschema@.jobs (name, schedule, timezone, command, once, paused)
    VALUES (format('optimize %s %s', tbl, to_char(clock_timestamp(), 'YYYY-MM-DD"T"HH24:MI:SS.US')),
            '@yearly', 'UTC', format('VACUUM (ANALYZE) %s', tbl), true, true)
    RETURNING * INTO v_job;
    PERFORM @extschema@.job_start(v_job.name);
    RETURN jsonb_build_object('job_id', v_job.id, 'job_name', v_job.name, 'command', v_job.command, 'status', 'queued');
END;
$$;

-- ---- List cursors: HMAC-SHA256, verified in constant time ----
CREATE FUNCTION @extschema@.api_cursor_verify(payload text, signature text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_leadgen_api_cursor_verify'
    LANGUAGE C STABLE STRICT;

CREATE OR REPLACE FUNCTION @extschema@.api_cursor_decode(sort text, cursor text, OUT k text, OUT id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_b64  text := split_part(cursor, '.', 1);
    v_p    text;
    v_j    jsonb;
BEGIN
    BEGIN
        v_b64 := translate(v_b64, '-_', '+/');
        v_b64 := v_b64 || repeat('=', (4 - length(v_b64) % 4) % 4);
        v_p := convert_from(decode(v_b64, 'base64'), 'UTF8');
        v_j := v_p::jsonb;
    EXCEPTION WHEN OTHERS THEN
        v_j := NULL;
    END;
    IF v_j IS NULL OR cursor !~ '^[A-Za-z0-9_-]+\.[0-9a-f]{24}$'
       OR NOT @extschema@.api_cursor_verify(v_p, split_part(cursor, '.', 2))
       OR jsonb_typeof(v_j) <> 'array' OR jsonb_array_length(v_j) <> 3 THEN
        RAISE EXCEPTION 'invalid cursor'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass next_cursor exactly as a previous page returned it.';
    END IF;
    IF v_j->>0 IS DISTINCT FROM sort THEN
        RAISE EXCEPTION 'the cursor belongs to another sort order (%)', v_j->>0
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Keep the sort parameter of the page that returned the cursor.';
    END IF;
    k := v_j->>1;
    id := (v_j->>2)::bigint;
END;
$$;

-- ---- A plain pg_dump / pg_restore round trip (src/sql/98_dump.sql) ----
-- leads, events, their partitions, lead_assignments and pg_partman's
-- template tables leave the extension at the end of this update (98_dump.sql
-- follows in the built script): pg_dump writes them as a user's tables,
-- definitions, rows, then keys and indexes. lead_assignments stops being
-- configuration (ALTER EXTENSION ... DROP forgets that too); the event ids'
-- sequence is no longer owned by events (a member sequence owned by a
-- table pg_dump writes on its own would lose that on restore).
ALTER SEQUENCE @extschema@.event_id_seq OWNED BY NONE;
