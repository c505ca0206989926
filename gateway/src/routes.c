/*
 * routes.c
 *		The route table and the handlers. Each handler binds what the
 *		request carries as parameters of one statement of the extension and
 *		answers the JSON text PostgreSQL built.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

extern const char gw_openapi[];
extern const char gw_dashboard_index_html[];
extern const char gw_dashboard_app_js[];
extern const char gw_dashboard_app_css[];

static void
answer_error(Answer *ans, int status, const char *code, const char *message)
{
	ans->status = status;
	ans->body = error_json(code, message, NULL, &ans->len);
}

static void
answer_text(Answer *ans, int status, const char *text, size_t len)
{
	ans->status = status;
	ans->body = malloc(len + 1);
	if (ans->body == NULL)
		abort();
	memcpy(ans->body, text, len);
	ans->body[len] = '\0';
	ans->len = len;
}

static void
answer_buf(Answer *ans, int status, Buf *b)
{
	ans->status = status;
	ans->body = b->data;
	ans->len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
}

static DbTarget
read_target(Request *req)
{
	return writes_recent(req) ? DB_PRIMARY : DB_READ;
}

/*
 * Run a statement whose first column is the answer's JSON. A NULL answer
 * means the thing asked for does not exist (404), or, for a POST, that a
 * required field of its body is missing (400).
 */
static void
run_json(Request *req, const char *sql, int n, const char *const *params, DbTarget target, Answer *ans,
		 const char *null_message)
{
	bool		post = strcmp(req->route->method, "POST") == 0;

	PGresult   *r = db_exec(target, sql, n, params, ans, !post);

	if (r == NULL)
		return;
	if ((PQntuples(r) < 1 || PQgetisnull(r, 0, 0)) && post)
		answer_error(ans, 400, "bad_request", "A required field of the body is missing; see /openapi.json.");
	else if (PQntuples(r) < 1 || PQgetisnull(r, 0, 0))
		answer_error(ans, 404, "not_found", null_message ? null_message : "Nothing was found.");
	else
		answer_text(ans, req->route->ok_status ? req->route->ok_status : 200, PQgetvalue(r, 0, 0),
					(size_t) PQgetlength(r, 0, 0));
	PQclear(r);
}

/*
 * A statement answering (status, body): the extension decided the status.
 * Only lead submissions use it: answered once a standby has them when
 * --ack-standby-ms asks for that (else 503 not_replicated, for the whole
 * request).
 */
static void
run_status_body(const char *sql, int n, const char *const *params, Answer *ans)
{
	PGresult   *r = db_exec(DB_PRIMARY_ACK, sql, n, params, ans, false);

	if (r == NULL)
		return;
	if (ans->committed)
	{
		PQclear(r);
		return;
	}
	answer_text(ans, atoi(PQgetvalue(r, 0, 0)), PQgetvalue(r, 0, 1), (size_t) PQgetlength(r, 0, 1));
	PQclear(r);
}

static const char *
body_or_empty(Request *req)
{
	return req->body.len ? req->body.data : "{}";
}

static void
broker_text(Request *req, char *out, size_t len)
{
	if (req->broker)
		snprintf(out, len, "%lld", (long long) req->broker);
	else
		out[0] = '\0';
}

/*
 * The statement timeout of a route's class, in milliseconds: also how long
 * its request may wait for a database worker. The readiness probe's is
 * short, so that it answers within a probe's usual timeout whatever the
 * database does.
 */
int
route_timeout_ms(const Route *route)
{
	int			ms = route->access == ACCESS_ADMIN ? gw_settings.admin_statement_timeout_ms
		: gw_settings.statement_timeout_ms;

	if (route->timeout_ms && ms > route->timeout_ms)
		ms = route->timeout_ms;
	return ms;
}

/* ---- plain routes ---- */

static void
h_health(Request *req, const Route *route, Answer *ans)
{
	(void) req;
	(void) route;
	answer_text(ans, 200, "{\"status\":\"ok\"}", 15);
}

/*
 * Ready: the database answers, and has pg_leadgen in the version this
 * gateway speaks (GW_SPEAKS, its major.minor).
 */
static void
h_ready(Request *req, const Route *route, Answer *ans)
{
	PGresult   *r = db_exec(DB_PRIMARY, route->sql, 0, NULL, ans, true);
	const char *v;

	(void) req;
	if (r == NULL)
	{
		/* unreachable, or no pg_leadgen there to answer */
		free(ans->body);
		ans->status = 503;
		ans->retry_after = 2;
		ans->body = error_json("unavailable", "The database is unreachable, or pg_leadgen is not installed in it.",
							   NULL, &ans->len);
		return;
	}
	v = strstr(PQgetvalue(r, 0, 0), "\"version\":\"");
	if (v == NULL || strncmp(v + 11, GW_SPEAKS ".", strlen(GW_SPEAKS) + 1) != 0)
	{
		Buf			m = {0};

		buf_printf(&m, "The database has pg_leadgen %s; this gateway speaks %s.x.",
				   PQgetvalue(r, 0, 0), GW_SPEAKS);
		ans->status = 503;
		ans->retry_after = 10;
		ans->body = error_json("unavailable", m.data, NULL, &ans->len);
		buf_free(&m);
	}
	else
		answer_text(ans, 200, PQgetvalue(r, 0, 0), (size_t) PQgetlength(r, 0, 0));
	PQclear(r);
}

/*
 * The database's samples of /metrics (leadgen.api_metrics(): one row per
 * sample, with its family's type and help), read at most once a second.
 * The route is public and exempt from rate limits, so that no scraper is
 * ever refused; without the memo every request, anonymous ones included,
 * ran perf_metrics() on the primary (3-4 ms on an empty database, more
 * with a backlog to count), a way to load it from outside at will.
 * Concurrent scrapes wait for the one that reads and share its samples.
 * A database that does not answer leaves its families out; leadgen_up
 * says so.
 */
#define METRICS_DB_MEMO_SECONDS 1.0

static pthread_mutex_t metrics_db_lock = PTHREAD_MUTEX_INITIALIZER;
static Buf	metrics_db_memo;
static double metrics_db_at = -1;

static void
metrics_db_read(const Route *route, Buf *b)
{
	Answer		dbans = {0};
	PGresult   *r;

	r = db_exec(DB_PRIMARY, route->sql, 0, NULL, &dbans, true);
	buf_printf(b, "# HELP leadgen_up Whether the database answered the query of the last second's scrapes (1) or not (0).\n"
			   "# TYPE leadgen_up gauge\nleadgen_up %d\n", r != NULL);
	for (int i = 0; r && i < PQntuples(r); i++)
	{
		const char *name = PQgetvalue(r, i, 0);
		const char *labels = PQgetvalue(r, i, 3);

		/* a family's HELP and TYPE once, before its first sample */
		if (i == 0 || strcmp(name, PQgetvalue(r, i - 1, 0)) != 0)
			buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, PQgetvalue(r, i, 2), name, PQgetvalue(r, i, 1));
		buf_printf(b, labels[0] ? "%s{%s} %s\n" : "%s%s %s\n", name, labels,
				   PQgetisnull(r, i, 4) ? "NaN" : PQgetvalue(r, i, 4));
	}
	if (r)
		PQclear(r);
	free(dbans.body);
}

/* The gateway's own samples, then the database's (metrics_db_read). */
static void
h_metrics(Request *req, const Route *route, Answer *ans)
{
	Buf			b = {0};
	MetricsGauges g = {0};
	double		now;

	(void) req;
	cache_counters(&g.cache_hits, &g.cache_misses, &g.cache_evictions, &g.cache_bytes);
	db_thread_stats(&g.db_up, &g.db_down);
	g.db_workers = gw_settings.threads;
	g.db_busy = workers_busy();
	g.db_queue = workers_queued();
	metrics_render(&b, gw_routes, gw_nroutes, &g);

	pthread_mutex_lock(&metrics_db_lock);
	now = now_seconds();
	if (metrics_db_at < 0 || now - metrics_db_at >= METRICS_DB_MEMO_SECONDS || now < metrics_db_at)
	{
		metrics_db_memo.len = 0;
		metrics_db_read(route, &metrics_db_memo);
		metrics_db_at = now_seconds();
	}
	buf_append(&b, metrics_db_memo.data, metrics_db_memo.len);
	pthread_mutex_unlock(&metrics_db_lock);

	answer_buf(ans, 200, &b);
	ans->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void
h_openapi(Request *req, const Route *route, Answer *ans)
{
	(void) req;
	(void) route;
	answer_text(ans, 200, gw_openapi, strlen(gw_openapi));
}

/*
 * The dashboard page, its script and its styles (gateway/dashboard/, built
 * into the binary): public, like /openapi.json; the data the page reads is
 * behind the routes' own keys.
 */
static void
h_dashboard(Request *req, const Route *route, Answer *ans)
{
	static const struct
	{
		const char *pattern;
		const char *body;
		const char *type;
	}			assets[] = {
		{"/dashboard", gw_dashboard_index_html, "text/html; charset=utf-8"},
		{"/dashboard/app.js", gw_dashboard_app_js, "text/javascript; charset=utf-8"},
		{"/dashboard/app.css", gw_dashboard_app_css, "text/css; charset=utf-8"},
	};

	(void) req;
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (strcmp(route->pattern, assets[i].pattern) == 0)
		{
			answer_text(ans, 200, assets[i].body, strlen(assets[i].body));
			ans->content_type = assets[i].type;
			return;
		}
	answer_error(ans, 404, "not_found", "No such file.");
}

/* ---- leads ---- */

static void
h_lead_create(Request *req, const Route *route, Answer *ans)
{
	(void) route;
	if (req->body.len == 0)
	{
		answer_error(ans, 400, "bad_request", "The body must be a JSON object (a lead).");
		return;
	}
	/* answered by the submitter thread, with the leads that arrive with it */
	ans->status = 0;
	req->submit = true;
}

static void
h_leads_batch(Request *req, const Route *route, Answer *ans)
{
	char		broker[24];
	const char *ct = req->content_type;
	const char *p[3];

	if (req->body.len == 0)
	{
		answer_error(ans, 400, "bad_request", "The body must be a JSON array of leads, or NDJSON.");
		return;
	}
	broker_text(req, broker, sizeof(broker));
	p[0] = req->body.data;
	p[1] = media_type_is(ct, "application/x-ndjson") ? "true" : "false";
	p[2] = broker[0] ? broker : NULL;
	run_status_body(route->sql, 3, p, ans);
	if (ans->status < 300 || ans->committed)
		writes_note(req);
}

static void
h_lead_get(Request *req, const Route *route, Answer *ans, const char *id)
{
	long long	v;
	char		broker[24];
	const char *p[2];

	if (!parse_int(id, 1, 999999999999999999LL, &v))
	{
		answer_error(ans, 400, "bad_request", "A lead id is a positive integer.");
		return;
	}
	broker_text(req, broker, sizeof(broker));
	p[0] = id;
	p[1] = broker[0] ? broker : NULL;
	run_json(req, route->sql, 2, p, read_target(req), ans, "No lead has this id.");
}

/*
 * The list routes: limit, offset, cursor, fields and sort are ours; every
 * other argument is a filter, checked by the extension (leadgen.api_list:
 * filter names and their values go as two text arrays).
 */
static void
list_page(Request *req, const Route *route, const char *resource, Answer *ans)
{
	const Target *t = &req->target;
	const char *names[GW_MAX_ARGS + 1];
	const char *vals[GW_MAX_ARGS + 1];
	const char *params[8];
	Buf			fnames = {0};
	Buf			fvals = {0};
	long long	limit = 20;
	long long	offset = 0;
	char		limtxt[24];
	char		offtxt[24];
	char		broker[24];
	const char *v;
	int			n = 0;
	PGresult   *r;

	if ((v = target_arg(t, "limit")) != NULL)
	{
		if (!parse_int(v, 1, LLONG_MAX, &limit))
		{
			answer_error(ans, 400, "bad_request", "limit must be an integer from 1 (it is capped at 500).");
			return;
		}
		if (limit > 500)
			limit = 500;
	}
	if ((v = target_arg(t, "offset")) != NULL && !parse_int(v, 0, 1000000000000LL, &offset))
	{
		answer_error(ans, 400, "bad_request", "offset must be an integer from 0.");
		return;
	}
	for (int i = 0; i < t->nargs; i++)
	{
		const char *k = t->keys[i];

		if (strcmp(k, "limit") == 0 || strcmp(k, "offset") == 0 || strcmp(k, "cursor") == 0 ||
			strcmp(k, "fields") == 0 || strcmp(k, "sort") == 0)
			continue;
		if (strspn(k, "abcdefghijklmnopqrstuvwxyz_") != strlen(k) || strcmp(k, "scope_broker") == 0)
		{
			Buf			m = {0};

			buf_puts(&m, "Unknown query parameter: ");
			buf_puts(&m, k);
			answer_error(ans, 400, "bad_request", m.data);
			buf_free(&m);
			return;
		}
		names[n] = k;
		vals[n++] = t->vals[i];
	}
	broker_text(req, broker, sizeof(broker));
	if (broker[0] && strcmp(resource, "leads") == 0)
	{
		names[n] = "scope_broker";
		vals[n++] = broker;
	}
	buf_pg_array(&fnames, names, n);
	buf_pg_array(&fvals, vals, n);
	snprintf(limtxt, sizeof(limtxt), "%lld", limit);
	snprintf(offtxt, sizeof(offtxt), "%lld", offset);
	params[0] = resource;
	params[1] = fnames.data;
	params[2] = fvals.data;
	params[3] = target_arg(t, "fields");
	params[4] = target_arg(t, "sort");
	params[5] = limtxt;
	params[6] = offtxt;
	params[7] = target_arg(t, "cursor");
	if (params[7] && params[7][0] == '\0')
		params[7] = NULL;
	r = db_exec(read_target(req), route->sql, 8, params, ans, true);
	buf_free(&fnames);
	buf_free(&fvals);
	if (r == NULL)
		return;
	answer_text(ans, 200, PQgetvalue(r, 0, 0), (size_t) PQgetlength(r, 0, 0));
	PQclear(r);
}

static void
h_leads_list(Request *req, const Route *route, Answer *ans)
{
	list_page(req, route, "leads", ans);
}

static void
h_agents_list(Request *req, const Route *route, Answer *ans)
{
	list_page(req, route, "agents", ans);
}

static void
h_carriers_list(Request *req, const Route *route, Answer *ans)
{
	list_page(req, route, "carriers", ans);
}

/* ---- routes that run their statement with the captures, then the body ---- */

/*
 * The statement of the route, bound to: the caller's API key on admin
 * routes (the extension checks its tier), the path captures, then the body
 * of a POST. Used by most routes.
 */
static void
h_sql(Request *req, const Route *route, Answer *ans)
{
	const char *p[GW_MAX_CAPS + 2];
	int			n = 0;

	if (route->access == ACCESS_ADMIN)
		p[n++] = req->key;
	for (int i = 0; i < GW_MAX_CAPS && req->caps[i]; i++)
		p[n++] = req->caps[i];
	if (strcmp(route->method, "POST") == 0)
		p[n++] = body_or_empty(req);
	run_json(req, route->sql, n, p, strcmp(route->method, "GET") == 0 ? read_target(req) : DB_PRIMARY, ans,
			 NULL);
}

/*
 * analyze-query: h_sql, with the body's timeout_ms (the extension cancels
 * the statement past it) as the timeout a 504 reports when it is shorter
 * than the route's.
 */
static void
h_analyze_query(Request *req, const Route *route, Answer *ans)
{
	const char *v;
	size_t		n;
	char		num[16];
	long long	ms;

	if (req->body.len && json_member(req->body.data, req->body.len, "timeout_ms", &v, &n) == JSON_FOUND)
	{
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		{
			v++;				/* the extension reads "200" as 200 too */
			n -= 2;
		}
		if (n < sizeof(num))
		{
			memcpy(num, v, n);
			num[n] = '\0';
			if (parse_int(num, 1, INT_MAX, &ms) && ms < route_timeout_ms(route))
				db_report_timeout((int) ms);
		}
	}
	h_sql(req, route, ans);
}

static void
h_lead_get_route(Request *req, const Route *route, Answer *ans)
{
	h_lead_get(req, route, ans, req->caps[0]);
}

/* Integer query argument with a default and bounds, as text; false (400 in ans) when bad. */
static bool
int_arg(Request *req, const char *name, long long def, long long lo, long long hi, char *out, size_t outlen,
		Answer *ans)
{
	const char *v = target_arg(&req->target, name);
	long long	x = def;

	if (v && !parse_int(v, lo, hi, &x))
	{
		char		m[160];

		snprintf(m, sizeof(m), "%s must be an integer from %lld to %lld.", name, lo, hi);
		answer_error(ans, 400, "bad_request", m);
		return false;
	}
	snprintf(out, outlen, "%lld", x);
	return true;
}

static void
h_slow_queries(Request *req, const Route *route, Answer *ans)
{
	char		lim[24];
	const char *p[1] = {lim};

	if (!int_arg(req, "limit", 10, 1, 1000, lim, sizeof(lim), ans))
		return;
	run_json(req, route->sql, 1, p, DB_PRIMARY, ans, NULL);
}

static void
h_forecast(Request *req, const Route *route, Answer *ans)
{
	char		months[24];
	const char *p[2] = {req->caps[0], months};

	if (!int_arg(req, "months", 6, 1, 60, months, sizeof(months), ans))
		return;
	run_json(req, route->sql, 2, p, DB_PRIMARY, ans, NULL);
}

static void
h_job_metrics(Request *req, const Route *route, Answer *ans)
{
	const char *q = target_arg(&req->target, "queue");
	const char *p[1] = {q ? q : "leads"};

	run_json(req, route->sql, 1, p, DB_PRIMARY, ans, NULL);
}

static void
h_dead_letter(Request *req, const Route *route, Answer *ans)
{
	char		lim[24],
				off[24];
	const char *p[3] = {req->caps[0], lim, off};

	if (!int_arg(req, "limit", 50, 1, 500, lim, sizeof(lim), ans) ||
		!int_arg(req, "offset", 0, 0, 1000000000000LL, off, sizeof(off), ans))
		return;
	run_json(req, route->sql, 3, p, DB_PRIMARY, ans, NULL);
}

static void
gateway_figures(Buf *b)
{
	int			up,
				down;

	db_thread_stats(&up, &down);
	buf_printf(b, "{\"threads\":%d,\"connections_up\":%d,\"connections_down\":%d,\"in_flight_requests\":%d,"
			   "\"replica\":%s,\"cache\":", gw_settings.threads, up, down, metrics_inflight(),
			   gw_settings.replica ? "true" : "false");
	cache_stats_json(b);
	buf_puts(b, "}");
}

static void
h_with_gateway_figures(Request *req, const Route *route, Answer *ans)
{
	Buf			g = {0};
	const char *p[1];

	gateway_figures(&g);
	p[0] = g.data;
	run_json(req, route->sql, 1, p, DB_PRIMARY, ans, NULL);
	buf_free(&g);
}

/* Whether the JSON value text v[0..n) is the word w. */
static bool
json_is(const char *v, size_t n, const char *w)
{
	return n == strlen(w) && strncmp(v, w, n) == 0;
}

/*
 * What is wrong with a pause's body, or NULL: wait a boolean, timeout_ms
 * an integer from 0 to 25000 (either null or absent for the default).
 * Checked before anything is paused: the wait reads them in a statement
 * of its own, after the pause has committed.
 */
static const char *
pause_body_problem(const Request *req)
{
	const char *v;
	size_t		n;
	char		num[16];
	long long	ms;

	switch (json_member(req->body.data ? req->body.data : "", req->body.len, "wait", &v, &n))
	{
		case JSON_BAD:
			return "The body is not valid JSON.";
		case JSON_NOT_OBJECT:
			return "The body must be a JSON object, e.g. {\"wait\": true, \"timeout_ms\": 10000}.";
		case JSON_FOUND:
			if (!json_is(v, n, "true") && !json_is(v, n, "false") && !json_is(v, n, "null"))
				return "wait must be true or false.";
			break;
		case JSON_ABSENT:
			break;
	}
	if (json_member(req->body.data ? req->body.data : "", req->body.len, "timeout_ms", &v, &n) == JSON_FOUND &&
		!json_is(v, n, "null"))
	{
		if (n >= sizeof(num))
			return "timeout_ms must be an integer from 0 to 25000.";
		memcpy(num, v, n);
		num[n] = '\0';
		if (!parse_int(num, 0, 25000, &ms))
			return "timeout_ms must be an integer from 0 to 25000.";
	}
	return NULL;
}

/*
 * Pause a queue, then (sql2, a statement of its own: the workers see the
 * pause once it is committed) wait until what it had claimed has finished
 * when the body asks for it. A bad body is refused before the pause.
 */
static void
h_queue_pause(Request *req, const Route *route, Answer *ans)
{
	const char *p[4] = {req->key, req->caps[0], body_or_empty(req), NULL};
	const char *problem = pause_body_problem(req);
	PGresult   *r;
	char	   *paused;

	if (problem)
	{
		answer_error(ans, 400, "bad_request", problem);
		return;
	}
	r = db_exec(DB_PRIMARY, route->sql, 3, p, ans, false);
	if (r == NULL)
		return;
	paused = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (paused == NULL)
		abort();
	p[3] = paused;
	run_json(req, route->sql2, 4, p, DB_PRIMARY, ans, NULL);
	free(paused);
}

static void
h_cache_metrics(Request *req, const Route *route, Answer *ans)
{
	Buf			b = {0};

	(void) req;
	(void) route;
	cache_stats_json(&b);
	answer_buf(ans, 200, &b);
}

static void
h_cache_invalidate(Request *req, const Route *route, Answer *ans)
{
	const char *p[2] = {req->key, body_or_empty(req)};
	PGresult   *r = db_exec(DB_PRIMARY, route->sql, 2, p, ans, false);
	Buf			b = {0};
	int			n;

	if (r == NULL)
		return;
	n = cache_invalidate(PQgetvalue(r, 0, 0));
	buf_puts(&b, "{\"pattern\":");
	buf_json_string(&b, PQgetvalue(r, 0, 0));
	buf_printf(&b, ",\"invalidated\":%d,\"broadcast\":true}", n);
	PQclear(r);
	answer_buf(ans, 200, &b);
}

/*
 * The longest value of each argument of the list routes, in bytes: one
 * more than nothing valid is refused (see DOMAIN.md): statuses,
 * insurance types and partnership values are short words, a state two
 * letters, a ZIP code at most ZIP+4, ids at most 19 digits, timestamps an
 * ISO 8601 text with a zone; free text (a lead's source, an agent's city)
 * 200 bytes. A cursor is about 150 characters; 512 leaves room.
 */
#define LIST_ARGS \
	{"limit", 10}, {"offset", 13}, {"cursor", 512}, {"fields", 512}, {"sort", 32}

static const ArgLimit leads_args[] = {
	LIST_ARGS,
	{"status", 16}, {"insurance_type", 16}, {"state", 2}, {"zip_code", 10}, {"broker_id", 19},
	{"source", 200}, {"created_after", 64}, {"created_before", 64},
	{NULL, 0}
};

static const ArgLimit agents_args[] = {
	LIST_ARGS,
	{"state", 2}, {"city", 200}, {"is_active", 8}, {"specialization", 16},
	{NULL, 0}
};

static const ArgLimit carriers_args[] = {
	LIST_ARGS,
	{"is_active", 8}, {"partnership_status", 16}, {"partnership_tier", 16}, {"state", 2}, {"insurance_type", 16},
	{NULL, 0}
};

/*
 * The table: the whole API. Each route that needs the database runs one
 * statement, a call of its leadgen.api_*() function (src/sql/
 * 71_api_routes.sql). Order matters only where two patterns match one path
 * (the first wins). nodb: the handler needs no database (answered on the
 * HTTP thread when its key and rate limit need none either; /health,
 * exempt from rate limits too, checks no key); reads: may be served by a
 * replica.
 */
#define ROUTE(m, p, h, a) .method = m, .pattern = p, .handler = h, .access = a

const Route gw_routes[] = {
	{ROUTE("GET", "/health", h_health, ACCESS_PUBLIC), .exempt = true, .nodb = true},
	{ROUTE("GET", "/ready", h_ready, ACCESS_PUBLIC), .exempt = true, .timeout_ms = GW_READY_TIMEOUT_MS,
	.sql = "SELECT leadgen.api_ready()"},
	{ROUTE("GET", "/metrics", h_metrics, ACCESS_PUBLIC), .exempt = true,
	.sql = "SELECT metric, kind, help, labels, value FROM leadgen.api_metrics()"},
	{ROUTE("GET", "/openapi.json", h_openapi, ACCESS_PUBLIC), .nodb = true},
	{ROUTE("GET", "/dashboard", h_dashboard, ACCESS_PUBLIC), .exempt = true, .nodb = true},
	{ROUTE("GET", "/dashboard/app.js", h_dashboard, ACCESS_PUBLIC), .exempt = true, .nodb = true},
	{ROUTE("GET", "/dashboard/app.css", h_dashboard, ACCESS_PUBLIC), .exempt = true, .nodb = true},

	{ROUTE("POST", "/api/v1/leads", h_lead_create, ACCESS_PARTNER)},
	{ROUTE("GET", "/api/v1/leads", h_leads_list, ACCESS_PARTNER), .cache_ttl = 30, .deps = RES_LEADS, .reads = true,
		.args = leads_args,
	.sql = "SELECT leadgen.api_list($1, $2::text[], $3::text[], $4, $5, $6::integer, $7::bigint, $8)"},
	{ROUTE("POST", "/api/v1/leads/batch", h_leads_batch, ACCESS_PARTNER), .ndjson = true, .body_factor = 64,
	.sql = "SELECT status, body FROM leadgen.api_leads_batch($1, $2::boolean, $3::bigint)"},
	{ROUTE("GET", "/api/v1/leads/{}", h_lead_get_route, ACCESS_PARTNER), .cache_ttl = 30, .deps = RES_LEADS,
	.reads = true, .sql = "SELECT leadgen.api_lead($1::bigint, $2::bigint)"},
	{ROUTE("GET", "/api/v1/agents", h_agents_list, ACCESS_PUBLIC), .cache_ttl = 60, .deps = RES_AGENTS,
		.reads = true, .args = agents_args,
	.sql = "SELECT leadgen.api_list($1, $2::text[], $3::text[], $4, $5, $6::integer, $7::bigint, $8)"},
	{ROUTE("GET", "/api/v1/carriers", h_carriers_list, ACCESS_PUBLIC), .cache_ttl = 60, .deps = RES_CARRIERS,
		.reads = true, .args = carriers_args,
	.sql = "SELECT leadgen.api_list($1, $2::text[], $3::text[], $4, $5, $6::integer, $7::bigint, $8)"},
	{ROUTE("GET", "/api/v1/config", h_sql, ACCESS_PUBLIC), .cache_ttl = 300, .deps = RES_CARRIERS | RES_CONFIG,
	.reads = true, .noargs = true, .sql = "SELECT leadgen.api_config()"},
	/*
	 * The aggregates (summary, capacity) are kept their whole TTL: dropped
	 * with the lead lists at every processed batch, they were computed
	 * again for nearly every request under a steady flow of leads (0.2 s
	 * and 0.6 s each on 200,000 leads), which held the database workers.
	 */
	{ROUTE("GET", "/api/v1/analytics/summary", h_sql, ACCESS_PUBLIC), .cache_ttl = 30,
	.reads = true, .noargs = true, .sql = "SELECT leadgen.api_analytics_summary()"},

	{ROUTE("POST", "/api/v1/performance/database/analyze-query", h_analyze_query, ACCESS_ADMIN),
	.sql = "SELECT leadgen.api_analyze_query($1, $2::jsonb)"},
	{ROUTE("GET", "/api/v1/performance/database/indexing-strategy", h_sql, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_indexing_strategy()"},
	{ROUTE("GET", "/api/v1/performance/database/connection-pool", h_with_gateway_figures, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_connection_pool($1::jsonb)"},
	{ROUTE("GET", "/api/v1/performance/database/slow-queries", h_slow_queries, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_slow_queries($1::integer)"},
	{ROUTE("POST", "/api/v1/performance/database/optimize-table/{}", h_sql, ACCESS_ADMIN), .ok_status = 202,
	.sql = "SELECT leadgen.api_optimize_table($1, $2) FROM (SELECT $3::jsonb) b"},
	{ROUTE("GET", "/api/v1/performance/database/table-stats/{}", h_sql, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_table_stats($1)"},
	{ROUTE("GET", "/api/v1/performance/database/size", h_sql, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_database_size()"},
	{ROUTE("POST", "/api/v1/performance/database/archive", h_sql, ACCESS_ADMIN),
	.sql = "SELECT leadgen.api_archive($1, $2::jsonb)"},
	{ROUTE("POST", "/api/v1/performance/cache/warm", h_sql, ACCESS_ADMIN),
	.sql = "SELECT leadgen.api_cache_warm($1) FROM (SELECT $2::jsonb) b"},
	{ROUTE("POST", "/api/v1/performance/cache/invalidate", h_cache_invalidate, ACCESS_ADMIN),
	.sql = "SELECT leadgen.api_cache_invalidate($1, $2::jsonb)"},
	{ROUTE("GET", "/api/v1/performance/cache/metrics", h_cache_metrics, ACCESS_INTERNAL), .nodb = true},
	{ROUTE("GET", "/api/v1/performance/cache/hit-rate", h_with_gateway_figures, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_cache_hit_rate($1::jsonb)"},
	{ROUTE("GET", "/api/v1/performance/jobs/metrics", h_job_metrics, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_job_metrics($1)"},
	{ROUTE("POST", "/api/v1/performance/jobs/schedule", h_sql, ACCESS_ADMIN),
	.sql = "SELECT leadgen.api_schedule_job($1, $2::jsonb)"},
	{ROUTE("POST", "/api/v1/performance/jobs/{}/pause", h_queue_pause, ACCESS_ADMIN), .rate_bucket = "queue",
		.rate_limit = 60,
		/* the body is read (a MATERIALIZED CTE) before the queue is paused */
		.sql = "WITH b AS MATERIALIZED (SELECT $3::jsonb) SELECT leadgen.api_queue_pause($1, $2) FROM b",
	.sql2 = "SELECT leadgen.api_queue_wait_idle($1, $2, $3::jsonb, $4)"},
	{ROUTE("POST", "/api/v1/performance/jobs/{}/drain", h_sql, ACCESS_ADMIN), .rate_bucket = "queue", .rate_limit = 60,
	.sql = "SELECT leadgen.api_queue_drain($1, $2, $3::jsonb)"},
	{ROUTE("POST", "/api/v1/performance/jobs/{}/resume", h_sql, ACCESS_ADMIN), .rate_bucket = "queue", .rate_limit = 60,
	.sql = "SELECT leadgen.api_queue_resume($1, $2) FROM (SELECT $3::jsonb) b"},
	{ROUTE("POST", "/api/v1/performance/jobs/{}/retry-failed", h_sql, ACCESS_ADMIN), .rate_bucket = "queue", .rate_limit = 60,
	.sql = "SELECT leadgen.api_queue_retry_failed($1, $2) FROM (SELECT $3::jsonb) b"},
	{ROUTE("GET", "/api/v1/performance/jobs/{}/dead-letter", h_dead_letter, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_dead_letter($1, $2::integer, $3::bigint)"},
	{ROUTE("GET", "/api/v1/performance/capacity/dashboard", h_sql, ACCESS_INTERNAL), .cache_ttl = 30,
	.noargs = true, .sql = "SELECT leadgen.api_capacity_dashboard()"},
	{ROUTE("GET", "/api/v1/performance/capacity/forecast/{}", h_forecast, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_capacity_forecast($1, $2::integer)"},
	{ROUTE("GET", "/api/v1/performance/capacity/bottlenecks", h_sql, ACCESS_INTERNAL),
	.sql = "SELECT leadgen.api_bottlenecks()"},
};
const int	gw_nroutes = (int) (sizeof(gw_routes) / sizeof(gw_routes[0]));
