# TimeTravel: clusters whose every process, and every client the test
# starts, reads a wall clock the test sets (fakeclock.c, preloaded).
#
#   my $node = TimeTravel::node('month_end', '2027-04-30 23:50:00');
#   TimeTravel::clock_set('2027-04-30 23:59:57');    # every process, at once
#   TimeTravel::wait_until($node, '2027-05-01 00:00:00.5');
#
# The clock ticks at the real rate between two settings. Times are UTC.
# The cluster runs the pipeline workers and the launcher for real
# (leadgen.database = postgres), with one carrier and a few agents in CA,
# and a function tt_lead(n, overrides) that builds a valid auto lead.
package TimeTravel;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use File::Spec;
use Time::HiRes ();
use Time::Local qw(timegm);

my $clock;

# Seconds since the epoch of 'YYYY-MM-DD HH:MM:SS[.frac]' in UTC.
sub epoch
{
    my ($when) = @_;
    my ($y, $mo, $d, $h, $mi, $s, $frac) =
      $when =~ /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?$/
      or die "not a UTC time: $when";
    return timegm($s, $mi, $h, $d, $mo - 1, $y) + ($frac // 0);
}

# Move the clock of every process to $when (UTC); it ticks on from there.
sub clock_set
{
    my ($when) = @_;
    my $offset = int((epoch($when) - Time::HiRes::time()) * 1e6);
    open(my $fh, '+<', $clock) or die "$clock: $!";
    binmode $fh;
    print $fh pack('q<', $offset);
    close $fh;
    return;
}

# The preload library, the clock file (at $start) and the environment
# every process started from now on inherits.
sub setup
{
    my ($start) = @_;
    my $here = File::Spec->rel2abs(dirname(__FILE__));
    my $lib = "$here/fakeclock.so";
    if (!-f $lib)
    {
        # not built by test/run-all.sh (make installcheck): build it now
        $lib = PostgreSQL::Test::Utils::tempdir() . '/fakeclock.so';
        system('gcc', '-std=gnu11', '-O2', '-shared', '-fPIC', '-o', $lib, "$here/fakeclock.c", '-ldl') == 0
          or die "could not build $lib";
    }
    $clock = PostgreSQL::Test::Utils::tempdir() . '/clock';
    open(my $fh, '>', $clock) or die "$clock: $!";
    binmode $fh;
    print $fh pack('q<', 0);
    close $fh;
    chmod 0644, $clock;
    clock_set($start);
    $ENV{LEADGEN_FAKECLOCK} = $clock;
    $ENV{LD_PRELOAD} = $lib;
    $ENV{TZ} = 'UTC';
    return;
}

# A cluster started at $start with pg_leadgen installed, its workers and
# launcher running, and the lead helpers.
sub node
{
    my ($name, $start) = @_;
    setup($start);
    my $node = PostgreSQL::Test::Cluster->new($name);
    $node->init;
    $node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'postgres'
leadgen.workers = 1
leadgen.poll_interval = 100
leadgen.naptime = '200ms'
timezone = 'UTC'
log_timezone = 'UTC'
});
    $node->start;
    $node->safe_psql('postgres', q{
        SET client_min_messages = warning;
        CREATE EXTENSION pg_leadgen CASCADE;
        INSERT INTO leadgen.carriers (name, states, insurance_types)
        VALUES ('Time Carrier', '{CA}', '{auto,home,renters,life,health,commercial}');
        INSERT INTO leadgen.agents (name, state, city, specializations, max_leads)
        SELECT 'Time Agent ' || g, 'CA', 'San Francisco', '{auto,home,renters,life,health,commercial}', 1000
          FROM generate_series(1, 3) g;
        -- A valid auto lead of CA, consent an hour old, a contact of its own.
        CREATE FUNCTION public.tt_lead(n integer, overrides jsonb DEFAULT '{}') RETURNS jsonb
        LANGUAGE sql AS $$
            SELECT jsonb_build_object(
                'source', 'web_form', 'insurance_type', 'auto',
                'first_name', 'Tess', 'last_name', 'Lead' || n,
                'email', 'tt' || n || '@example.com', 'phone', '(415) 555-' || lpad(n::text, 4, '0'),
                'date_of_birth', '1990-04-12', 'zip_code', '94103', 'state', 'CA', 'city', 'San Francisco',
                'tcpa_consent', true,
                'consent_at', to_char(now() - interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                'vehicles', jsonb_build_array(jsonb_build_object('year', 2019, 'make', 'Toyota', 'model', 'Camry'))
            ) || overrides
        $$;
    });
    return $node;
}

# Poll until the cluster's clock has passed $when (UTC).
sub wait_until
{
    my ($node, $when) = @_;
    ok($node->poll_query_until('postgres', "SELECT now() >= timestamptz '$when+00'"), "the clock passed $when");
    return;
}

# Submit a lead (tt_lead(n, overrides)); its id.
sub submit
{
    my ($node, $n, $overrides) = @_;
    $overrides //= '{}';
    return $node->safe_psql('postgres', "SELECT leadgen.lead_submit(public.tt_lead($n, '$overrides'))");
}

# Wait until the workers have processed every pending lead.
sub drained
{
    my ($node) = @_;
    ok($node->poll_query_until('postgres', 'SELECT count(*) FROM leadgen.leads_pending', '0'),
       'the workers drained the queue');
    return;
}

# "status reasons score" of a lead.
sub verdict
{
    my ($node, $id) = @_;
    return $node->safe_psql('postgres',
        "SELECT status || ' ' || array_to_string(rejection_reasons, ',') || ' ' || quality_score FROM leadgen.leads WHERE id = $id");
}

# The month ('YYYY-MM', or 'default') of the partition of leadgen.$table
# that holds the rows matching $where.
sub month_of
{
    my ($node, $table, $where) = @_;
    return $node->safe_psql('postgres', qq{
        SELECT string_agg(DISTINCT CASE WHEN p.is_default THEN 'default'
                                        ELSE to_char(p.range_from AT TIME ZONE 'UTC', 'YYYY-MM') END, ',')
          FROM leadgen.$table x JOIN leadgen.partitions('leadgen.$table') p ON p.partition = x.tableoid
         WHERE $where});
}

# Whether leadgen.$table has a monthly partition for $month ('YYYY-MM').
sub has_month
{
    my ($node, $table, $month) = @_;
    return $node->safe_psql('postgres', qq{
        SELECT count(*) FROM leadgen.partitions('leadgen.$table')
         WHERE NOT is_default AND range_from = timestamptz '$month-01 00:00:00+00'
           AND range_to = timestamptz '$month-01 00:00:00+00' + interval '1 month'}) eq '1';
}

sub queue
{
    my ($node, $verb) = @_;
    $node->safe_psql('postgres', "SELECT leadgen.queue_$verb('leads')");
    return;
}

1;
