# The spring daylight saving changes: New York on 2027-03-14 (02:00 EST ->
# 03:00 EDT, 07:00 UTC) and Berlin on 2027-03-28 (02:00 CET -> 03:00 CEST,
# 01:00 UTC). A daily 02:30 job runs at 03:00 local on the day 02:30 does not
# exist, once, then at 02:30 again; ages are taken on the UTC date (still
# the 13th in New York); consent freshness counts real hours (24 wall-clock
# hours across the gap are 23).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = TimeTravel::node('dst_spring', '2027-03-14 04:30:00');

my $birthday = TimeTravel::submit($node, 1, '{"date_of_birth": "2011-03-14"}');
TimeTravel::drained($node);
like(TimeTravel::verdict($node, $birthday), qr/^assigned /,
   'at 04:30 UTC on March 14 (23:30 on the 13th in New York) an applicant born 2011-03-14 is 16: assigned');

is($node->safe_psql('postgres', q{
    SELECT next_run_at FROM leadgen.schedule_job('ny-0230', '30 2 * * *', 'America/New_York', 'SELECT 1')}),
   '2027-03-14 07:00:00+00', 'a New York 02:30 job is due at 03:00 EDT (07:00 UTC): 02:30 does not exist that day');

TimeTravel::queue($node, 'pause');
TimeTravel::clock_set('2027-03-14 06:59:57');
# Consent given 23 real hours before processing (03:05 EST yesterday, about
# 24 wall-clock hours before 03:00 EDT), and one 24 h 5 min before.
my $fresh = TimeTravel::submit($node, 2, '{"consent_at": "2027-03-13T03:05:00-05:00"}');
my $stale = TimeTravel::submit($node, 3, '{"consent_at": "2027-03-13T01:55:00-05:00"}');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'ny-0230' AND status = 'succeeded'}, '1'),
   'the New York job ran');
TimeTravel::queue($node, 'resume');
TimeTravel::drained($node);
is($node->safe_psql('postgres', q{
    SELECT scheduled_for || ' ' || (started_at >= scheduled_for)::text::char FROM leadgen.job_runs WHERE job_name = 'ny-0230'}),
   '2027-03-14 07:00:00+00 t', '... once, at 07:00 UTC, not before');
is($node->safe_psql('postgres', q{SELECT next_run_at FROM leadgen.jobs WHERE name = 'ny-0230'}),
   '2027-03-15 06:30:00+00', '... and is next due at 02:30 EDT on March 15');
is(TimeTravel::verdict($node, $fresh), 'assigned  85', 'a consent 23 real hours old across the gap is fresh (+15)');
is(TimeTravel::verdict($node, $stale), 'assigned  75', 'a consent 24 h 5 min old is not (+5)');

# Berlin, two weeks later.
TimeTravel::clock_set('2027-03-28 00:59:50');
is($node->safe_psql('postgres', q{
    SELECT next_run_at FROM leadgen.schedule_job('berlin-0230', '30 2 * * *', 'Europe/Berlin', 'SELECT 1')}),
   '2027-03-28 01:00:00+00', 'a Berlin 02:30 job is due at 03:00 CEST (01:00 UTC) on March 28');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'berlin-0230' AND status = 'succeeded'}, '1'),
   'the Berlin job ran');
is($node->safe_psql('postgres', q{
    SELECT scheduled_for || ' ' || (started_at >= scheduled_for)::text::char FROM leadgen.job_runs WHERE job_name = 'berlin-0230'}),
   '2027-03-28 01:00:00+00 t', '... once, at 01:00 UTC');
is($node->safe_psql('postgres', q{SELECT next_run_at FROM leadgen.jobs WHERE name = 'berlin-0230'}),
   '2027-03-29 00:30:00+00', '... and is next due at 02:30 CEST on March 29');

$node->stop;
done_testing();
