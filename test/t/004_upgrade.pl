# Upgrades: a database that installed pg_leadgen 0.1.0, with leads in it,
# runs ALTER EXTENSION pg_leadgen UPDATE and is then the same as a fresh
# install of the current version, fact by fact (test/sql/
# catalog_fingerprint.sql: functions, owners, privileges, settings, tables,
# indexes, triggers, roles, members, configuration rows), in clusters of
# their own so that the cluster-wide roles are compared too. Its leads
# survive and its queue drains with the new code.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $fingerprint = "$FindBin::Bin/../sql/catalog_fingerprint.sql";
my $current = do {
    open(my $fh, '<', "$FindBin::Bin/../../pg_leadgen.control") or die "pg_leadgen.control: $!";
    my ($v) = join('', <$fh>) =~ /default_version\s*=\s*'([^']+)'/;
    $v;
};
ok(defined $current, "the control file names the current version ($current)");

sub cluster
{
    my ($name) = @_;
    my $node = PostgreSQL::Test::Cluster->new($name);
    $node->init;
    $node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'postgres'
leadgen.workers = 0
leadgen.scheduler = off
});
    $node->start;
    return $node;
}

sub facts
{
    my ($node) = @_;
    my $out = $node->safe_psql('postgres', slurp_file($fingerprint));
    return [ split /\n/, $out ];
}

my $fresh = cluster('fresh');
$fresh->safe_psql('postgres', 'SET client_min_messages = warning; CREATE EXTENSION pg_leadgen CASCADE');
is($fresh->safe_psql('postgres', 'SELECT leadgen.version()'), $current, "a fresh install is $current");

my $old = cluster('updated');
$old->safe_psql('postgres', q{
    SET client_min_messages = warning;
    CREATE EXTENSION pg_leadgen VERSION '0.1.0' CASCADE;
    INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Upgrade Carrier', '{CA}', '{auto}');
    INSERT INTO leadgen.agents (name, state, city, specializations, max_leads) VALUES ('Upgrade Agent', 'CA', 'San Francisco', '{auto}', 100);
});
is($old->safe_psql('postgres', 'SELECT leadgen.version()'), '0.1.0', 'the old cluster installed 0.1.0');

# Leads processed by 0.1.0, and leads left pending for the new version.
my $lead = q{jsonb_build_object('source', 'web_form', 'insurance_type', 'auto', 'first_name', 'Ana',
    'last_name', 'Lopez', 'email', 'up' || g || '@example.com', 'phone', '(415) 555-' || lpad(g::text, 4, '0'),
    'date_of_birth', '1990-04-12', 'zip_code', '94103', 'state', 'CA', 'tcpa_consent', true,
    'consent_at', to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'vehicles', jsonb_build_array(jsonb_build_object('year', 2019, 'make', 'Toyota', 'model', 'Camry')))};
$old->safe_psql('postgres', "SELECT leadgen.lead_submit($lead) FROM generate_series(1, 10) g");
is($old->safe_psql('postgres', 'SELECT leadgen.process_pending()'), '10', '0.1.0 processed 10 leads');
$old->safe_psql('postgres', "SELECT leadgen.lead_submit($lead) FROM generate_series(11, 15) g");

my ($rc, $out, $err) = $old->psql('postgres', 'ALTER EXTENSION pg_leadgen UPDATE');
is($rc, 0, 'ALTER EXTENSION pg_leadgen UPDATE succeeds') or diag($err);
is($old->safe_psql('postgres', 'SELECT leadgen.version()'), $current, "the old cluster is now $current");

# The same catalog, fact by fact.
my $want = facts($fresh);
my $got = facts($old);
my %in_want = map { $_ => 1 } @$want;
my %in_got = map { $_ => 1 } @$got;
my @missing = grep { !$in_got{$_} } @$want;
my @extra = grep { !$in_want{$_} } @$got;
ok(@$want > 300, 'the fingerprint has facts (' . scalar(@$want) . ')');
is(scalar(@missing), 0, 'the updated database has every fact of a fresh install')
  or diag("missing after the update:\n  " . join("\n  ", @missing[0 .. ($#missing < 30 ? $#missing : 29)]));
is(scalar(@extra), 0, 'and nothing a fresh install does not have')
  or diag("only after the update:\n  " . join("\n  ", @extra[0 .. ($#extra < 30 ? $#extra : 29)]));

# The data went through, and the new code works on it.
is($old->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE status = 'assigned') FROM leadgen.leads}), '10',
   'the leads 0.1.0 processed are there, assigned');
is($old->safe_psql('postgres', 'SELECT leadgen.process_pending()'), '5', 'the updated extension processes the leads left pending');
is($old->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads l JOIN leadgen.lead_assignments a ON a.lead_id = l.id}),
   '15', 'every lead has its assignment');

$fresh->stop;
$old->stop;
done_testing();
