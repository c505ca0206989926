# February 29. In 2028 (a leap year): an applicant born on 2012-02-29 turns
# 16 on February 29; a consent given on December 1 turns 90 days old at
# the midnight that starts February 29; a consent given on the leap day is
# fresh; its leads land in February. In 2030 (not a leap year) the same
# applicant has a birthday on March 1: 17 on February 28, 18 on March 1.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = TimeTravel::node('leap_day', '2028-02-28 23:50:00');
my $leapling = '{"date_of_birth": "2012-02-29"}';
my $december = '{"consent_at": "2027-12-01T00:00:00Z"}';

my $young = TimeTravel::submit($node, 1, $leapling);
my $consent_89 = TimeTravel::submit($node, 2, $december);
TimeTravel::drained($node);
is(TimeTravel::verdict($node, $young), 'rejected AGE_OUT_OF_RANGE 0', 'on 2028-02-28 an applicant born 2012-02-29 is 15');
is(TimeTravel::verdict($node, $consent_89), 'assigned  70',
   'on 2028-02-28 a consent of 2027-12-01 (89 days) is valid, not recent (score 40 + 20 + 0 + 10)');

TimeTravel::queue($node, 'pause');
TimeTravel::clock_set('2028-02-28 23:59:57');
my $leap16 = TimeTravel::submit($node, 3, $leapling);
my $march = TimeTravel::submit($node, 4, '{"date_of_birth": "2012-03-01"}');
my $consent_90 = TimeTravel::submit($node, 5, $december);
TimeTravel::wait_until($node, '2028-02-29 00:00:00.2');
my $leap_consent = TimeTravel::submit($node, 6, '{"consent_at": "2028-02-29T00:00:00Z"}');
TimeTravel::queue($node, 'resume');
TimeTravel::drained($node);

like(TimeTravel::verdict($node, $leap16), qr/^assigned /, 'on 2028-02-29 the applicant born 2012-02-29 is 16: assigned');
is(TimeTravel::verdict($node, $march), 'rejected AGE_OUT_OF_RANGE 0', '... one born 2012-03-01 is still 15');
is(TimeTravel::verdict($node, $consent_90), 'rejected NO_CONSENT 0',
   'after the midnight that starts February 29 the consent of December 1 is over 90 days old');
is(TimeTravel::verdict($node, $leap_consent), 'assigned  85', 'a consent given on the leap day is fresh (+15)');
is(TimeTravel::month_of($node, 'leads', "id = $leap_consent"), '2028-02', 'a lead of February 29 is in the February partition');

# 2030: the clock moves two years on; the launcher's maintenance premakes
# the months around the new date, and the partition job runs once.
my $runs = $node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'partition_maintenance'});
TimeTravel::clock_set('2030-02-28 12:00:00');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.partitions('leadgen.leads')
     WHERE range_from = timestamptz '2030-03-01 00:00:00+00'}, '1'),
   'after a jump to 2030 the maintenance job premade March 2030');
is($node->safe_psql('postgres', q{SELECT next_run_at FROM leadgen.jobs WHERE name = 'partition_maintenance'}),
   '2030-02-28 12:07:00+00', '... and is next due at 12:07 on the new date');
is($node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'partition_maintenance'}),
   $runs + 1, '... having run once for the two years of missed hours');
my $seventeen = TimeTravel::submit($node, 7, '{"insurance_type": "home", "property": {"year_built": 1990}, "date_of_birth": "2012-02-29"}');
TimeTravel::drained($node);
is(TimeTravel::verdict($node, $seventeen), 'rejected AGE_OUT_OF_RANGE 0',
   'on 2030-02-28 a home applicant born 2012-02-29 is 17 (home needs 18)');

TimeTravel::queue($node, 'pause');
TimeTravel::clock_set('2030-02-28 23:59:57');
my $eighteen = TimeTravel::submit($node, 8, '{"insurance_type": "home", "property": {"year_built": 1990}, "date_of_birth": "2012-02-29"}');
TimeTravel::wait_until($node, '2030-03-01 00:00:00.2');
TimeTravel::queue($node, 'resume');
TimeTravel::drained($node);
like(TimeTravel::verdict($node, $eighteen), qr/^assigned /, '... and 18 on March 1, 2030 (no February 29 that year): assigned');

$node->stop;
done_testing();
