/*
 * accesslog.c
 *		The access log: one JSON line a request, written whole under a lock
 *		by whichever thread answered; opened again by name on SIGHUP, so
 *		that a rotation (rename, then SIGHUP) makes a new file.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway.h"

static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Open the access log --access-log names: "off" for none, "-" for
 * stderr. False, with the reason on stderr, when the file cannot be
 * opened.
 */
bool
access_log_open(void)
{
	if (strcmp(gw_settings.access_log, "off") == 0)
		log_file = NULL;
	else if (strcmp(gw_settings.access_log, "-") == 0)
		log_file = stderr;
	else if ((log_file = fopen(gw_settings.access_log, "a")) == NULL)
	{
		perror("leadgen-gateway: access log");
		return false;
	}
	if (log_file)
		setvbuf(log_file, NULL, _IOLBF, 0);
	return true;
}

/* Close the access log at the end (stderr stays). */
void
access_log_close(void)
{
	if (log_file && log_file != stderr)
		fclose(log_file);
	log_file = NULL;
}

/*
 * SIGHUP: the access log is opened again by name, so that a log rotation
 * (rename, then SIGHUP) makes a new file. On failure the old file stays.
 */
void
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
