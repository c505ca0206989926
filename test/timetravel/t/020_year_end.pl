# December 31, 23:50 UTC, into January 1: the new year's partitions are
# premade across the year, "next calendar year" and "this year" move at
# midnight (a vehicle of 2029 and a house built in 2028 are invalid on
# 2027-12-31 and valid on 2028-01-01), leads land in their year's month,
# and a yearly job runs once, at midnight.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = TimeTravel::node('year_end', '2027-12-31 23:50:00');

for my $t (qw(leads events))
{
    ok(TimeTravel::has_month($node, $t, $_), "on December 31, $t has its $_ partition")
      for qw(2028-01 2028-04);
}
is($node->safe_psql('postgres', q{
    SELECT next_run_at FROM leadgen.schedule_job('new-year', '0 0 1 1 *', 'UTC', 'SELECT 1')}),
   '2028-01-01 00:00:00+00', 'a yearly job is due at midnight');

my $car = '{"vehicles": [{"year": 2029, "make": "Tesla", "model": "Model 2"}]}';
my $house = '{"insurance_type": "home", "property": {"year_built": 2028}}';
my $car_2027 = TimeTravel::submit($node, 1, $car);
my $house_2027 = TimeTravel::submit($node, 2, $house);
my $car_next = TimeTravel::submit($node, 3, '{"vehicles": [{"year": 2028, "make": "Ford", "model": "Focus"}]}');
TimeTravel::drained($node);
is(TimeTravel::verdict($node, $car_2027), 'rejected INVALID_VEHICLE 0', 'on 2027-12-31 a vehicle of 2029 is invalid');
is(TimeTravel::verdict($node, $house_2027), 'rejected INVALID_PROPERTY 0', 'on 2027-12-31 a house built in 2028 is invalid');
like(TimeTravel::verdict($node, $car_next), qr/^assigned /, 'on 2027-12-31 a vehicle of 2028 (next year) is valid');

TimeTravel::queue($node, 'pause');
TimeTravel::clock_set('2027-12-31 23:59:57');
my $before = TimeTravel::submit($node, 4);
my $car_2028 = TimeTravel::submit($node, 5, $car);
my $house_2028 = TimeTravel::submit($node, 6, $house);
TimeTravel::wait_until($node, '2028-01-01 00:00:00.2');
my $after = TimeTravel::submit($node, 7);
TimeTravel::queue($node, 'resume');
TimeTravel::drained($node);

like(TimeTravel::verdict($node, $car_2028), qr/^assigned /, 'processed on 2028-01-01, a vehicle of 2029 is valid');
like(TimeTravel::verdict($node, $house_2028), qr/^assigned /, '... and a house built in 2028');
is(TimeTravel::month_of($node, 'leads', "id = $before"), '2027-12', 'a lead of 23:59:57 is in December 2027');
is(TimeTravel::month_of($node, 'leads', "id = $after"), '2028-01', 'a lead after midnight is in January 2028');
is(TimeTravel::month_of($node, 'events', "entity_id = $before"), '2028-01', "its events, written after midnight, in January");

ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'new-year' AND status = 'succeeded'}, '1'),
   'the yearly job ran');
is($node->safe_psql('postgres', q{
    SELECT string_agg(scheduled_for::text, ',') FROM leadgen.job_runs WHERE job_name = 'new-year'}),
   '2028-01-01 00:00:00+00', '... once, for midnight of January 1');
is($node->safe_psql('postgres', q{SELECT next_run_at FROM leadgen.jobs WHERE name = 'new-year'}),
   '2029-01-01 00:00:00+00', '... and is next due a year later');

$node->stop;
done_testing();
