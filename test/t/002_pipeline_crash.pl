# The pipeline's guarantees under crashes. With 20,000 leads in flight,
# kill -9 a pipeline worker mid-batch; separately, stop the server in
# immediate mode mid-run. After the restart, every acknowledged lead is in
# leadgen.leads exactly once with its assignment and its event, nothing is
# left pending, no agent is over max_leads, no repeated contact was accepted
# twice by concurrent batches, and the workers are back.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LeadgenPipeline;

my $node = LeadgenPipeline::node('crash', q{
leadgen.workers = 2
leadgen.batch_size = 50
leadgen.poll_interval = '200ms'
restart_after_crash = on
max_wal_size = '1GB'
});
$node->safe_psql('postgres', q{
    INSERT INTO leadgen.carriers (name, states, insurance_types)
    VALUES ('All States', '{CA,NY,TX,FL,IL,WA}', '{auto,home,renters,life,health,commercial}');
    -- 60 agents with room for 12,000 leads in all: some leads stay qualified.
    INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating)
    SELECT 'Agent ' || g, (ARRAY['CA','NY','TX','FL','IL','WA'])[1 + g % 6],
           '{auto,home,renters,life,health,commercial}', 200, (g % 50) / 10.0
      FROM generate_series(1, 60) g;
    CREATE TABLE public.acked (id bigint PRIMARY KEY);
    -- A lead generator: valid leads in six states, one in 40 reusing an
    -- email across the run, one in 10 sharing an email new to each call
    -- (so that concurrent batches meet the same new contact), one in 25
    -- without consent (rejections).
    CREATE FUNCTION public.demo_leads(n int, seed int) RETURNS jsonb LANGUAGE sql AS $$
        SELECT jsonb_agg(jsonb_build_object(
            'source', 'web_form', 'insurance_type', 'renters',
            'first_name', 'Lead', 'last_name', 'No' || g,
            'email', CASE WHEN g % 40 = 0 THEN 'repeat' || (g % 7) || '@example.com'
                          WHEN g % 10 = 5 THEN 'burst' || seed || '@example.com'
                          ELSE 'lead' || seed || '-' || g || '@example.com' END,
            'zip_code', (ARRAY['94103','10001','75201','33101','60601','98101'])[1 + g % 6],
            'state', (ARRAY['CA','NY','TX','FL','IL','WA'])[1 + g % 6],
            'city', 'City', 'tcpa_consent', g % 25 <> 0,
            'consent_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
          FROM generate_series(1, n) g
    $$;
});
ok($node->poll_query_until('postgres',
       q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'}, '2'),
   'two pipeline workers run');

# Enqueue 20,000 leads while the queue is paused; every acknowledged id is
# recorded. Then let the workers go.
sub enqueue
{
	my ($seed) = @_;
	$node->safe_psql('postgres', q{SELECT leadgen.queue_pause('leads')});
	for my $chunk (1 .. 20)
	{
		$node->safe_psql('postgres', qq{
            INSERT INTO public.acked
            SELECT (jsonb_array_elements_text(leadgen.lead_submit_batch(public.demo_leads(1000, $seed * 100 + $chunk))->'ids'))::bigint});
	}
	is($node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads_pending}), '20000',
	   "round $seed: 20,000 leads acknowledged and pending");
	$node->safe_psql('postgres', q{SELECT leadgen.queue_resume('leads')});
	ok($node->poll_query_until('postgres', q{SELECT count(*) >= 2000 FROM leadgen.leads}, 't'),
	   "round $seed: the workers are draining");
}

# The invariants after recovery.
sub check_invariants
{
	my ($what, $expected) = @_;
	ok($node->poll_query_until('postgres', q{SELECT count(*) FROM leadgen.leads_pending}, '0'),
	   "$what: the queue drains after the restart");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads}), $expected,
	   "$what: every acknowledged lead is in leads");
	is($node->safe_psql('postgres', q{
        SELECT count(*) FROM public.acked a WHERE NOT EXISTS (SELECT 1 FROM leadgen.leads l WHERE l.id = a.id)}),
	   '0', "$what: no acknowledged lead is missing");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM (SELECT id FROM leadgen.leads GROUP BY id HAVING count(*) > 1) d}),
	   '0', "$what: no lead was written twice");
	is($node->safe_psql('postgres', q{
        SELECT count(*) FROM leadgen.leads l
         WHERE (SELECT count(*) FROM leadgen.events e WHERE e.entity_type = 'lead' AND e.entity_id = l.id
                   AND e.type IN ('lead.assigned', 'lead.qualified', 'lead.rejected', 'lead.duplicate')) <> 1}),
	   '0', "$what: every lead has exactly one processing event");
	is($node->safe_psql('postgres', q{
        SELECT count(*) FROM leadgen.leads l
         WHERE (l.status = 'assigned') <> EXISTS (SELECT 1 FROM leadgen.lead_assignments a WHERE a.lead_id = l.id)}),
	   '0', "$what: assigned leads, and only they, have an assignment");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM (SELECT lead_id FROM leadgen.lead_assignments GROUP BY 1 HAVING count(*) > 1) d}),
	   '0', "$what: no lead was assigned twice");
	is($node->safe_psql('postgres', q{
        SELECT count(*) FROM leadgen.agents a
         WHERE a.current_lead_count > a.max_leads
            OR a.current_lead_count <> (SELECT count(*) FROM leadgen.lead_assignments x WHERE x.agent_id = a.id)}),
	   '0', "$what: no agent is over max_leads, and counts match assignments");
	is($node->safe_psql('postgres', q{
        SELECT count(*) FROM (
            SELECT email_norm, insurance_type FROM leadgen.leads
             WHERE status <> 'rejected' AND email_norm IS NOT NULL
             GROUP BY 1, 2 HAVING count(*) FILTER (WHERE status <> 'duplicate') > 1) d}),
	   '0', "$what: two workers never both accept the same contact (duplicates across concurrent batches)");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads_dead_letter}), '0',
	   "$what: nothing went to the dead letter table");
	ok($node->poll_query_until('postgres',
	       q{SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('pg_leadgen worker', 'pg_leadgen launcher')}, '3'),
	   "$what: the launcher and both workers are back");
}

# Round 1: kill -9 a pipeline worker mid-batch.
enqueue(1);
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker' ORDER BY pid LIMIT 1});
my $pending = $node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads_pending});
kill 'KILL', $pid;
ok($pending > 0, "round 1: worker $pid killed with $pending leads still pending");
check_invariants('after kill -9 of a worker', 20000);

# Round 2: immediate stop of the whole server mid-run.
enqueue(2);
$pending = $node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads_pending});
$node->stop('immediate');
ok($pending > 0, "round 2: server stopped in immediate mode with $pending leads still pending");
$node->start;
check_invariants('after an immediate stop', 40000);

$node->stop;
done_testing();
