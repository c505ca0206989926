-- Bad input gets a clear error, NULL included: every function of
-- pg_leadgen that is not STRICT, called with NULL for every argument (as a
-- superuser, each call in a subtransaction of its own), answers without a
-- message about "<NULL>" and crashes nothing. The gateway's api_*
-- functions are among them: their arguments are what a client sent.
SELECT pg_postmaster_start_time() AS started \gset
CREATE TEMP TABLE null_calls (fn text, sqlstate text, message text);
SET statement_timeout = '120s';
DO $$
DECLARE
    f record;
    v_state text;
    v_msg text;
BEGIN
    FOR f IN
        SELECT p.oid::regproc::text AS fn,
               format('SELECT %s(%s)', p.oid::regproc,
                      (SELECT string_agg('NULL::' || format_type(t, NULL), ', ')
                         FROM unnest(p.proargtypes::oid[]) t)) AS call
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                                     AND d.deptype = 'e'
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_leadgen'
         WHERE p.prokind = 'f' AND NOT p.proisstrict AND p.pronargs > 0
           AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[])
         ORDER BY p.oid::regprocedure::text
    LOOP
        BEGIN
            EXECUTE f.call;
            v_state := NULL;
            v_msg := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
        END;
        INSERT INTO null_calls VALUES (f.fn, v_state, v_msg);
    END LOOP;
END;
$$;
RESET statement_timeout;
-- they were called
SELECT count(*) >= 80 AS called FROM null_calls;
-- none of them speaks of "<NULL>"
SELECT fn, sqlstate, message FROM null_calls WHERE message LIKE '%<NULL>%' ORDER BY fn;
-- the ones that did before 0.2.0, now each with its own error
SELECT DISTINCT fn, sqlstate, message FROM null_calls
 WHERE fn IN ('leadgen.queue_pause', 'leadgen.queue_row', 'leadgen.job_row', 'leadgen.run_job_now',
              'leadgen.api_table', 'leadgen.api_list_spec', 'leadgen.perf_table_stats',
              'leadgen.perf_optimize_table', 'leadgen.perf_slow_queries', 'leadgen.api_key_create',
              'leadgen.api_key_revoke', 'leadgen.archive_policy_verify')
 ORDER BY fn;
SELECT pg_postmaster_start_time() = :'started' AS no_restart;
