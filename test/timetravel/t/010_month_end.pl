# The last day of a month, 23:50 UTC, running across midnight into the next
# month: the next month's partitions exist before they are needed, a lead
# lands in the month of its submission, its events in the month they
# happen, an age is taken on the processing date (16 the next day: rejected
# before midnight, assigned after), the hourly maintenance keeps premaking,
# and the gateway, a client on the same clock, dates what it answers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/..";
use TimeTravel;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

my $node = TimeTravel::node('month_end', '2027-04-30 23:50:00');

# Before midnight: May (and four months ahead) already exist.
for my $t (qw(leads events))
{
    ok(TimeTravel::has_month($node, $t, '2027-05'), "at 23:50 on April 30, $t has its May partition");
    ok(TimeTravel::has_month($node, $t, '2027-08'), "... and its partitions up to August (premake 4)");
}

my $early = TimeTravel::submit($node, 1);
my $young = TimeTravel::submit($node, 2, '{"date_of_birth": "2011-05-01"}');
TimeTravel::drained($node);
is(TimeTravel::month_of($node, 'leads', "id = $early"), '2027-04', 'a lead of 23:50 is in the April partition');
is(TimeTravel::verdict($node, $young), 'rejected AGE_OUT_OF_RANGE 0',
   'an auto applicant 16 tomorrow (born 2011-05-01) is rejected on April 30');

# The gateway, on the fake clock too.
# (make test builds it; `make installcheck` may run without it)
my $gateway = "$FindBin::Bin/../../../gateway/leadgen-gateway";
my ($gw, $gw_port, $key);
if (-x $gateway)
{
    $gw_port = PostgreSQL::Test::Cluster::get_free_port();
    $key = $node->safe_psql('postgres', q{SELECT leadgen.api_key_create('time-partner', 'partner')});
    $gw = IPC::Run::start(
        [ $gateway, '--port', $gw_port, '--threads', '2',
          '--db', 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres user=postgres' ],
        '>', $node->basedir . '/gateway.log', '2>&1');
    my $ready;
    for (1 .. 100)
    {
        last if ($ready = `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$gw_port/ready`) eq '200';
        Time::HiRes::usleep(100_000);
    }
    is($ready, '200', 'the gateway is ready');
}
sub post_lead
{
    my ($n) = @_;
    return (undef, '') unless $gw;
    my $body = $node->safe_psql('postgres', "SELECT public.tt_lead($n)::text");
    my $out = `curl -s -i -X POST -H 'Authorization: Bearer $key' -H 'Content-Type: application/json' --data-binary '$body' http://127.0.0.1:$gw_port/api/v1/leads`;
    my ($id) = $out =~ /"id":\s*(\d+)/;
    diag("POST /api/v1/leads: $out") unless defined $id;
    my ($date) = $out =~ /^Date: (.*?)\r?$/mi;
    return ($id, $date // '');
}

# Across midnight: the queue paused, one lead submitted before, one after;
# an applicant submitted before midnight and processed after it.
TimeTravel::queue($node, 'pause');
TimeTravel::clock_set('2027-04-30 23:59:57');
my $before = TimeTravel::submit($node, 3);
my $sixteen = TimeTravel::submit($node, 4, '{"date_of_birth": "2011-05-01"}');
my ($gw_before, $date_before) = post_lead(5);
TimeTravel::wait_until($node, '2027-05-01 00:00:00.2');
my $after = TimeTravel::submit($node, 6);
my ($gw_after, $date_after) = post_lead(7);
TimeTravel::queue($node, 'resume');
TimeTravel::drained($node);

is(TimeTravel::month_of($node, 'leads', "id = $before"), '2027-04', 'a lead submitted at 23:59:57 is in April');
is(TimeTravel::month_of($node, 'leads', "id = $after"), '2027-05', 'a lead submitted after midnight is in May');
SKIP:
{
    skip "the gateway is not built ($gateway)", 4 unless $gw;
    like($date_before, qr/30 Apr 2027/, "the gateway's Date before midnight: $date_before");
    like($date_after, qr/01 May 2027/, "the gateway's Date after midnight: $date_after");
    is(TimeTravel::month_of($node, 'leads', "id = $gw_before"), '2027-04', 'a lead POSTed through the gateway before midnight is in April');
    is(TimeTravel::month_of($node, 'leads', "id = $gw_after"), '2027-05', '... and one POSTed after it in May');
}
is(TimeTravel::month_of($node, 'events', "entity_id = $before AND type = 'lead.assigned'"), '2027-05',
   'the April lead processed after midnight has its event in May');
is($node->safe_psql('postgres', "SELECT to_char(processed_at, 'YYYY-MM-DD') FROM leadgen.leads WHERE id = $sixteen"), '2027-05-01',
   'the applicant submitted on April 30 was processed on May 1');
is(TimeTravel::verdict($node, $sixteen), 'assigned  85',
   '... and is 16 on the processing date: assigned (score 40 + 20 contact + 15 fresh consent + 10 web_form)');
is($node->safe_psql('postgres', q{
    SELECT (SELECT count(*) FROM leadgen.leads_default) + (SELECT count(*) FROM leadgen.events_default)}), '0',
   'no row in a default partition');

# The hourly maintenance (at :07) premakes the month the premake now reaches.
TimeTravel::clock_set('2027-05-01 00:06:58');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM leadgen.job_runs WHERE job_name = 'partition_maintenance' AND status = 'succeeded'
       AND scheduled_for = timestamptz '2027-05-01 00:07:00+00'}, '1'),
   'the partition maintenance job ran at 00:07 on May 1');
ok(TimeTravel::has_month($node, $_, '2027-09'), "$_ has September, four months after May") for qw(leads events);

$gw->kill_kill if $gw;
$node->stop;
done_testing();
