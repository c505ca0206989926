# The fake clock reaches every process of the server, not only the client:
# now() in a session, the start of every process the postmaster forked
# (the walwriter and the autovacuum launcher, which it forks from a signal
# handler; the pg_leadgen launcher and pipeline worker), a worker the
# postmaster forks again later, and statement_timeout keeps real time.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = TimeTravel::node('clock', '2031-07-15 10:00:00');

like($node->safe_psql('postgres', q{SELECT now()}), qr/^2031-07-15 10:0/, 'now() in a session is the fake time');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('pg_leadgen launcher', 'pg_leadgen worker')}, '2'),
   'the launcher and the pipeline worker run');
my $procs = $node->safe_psql('postgres', q{
    SELECT string_agg(DISTINCT backend_type, ',' ORDER BY backend_type) FROM pg_stat_activity});
like($procs, qr/walwriter/, "the processes: $procs");
is($node->safe_psql('postgres', q{
    SELECT string_agg(backend_type || ' ' || backend_start, ', ')
      FROM pg_stat_activity
     WHERE backend_start < timestamptz '2031-07-15 09:59:00+00' OR backend_start > now()}), '',
   'every process started at the fake time (walwriter, autovacuum launcher, workers included)');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('walwriter', 'autovacuum launcher')
       AND backend_start >= timestamptz '2031-07-15 09:59:00+00'}), '2',
   'the walwriter and the autovacuum launcher, forked from the postmaster\'s signal handler, are on the fake clock');

# A process the postmaster starts later: the pipeline worker, terminated,
# comes back (bgw_restart_time) on the fake clock, after a clock jump.
TimeTravel::clock_set('2031-07-15 12:00:00');
my $old_pid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old_pid)");
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker' AND pid <> $old_pid
       AND backend_start >= timestamptz '2031-07-15 12:00:00+00'}, '1'),
   'a worker the postmaster forks again after a clock jump starts at the new fake time');

# statement_timeout keeps its real duration.
my $t0 = time();
my ($rc, $out, $err) = $node->psql('postgres', q{SET statement_timeout = 300; SELECT pg_sleep(10)});
my $took = time() - $t0;
like($err, qr/canceling statement due to statement timeout/, 'a 300 ms statement_timeout fires');
cmp_ok($took, '<', 5, sprintf('... after %.2f s, not after the sleep', $took));

# The clients: a process started by the test reads the same clock.
like(`date -u +%Y-%m-%d`, qr/^2031-07-15/, 'a client (date) reads the fake date');

$node->stop;
done_testing();
