# A pipeline worker draining a backlog claims from where its last claim
# ended (src/pipeline.c, claim), and from the queue's head at least every
# second: a lead that becomes due behind that point (a retry whose backoff
# ended) is taken while the backlog is still draining, not after it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LeadgenPipeline;

my $node = LeadgenPipeline::node('claim_head', "leadgen.workers = 1\nleadgen.batch_size = 10\n");
$node->safe_psql('postgres', q{
    INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Head Carrier', '{CA}', '{auto}');
    SELECT leadgen.queue_pause('leads');
    SELECT count(leadgen.lead_submit_batch((
        SELECT jsonb_agg(public.lead('head' || g || '@example.com', NULL))
          FROM generate_series(b * 1000 + 1, b * 1000 + 1000) g)))
      FROM generate_series(0, 29) b;
});

# Lead x, near the head, is not due yet (as a retry in its backoff).
my $x = $node->safe_psql('postgres', q{
    UPDATE leadgen.leads_pending SET next_attempt_at = now() + interval '1 hour'
     WHERE id = (SELECT id FROM leadgen.leads_pending ORDER BY id OFFSET 50 LIMIT 1) RETURNING id});
$node->safe_psql('postgres', q{SELECT leadgen.queue_resume('leads')});

ok($node->poll_query_until('postgres', q{SELECT count(*) >= 1000 FROM leadgen.leads}),
   'the worker is draining the backlog');
$node->safe_psql('postgres', qq{UPDATE leadgen.leads_pending SET next_attempt_at = now() WHERE id = $x});
my $left = $node->safe_psql('postgres', 'SELECT count(*) FROM leadgen.leads_pending');
ok($left > 5000, "x became due with $left leads still pending");

ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM leadgen.leads_pending}),
   'the backlog drained');
my $after = $node->safe_psql('postgres', qq{
    SELECT count(*) FROM leadgen.leads l, leadgen.leads x WHERE x.id = $x AND l.processed_at > x.processed_at});
cmp_ok($after, '>', 1000, "x was taken while the backlog drained ($after leads were processed after it)");
is($node->safe_psql('postgres', 'SELECT count(*) FROM leadgen.leads'), '30000', 'every lead processed once');

$node->stop;
done_testing();
