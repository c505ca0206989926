# The pg_leadgen launcher: it runs where the library is preloaded, runs the
# partition maintenance job, obeys a reload, comes back after a crash, and
# state survives a restart. Without preloading, CREATE EXTENSION still
# installs everything and warns about what does not run.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

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
$node->safe_psql('postgres', q{UPDATE leadgen.jobs SET next_run_at = now() WHERE name = 'partition_maintenance'});
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
    UPDATE leadgen.jobs SET next_run_at = now() WHERE name = 'partition_maintenance'});
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

# A job worker killed mid-run (the postmaster restarts every process):
# once the launcher is back, the run is marked failed, not left running.
$node->safe_psql('postgres', q{
    SELECT leadgen.schedule_job('sleeper', '0 0 1 1 *', 'UTC', 'SELECT pg_sleep(60)');
    SELECT leadgen.run_job_now('sleeper')});
ok($node->poll_query_until('postgres', q{SELECT status FROM leadgen.job_runs WHERE job_name = 'sleeper'}, 'running'),
   'the job runs');
my $job_pid = $node->safe_psql('postgres', q{SELECT pid FROM leadgen.job_runs WHERE job_name = 'sleeper'});
kill 'KILL', $job_pid;
ok($node->poll_query_until('postgres', q{SELECT status FROM leadgen.job_runs WHERE job_name = 'sleeper'}, 'failed'),
   'after its worker was killed and the server restarted, the run is marked failed');
like($node->safe_psql('postgres', q{SELECT message FROM leadgen.job_runs WHERE job_name = 'sleeper'}),
     qr/ended without recording an outcome/, '... saying why');

# State survives a restart.
$node->restart;
is($node->safe_psql('postgres', q{SELECT count(*) FROM leadgen.leads WHERE id IN (42, 43)}), '2', 'leads survive a restart');
ok($node->poll_query_until('postgres', $launcher_q, '1'), 'launcher runs after restart');

# A primary made read-only (default_transaction_read_only, as a failover
# tool may set while it drains a node): the workers and the launcher wait,
# with no error and no attempt charged, and go on once it is writable.
my $log_offset = -s $node->logfile;
my $lead = $node->safe_psql('postgres', q{
    SELECT leadgen.queue_pause('leads');
    SELECT leadgen.lead_submit('{"source": "web_form", "insurance_type": "renters"}')});
($lead) = $lead =~ /(\d+)$/;
$node->safe_psql('postgres', 'ALTER SYSTEM SET default_transaction_read_only = on');
$node->reload;
sleep 2;	# the workers and the launcher process their SIGHUP
$node->safe_psql('postgres', q{SET default_transaction_read_only = off; SELECT leadgen.queue_resume('leads')});
sleep 3;
is($node->safe_psql('postgres', qq{SELECT attempts FROM leadgen.leads_pending WHERE id = $lead}), '0',
   'on a read-only primary the lead waits, no attempt charged');
unlike(slurp_file($node->logfile, $log_offset), qr/read-only transaction/, '... and no worker logged a read-only error');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET default_transaction_read_only');
$node->reload;
ok($node->poll_query_until('postgres', qq{SELECT count(*) FROM leadgen.leads WHERE id = $lead}, '1'),
   'writable again, the workers process it');

# A database the workers do not serve: CREATE EXTENSION says so, and a job
# run by hand runs there all the same, at once.
my ($stdout, $stderr);
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->psql('other', 'CREATE EXTENSION pg_leadgen CASCADE', stderr => \$stderr, on_error_die => 1);
like($stderr, qr/WARNING:\s+the pg_leadgen workers serve database "postgres", not "other"/,
     'in another database, CREATE EXTENSION warns that the workers serve leadgen.database');
like($stderr, qr/HINT:\s+Set leadgen.database = 'other' and restart the server/, '... with the setting that would change it');
$node->safe_psql('other', q{
    SELECT leadgen.schedule_job('probe', '0 0 1 1 *', 'UTC', 'CREATE TABLE public.ran_here AS SELECT current_database() AS db');
    SELECT leadgen.run_job_now('probe')});
ok($node->poll_query_until('other', q{SELECT status FROM leadgen.job_runs WHERE job_name = 'probe'}, 'succeeded'),
   'a job run by hand in a database the launcher does not serve runs');
is($node->safe_psql('other', 'SELECT db FROM public.ran_here'), 'other', '... in that database');

# DROP EXTENSION and the launcher take their locks in one order: the
# launcher locks the extension before any of its tables, DROP EXTENSION
# locks it before it drops anything. A DROP EXTENSION left open in a
# transaction holds the launcher at the extension's lock, not at a table
# (where it held one table while waiting for another that DROP EXTENSION
# held: a deadlock); once it rolls back, the launcher goes on.
my $drop = $node->background_psql('postgres');
$drop->query_safe(q{BEGIN; DROP TABLE leadgen.lead_assignments, leadgen.leads, leadgen.events; DROP EXTENSION pg_leadgen});
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
     WHERE a.backend_type = 'pg_leadgen launcher' AND NOT l.granted
       AND l.locktype = 'object' AND l.classid = 'pg_extension'::regclass}, '1'),
   'with DROP EXTENSION open, the launcher waits at the extension lock');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
     WHERE a.backend_type = 'pg_leadgen launcher' AND l.locktype = 'relation'}), '0',
   '... holding no table');
$drop->query_safe('ROLLBACK');
$drop->quit;
$node->safe_psql('postgres', q{UPDATE leadgen.jobs SET next_run_at = now() WHERE name = 'partition_maintenance'});
ok($node->poll_query_until('postgres', q{SELECT next_run_at > now() FROM leadgen.jobs WHERE name = 'partition_maintenance'}),
   'rolled back, the launcher runs the due job');
$node->stop;

# Without shared_preload_libraries: objects install, a WARNING with a hint says what does not run.
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
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
my $job = $plain->safe_psql('postgres', q{SELECT leadgen.perf_optimize_table('leadgen.leads')->>'job_id'});
ok($plain->poll_query_until('postgres', "SELECT leadgen.perf_job_status($job)->>'status'", 'succeeded'),
   'VACUUM (ANALYZE) through perf_optimize_table runs in a worker of its own without preloading');

# make installcheck against such a server stops at once, naming the setting.
{
    local $ENV{PGHOST} = $plain->host;
    local $ENV{PGPORT} = $plain->port;
    my ($out, $err);
    IPC::Run::run([ "$FindBin::Bin/../installcheck-preflight.sh", '0.2.0' ], '>', \$out, '2>', \$err);
    isnt($?, 0, 'the installcheck preflight refuses a server without the library preloaded');
    like($err, qr/set shared_preload_libraries = 'pg_leadgen,pg_stat_statements' and restart the server/,
         '... saying which setting it needs');
}
$plain->stop;

done_testing();
