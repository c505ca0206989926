# A pg_auto_failover formation on this machine for the tests: a monitor
# and nodes on local ports, each run by its own `pg_autoctl run`, as the
# user the tests run as. pg_autoctl keeps its state under XDG folders of the
# formation's own, so formations of different tests never meet.
#
#   my $f = LeadgenHA->new(dir => $dir);
#   $f->create_monitor;                      # then fast failover settings
#   $f->add_node('n1', conf => "...");       # the first node: single
#   $f->add_node('n2');                      # pg_basebackup of n1: secondary
#   $f->wait_states(n1 => 'primary', n2 => 'secondary');
#   $f->kill_node('n1');                     # kill -9: pg_autoctl and postmaster
#   $f->teardown;
package LeadgenHA;

use strict;
use warnings;
use Carp;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(time usleep);

sub new
{
	my ($class, %args) = @_;
	my $self = bless { dir => $args{dir}, logdir => $args{logdir} // $args{dir}, nodes => {}, order => [], runs => {} }, $class;
	mkdir $self->{dir};
	for my $x (qw(xdg-config xdg-data xdg-run sock))
	{
		mkdir "$self->{dir}/$x";
	}
	my $p = '';
	$self->{pgctl} = IPC::Run::run([ 'sh', '-c', 'command -v pg_ctl' ], '>', \$p) ? ($p =~ s/\s+$//r) : 'pg_ctl';
	return $self;
}

# The environment pg_autoctl runs with: its own XDG folders.
sub env
{
	my ($self) = @_;
	return (
		XDG_CONFIG_HOME => "$self->{dir}/xdg-config",
		XDG_DATA_HOME => "$self->{dir}/xdg-data",
		XDG_RUNTIME_DIR => "$self->{dir}/xdg-run",
		PGHOST => '127.0.0.1');
}

sub autoctl
{
	my ($self, @args) = @_;
	local %ENV = (%ENV, $self->env);
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ 'pg_autoctl', @args ], '>', \$out, '2>', \$err);
	return wantarray ? ($ok, $out, $err) : $ok;
}

# Start `pg_autoctl run` for a data directory, in the background.
sub run_node
{
	my ($self, $name) = @_;
	local %ENV = (%ENV, $self->env);
	my $d = "$self->{dir}/$name";
	$self->{runs}{$name} = IPC::Run::start([ 'pg_autoctl', 'run', '--pgdata', $d ],
		'>>', "$self->{logdir}/ha_$name.log", '2>>', "$self->{logdir}/ha_$name.log");
	return;
}

sub create_monitor
{
	my ($self, %args) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $d = "$self->{dir}/monitor";
	my ($ok, $out, $err) = $self->autoctl('create', 'monitor', '--pgdata', $d, '--pgport', $port,
		'--hostname', '127.0.0.1', '--listen', '127.0.0.1', '--auth', 'trust', '--no-ssl',
		'--pgctl', $self->{pgctl});
	croak "pg_autoctl create monitor failed: $err" unless $ok;
	$self->tune($d);
	$self->{monitor_port} = $port;
	$self->run_node('monitor');
	$self->wait_sql($port, 'pg_auto_failover', 'SELECT 1', '1', 30)
	  or croak 'the monitor did not start';
	$self->{monitor_uri} = "postgres://autoctl_node\@127.0.0.1:$port/pg_auto_failover?sslmode=disable";
	return $port;
}

# pg_autoctl sizes a node for the machine (shared_buffers of a quarter of
# its memory, 8 GB of kept WAL): on a shared test machine each node gets
# little. pg_autoctl reaches its servers over TCP (PGHOST); their sockets
# go to a folder of the formation's own.
sub tune
{
	my ($self, $d, $extra) = @_;
	open my $fh, '>>', "$d/postgresql.conf" or croak $!;
	print $fh "shared_buffers = '64MB'\nwal_keep_size = '256MB'\nmax_wal_size = '512MB'\n"
	  . "effective_cache_size = '1GB'\nmaintenance_work_mem = '64MB'\nunix_socket_directories = '$self->{dir}/sock'\n"
	  . ($extra // '');
	close $fh;
	return;
}

# Monitor settings: the defaults take about 50 s to fail over (20 s before
# a node is unhealthy, 30 s for a demotion that cannot come); these take
# a few seconds on one machine.
sub fast_failover
{
	my ($self, %s) = @_;
	my %want = (
		health_check_period => 1000,
		health_check_timeout => 1000,
		health_check_max_retries => 1,
		health_check_retry_delay => 500,
		node_considered_unhealthy_timeout => 3000,
		primary_demote_timeout => 3000,
		%s);
	# ALTER SYSTEM runs outside a transaction block: one statement a call
	for my $sql ((map { "ALTER SYSTEM SET pgautofailover.$_ = $want{$_}" } sort keys %want), 'SELECT pg_reload_conf()')
	{
		defined $self->psql($self->{monitor_port}, 'pg_auto_failover', $sql)
		  or croak "$sql: $self->{last_error}";
	}
	return;
}

sub add_node
{
	my ($self, $name, %args) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $d = "$self->{dir}/$name";
	my @cmd = ('create', 'postgres', '--pgdata', $d, '--pgport', $port, '--hostname', '127.0.0.1',
		'--listen', '127.0.0.1', '--auth', 'trust', '--no-ssl', '--pgctl', $self->{pgctl},
		'--dbname', $args{dbname} // 'leadgen', '--name', $name, '--monitor', $self->{monitor_uri});
	my ($ok, $out, $err) = $self->autoctl(@cmd);
	croak "pg_autoctl create postgres $name failed: $err" unless $ok;
	# a standby is a copy of the primary's folder, settings included
	$self->tune($d, $args{conf}) unless @{ $self->{order} };
	$self->{nodes}{$name} = { port => $port, dir => $d };
	push @{ $self->{order} }, $name;
	$self->run_node($name);
	$self->wait_sql($port, 'postgres', 'SELECT 1', '1', 60)
	  or croak "node $name did not start";
	return $port;
}

sub port { my ($self, $name) = @_; return $self->{nodes}{$name}{port}; }

# Node name => reported state, from the monitor.
sub states
{
	my ($self) = @_;
	my $rows = $self->psql($self->{monitor_port}, 'pg_auto_failover',
		'SELECT nodename, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid');
	my %s;
	for (split /\n/, $rows // '')
	{
		my ($n, $r, $g) = split /\|/;
		$s{$n} = $r eq $g ? $r : "$r>$g";
	}
	return \%s;
}

sub wait_states
{
	my ($self, $timeout, %want) = @_;
	my $deadline = time + $timeout;
	while (time < $deadline)
	{
		my $s = $self->states;
		return 1 unless grep { ($s->{$_} // '') ne $want{$_} } keys %want;
		usleep(200_000);
	}
	return 0;
}

sub describe_states
{
	my ($self) = @_;
	my $s = $self->states;
	return join(', ', map { "$_ $s->{$_}" } sort keys %$s);
}

# One psql call; undef when it failed.
sub psql
{
	my ($self, $port, $db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', $port,
		'-d', $db, '-c', $sql ], '>', \$out, '2>', \$err,
		IPC::Run::timeout(60));
	$self->{last_error} = $err;
	return undef unless $ok;
	$out =~ s/\n$//;
	return $out;
}

sub wait_sql
{
	my ($self, $port, $db, $sql, $want, $timeout) = @_;
	my $deadline = time + $timeout;
	while (time < $deadline)
	{
		my $got = $self->psql($port, $db, $sql);
		return 1 if defined $got && $got eq $want;
		usleep(200_000);
	}
	return 0;
}

sub pid_of
{
	my ($file) = @_;
	open my $fh, '<', $file or return undef;
	my $pid = <$fh>;
	close $fh;
	chomp $pid if defined $pid;
	return $pid && $pid =~ /^\d+$/ ? $pid : undef;
}

# The node's machine lost: its pg_autoctl (supervisor and services) and its
# postmaster killed with SIGKILL, nothing shut down. (The postmaster alone
# killed, pg_autoctl would start it again in place: no failover.)
sub kill_node
{
	my ($self, $name) = @_;
	my $d = $self->{nodes}{$name}{dir};
	my $rundir = "$self->{dir}/xdg-run/pg_autoctl$d";
	my @pids = grep { defined } map { pid_of("$rundir/$_") } qw(pg_autoctl.pid pg_autoctl_postgres.pid pg_autoctl_node-active.pid);
	push @pids, pid_of("$d/postmaster.pid");
	my $t = time;
	kill 'KILL', @pids;
	$self->{runs}{$name}->finish if $self->{runs}{$name};
	delete $self->{runs}{$name};
	return $t;
}

# The node's pg_autoctl started again: it rejoins as it can (a killed
# primary comes back as a standby, pg_rewind if need be).
sub restart_node
{
	my ($self, $name) = @_;
	$self->run_node($name);
	return;
}

sub teardown
{
	my ($self) = @_;
	for my $name (reverse(@{ $self->{order} }), 'monitor')
	{
		my $d = $name eq 'monitor' ? "$self->{dir}/monitor" : $self->{nodes}{$name}{dir};
		next unless -d $d;
		$self->autoctl('stop', '--pgdata', $d, '--fast') if $self->{runs}{$name};
	}
	for my $name (keys %{ $self->{runs} })
	{
		my $h = $self->{runs}{$name};
		eval { $h->finish; 1 } or eval { $h->kill_kill; 1 };
	}
	$self->{runs} = {};
	# a postmaster left behind (its pg_autoctl killed) stops too
	for my $d (map { $_->{dir} } values %{ $self->{nodes} })
	{
		my $pid = pid_of("$d/postmaster.pid");
		kill 'KILL', $pid if $pid && kill(0, $pid);
	}
	return;
}

1;
