/*
 * main.c
 *		leadgen-gateway: settings (options, then environment), start, the
 *		access log, and the drain on SIGTERM.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
			"  --bind ADDR         IPv4 address to listen on (LEADGEN_GATEWAY_BIND, default 127.0.0.1)\n"
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
			"  --help              this text\n");
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
	"access-log", "drain-seconds", "statement-timeout-ms", "admin-statement-timeout-ms"};

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

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2) != 0)
		{
			fprintf(stderr, "leadgen-gateway: unexpected argument \"%s\"\n", a);
			exit(2);
		}
		a += 2;
		if ((eq = strchr(a, '=')) != NULL)
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
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	db_config(gw_settings.db, gw_settings.replica);
	cache_init((size_t) gw_settings.cache_mb * 1024 * 1024);
	db_listener_start();
	submit_start();
	d = http_start();
	if (d == NULL)
	{
		fprintf(stderr, "leadgen-gateway: could not listen on %s:%d\n", gw_settings.bind, gw_settings.port);
		return 1;
	}
	fprintf(stderr, "leadgen-gateway: listening on %s:%d, %d threads, cache %ld MiB%s\n", gw_settings.bind,
			gw_settings.port, gw_settings.threads, gw_settings.cache_mb, gw_settings.replica ? ", with a replica" : "");

	sigwait(&sigs, &sig);

	/* drain: no new connections, requests in flight finish, then stop */
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
	db_listener_stop();
	fprintf(stderr, "leadgen-gateway: stopped\n");
	if (log_file && log_file != stderr)
		fclose(log_file);
	return 0;
}
