-- The SQLsmith suite's database, after scripts/run.sh has made it as
-- `make run` does (demo brokers, carriers, agents and 300 leads): the rest
-- of what a working pipeline holds, a reader login, and invoker-rights
-- wrappers that let SQLsmith call pg_leadgen's set-returning functions.
-- Run by test/sqlsmith/run.sh as postgres.

-- ---------------------------------------------------------------- roles
-- The gateway's role is scripts/run.sh's (gateway_role), made there. The
-- reader is a login in leadgen_reader and nothing else.
CREATE ROLE sqlsmith_reader LOGIN IN ROLE leadgen_reader;

-- ---------------------------------------------------------------- data
-- Dead letters: leads named Deadletter fail with a data exception, which
-- the workers dead-letter at once (not transient); run.sh waits for them
-- and then drops the trigger.
CREATE FUNCTION public.sqlsmith_fail_some() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_name = 'Deadletter' THEN
        RAISE EXCEPTION 'sqlsmith suite: a lead made to fail' USING ERRCODE = 'data_exception';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER sqlsmith_fail_some BEFORE INSERT ON leadgen.leads
    FOR EACH ROW EXECUTE FUNCTION public.sqlsmith_fail_some();
SELECT leadgen.lead_submit_batch(jsonb_agg(jsonb_build_object(
           'source', 'web_form', 'insurance_type', 'renters',
           'first_name', 'Deadletter', 'last_name', 'Lead' || g,
           'email', 'dead' || g || '@example.com', 'zip_code', '94103', 'state', 'CA',
           'city', 'San Francisco', 'tcpa_consent', true)))
  FROM generate_series(1, 5) g;

-- API keys of every tier, capacity snapshots (a forecast needs three),
-- an archive policy and a job that has run.
SELECT leadgen.api_key_create('sqlsmith-' || tier, tier)
  FROM unnest(ARRAY['partner', 'admin', 'internal']) tier;
SELECT leadgen.capacity_snapshot() FROM generate_series(1, 3);
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, enabled)
VALUES ('sqlsmith_old_events', 'leadgen.events', 'timestamp', '10 years', 'delete', false);
SELECT leadgen.run_job_now('capacity_snapshot');

-- ---------------------------------------------------------------- wrappers
-- SQLsmith calls only functions that return one value (it leaves out
-- every set-returning function when it reads the catalog), and most of
-- pg_leadgen's reports return sets. For each of those, a function in the
-- schema sqlsmith with the same arguments returns the rows as one jsonb
-- array. The wrappers are SECURITY INVOKER: each call is still checked
-- against the caller's own EXECUTE privilege on the leadgen function.
CREATE SCHEMA sqlsmith;
GRANT USAGE ON SCHEMA sqlsmith TO PUBLIC;
DO $wrap$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.proname,
               (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
                  FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, i)) AS args,
               (SELECT string_agg('$' || i, ', ' ORDER BY i)
                  FROM generate_series(1, p.pronargs) i) AS params
          FROM pg_proc p
         WHERE p.pronamespace = 'leadgen'::regnamespace AND p.proretset AND p.prokind = 'f'
         ORDER BY p.proname
    LOOP
        EXECUTE format('CREATE FUNCTION sqlsmith.%I(%s) RETURNS jsonb LANGUAGE sql VOLATILE'
                       ' AS %L',
                       f.proname, coalesce(f.args, ''),
                       format('SELECT jsonb_agg(r) FROM leadgen.%I(%s) r', f.proname, coalesce(f.params, '')));
    END LOOP;
END;
$wrap$;
