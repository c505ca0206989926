# Durable acknowledgements (--ack-standby-ms, leadgen.wait_for_standby):
# a primary and a streaming standby, with synchronous_standby_names empty,
# as pg_auto_failover leaves a primary in wait_primary (docs/HA.md,
# "Planned switchover"). Two gateways on the primary: one with
# --ack-standby-ms, one without. While the standby streams, both
# acknowledge. With the standby stopped, the plain gateway still
# acknowledges (202) and the durable one answers 503 not_replicated,
# though both leads are committed on the primary. Then the primary stops
# and the standby is promoted without ever seeing those leads: every lead
# the durable gateway acknowledged is there; the plain gateway's last one
# is not (the loss the setting exists to prevent). A retry with the same
# external_id, once a standby streams again, is acknowledged and stores the
# lead once; a confirmation that cannot be asked is no "yes" either. The
# function itself: a session's last commit or all WAL ('server'), true
# with a standby, false without or with only a logical subscriber or a
# pg_receivewal (unless leadgen.standby_names names it), errors on a
# standby and for a bad timeout or scope.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(time usleep);
use FindBin;

my $gw_bin = "$FindBin::Bin/../../gateway/leadgen-gateway";
plan skip_all => "the gateway is not built ($gw_bin)" unless -x $gw_bin;

sub uniq_lines { my %seen; return grep { !$seen{$_}++ } split /\n/, $_[0]; }

sub poll
{
	my ($seconds, $cond) = @_;
	my $until = time + $seconds;
	while (time < $until)
	{
		return 1 if $cond->();
		usleep(100_000);
	}
	return 0;
}

my $primary = PostgreSQL::Test::Cluster->new('ack_primary');
$primary->init(allows_streaming => 'logical');
$primary->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = 'postgres'
leadgen.workers = 1
leadgen.naptime = '200ms'
synchronous_standby_names = ''
max_connections = 40
});
$primary->start;
my $key = $primary->safe_psql('postgres', q{
    SET client_min_messages = warning;
    CREATE EXTENSION pg_leadgen CASCADE;
    CREATE ROLE ack_gateway LOGIN IN ROLE leadgen_api;
    INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Ack Carrier', '{CA}', '{renters}');
    INSERT INTO leadgen.agents (name, state, city, specializations, max_leads)
    VALUES ('Ack Agent', 'CA', 'San Francisco', '{renters}', 100);
    SELECT leadgen.api_key_create('ack-partner', 'partner');
});
($key) = $key =~ /^(lg_\w+)$/m;
ok($key, 'the extension, a gateway role and a partner key');

# The function, before any standby: nothing has the WAL. A session that
# committed something waits for its last commit (scope 'session', the
# default); one that committed nothing has nothing to wait for; scope
# 'server' waits for all WAL written.
$primary->safe_psql('postgres', 'CREATE TABLE public.ack_probe (x int)');
is($primary->safe_psql('postgres', 'INSERT INTO public.ack_probe VALUES (1); SELECT leadgen.wait_for_standby(0)'), 'f',
   "without a standby, after the session's commit: false at once");
my $t0 = time;
is($primary->safe_psql('postgres', 'INSERT INTO public.ack_probe VALUES (2); SELECT leadgen.wait_for_standby(300)'), 'f',
   'and false after waiting 300 ms');
cmp_ok(time - $t0, '>=', 0.3, 'it waited its timeout');
is($primary->safe_psql('postgres', 'SELECT leadgen.wait_for_standby(0)'), 't',
   'a session that committed nothing: true (nothing of its own to lose)');
is($primary->safe_psql('postgres', q{SELECT leadgen.wait_for_standby(0, 'server')}), 'f',
   "scope 'server' from that session: false (the WAL others wrote)");
my ($rc, $out, $err) = $primary->psql('postgres', 'SELECT leadgen.wait_for_standby(-1)', extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/22023.*timeout_ms must be between 0 and 60000, not -1/, 'a negative timeout: 22023');
($rc, $out, $err) = $primary->psql('postgres', 'SELECT leadgen.wait_for_standby(60001)');
like($err, qr/timeout_ms must be between 0 and 60000, not 60001/, 'a timeout over a minute: an error');
($rc, $out, $err) = $primary->psql('postgres', q{SELECT leadgen.wait_for_standby(0, 'cluster')}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/22023.*scope must be 'session' or 'server', not "cluster"/, 'an unknown scope: 22023');

# A logical subscriber is not a standby: its walsender streams and reports
# the subscriber's flushes, but the subscriber holds no copy of this server
my $sub = PostgreSQL::Test::Cluster->new('ack_subscriber');
$sub->init;
$sub->start;
$sub->safe_psql('postgres', 'CREATE TABLE public.ack_probe (x int)');
$primary->safe_psql('postgres', 'CREATE PUBLICATION ack_pub FOR TABLE public.ack_probe');
$sub->safe_psql('postgres', "CREATE SUBSCRIPTION ack_sub CONNECTION 'host=" . $primary->host . ' port=' . $primary->port . " dbname=postgres' PUBLICATION ack_pub");
$sub->wait_for_subscription_sync($primary, 'ack_sub');
my $lsn = $primary->safe_psql('postgres', 'INSERT INTO public.ack_probe VALUES (10); SELECT pg_current_wal_insert_lsn()');
ok($primary->poll_query_until('postgres', "SELECT bool_or(flush_lsn >= '$lsn') FROM pg_stat_replication"),
   "the subscriber's walsender reports the insert flushed");
is($primary->safe_psql('postgres', q{INSERT INTO public.ack_probe VALUES (11); SELECT leadgen.wait_for_standby(1000)}), 'f',
   'a logical subscriber alone does not count as a standby');
$sub->safe_psql('postgres', 'DROP SUBSCRIPTION ack_sub');
$sub->stop;

{
# pg_receivewal (here --synchronous: it reports each flush) is a WAL
# archive, not a standby: the default leadgen.standby_names ('*') leaves it
# out; named, it counts; a name that is not its own does not
my $walarch = "$PostgreSQL::Test::Utils::tmp_check/ack_walarchive";
mkdir $walarch;
delete local $ENV{PGAPPNAME};    # the tests' own name would replace pg_receivewal's
my $receiver = IPC::Run::start([ 'pg_receivewal', '--synchronous', '--no-loop', '-D', $walarch,
	'-d', 'host=' . $primary->host . ' port=' . $primary->port ],
	'>>', "$PostgreSQL::Test::Utils::log_path/ack_receivewal.log", '2>>', "$PostgreSQL::Test::Utils::log_path/ack_receivewal.log");
$lsn = $primary->safe_psql('postgres', 'INSERT INTO public.ack_probe VALUES (12); SELECT pg_current_wal_insert_lsn()');
ok($primary->poll_query_until('postgres', "SELECT bool_or(flush_lsn >= '$lsn') FROM pg_stat_replication WHERE application_name = 'pg_receivewal'"),
   'pg_receivewal reports the insert flushed');
is($primary->safe_psql('postgres', q{INSERT INTO public.ack_probe VALUES (13); SELECT leadgen.wait_for_standby(1000)}), 'f',
   "pg_receivewal alone does not count (leadgen.standby_names '*')");
sub standby_names
{
	my ($v) = @_;
	$primary->safe_psql('postgres', "ALTER SYSTEM SET leadgen.standby_names = '$v'; SELECT pg_reload_conf()");
	return $primary->poll_query_until('postgres', 'SHOW leadgen.standby_names', $v);
}
standby_names('other, pg_receive*');
is($primary->safe_psql('postgres', q{INSERT INTO public.ack_probe VALUES (14); SELECT leadgen.wait_for_standby(5000)}), 't',
   "named by a prefix in leadgen.standby_names, it counts");
standby_names('pg_receivewal_not');
is($primary->safe_psql('postgres', q{INSERT INTO public.ack_probe VALUES (15); SELECT leadgen.wait_for_standby(1000)}), 'f',
   'another name does not');
$primary->safe_psql('postgres', 'ALTER SYSTEM RESET leadgen.standby_names; SELECT pg_reload_conf()');
$receiver->kill_kill;
}

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('ack_standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);
is($primary->safe_psql('postgres', q{SET ROLE ack_gateway; SELECT leadgen.wait_for_standby(5000, 'server')}), 't',
   "with a streaming standby: true, for the gateway's role (no pg_read_all_stats)");
is($primary->safe_psql('postgres', q{INSERT INTO public.ack_probe VALUES (3); SELECT leadgen.wait_for_standby(5000)}), 't',
   "and after the session's own commit");

# Synchronous replication on, and another session writing WAL all along:
# a commit returns once the standby has flushed it, so the session's own
# commit is always confirmed at once (timeout 0), however much WAL others
# have written since (scope 'server' would wait for theirs too).
$primary->safe_psql('postgres', q{ALTER SYSTEM SET synchronous_standby_names = '*'; SELECT pg_reload_conf()});
ok($primary->poll_query_until('postgres', q{SELECT sync_state = 'sync' FROM pg_stat_replication}), 'the standby is synchronous');
my $lsn0 = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
my $bulk = $primary->background_psql('postgres');
$bulk->query_until(qr/started/, q{\echo started
DO $$ BEGIN FOR i IN 1 .. 2000000 LOOP INSERT INTO public.ack_probe VALUES (i); END LOOP; END $$;
});
ok($primary->poll_query_until('postgres', "SELECT pg_current_wal_insert_lsn() - '$lsn0' > 2000000"),
   'another session writes WAL');
my $answers = $primary->safe_psql('postgres', join('', map { "INSERT INTO public.ack_probe VALUES ($_); SELECT leadgen.wait_for_standby(0);\n" } 1 .. 50));
my $lsn1 = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
is(join('', sort { $a cmp $b } uniq_lines($answers)), 't', 'under a concurrent write, each commit is confirmed at once (50 of 50)')
  or diag($answers);
ok($primary->safe_psql('postgres', qq{SELECT pg_current_wal_insert_lsn() > '$lsn1' AND count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'DO \$\$ BEGIN FOR i%' AND state = 'active'}) eq 't',
   '... while the other session was still writing');
$bulk->quit;
$primary->safe_psql('postgres', q{ALTER SYSTEM RESET synchronous_standby_names; SELECT pg_reload_conf()});
ok($primary->poll_query_until('postgres', q{SELECT sync_state = 'async' FROM pg_stat_replication}), 'asynchronous again');
($rc, $out, $err) = $standby->psql('postgres', 'SELECT leadgen.wait_for_standby(0)', extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/25006.*runs on a primary, and this server is a standby/, 'on the standby: 25006');
# (a logical subscriber's walsender is not a standby: it has a database)
like($err, qr/HINT:\s+Connect to the primary/, 'with a hint');

# The two gateways, on the primary only
my (%gw, @gw_runs);
END { eval { $_->kill_kill } for @gw_runs; }
for my $name ('durable', 'plain')
{
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my @ack = $name eq 'durable' ? ('--ack-standby-ms', '1500') : ();
	push @gw_runs, IPC::Run::start([ $gw_bin, '--port', $port, '--threads', '2', '--access-log', 'off', @ack,
		'--db', 'host=' . $primary->host . ' port=' . $primary->port . ' dbname=postgres user=ack_gateway' ],
		'>>', "$PostgreSQL::Test::Utils::log_path/ack_gateway_$name.log",
		'2>>', "$PostgreSQL::Test::Utils::log_path/ack_gateway_$name.log");
	$gw{$name} = "http://127.0.0.1:$port";
}
my $http = HTTP::Tiny->new(timeout => 10);
ok(poll(20, sub { !grep { ($http->get("$_/health")->{status} // 0) != 200 } values %gw }), 'both gateways run');

sub lead
{
	my ($ext) = @_;
	return encode_json({ external_id => $ext, source => 'web_form', insurance_type => 'renters', first_name => 'Ana',
		last_name => 'Lopez', email => "$ext\@example.com", zip_code => '94103', state => 'CA' });
}

sub post
{
	my ($gw, $path, $body) = @_;
	return $http->post("$gw{$gw}$path",
		{ content => $body, headers => { 'Content-Type' => 'application/json', 'X-API-Key' => $key } });
}
sub stored { my ($node, $ext) = @_; return $node->safe_psql('postgres', "SELECT count(*) FROM leadgen.lead_external_ids WHERE external_id = '$ext'"); }

my %acked;    # gateway => [external_ids it acknowledged]
for my $gw ('durable', 'plain')
{
	my $r = post($gw, '/api/v1/leads', lead("$gw-1"));
	is($r->{status}, 202, "with the standby streaming, the $gw gateway acknowledges") or diag($r->{content});
	push @{ $acked{$gw} }, "$gw-1" if $r->{status} == 202;
}

# The standby stops: the primary commits alone (synchronous_standby_names
# is empty, as in wait_primary)
$standby->stop('fast');
my $r = post('plain', '/api/v1/leads', lead('plain-2'));
is($r->{status}, 202, 'without a standby, the plain gateway still acknowledges');
push @{ $acked{plain} }, 'plain-2' if $r->{status} == 202;
$t0 = time;
$r = post('durable', '/api/v1/leads', lead('durable-2'));
my $waited = time - $t0;
is($r->{status}, 503, 'the durable gateway answers 503') or diag($r->{content});
push @{ $acked{durable} }, 'durable-2' if $r->{status} < 300;
my $body = eval { decode_json($r->{content}) } // {};
is($body->{error}{code} // '', 'not_replicated', 'with the error not_replicated')
  or diag($r->{content});
is($r->{headers}{'retry-after'}, '2', 'and Retry-After');
cmp_ok($waited, '>=', 1.5, 'after waiting its --ack-standby-ms');
is(stored($primary, 'durable-2'), '1', 'the unacknowledged lead is committed on the primary');
$r = post('durable', '/api/v1/leads/batch', '[' . lead('durable-3') . ',' . lead('durable-4') . ']');
is($r->{status}, 503, 'a batch through the durable gateway: 503 too') or diag($r->{content});
push @{ $acked{durable} }, 'durable-3', 'durable-4' if $r->{status} < 300;

# The primary goes; the standby is promoted with what it had
$primary->stop('immediate');
$standby->start;
$standby->promote;
ok($standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'the standby is promoted');
my @missing = grep { stored($standby, $_) ne '1' } @{ $acked{durable} };
is("@missing", '', 'every lead the durable gateway acknowledged is on the promoted standby');
@missing = grep { stored($standby, $_) ne '1' } @{ $acked{plain} };
is("@missing", 'plain-2', "the plain gateway's acknowledgement without a standby is lost (what --ack-standby-ms prevents)");

# A retry, once a standby streams again: the new primary and its own
# standby; the gateway now points there
$standby->backup('base2');
my $standby2 = PostgreSQL::Test::Cluster->new('ack_standby2');
$standby2->init_from_backup($standby, 'base2', has_streaming => 1);
$standby2->start;
$standby->wait_for_catchup($standby2);
$gw_runs[0]->kill_kill;
my $port = PostgreSQL::Test::Cluster::get_free_port();
push @gw_runs, IPC::Run::start([ $gw_bin, '--port', $port, '--threads', '1', '--access-log', 'off',
	'--ack-standby-ms', '3000', '--db', 'host=' . $standby->host . ' port=' . $standby->port . ' dbname=postgres user=ack_gateway' ],
	'>>', "$PostgreSQL::Test::Utils::log_path/ack_gateway_durable2.log",
	'2>>', "$PostgreSQL::Test::Utils::log_path/ack_gateway_durable2.log");
$gw{durable} = "http://127.0.0.1:$port";
ok(poll(20, sub { ($http->get("$gw{durable}/health")->{status} // 0) == 200 }), 'the durable gateway on the new primary');
for my $ext ('durable-2', 'durable-2')
{
	$r = post('durable', '/api/v1/leads', lead($ext));
	like($r->{status}, qr/^20[02]$/, "$ext sent again: acknowledged ($r->{status})") or diag($r->{content});
}
is(stored($standby, 'durable-2'), '1', 'and stored once');
$standby->wait_for_catchup($standby2);
is(stored($standby2, 'durable-2'), '1', 'and on the new standby');

# The question itself failing (here: EXECUTE revoked) is no "yes": 503,
# with the reason in the gateway's log, not blamed on the standby
$standby->safe_psql('postgres', 'REVOKE EXECUTE ON FUNCTION leadgen.wait_for_standby(integer, text) FROM leadgen_api');
$r = post('durable', '/api/v1/leads', lead('durable-5'));
is($r->{status}, 503, 'the confirmation refused: 503');
like($r->{content}, qr/could not be asked/, '... saying the question failed');
like(slurp_file("$PostgreSQL::Test::Utils::log_path/ack_gateway_durable2.log"),
     qr/could not ask whether a standby has the write: 42501 permission denied for function wait_for_standby/,
     "... and the gateway's log says why");

done_testing();
