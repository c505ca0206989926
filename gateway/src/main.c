/*
 * main.c
 *		leadgen-gateway: settings (options, then environment), start, the
 *		access log (reopened on SIGHUP), readiness for a service manager
 *		(sd_notify), and the drain on SIGTERM.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway.h"

Settings	gw_settings = {
	.port = 8080,
	.bind = "127.0.0.1",
	.threads = 2,
	.cache_mb = 64,
	.max_body = 65536,
	.access_log = "-",
	.drain_seconds = 10,
	.statement_timeout_ms = 5000,
	.admin_statement_timeout_ms = 30000,
};

static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
usage(FILE *out)
{
	fprintf(out,
			"leadgen-gateway: the REST API of pg_leadgen\n\n"
			"Usage: leadgen-gateway --db CONNINFO [options]\n\n"
			"  --port N            TCP port (LEADGEN_GATEWAY_PORT, default 8080)\n"
			"  --bind ADDR         IPv4 or IPv6 address to listen on, :: for every address\n"
			"                      (LEADGEN_GATEWAY_BIND, default 127.0.0.1)\n"
			"  --db CONNINFO       libpq conninfo of the primary; several hosts (host=a,b port=p,q) follow a\n"
			"                      failover: the writable one is used (LEADGEN_GATEWAY_DB, required)\n"
			"  --replica CONNINFO  streaming replicas for reads, one or several hosts; a standby is preferred\n"
			"                      (LEADGEN_GATEWAY_REPLICA)\n"
			"  --threads N         HTTP threads, one database connection each (LEADGEN_GATEWAY_THREADS, default 2)\n"
			"  --cache-mb N        response cache size in MiB, 0 = off (LEADGEN_GATEWAY_CACHE_MB, default 64)\n"
			"  --max-body BYTES    largest lead body; a batch may be 64 times it (LEADGEN_GATEWAY_MAX_BODY, default 65536)\n"
			"  --access-log PATH   JSON access log, '-' = stderr, 'off' = none (LEADGEN_GATEWAY_ACCESS_LOG, default -)\n"
			"  --drain-seconds N   how long SIGTERM waits for requests in flight (LEADGEN_GATEWAY_DRAIN_SECONDS, default 10)\n"
			"  --statement-timeout-ms MS\n"
			"                      statement timeout of the public, partner and internal routes\n"
			"                      (LEADGEN_GATEWAY_STATEMENT_TIMEOUT_MS, default 5000)\n"
			"  --admin-statement-timeout-ms MS\n"
			"                      statement timeout of the admin routes (every POST under /api/v1/performance)\n"
			"                      (LEADGEN_GATEWAY_ADMIN_STATEMENT_TIMEOUT_MS, default 30000)\n"
			"  --pooler            the database is reached through a pooler in transaction mode (pgbouncer):\n"
			"                      no named statements, no session settings (LEADGEN_GATEWAY_POOLER=1)\n"
			"  --listen-db CONNINFO  a direct connection (not through a pooler) for LISTEN; default --db\n"
			"                      (LEADGEN_GATEWAY_LISTEN_DB; with --pooler and none, the cache is off)\n"
			"  --trusted-proxies LIST  addresses or CIDR ranges, comma-separated, whose X-Forwarded-For or\n"
			"                      Forwarded header names the client (LEADGEN_GATEWAY_TRUSTED_PROXIES, default none)\n"
			"  --reuse-port        share the port with other processes that ask the same (SO_REUSEPORT);\n"
			"                      without it a port in use is an error (LEADGEN_GATEWAY_REUSE_PORT=1)\n"
			"  --version           the gateway's version and the pg_leadgen version it speaks\n"
			"  --help              this text\n"
			"\nSIGTERM drains and stops; SIGHUP reopens the access log. Under systemd (Type=notify) it says\n"
			"READY=1 once it listens.\n");
}

static long
number(const char *name, const char *v, long lo, long hi)
{
	long long	n;

	if (!parse_int(v, lo, hi, &n))
	{
		fprintf(stderr, "leadgen-gateway: %s must be an integer from %ld to %ld, not \"%s\"\n", name, lo, hi, v);
		exit(2);
	}
	return (long) n;
}

/* A flag's value from the environment (1, true, yes, on; 0, false, no, off, ""). */
static bool
flag(const char *name, const char *v)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"", "0", "false", "no", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(v, no[i]) == 0)
			return false;
	fprintf(stderr, "leadgen-gateway: %s is a flag (1 or 0), not \"%s\"\n", name, v);
	exit(2);
}

static void
apply(const char *name, const char *v)
{
	if (strcmp(name, "port") == 0)
		gw_settings.port = (int) number("--port", v, 1, 65535);
	else if (strcmp(name, "bind") == 0)
		gw_settings.bind = v;
	else if (strcmp(name, "db") == 0)
		gw_settings.db = v;
	else if (strcmp(name, "replica") == 0)
		gw_settings.replica = *v ? v : NULL;
	else if (strcmp(name, "threads") == 0)
		gw_settings.threads = (int) number("--threads", v, 1, 64);
	else if (strcmp(name, "cache-mb") == 0)
		gw_settings.cache_mb = number("--cache-mb", v, 0, 65536);
	else if (strcmp(name, "max-body") == 0)
		gw_settings.max_body = (size_t) number("--max-body", v, 1024, 64L * 1024 * 1024);
	else if (strcmp(name, "access-log") == 0)
		gw_settings.access_log = v;
	else if (strcmp(name, "drain-seconds") == 0)
		gw_settings.drain_seconds = (int) number("--drain-seconds", v, 0, 3600);
	else if (strcmp(name, "statement-timeout-ms") == 0)
		gw_settings.statement_timeout_ms = (int) number("--statement-timeout-ms", v, 100, 3600000);
	else if (strcmp(name, "admin-statement-timeout-ms") == 0)
		gw_settings.admin_statement_timeout_ms = (int) number("--admin-statement-timeout-ms", v, 100, 3600000);
	else if (strcmp(name, "pooler") == 0)
		gw_settings.pooler = flag("--pooler", v);
	else if (strcmp(name, "listen-db") == 0)
		gw_settings.listen_db = *v ? v : NULL;
	else if (strcmp(name, "trusted-proxies") == 0)
	{
		const char *err = proxy_config(v);

		if (err)
		{
			fprintf(stderr, "leadgen-gateway: --trusted-proxies: %s\n", err);
			exit(2);
		}
	}
	else if (strcmp(name, "reuse-port") == 0)
		gw_settings.reuse_port = flag("--reuse-port", v);
	else
	{
		fprintf(stderr, "leadgen-gateway: unknown option --%s\n", name);
		usage(stderr);
		exit(2);
	}
}

static void
settings_load(int argc, char **argv)
{
	static const char *const names[] = {"port", "bind", "db", "replica", "threads", "cache-mb", "max-body",
		"access-log", "drain-seconds", "statement-timeout-ms", "admin-statement-timeout-ms", "pooler", "listen-db",
	"trusted-proxies", "reuse-port"};
	/* options that take no value */
	static const char *const flags[] = {"pooler", "reuse-port"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
	{
		char		env[64];
		const char *v;

		snprintf(env, sizeof(env), "LEADGEN_GATEWAY_%s", names[i]);
		for (char *c = env; *c; c++)
			*c = (*c == '-') ? '_' : (char) (*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		if ((v = getenv(env)) != NULL)
			apply(names[i], v);
	}
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *eq;

		bool		is_flag = false;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			exit(0);
		}
		if (strcmp(a, "--version") == 0)
		{
			printf("leadgen-gateway %s (speaks pg_leadgen %s.x)\n", GW_VERSION, GW_SPEAKS);
			exit(0);
		}
		if (strncmp(a, "--", 2) != 0)
		{
			fprintf(stderr, "leadgen-gateway: unexpected argument \"%s\"\n", a);
			exit(2);
		}
		a += 2;
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			is_flag |= strcmp(a, flags[f]) == 0;
		if (is_flag)
			apply(a, "1");
		else if ((eq = strchr(a, '=')) != NULL)
		{
			char		name[40];

			snprintf(name, sizeof(name), "%.*s", (int) (eq - a), a);
			apply(name, eq + 1);
		}
		else if (i + 1 < argc)
			apply(a, argv[++i]);
		else
		{
			fprintf(stderr, "leadgen-gateway: --%s needs a value\n", a);
			exit(2);
		}
	}
	if (gw_settings.db == NULL)
	{
		fprintf(stderr, "leadgen-gateway: --db (or LEADGEN_GATEWAY_DB) is required\n");
		usage(stderr);
		exit(2);
	}
}

/*
 * SIGHUP: the access log is opened again by name, so that a log rotation
 * (rename, then SIGHUP) makes a new file. On failure the old file stays.
 */
static void
access_log_reopen(void)
{
	FILE	   *f;
	FILE	   *old;

	if (log_file == NULL || log_file == stderr)
		return;
	if ((f = fopen(gw_settings.access_log, "a")) == NULL)
	{
		fprintf(stderr, "leadgen-gateway: could not reopen the access log %s: %s\n", gw_settings.access_log,
				strerror(errno));
		return;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&log_lock);
	old = log_file;
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	fclose(old);
	fprintf(stderr, "leadgen-gateway: access log reopened\n");
}

/*
 * Tell a service manager how the gateway is (sd_notify's protocol, without
 * libsystemd): one datagram to $NOTIFY_SOCKET, a path or an abstract
 * socket ('@'). Nothing without it.
 */
static void
notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	size_t		len;
	int			fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') || (len = strlen(path)) >= sizeof(addr.sun_path))
		return;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &addr,
			   (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		fprintf(stderr, "leadgen-gateway: could not notify the service manager: %s\n", strerror(errno));
	close(fd);
}

/* One JSON line a request. */
void
access_log_write(const Request *req, double seconds)
{
	Buf			b = {0};
	struct timespec ts;
	struct tm	tm;
	char		when[40];
	static const char *const tiers[] = {"anonymous", "partner", "internal", "admin"};

	if (log_file == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(&b, "{\"time\":\"%s.%03ldZ\",\"request_id\":", when, ts.tv_nsec / 1000000);
	buf_json_string(&b, req->request_id);
	buf_puts(&b, ",\"client\":");
	buf_json_string(&b, req->client);
	buf_puts(&b, ",\"method\":");
	buf_json_string(&b, req->method ? req->method : "-");
	buf_puts(&b, ",\"uri\":");
	buf_json_string(&b, req->uri ? req->uri : "");
	buf_puts(&b, ",\"route\":");
	buf_json_string(&b, req->route ? req->route->pattern : "-");
	buf_printf(&b, ",\"status\":%d,\"ms\":%.3f,\"cache\":\"%s\",\"tier\":\"%s\"}\n", req->status, seconds * 1000,
			   req->cache, tiers[req->tier]);
	pthread_mutex_lock(&log_lock);
	fwrite(b.data, 1, b.len, log_file);
	pthread_mutex_unlock(&log_lock);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	sigset_t	sigs;
	int			sig = 0;
	struct MHD_Daemon *d;
	double		deadline;
	MHD_socket	listen_fd;
	bool		listening;

	settings_load(argc, argv);
	if (strcmp(gw_settings.access_log, "off") == 0)
		log_file = NULL;
	else if (strcmp(gw_settings.access_log, "-") == 0)
		log_file = stderr;
	else if ((log_file = fopen(gw_settings.access_log, "a")) == NULL)
	{
		perror("leadgen-gateway: access log");
		return 2;
	}
	if (log_file)
		setvbuf(log_file, NULL, _IOLBF, 0);

	/* the signals are taken by sigwait below, not by the HTTP threads */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * The cache is correct only while the listener hears every change;
	 * LISTEN does not work through a pooler in transaction mode, so there
	 * it needs a direct connection.
	 */
	listening = !(gw_settings.pooler && gw_settings.listen_db == NULL);
	if (!listening && gw_settings.cache_mb > 0)
	{
		fprintf(stderr, "leadgen-gateway: --pooler without --listen-db: no change notifications, so the "
				"response cache is off\n");
		gw_settings.cache_mb = 0;
	}
	db_config(gw_settings.db, gw_settings.replica);
	cache_init((size_t) gw_settings.cache_mb * 1024 * 1024);
	if (listening)
		db_listener_start();
	submit_start();
	d = http_start();
	if (d == NULL)
	{
		fprintf(stderr, "leadgen-gateway: could not listen on %s port %d%s\n", gw_settings.bind, gw_settings.port,
				gw_settings.reuse_port ? "" : " (a port in use is refused unless every process on it has --reuse-port)");
		/* the threads already started may be inside libpq: stop them before exit runs the libraries' destructors */
		workers_stop();
		submit_stop();
		if (listening)
			db_listener_stop();
		return 1;
	}
	fprintf(stderr, "leadgen-gateway %s: listening on %s port %d, %d threads, cache %ld MiB%s%s\n", GW_VERSION,
			gw_settings.bind, gw_settings.port, gw_settings.threads, gw_settings.cache_mb,
			gw_settings.replica ? ", with a replica" : "", gw_settings.pooler ? ", through a pooler" : "");
	notify("READY=1\nSTATUS=listening");

	for (;;)
	{
		sigwait(&sigs, &sig);
		if (sig != SIGHUP)
			break;
		access_log_reopen();
	}

	/* drain: no new connections, requests in flight finish, then stop */
	notify("STOPPING=1");
	fprintf(stderr, "leadgen-gateway: signal %d, draining %d requests\n", sig, http_inflight());
	listen_fd = MHD_quiesce_daemon(d);
	if (listen_fd != MHD_INVALID_SOCKET)
		shutdown(listen_fd, SHUT_RDWR);	/* refuse new connections now; closed after the stop */
	deadline = now_seconds() + gw_settings.drain_seconds;
	while (http_inflight() > 0 && now_seconds() < deadline)
		usleep(20 * 1000);
	if (http_inflight() > 0)
	{
		/*
		 * Requests still wait on the database (a lock, a hung server):
		 * those not started yet are answered 503 without running, the
		 * statements in progress are cancelled so that each gets its error
		 * answer, and suspended connections are resumed before the daemon
		 * stops.
		 */
		workers_drain();
		fprintf(stderr, "leadgen-gateway: %d requests still in flight after %d s; cancel sent on %d connections\n",
				http_inflight(), gw_settings.drain_seconds, db_cancel_all());
		deadline = now_seconds() + 5;
		while (http_inflight() > 0 && now_seconds() < deadline)
			usleep(20 * 1000);
	}
	MHD_stop_daemon(d);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	workers_stop();
	submit_stop();
	if (listening)
		db_listener_stop();
	fprintf(stderr, "leadgen-gateway: stopped\n");
	if (log_file && log_file != stderr)
		fclose(log_file);
	return 0;
}
