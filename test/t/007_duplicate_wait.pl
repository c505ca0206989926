# A batch whose leads share a contact key with a batch still running
# judges those leads after that batch commits, and writes its other leads
# first (src/duplicates.c, DuplicatesLockKeys; src/pipeline.c, process).
#
# Session A processes lead j (email E, phone P1) and keeps its transaction
# open. Session B then processes, in one batch: i (email E, phone P3),
# h (email H, phone P3: connected to i through P3 only) and k (nobody
# else's keys). B must write k, then wait for A's transaction, not for a
# key; i and h, judged after A's commit, are duplicates of j.
#
# Then the agents' counts across the two parts: one agent with room for a
# single lead (Texas); session X holds the key of lead w in share mode (as a running
# batch does). B's batch of k2 (free) and w (waiting): k2 takes the agent
# in the first part, w must find it full in the second although the
# count is raised only at the end.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LeadgenPipeline;

my $node = LeadgenPipeline::node('dup_wait', "leadgen.workers = 0\n");
$node->safe_psql('postgres',
	q{INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Wait Carrier', '{CA,TX}', '{auto}')});

sub submit
{
	my ($email, $phone, $state) = @_;
	$state //= 'CA';
	return $node->safe_psql('postgres', "SELECT leadgen.lead_submit(public.lead('$email', '$phone', '$state'))");
}

my $j = submit('e@example.com', '4155550101');
my $i = submit('e@example.com', '4155550303');
my $h = submit('h@example.com', '4155550303');
my $k = submit('k@example.com', '4155550404');

# A processes j and stays open, holding j's keys.
my $a = $node->background_psql('postgres');
$a->query_safe('BEGIN');
is($a->query_safe('SELECT leadgen.process_pending(1, 1)'), '1', 'A processed j, its transaction open');
my $a_vxid = $a->query_safe(
	q{SELECT virtualtransaction FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'virtualxid'});

# B takes i, h and k in one batch.
my $b = $node->background_psql('postgres');
my $b_pid = $b->query_safe('SELECT pg_backend_pid()');
$b->query_until(qr/started/, "\\echo started\nSELECT leadgen.process_pending(3, 3);\n");
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) = 1 FROM pg_locks
     WHERE pid = $b_pid AND NOT granted AND locktype = 'virtualxid' AND virtualxid = '$a_vxid'}),
   "B waits for A's transaction");
is($node->safe_psql('postgres', qq{
    SELECT count(*) FROM pg_locks WHERE pid = $b_pid AND NOT granted AND locktype = 'advisory'}),
   '0', 'not for a contact key');
is($node->safe_psql('postgres', qq{
    SELECT string_agg(mode, ',' ORDER BY mode) FROM (SELECT DISTINCT mode FROM pg_locks
     WHERE pid = $b_pid AND locktype = 'advisory' AND classid = 1818715751) s}),
   'ShareLock', "B holds its keys in share mode");
is($node->safe_psql('postgres', qq{
    SELECT count(*) || ' of ' || (SELECT count(*) FROM leadgen.leads_pending WHERE id IN ($i, $h, $k))
      FROM (SELECT 1 FROM leadgen.leads_pending WHERE id IN ($i, $h, $k) FOR UPDATE SKIP LOCKED) s}),
   '0 of 3', 'B claimed the three leads in one batch');

my $t_commit = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
$a->query_safe('COMMIT');
$a->quit;
$b->quit;

is($node->safe_psql('postgres', qq{SELECT status FROM leadgen.leads WHERE id = $j}), 'qualified', 'j is the original');
is($node->safe_psql('postgres', qq{SELECT status || ' of ' || (duplicate_of = $j) FROM leadgen.leads WHERE id = $i}),
   'duplicate of true', 'i, judged after A committed, is the duplicate of j');
is($node->safe_psql('postgres', qq{SELECT status || ' of ' || (duplicate_of = $j) FROM leadgen.leads WHERE id = $h}),
   'duplicate of true', 'h, connected to i by its phone, waited with it: duplicate of j');
is($node->safe_psql('postgres', qq{SELECT status FROM leadgen.leads WHERE id = $k}), 'qualified', 'k is an original');
is($node->safe_psql('postgres', qq{
    SELECT (SELECT processed_at FROM leadgen.leads WHERE id = $k) < '$t_commit'::timestamptz
       AND (SELECT min(processed_at) FROM leadgen.leads WHERE id IN ($i, $h)) > '$t_commit'::timestamptz}),
   't', 'k was judged before the wait, i and h after A committed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'}), '0',
   'no advisory lock left behind');

# The agents' counts across the two parts, in Texas (the leads of California
# above stay qualified: no agent there).
$node->safe_psql('postgres', q{
    INSERT INTO leadgen.agents (name, email, state, specializations, max_leads)
    VALUES ('Solo Agent', 'solo@example.com', 'TX', '{auto}', 1)});
my $k2 = submit('k2@example.com', '5125550505', 'TX');
my $w = submit('w@example.com', '5125550606', 'TX');
my $x = $node->background_psql('postgres');
$x->query_safe(q{BEGIN; SELECT pg_advisory_xact_lock_shared(1818715751, hashtext('auto:e:w@example.com'))});
my $b2 = $node->background_psql('postgres');
my $b2_pid = $b2->query_safe('SELECT pg_backend_pid()');
$b2->query_until(qr/started/, "\\echo started\nSELECT leadgen.process_pending(2, 2);\n");
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) = 1 FROM pg_locks WHERE pid = $b2_pid AND NOT granted AND locktype = 'virtualxid'}),
   "the batch of k2 and w waits for the key's holder");
$x->query_safe('COMMIT');
$x->quit;
$b2->quit;
is($node->safe_psql('postgres', qq{
    SELECT string_agg(id::text || ' ' || status, ', ' ORDER BY id) FROM leadgen.leads WHERE id IN ($k2, $w)}),
   "$k2 assigned, $w qualified", 'k2 took the only room; w, judged after the wait, found none');
is($node->safe_psql('postgres', q{
    SELECT current_lead_count || '/' || (SELECT count(*) FROM leadgen.lead_assignments)
      FROM leadgen.agents WHERE email = 'solo@example.com'}),
   '1/1', "the agent's count is its assignments");

# Gate tickets: a transaction that passes the gate again never waits for a
# batch that started after its first pass (that batch may be waiting for
# it). A processes p1 (email T) and stays open; B takes p2 (email T, phone
# Q) and waits for A; A then takes p3 (phone Q) in the same transaction:
# B holds Q, but B's ticket is younger, so A goes on instead of waiting
# for B (which waits for A: a deadlock).
my $p1 = submit('t@example.com', '4155550707');
$a = $node->background_psql('postgres');
$a->query_safe('BEGIN');
is($a->query_safe('SELECT leadgen.process_pending(1, 1)'), '1', 'A processed p1, its transaction open');
my $p2 = submit('t@example.com', '4155550808');
$b = $node->background_psql('postgres');
$b_pid = $b->query_safe('SELECT pg_backend_pid()');
$b->query_until(qr/started/, "\\echo started\nSELECT leadgen.process_pending(1, 1);\n");
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) = 1 FROM pg_locks WHERE pid = $b_pid AND NOT granted AND locktype = 'virtualxid'}),
   'B waits for A');
my $p3 = submit('p3@example.com', '4155550808');
is($a->query_safe('SELECT leadgen.process_pending(1, 1)'), '1',
   'A, passing the gate again, processed p3 without waiting for B');
$a->query_safe('COMMIT');
$a->quit;
$b->quit;
is($node->safe_psql('postgres', qq{SELECT status || ' of ' || (duplicate_of = $p1) FROM leadgen.leads WHERE id = $p2}),
   'duplicate of true', 'p2, judged after A committed, is the duplicate of p1');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM leadgen.leads WHERE id IN ($p1, $p2, $p3)}), '3',
   'the three written, no deadlock');

$node->stop;
done_testing();
