/*
 * listener.c
 *		The listener thread: its own connection, LISTEN leadgen_changes. A
 *		notification says which source changed (pipeline, backlog, agents,
 *		carriers, leads, lead_assignments, scoring_weights, api_keys,
 *		archive, or this gateway's invalidate and warm requests); the cached answers depending on it are dropped (all of
 *		them for an archive run, or a source not known), or the remembered
 *		keys. After a lost connection everything is dropped: changes may
 *		have been missed. It connects to --listen-db (behind a pooler,
 *		where LISTEN does not work) or --db, always to the writable server.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "gateway.h"

static pthread_t listener;
static atomic_bool stopping;
static const char *listen_info;	/* --listen-db, else --db */

static char *
json_field(const char *payload, const char *field)
{
	char		pat[64];
	const char *p;
	const char *e;
	char	   *out;

	snprintf(pat, sizeof(pat), "\"%s\"", field);
	p = strstr(payload, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	e = p;
	while (*e && *e != '"')
	{
		if (*e == '\\' && e[1])
			e++;
		e++;
	}
	out = strndup(p, (size_t) (e - p));
	return out;
}

static void warm_own_cache(PGconn *pg);

static void
handle_notification(PGconn *pg, const char *payload)
{
	char	   *source = json_field(payload, "source");
	char	   *op = json_field(payload, "op");

	if (source == NULL)
		cache_bump(RES_ALL);
	else if (strcmp(source, "pipeline") == 0 || strcmp(source, "backlog") == 0)
		cache_bump(RES_LEADS | RES_AGENTS);
	else if (strcmp(source, "agents") == 0 || strcmp(source, "leads") == 0 || strcmp(source, "lead_assignments") == 0)
		cache_bump(RES_AGENTS | RES_LEADS);
	else if (strcmp(source, "scoring_weights") == 0)
		cache_bump(RES_CONFIG);
	else if (strcmp(source, "carriers") == 0)
		cache_bump(RES_CARRIERS | RES_CONFIG);
	else if (strcmp(source, "api_keys") == 0)
		auth_forget_keys();
	else if (strcmp(source, "gateway") == 0 && op && strcmp(op, "invalidate") == 0)
	{
		char	   *pattern = json_field(payload, "pattern");

		cache_invalidate(pattern ? pattern : "*");
		free(pattern);
	}
	else if (strcmp(source, "gateway") == 0 && op && strcmp(op, "warm") == 0)
		warm_own_cache(pg);
	else
		cache_bump(RES_ALL);
	free(source);
	free(op);
}

/*
 * The gateway's own cache warming: the cached routes that run one
 * statement without path parameters (config, analytics), as the route
 * table defines them.
 */
static void
warm_own_cache(PGconn *pg)
{
	if (!cache_enabled())
		return;
	for (int i = 0; i < gw_nroutes; i++)
	{
		const Route *rt = &gw_routes[i];
		uint64_t	gen;
		PGresult   *r;

		if (rt->cache_ttl == 0 || rt->sql == NULL || strchr(rt->sql, '$') != NULL)
			continue;
		gen = cache_generation(rt->deps);
		r = PQexec(pg, rt->sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		{
			const char *body = PQgetvalue(r, 0, 0);
			size_t		len = (size_t) PQgetlength(r, 0, 0);
			char		etag[32];
			Buf			key = {0};

			cache_key(&key, rt->pattern, "", 0);
			etag_of(body, len, etag);
			cache_put(key.data, rt->deps, gen, rt->cache_ttl, body, len, etag);
			buf_free(&key);
		}
		PQclear(r);
	}
}

static void *
listener_main(void *arg)
{
	PGconn	   *pg = NULL;

	(void) arg;
	while (!atomic_load(&stopping))
	{
		struct pollfd pfd;
		PGnotify   *n;

		if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
		{
			PGresult   *r;

			if (pg)
				PQfinish(pg);
			int			ms;

			pg = db_connect(listen_info, "read-write", &ms, true);
			if (pg == NULL)
			{
				usleep(500 * 1000);
				continue;
			}
			r = PQexec(pg, "LISTEN leadgen_changes");
			PQclear(r);
			/* whatever changed while we were not listening */
			cache_bump(RES_ALL);
			auth_forget_keys();
		}
		pfd.fd = PQsocket(pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 250) < 0)
			continue;
		if (!PQconsumeInput(pg))
		{
			PQfinish(pg);
			pg = NULL;
			continue;
		}
		while ((n = PQnotifies(pg)) != NULL)
		{
			handle_notification(pg, n->extra);
			PQfreemem(n);
		}
	}
	if (pg)
		PQfinish(pg);
	return NULL;
}

void
listener_start(void)
{
	listen_info = gw_settings.listen_db ? gw_settings.listen_db : gw_settings.db;
	atomic_store(&stopping, false);
	if (pthread_create(&listener, NULL, listener_main, NULL) != 0)
	{
		fprintf(stderr, "leadgen-gateway: could not start the listener thread\n");
		exit(1);
	}
}

void
listener_stop(void)
{
	atomic_store(&stopping, true);
	pthread_join(listener, NULL);
}
