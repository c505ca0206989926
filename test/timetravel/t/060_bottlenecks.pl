# perf_bottlenecks' findings about other sessions, on the fake clock: a
# query running for six minutes, a session idle in its transaction as long,
# and that transaction, each found by its age (the clock moved on, not
# waited for) and named by session and query_id, never by its text: a
# reader of the toolkit must not see another session's constants.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = TimeTravel::node('bottlenecks', '2031-07-15 10:00:00');
$node->safe_psql('postgres', q{
    CREATE ROLE watcher LOGIN IN ROLE leadgen_reader;
    CREATE ROLE app LOGIN;
});

# A query of app's that runs (pg_sleep reads the fake clock: ten minutes
# from its start), and a transaction of app's left idle.
my $long = $node->background_psql('postgres', on_error_stop => 0, extra_params => [ '-U', 'app' ]);
my $long_pid = $long->query_safe('SELECT pg_backend_pid()');
$long->query_until(qr/started/, "\\echo started\nSELECT pg_sleep(600), 'card-4111-1111-1111-1111';\n");
my $idle = $node->background_psql('postgres', extra_params => [ '-U', 'app' ]);
my $idle_pid = $idle->query_safe('SELECT pg_backend_pid()');
$idle->query_safe(q{BEGIN; SELECT 'password-of-the-day' AS secret});
ok($node->poll_query_until('postgres', qq{SELECT state FROM pg_stat_activity WHERE pid = $long_pid}, 'active'),
   'the long query runs');
my $query_id = $node->safe_psql('postgres', qq{SELECT query_id FROM pg_stat_activity WHERE pid = $long_pid});
like($query_id, qr/^-?\d+$/, "it has a query_id ($query_id)");

sub findings
{
    return $node->safe_psql('postgres', q{
        SELECT string_agg(component || ' ' || severity || ': ' || finding, E'\n' ORDER BY component, finding)
          FROM leadgen.perf_bottlenecks() WHERE component IN ('queries', 'connections', 'transactions')},
        extra_params => [ '-U', 'watcher' ]);
}

is(findings(), '', 'nothing is old yet');

# Six minutes later.
TimeTravel::clock_set('2031-07-15 10:06:00');
my $f = findings();
note($f);
like($f, qr/^queries critical: query of session $long_pid \([^)]+\) running for 3\d\d s, query_id \Q$query_id\E$/m,
     'the long query: critical (over 300 s), by session and query_id');
like($f, qr/^connections critical: session $idle_pid \([^)]+\) idle in transaction$/m,
     'the idle transaction: critical (over 300 s)');
like($f, qr/^transactions warning: transaction of session $idle_pid open for 3\d\d s$/m,
     'its transaction: open over 300 s, a warning (critical past an hour)');
unlike($f, qr/card-4111|password-of-the-day|pg_sleep/, "no finding shows another session's query text");

# the sleep has four minutes to go: cancelled, not waited for
$node->safe_psql('postgres', "SELECT pg_cancel_backend($long_pid)");
$long->quit;
$idle->quit;
$node->stop;
done_testing();
