# Duplicates across concurrent batches follow the claim order. Lead j (email
# E and phone P) is claimed by session A, lead i (email E only, submitted
# after j) by session B. A is held on the contact key of P, which it takes
# before E's (keys are locked in hash order); meanwhile B must not take E
# and keep i as an original: the claim gate makes it wait until A has taken
# its keys, so that i comes out as the duplicate of j, as one after the other.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LeadgenPipeline;

my $node = LeadgenPipeline::node('dup_order', "leadgen.workers = 0\n");
$node->safe_psql('postgres',
	q{INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Order Carrier', '{CA}', '{auto}')});

# A phone whose key sorts before the email's, so that A waits on it first.
my $email = 'order@example.com';
my $phone = $node->safe_psql('postgres', qq{
    SELECT p FROM (SELECT '415555' || lpad(k::text, 4, '0') AS p FROM generate_series(1000, 1999) k) s
     WHERE hashtext('auto:p:' || p) < hashtext('auto:e:$email') ORDER BY p LIMIT 1});
ok($phone ne '', "a phone whose key sorts first: $phone");

my $j = $node->safe_psql('postgres', qq{SELECT leadgen.lead_submit(public.lead('$email', '$phone'))});
my $i = $node->safe_psql('postgres', qq{SELECT leadgen.lead_submit(public.lead('$email', NULL))});

# X holds P's key.
my $x = $node->background_psql('postgres');
$x->query_safe(qq{BEGIN; SELECT pg_advisory_xact_lock(1818715751, hashtext('auto:p:$phone'))});

# A claims j (batch of 1) and waits for P's key.
my $a = $node->background_psql('postgres');
$a->query_until(qr/started/, "\\echo started\nSELECT leadgen.process_pending(1, 1);\n");
ok($node->poll_query_until('postgres', q{
    SELECT count(*) > 0 FROM pg_locks
     WHERE locktype = 'advisory' AND NOT granted AND objid = hashtext('auto:p:} . $phone . q{')::oid}),
   'A waits for the key of the phone');

# B comes for i, and must wait.
my $b = $node->background_psql('postgres');
my $b_pid = $b->query_safe('SELECT pg_backend_pid()');
$b->query_until(qr/started/, "\\echo started\nSELECT leadgen.process_pending(1, 1);\n");
ok($node->poll_query_until('postgres', qq{
    SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $b_pid}),
   'B waits while A, which claimed first, has not taken its keys');
is($node->safe_psql('postgres', 'SELECT count(*) FROM leadgen.leads'), '0', 'nothing written yet');

$x->query_safe('COMMIT');
$x->quit;
$a->quit;
$b->quit;

is($node->safe_psql('postgres', qq{SELECT status FROM leadgen.leads WHERE id = $j}), 'qualified',
   'j, submitted first, is the original');
is($node->safe_psql('postgres', qq{SELECT status || ' of ' || (duplicate_of = $j) FROM leadgen.leads WHERE id = $i}),
   'duplicate of true', 'i is its duplicate');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'}), '0',
   'no advisory lock left behind');

$node->stop;
done_testing();
