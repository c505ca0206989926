# Logical backups as a DBA takes them at 3 a.m.: `pg_dump -Fc` of a
# database with pg_leadgen, `createdb` and a plain `pg_restore -d` into a
# fresh cluster that preloads the library and runs its workers in that
# database. No error; every table has the same rows (leads of every month,
# of the default partition and of the next month; their assignments and
# events; the queue, keys, weights, jobs); the catalog is the same, fact by
# fact (test/sql/catalog_fingerprint.sql); and the copy goes on working:
# the workers drain the restored queue and new leads, new ids come after
# the restored ones, the key opens the API, maintenance runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $conf = q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'leadgen'
leadgen.scheduler = off
};
my $src = PostgreSQL::Test::Cluster->new('dump_src');
$src->init;
$src->append_conf('postgresql.conf', $conf . "leadgen.workers = 0\n");
$src->start;
my $dst = PostgreSQL::Test::Cluster->new('dump_dst');
$dst->init;
$dst->append_conf('postgresql.conf', $conf . "leadgen.workers = 1\n");
$dst->start;
$src->safe_psql('postgres', 'CREATE DATABASE leadgen');

my $key = $src->safe_psql('leadgen', q{
    SET client_min_messages = warning;
    CREATE EXTENSION pg_leadgen CASCADE;
    INSERT INTO leadgen.brokers (name) VALUES ('Dump Broker');
    INSERT INTO leadgen.carriers (name, states, insurance_types)
    VALUES ('Dump Carrier', '{CA}', '{auto}');
    INSERT INTO leadgen.agents (name, state, city, specializations, max_leads)
    SELECT 'Agent ' || g, 'CA', 'San Francisco', '{auto}', 10 FROM generate_series(1, 3) g;
    SELECT leadgen.api_key_create('dump-partner', 'partner', NULL);
});
like($key, qr/\S{20,}/, 'an API key was made in the source');

# 40 leads (30 assigned, 10 left qualified: the agents are full), a weight
# changed, a job scheduled, three leads left pending behind a paused queue,
# a lead dated in 2020 (the default partition) and one in the next month.
sub payloads {
    my ($from, $to) = @_;
    return qq{
    SELECT jsonb_agg(jsonb_build_object(
        'external_id', 'dump-' || g, 'source', 'web_form', 'insurance_type', 'auto',
        'first_name', 'Ana', 'last_name', 'Lopez',
        'email', 'dump' || g || '\@example.com', 'phone', '(415) 555-' || lpad(g::text, 4, '0'),
        'date_of_birth', to_char(current_date - interval '30 years', 'YYYY-MM-DD'),
        'zip_code', '94103', 'state', 'CA', 'city', 'San Francisco', 'tcpa_consent', true,
        'consent_at', to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'vehicles', jsonb_build_array(jsonb_build_object('year', 2019, 'make', 'Toyota', 'model', 'Camry'))))
      FROM generate_series($from, $to) g};
}
$src->safe_psql('leadgen', q{
    SELECT leadgen.lead_submit_batch((} . payloads(1, 40) . q{));
    SELECT leadgen.process_pending();
    UPDATE leadgen.scoring_weights SET points = points + 1
     WHERE component = (SELECT min(component) FROM leadgen.scoring_weights);
    SELECT leadgen.schedule_job('nightly-analyze', '30 2 * * *', 'UTC', 'ANALYZE leadgen.leads_pending');
    SELECT leadgen.queue_pause('leads');
    SELECT leadgen.lead_submit_batch((} . payloads(41, 43) . q{));
    INSERT INTO leadgen.leads
    SELECT (jsonb_populate_record(l, jsonb_build_object('id', 900000 + s.n, 'created_at', s.at))).*
      FROM leadgen.leads l,
           (VALUES (1, timestamptz '2020-03-01 12:00+00'),
                   (2, date_trunc('month', now()) + interval '1 month 1 day')) s(n, at)
     WHERE l.id = (SELECT min(id) FROM leadgen.leads);
});
is($src->safe_psql('leadgen', q{
    SELECT (SELECT count(*) FROM leadgen.leads) || ' ' || (SELECT count(*) FROM leadgen.lead_assignments)
           || ' ' || (SELECT count(*) FROM leadgen.leads_pending) || ' ' || (SELECT count(*) FROM leadgen.leads_default)}),
   '42 30 3 1', 'the source: 42 leads (one in the default partition), 30 assignments, 3 pending');

# The commands a DBA types: a custom-format dump, a new database, a plain
# pg_restore into it, nothing else.
my $dump = $PostgreSQL::Test::Utils::tmp_check . '/leadgen.dump';
command_ok(['pg_dump', '-Fc', '-f', $dump, '-d', $src->connstr('leadgen')], 'pg_dump -Fc');
command_ok(['createdb', '-h', $dst->host, '-p', $dst->port, 'leadgen'], 'createdb in a fresh cluster');
my ($out, $err) = ('', '');
my $rc = IPC::Run::run(['pg_restore', '-h', $dst->host, '-p', $dst->port, '-d', 'leadgen', $dump],
                       '>', \$out, '2>', \$err);
ok($rc, 'pg_restore -d exits 0');
my $errors = () = $err =~ /pg_restore: error/g;
is($errors, 0, 'pg_restore reports no error') or diag($err);

# Row for row the same, table by table, and a checksum over every lead.
for my $t (qw(leads events lead_assignments leads_pending lead_external_ids leads_dead_letter
              brokers agents carriers api_keys queues scoring_weights jobs)) {
    # The built-in jobs are made again by CREATE EXTENSION, with ids and
    # next runs of their own: jobs are compared by what they are.
    my $x = $t eq 'jobs' ? '(x.name, x.schedule, x.timezone, x.command, x.paused)' : 'x';
    my $q = qq{SELECT count(*) || ' ' || md5(coalesce(string_agg(${x}::text, ',' ORDER BY ${x}::text), '')) FROM leadgen.$t x};
    my $want = $src->safe_psql('leadgen', $q);
    is($dst->safe_psql('leadgen', $q), $want, "leadgen.$t: the same rows (" . (split / /, $want)[0] . ')');
}
my $leads_sum = q{SELECT count(*) || ' ' || md5(string_agg(l::text || coalesce(a.agent_id::text, '-') || l.tableoid::regclass::text, ',' ORDER BY l.id))
                    FROM leadgen.leads l LEFT JOIN leadgen.lead_assignments a ON a.lead_id = l.id};
is($dst->safe_psql('leadgen', $leads_sum), $src->safe_psql('leadgen', $leads_sum),
   'every lead, with its agent and its partition, checksums the same');
is($dst->safe_psql('leadgen', q{SELECT sum(current_lead_count) = (SELECT count(*) FROM leadgen.lead_assignments) FROM leadgen.agents}),
   't', "the agents' counts match the restored assignments");

# The catalog: the same facts (extension members, configuration tables,
# every relation with its privileges, constraints, indexes, triggers,
# sequences, pg_partman's configuration of our tables).
my $fp = "$FindBin::Bin/../sql/catalog_fingerprint.sql";
my $src_fp = $src->safe_psql('leadgen', '', extra_params => ['-f', $fp]);
my $dst_fp = $dst->safe_psql('leadgen', '', extra_params => ['-f', $fp]);
ok(length($src_fp) > 1000, 'the fingerprint has the facts');
is($dst_fp, $src_fp, 'the restored catalog is the same, fact by fact');

# The copy works on: the workers (waiting while the restore ran) drain the
# restored queue once it is resumed and new leads; ids go on after the
# restored ones; the key opens the API; maintenance runs.
is($dst->safe_psql('leadgen', q{SELECT paused FROM leadgen.queues WHERE name = 'leads'}), 't',
   'the queue is still paused');
$dst->safe_psql('leadgen', q{SELECT leadgen.queue_resume('leads')});
my $new_id = $dst->safe_psql('leadgen', q{SELECT leadgen.lead_submit(jsonb_set((} . payloads(44, 44)
                                        . q{) -> 0, '{external_id}', '"dump-new"'))});
ok($new_id > $src->safe_psql('leadgen', q{SELECT max(id) FROM leadgen.leads WHERE id < 900000}),
   'a new lead gets an id after the restored ones');
ok($dst->poll_query_until('leadgen', q{SELECT count(*) FROM leadgen.leads_pending}, '0'),
   "the copy's worker drains the restored queue and the new lead");
is($dst->safe_psql('leadgen', q{SELECT count(*) FROM leadgen.leads}), '46', 'all 46 leads are there');
is($dst->safe_psql('leadgen', qq{SELECT count(*) FROM leadgen.events WHERE entity_id = $new_id}), '1',
   'the new lead has its event');
is($dst->safe_psql('leadgen', qq{SELECT tier FROM leadgen.api_key_verify('$key')}), 'partner',
   "the source's API key is valid in the copy");
is($dst->safe_psql('leadgen', q{SELECT count(*) FROM leadgen.run_maintenance()}), '2',
   'partition maintenance runs in the copy');
like($dst->safe_psql('leadgen', q{SELECT tableoid::regclass FROM leadgen.leads WHERE id = 900001}),
     qr/^leadgen\.leads_p2020_?03$/, 'the lead of 2020 moves out of the default partition');

done_testing();
