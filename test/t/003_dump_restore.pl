# Logical backups: a database with pg_leadgen, copied with pg_dump in the
# two steps the README gives (schema without the partitions, then
# every row through the partitioned tables' roots) and restored (the rows
# in one transaction, after leadgen.prepare_restore()), has every row it had: leads of every month and of the
# default partition, events, assignments, the queue, keys, weights. The
# restored copy goes on working: its queue drains, its ids go on, its keys
# open the API.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'postgres'
leadgen.workers = 0
leadgen.scheduler = off
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('postgres', 'CREATE DATABASE dst');

my $key = $node->safe_psql('src', q{
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
# changed, three leads left pending behind a paused queue, a lead dated in
# 2020 (the default partition) and one in the next month.
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
$node->safe_psql('src', q{
    SELECT leadgen.lead_submit_batch((} . payloads(1, 40) . q{));
    SELECT leadgen.process_pending();
    UPDATE leadgen.scoring_weights SET points = points + 1
     WHERE component = (SELECT min(component) FROM leadgen.scoring_weights);
    SELECT leadgen.queue_pause('leads');
    SELECT leadgen.lead_submit_batch((} . payloads(41, 43) . q{));
    INSERT INTO leadgen.leads
    SELECT (jsonb_populate_record(l, jsonb_build_object('id', 900000 + s.n, 'created_at', s.at))).*
      FROM leadgen.leads l,
           (VALUES (1, timestamptz '2020-03-01 12:00+00'),
                   (2, date_trunc('month', now()) + interval '1 month 1 day')) s(n, at)
     WHERE l.id = (SELECT min(id) FROM leadgen.leads);
});
is($node->safe_psql('src', q{
    SELECT (SELECT count(*) FROM leadgen.leads) || ' ' || (SELECT count(*) FROM leadgen.lead_assignments)
           || ' ' || (SELECT count(*) FROM leadgen.leads_pending) || ' ' || (SELECT count(*) FROM leadgen.leads_default)}),
   '42 30 3 1', 'the source: 42 leads (one in the default partition), 30 assignments, 3 pending');

# What pg_dump sees: no partition is a member of the extension, so a dump
# has the rows of each, whenever it was made.
is($node->safe_psql('src', q{
    SELECT count(*) >= 4 AND count(d.objid) = 0
      FROM pg_inherits i
      JOIN pg_extension e ON e.extname = 'pg_leadgen'
      LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.inhrelid AND d.deptype = 'e'
                           AND d.refobjid = e.oid
     WHERE i.inhparent IN ('leadgen.leads'::regclass, 'leadgen.events'::regclass)}),
   't', 'none of the partitions CREATE EXTENSION made is a member of the extension');
command_ok(['pg_dump', '--schema=leadgen', '-f', '/dev/null', '-d', $node->connstr('src')],
           'pg_dump --schema=leadgen runs');

my ($rc, $out, $err) = $node->psql('src', 'SELECT leadgen.prepare_restore()');
like($err, qr/prepare_restore\(\) is for a new database/, 'prepare_restore() refuses a database that has leads');

# The README's commands, as a user types them (pipes, database names).
$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
sub sh_ok {
    my ($cmd, $name) = @_;
    command_ok(['bash', '-c', "set -o pipefail; $cmd"], $name);
}
sh_ok(q{pg_dump --schema-only -T 'leadgen.leads_p*' -T 'leadgen.events_p*' }
      . q{-T leadgen.leads_default -T leadgen.events_default src | psql -X -q -v ON_ERROR_STOP=1 -d dst},
      'the schema without the partitions restores without an error');
is($node->safe_psql('dst', 'SELECT leadgen.prepare_restore()'), '2',
   "prepare_restore() forgets the pg_partman configuration CREATE EXTENSION made (the dump's rows bring it)");
sh_ok(q{pg_dump --data-only --load-via-partition-root src }
      . q{| psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d dst -c 'SET CONSTRAINTS ALL DEFERRED' -f -},
      'the rows restore through the roots in one transaction without an error');
$node->safe_psql('dst', 'SELECT * FROM leadgen.run_maintenance()');

# Row for row the same, table by table.
for my $t (qw(leads events lead_assignments leads_pending lead_external_ids leads_dead_letter
              brokers agents carriers api_keys queues scoring_weights)) {
    my $q = qq{SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM leadgen.$t x};
    my $want = $node->safe_psql('src', $q);
    is($node->safe_psql('dst', $q), $want, "leadgen.$t: the same rows (" . (split / /, $want)[0] . ')');
}
is($node->safe_psql('dst', q{SELECT paused FROM leadgen.queues WHERE name = 'leads'}), 't',
   'the queue is still paused');
like($node->safe_psql('dst', q{SELECT tableoid::regclass FROM leadgen.leads WHERE id = 900001}),
     qr/^leadgen\.leads_p2020_?03$/, 'the lead of 2020 is in a partition of its month after run_maintenance()');
is($node->safe_psql('dst', q{SELECT count(*) FROM part_config WHERE parent_table LIKE 'leadgen.%'}), '2',
   "pg_partman's configuration of the two tables once, not twice");

# The copy works on: the key opens the API, the queue drains with the
# restored agents, new ids come after the restored ones.
is($node->safe_psql('dst', qq{SELECT tier FROM leadgen.api_key_verify('$key')}), 'partner',
   "the source's API key is valid in the copy");
$node->safe_psql('dst', q{SELECT leadgen.queue_resume('leads')});
is($node->safe_psql('dst', q{SELECT leadgen.process_pending()}), '3', 'the three pending leads are processed in the copy');
is($node->safe_psql('dst', q{
    SELECT leadgen.lead_submit(jsonb_set((} . payloads(44, 44) . q{) -> 0, '{external_id}', '"dump-new"'))
           > (SELECT max(id) FROM leadgen.leads WHERE id < 900000)}), 't', 'a new lead gets an id after the restored ones');

done_testing();
