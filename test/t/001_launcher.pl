# The pg_leadgen launcher: it runs where the library is preloaded, runs the
# partition maintenance job, obeys a reload, comes back after a crash, and
# state survives a restart. Without preloading, CREATE EXTENSION still
# installs everything and warns about what does not run.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('launcher');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'postgres'
leadgen.naptime = '200ms'
restart_after_crash = on
});
$node->start;

my $launcher_q = q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher' AND datname = 'postgres'};
ok($node->poll_query_until('postgres', $launcher_q, '1'), 'launcher connects to leadgen.database');

$node->safe_psql('postgres', 'CREATE EXTENSION pg_leadgen CASCADE');
is($node->safe_psql('postgres', 'SELECT leadgen.preloaded()'), 't', 'preloaded() is true');

# A lead dated far ahead lands in the default partition; the launcher's
# partition maintenance job moves it into a monthly child of its own.
$node->safe_psql('postgres', q{
    INSERT INTO leadgen.leads (id, status, quality_score, created_at)
    VALUES (42, 'qualified', 60, date_trunc('month', now()) + interval '4 years 2 days')});
is($node->safe_psql('postgres', q{SELECT tableoid::regclass FROM leadgen.leads WHERE id = 42}),
   'leadgen.leads_default', 'far-future lead lands in the default partition');
$node->safe_psql('postgres', q{SELECT leadgen.run_job_now('partition_maintenance')});
ok($node->poll_query_until('postgres',
       q{SELECT tableoid::regclass::text <> 'leadgen.leads_default' FROM leadgen.leads WHERE id = 42}, 't'),
   'the maintenance job moved it out of the default partition');
like($node->safe_psql('postgres', q{SELECT tableoid::regclass FROM leadgen.leads WHERE id = 42}),
     qr/^leadgen\.leads_p\d{4}_?\d{2}/, 'into a monthly partition');
is($node->safe_psql('postgres', q{SELECT status || ' ' || message FROM leadgen.job_runs WHERE job_name = 'partition_maintenance' ORDER BY id DESC LIMIT 1}),
   'succeeded SELECT 2', 'the run is recorded');

# A reload reaches the launcher: with the scheduler off, a due job waits.
$node->safe_psql('postgres', q{ALTER SYSTEM SET leadgen.scheduler = off});
$node->reload;
ok($node->poll_query_until('postgres', q{SELECT setting FROM pg_settings WHERE name = 'leadgen.scheduler'}, 'off'),
   'reload applied');
sleep 1;	# let the launcher process its SIGHUP
$node->safe_psql('postgres', q{
    INSERT INTO leadgen.leads (id, status, quality_score, created_at)
    VALUES (43, 'qualified', 60, date_trunc('month', now()) + interval '7 years');
    SELECT leadgen.run_job_now('partition_maintenance')});
sleep 3;
is($node->safe_psql('postgres', q{SELECT tableoid::regclass FROM leadgen.leads WHERE id = 43}),
   'leadgen.leads_default', 'with the scheduler turned off by reload, the due job does not run');
$node->safe_psql('postgres', q{ALTER SYSTEM SET leadgen.scheduler = on});
$node->reload;
ok($node->poll_query_until('postgres',
       q{SELECT tableoid::regclass::text <> 'leadgen.leads_default' FROM leadgen.leads WHERE id = 43}, 't'),
   'turned back on by reload, the due job runs');

# kill -9 of the launcher: the postmaster restarts the cluster and the launcher.
my $pid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher'});
ok($pid =~ /^\d+$/, 'launcher pid known');
kill 'KILL', $pid;
ok($node->poll_query_until('postgres',
       qq{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher' AND pid <> $pid}, '1'),
   'launcher is back after kill -9');

# State survives a restart.
$node->restart;
is($node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads WHERE id IN (42, 43)}), '2', 'leads survive a restart');
ok($node->poll_query_until('postgres', $launcher_q, '1'), 'launcher runs after restart');
$node->stop;

# Without shared_preload_libraries: objects install, a WARNING with a hint says what does not run.
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
my ($stdout, $stderr);
$plain->psql('postgres', 'CREATE EXTENSION pg_leadgen CASCADE', stdout => \$stdout, stderr => \$stderr, on_error_die => 1);
like($stderr, qr/WARNING:\s+pg_leadgen is not loaded through shared_preload_libraries/, 'warning without preload');
like($stderr, qr/HINT:\s+Add pg_leadgen to shared_preload_libraries/, 'hint says how to fix it');
is($plain->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relnamespace = 'leadgen'::regnamespace AND relname IN ('leads', 'leads_pending', 'agents', 'carriers', 'brokers', 'events', 'lead_assignments', 'leads_dead_letter')}),
   '8', 'the domain tables are installed anyway');
is($plain->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher'}),
   '0', 'no launcher runs');
$plain->psql('postgres', 'SELECT * FROM leadgen.perf_slow_queries()', stderr => \$stderr);
like($stderr, qr/ERROR:\s+pg_stat_statements is not loaded/, 'the slow query report says pg_stat_statements is not loaded');
like($stderr, qr/HINT:\s+Add pg_stat_statements to shared_preload_libraries/, 'and how to load it');
$plain->psql('postgres', q{SELECT leadgen.perf_optimize_table('leadgen.leads')}, stderr => \$stderr);
like($stderr, qr/no worker can run VACUUM/, 'VACUUM through the workers needs the workers');
$plain->stop;

done_testing();
