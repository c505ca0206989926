# The autumn daylight saving changes: Berlin on 2027-10-31 (03:00 CEST ->
# 02:00 CET, 01:00 UTC) and New York on 2027-11-07 (02:00 EDT -> 01:00 EST,
# 06:00 UTC). A daily job at a wall-clock time that happens twice runs once,
# at its first occurrence, and not again an hour later; consent freshness
# counts real hours (24 wall-clock hours across the overlap are 25).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = TimeTravel::node('dst_autumn', '2027-10-31 00:29:50');

is($node->safe_psql('postgres', q{
    SELECT next_run_at FROM leadgen.schedule_job('berlin-0230', '30 2 * * *', 'Europe/Berlin', 'SELECT 1')}),
   '2027-10-31 00:30:00+00', 'a Berlin 02:30 job is due at 02:30 CEST (00:30 UTC), the first 02:30 of October 31');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'berlin-0230' AND status = 'succeeded'}, '1'),
   'the Berlin job ran');
TimeTravel::clock_set('2027-10-31 01:29:57');
TimeTravel::wait_until($node, '2027-10-31 01:30:02');
is($node->safe_psql('postgres', q{SELECT string_agg(scheduled_for::text, ',') FROM leadgen.job_runs WHERE job_name = 'berlin-0230'}),
   '2027-10-31 00:30:00+00', 'past the second 02:30 (CET, 01:30 UTC) it has run once');
is($node->safe_psql('postgres', q{SELECT next_run_at FROM leadgen.jobs WHERE name = 'berlin-0230'}),
   '2027-11-01 01:30:00+00', '... and is next due at 02:30 CET on November 1');

# A consent given at the same wall-clock time yesterday (02:30 CEST) is 25
# real hours old at 02:30 CET.
my $stale = TimeTravel::submit($node, 1, '{"consent_at": "2027-10-30T02:30:00+02:00"}');
TimeTravel::drained($node);
is(TimeTravel::verdict($node, $stale), 'assigned  75', 'a consent of 02:30 yesterday, 25 real hours old at 02:30 CET, is not fresh (+5)');

# New York, a week later.
TimeTravel::clock_set('2027-11-07 05:29:50');
is($node->safe_psql('postgres', q{
    SELECT next_run_at FROM leadgen.schedule_job('ny-0130', '30 1 * * *', 'America/New_York', 'SELECT 1')}),
   '2027-11-07 05:30:00+00', 'a New York 01:30 job is due at 01:30 EDT (05:30 UTC)');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'ny-0130' AND status = 'succeeded'}, '1'),
   'the New York job ran');
TimeTravel::clock_set('2027-11-07 06:29:57');
TimeTravel::wait_until($node, '2027-11-07 06:30:02');
is($node->safe_psql('postgres', q{SELECT string_agg(scheduled_for::text, ',') FROM leadgen.job_runs WHERE job_name = 'ny-0130'}),
   '2027-11-07 05:30:00+00', 'past the second 01:30 (EST, 06:30 UTC) it has run once');
is($node->safe_psql('postgres', q{SELECT next_run_at FROM leadgen.jobs WHERE name = 'ny-0130'}),
   '2027-11-08 06:30:00+00', '... and is next due at 01:30 EST on November 8');

$node->stop;
done_testing();
