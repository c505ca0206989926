# Physical backups and point-in-time recovery: a base backup taken with
# pg_basebackup while the pipeline works, WAL archived with archive_command,
# more leads, a restore point, then a mistake (every assignment deleted, a
# table truncated). A new cluster restored from the base backup and the
# archive up to the restore point has exactly the leads, assignments,
# events and agents' counts of that moment; once promoted, its launcher and
# pipeline workers start by themselves, drain new leads, and ids go on
# after the restored ones.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $conf = q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'postgres'
leadgen.workers = 1
leadgen.naptime = '200ms'
};
my $primary = PostgreSQL::Test::Cluster->new('pitr_primary');
$primary->init(has_archiving => 1, allows_streaming => 1);
$primary->append_conf('postgresql.conf', $conf);
$primary->start;
$primary->safe_psql('postgres', q{
    SET client_min_messages = warning;
    CREATE EXTENSION pg_leadgen CASCADE;
    INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('PITR Carrier', '{CA}', '{renters}');
    INSERT INTO leadgen.agents (name, state, city, specializations, max_leads)
    SELECT 'PITR Agent ' || g, 'CA', 'San Francisco', '{renters}', 60 FROM generate_series(1, 3) g;
});

sub submit
{
	my ($node, $from, $to) = @_;
	$node->safe_psql('postgres', qq{
        SELECT leadgen.lead_submit_batch(jsonb_agg(jsonb_build_object(
            'external_id', 'pitr-' || g, 'source', 'web_form', 'insurance_type', 'renters',
            'first_name', 'Ana', 'last_name', 'Lopez', 'email', 'pitr' || g || '\@example.com',
            'zip_code', '94103', 'state', 'CA', 'tcpa_consent', true,
            'consent_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))))
          FROM generate_series($from, $to) g});
	return $node->poll_query_until('postgres', 'SELECT count(*) FROM leadgen.leads_pending', '0');
}

ok(submit($primary, 1, 100), 'the workers processed 100 leads');
$primary->backup('base');    # pg_basebackup, WAL streamed
ok(submit($primary, 101, 250), 'and 150 more after the base backup');

my $state = q{
    SELECT (SELECT count(*) FROM leadgen.leads) || ' ' || (SELECT count(*) FROM leadgen.lead_assignments) || ' '
        || (SELECT count(*) FROM leadgen.events) || ' ' || (SELECT sum(current_lead_count) FROM leadgen.agents) || ' '
        || (SELECT md5(string_agg(l::text, ',' ORDER BY l.id)) FROM leadgen.leads l)};
my $at_point = $primary->safe_psql('postgres', $state);
like($at_point, qr/^250 180 250 180 /, 'at the restore point: 250 leads, 180 assigned (the agents are full)');
my $max_id = $primary->safe_psql('postgres', 'SELECT max(id) FROM leadgen.leads');
$primary->safe_psql('postgres', q{SELECT pg_create_restore_point('before-the-mistake')});
$primary->safe_psql('postgres', q{
    DELETE FROM leadgen.lead_assignments;
    UPDATE leadgen.agents SET current_lead_count = 0;
    TRUNCATE leadgen.leads_dead_letter;
});
isnt($primary->safe_psql('postgres', $state), $at_point, 'the mistake changed the primary');
my $walfile = $primary->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())');
$primary->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok($primary->poll_query_until('postgres', qq{SELECT '$walfile' <= last_archived_wal FROM pg_stat_archiver}),
   'the WAL up to the mistake is archived');
$primary->stop;

# The restore: the base backup, the archive, recovery up to the restore
# point, then promotion.
my $restored = PostgreSQL::Test::Cluster->new('pitr_restored');
$restored->init_from_backup($primary, 'base', has_restoring => 1);
$restored->append_conf('postgresql.conf', q{
recovery_target_name = 'before-the-mistake'
recovery_target_action = 'promote'
});
$restored->start;
ok($restored->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'recovery reached the restore point and promoted');
is($restored->safe_psql('postgres', $state), $at_point,
   'the restored cluster has every lead, assignment, event and agent count of the restore point');
ok($restored->poll_query_until('postgres',
       q{SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('pg_leadgen launcher', 'pg_leadgen worker')}, '2'),
   'the launcher and the pipeline worker started by themselves after promotion');
ok(submit($restored, 251, 260), 'the restored cluster drains new leads');
is($restored->safe_psql('postgres', qq{SELECT count(*) FROM leadgen.leads WHERE id > $max_id}), '10',
   'with ids after the restored ones');

done_testing();
