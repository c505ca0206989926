# Names in public do not reach pg_leadgen's background workers. The
# workers run as the bootstrap superuser, and their statements call
# built-in functions by name (unnest, power, nextval); a function of the
# same name in public that matched the arguments better ran instead, as
# superuser, for any role that may create objects there (PostgreSQL 15
# forbids that by default; databases made before, or set up otherwise,
# allow it). The workers now run in search_path = pg_catalog, pg_temp, and
# a job's command in the search_path its owner's sessions start with.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LeadgenPipeline;

my $node = LeadgenPipeline::node('search_path', q{
leadgen.workers = 1
leadgen.poll_interval = '200ms'
leadgen.naptime = '200ms'
});

$node->safe_psql('postgres', q{
    INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('All of CA', '{CA}', '{auto,renters}');
    INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating)
    VALUES ('Agent CA', 'CA', '{auto,renters}', 100, 4.5);
    GRANT CREATE ON SCHEMA public TO PUBLIC;
    CREATE ROLE mallory LOGIN;
    -- a transient failure for the lead named Retry: its retry is planned
    -- with power(2, least(attempts, 10))
    CREATE SCHEMA t;
    CREATE FUNCTION t.fail_retry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.first_name = 'Retry' THEN
            RAISE EXCEPTION 'simulated serialization failure' USING ERRCODE = 'serialization_failure';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER fail_retry BEFORE INSERT ON leadgen.leads FOR EACH ROW EXECUTE FUNCTION t.fail_retry();
});

# mallory's functions: each records who ran it, then does the built-in's work.
$node->safe_psql('postgres', q{
    CREATE TABLE public.hijacked (fn text, ran_as name, at timestamptz DEFAULT clock_timestamp());
    GRANT INSERT ON public.hijacked TO PUBLIC;
    CREATE FUNCTION public.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.hijacked (fn, ran_as) VALUES ('unnest(bigint[])', current_user);
        RETURN QUERY SELECT pg_catalog.unnest($1);
    END $$;
    CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.hijacked (fn, ran_as) VALUES ('unnest(text[])', current_user);
        RETURN QUERY SELECT pg_catalog.unnest($1);
    END $$;
    CREATE FUNCTION public.power(integer, integer) RETURNS double precision LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.hijacked (fn, ran_as) VALUES ('power(integer, integer)', current_user);
        RETURN pg_catalog.power($1::float8, $2::float8);
    END $$;
    CREATE FUNCTION public.nextval(text) RETURNS bigint LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.hijacked (fn, ran_as) VALUES ('nextval(text)', current_user);
        RETURN pg_catalog.nextval($1::regclass);
    END $$;
}, extra_params => [ '-U', 'mallory' ]);

# Workers started after the functions exist: their statements are prepared
# with them there.
$node->restart;
ok($node->poll_query_until('postgres',
       q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'}, '1'),
   'the pipeline worker runs');

$node->safe_psql('postgres', q{
    SELECT leadgen.lead_submit(jsonb_build_object(
               'source', 'web_form', 'insurance_type', 'renters', 'first_name', f, 'last_name', 'Path',
               'email', lower(f) || '.path@example.com', 'zip_code', '94103', 'state', 'CA', 'city', 'San Francisco',
               'tcpa_consent', true,
               'consent_at', to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
      FROM (VALUES ('Plain'), ('Second'), ('Retry')) v(f)});
ok($node->poll_query_until('postgres',
       q{SELECT (SELECT count(*) FROM leadgen.leads WHERE last_name = 'Path') = 2
            AND (SELECT attempts > 0 FROM leadgen.leads_pending WHERE payload->>'first_name' = 'Retry')}, 't'),
   'the worker wrote two leads and planned the retry of the third');
is($node->safe_psql('postgres', q{SELECT status FROM leadgen.leads WHERE first_name = 'Plain'}), 'assigned',
   'a lead went through every step (validated, scored, assigned)');

# A job of a role whose sessions start in its own schema: its command runs
# there, as that role.
$node->safe_psql('postgres', q{
    CREATE ROLE jobowner;
    CREATE SCHEMA job_home AUTHORIZATION jobowner;
    CREATE TABLE job_home.seen (who name, path text);
    ALTER TABLE job_home.seen OWNER TO jobowner;
    ALTER ROLE jobowner IN DATABASE postgres SET search_path = job_home, pg_catalog;
    SELECT leadgen.schedule_job('owner-path', '0 0 1 1 *', 'UTC',
                                'INSERT INTO seen SELECT current_user, current_setting(''search_path'')');
    UPDATE leadgen.jobs SET owner = 'jobowner' WHERE name = 'owner-path';
    SELECT leadgen.run_job_now('owner-path');
});
ok($node->poll_query_until('postgres',
       q{SELECT status FROM leadgen.job_runs WHERE job_name = 'owner-path' ORDER BY id DESC LIMIT 1}, 'succeeded'),
   'a job whose command names a table of its owner\'s search_path succeeds');
is($node->safe_psql('postgres', q{SELECT who || ' ' || path FROM job_home.seen}), 'jobowner job_home, pg_catalog',
   '... run as its owner, in the search_path the owner\'s sessions start with');

# pg_leadgen's own jobs (the superuser's) and the launcher's sweeps.
$node->safe_psql('postgres', q{SELECT leadgen.run_job_now('partition_maintenance')});
ok($node->poll_query_until('postgres',
       q{SELECT status FROM leadgen.job_runs WHERE job_name = 'partition_maintenance' ORDER BY id DESC LIMIT 1}, 'succeeded'),
   'the partition maintenance job runs');

is($node->safe_psql('postgres', q{SELECT coalesce(string_agg(DISTINCT fn || ' as ' || ran_as, ', '), 'none') FROM public.hijacked}),
   'none', 'no function of public ran in place of a built-in one');
is($node->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'}), 'f', 'mallory is no superuser');

$node->stop;
done_testing();
