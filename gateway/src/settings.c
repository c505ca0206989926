/*
 * settings.c
 *		leadgen-gateway's settings: their defaults, then the environment
 *		(LEADGEN_GATEWAY_*), then the command line; --help and --version.
 *		A bad value stops the gateway with exit status 2 and what is wrong.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
			"  --ack-standby-ms MS answer a lead submission only once a physical standby has flushed it,\n"
			"                      waiting up to MS (below --statement-timeout-ms); else 503 not_replicated\n"
			"                      (LEADGEN_GATEWAY_ACK_STANDBY_MS, default 0: answer at the primary's commit)\n"
			"  --version           the gateway's version and the pg_leadgen version it speaks\n"
			"  --routes            the route table, one \"METHOD /path/{}\" a line, and exit\n"
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
	else if (strcmp(name, "ack-standby-ms") == 0)
		gw_settings.ack_standby_ms = (int) number("--ack-standby-ms", v, 0, 60000);
	else
	{
		fprintf(stderr, "leadgen-gateway: unknown option --%s\n", name);
		usage(stderr);
		exit(2);
	}
}

void
settings_load(int argc, char **argv)
{
	static const char *const names[] = {"port", "bind", "db", "replica", "threads", "cache-mb", "max-body",
		"access-log", "drain-seconds", "statement-timeout-ms", "admin-statement-timeout-ms", "pooler", "listen-db",
	"trusted-proxies", "reuse-port", "ack-standby-ms"};
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
	if (gw_settings.ack_standby_ms >= gw_settings.statement_timeout_ms)
	{
		/* the wait is a statement of a lead route: its timeout would cut it short */
		fprintf(stderr, "leadgen-gateway: --ack-standby-ms (%d) must be below --statement-timeout-ms (%d)\n",
				gw_settings.ack_standby_ms, gw_settings.statement_timeout_ms);
		exit(2);
	}
}
