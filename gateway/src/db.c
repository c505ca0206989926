/*
 * db.c
 *		PostgreSQL access: one connection per HTTP thread (and one to the
 *		replica when configured), statements prepared once per connection
 *		(or, behind a pooler in transaction mode, sent unnamed with
 *		nothing kept in the session), reconnection with backoff, SQLSTATE
 *		to HTTP status. (The listener, on a connection of its own, is
 *		listener.c's; it connects through db_connect.)
 *
 *		Failover and replicas are libpq's: --db and --replica take
 *		multi-host conninfos (host=a,b port=p,q). Writes and the listener
 *		connect with target_session_attrs=read-write unless the conninfo
 *		says otherwise, so after a promotion a new connection finds the
 *		new primary; reads with prefer-standby, each thread trying the
 *		replicas from its own starting point (conninfo_rotated) so that
 *		they spread. A connection that breaks, or that meets a read-only
 *		server (25006: a primary being demoted), is dropped and its request
 *		answered 503 with Retry-After; a write is never sent twice.
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

#define MAX_STMTS		256
#define BACKOFF_MIN		0.1
#define BACKOFF_MAX		2.0

typedef struct Stmt
{
	uint64_t	hash;
	char	   *key;
	char		name[16];
} Stmt;

typedef struct Conn
{
	PGconn	   *pg;
	const char *conninfo;
	double		next_try;
	double		backoff;
	double		failed_at;		/* when its last connection attempt failed */
	bool		counted;		/* counted in n_up */
	int			timeout_ms;		/* its statement_timeout */
	PGcancel   *cancel;			/* in the registry while connected */
	Stmt		stmts[MAX_STMTS];
	int			nstmts;
	int			next_id;
} Conn;

static const char *primary_info;
static const char *replica_info;
static _Thread_local Conn tl_primary;
static _Thread_local Conn tl_replica;
static _Thread_local char *tl_replica_info;	/* replica_info, its hosts rotated for this thread */
static atomic_uint n_threads;
static _Thread_local int tl_timeout_ms;	/* 0: the default class's */
static _Thread_local int tl_report_ms;	/* the timeout a 504 reports, when shorter (0: tl_timeout_ms) */
static atomic_int n_up;
static atomic_int n_down;

/*
 * When a connection to the database last succeeded (now_seconds() as
 * microseconds): once one thread is through, the others need not wait out
 * their own backoff to learn that the database is back.
 */
static _Atomic long long connected_at_us;
static pthread_key_t conn_key;
static pthread_once_t conn_key_once = PTHREAD_ONCE_INIT;

static void conn_drop(Conn *c);

/* An HTTP thread that ends (the daemon stopping) closes its connections. */
static void
thread_conns_close(void *arg)
{
	(void) arg;
	conn_drop(&tl_primary);
	conn_drop(&tl_replica);
	free(tl_replica_info);
	tl_replica_info = NULL;
}

static void
conn_key_make(void)
{
	pthread_key_create(&conn_key, thread_conns_close);
}

void
db_config(const char *primary, const char *replica)
{
	primary_info = primary;
	replica_info = replica;
}

/*
 * The statement timeout of this thread's statements from now on (a
 * database worker sets its request's route's). Applied to a connection
 * when it differs from the connection's own, so that most statements need
 * no extra round trip.
 */
void
db_set_timeout(int ms)
{
	tl_timeout_ms = ms;
	tl_report_ms = 0;
}

/*
 * A shorter timeout this request's statement applies itself (analyze-query's
 * timeout_ms): the one a 504 reports in details.timeout_ms, until the next
 * db_set_timeout.
 */
void
db_report_timeout(int ms)
{
	tl_report_ms = ms;
}

static int
timeout_wanted(void)
{
	return tl_timeout_ms > 0 ? tl_timeout_ms : gw_settings.statement_timeout_ms;
}

/* Set a connection's statement_timeout; false when that failed. */
static bool
set_statement_timeout(PGconn *pg, int ms)
{
	char		txt[24];
	const char *p[1] = {txt};
	PGresult   *r;
	bool		ok;

	snprintf(txt, sizeof(txt), "%d", ms);
	r = PQexecParams(pg, "SELECT pg_catalog.set_config('statement_timeout', $1, false)", 1, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	return ok;
}

/* Give c this thread's statement timeout; false when the connection failed. */
static bool
conn_timeout(Conn *c)
{
	int			want = timeout_wanted();

	if (c->timeout_ms == want)
		return true;
	if (!set_statement_timeout(c->pg, want))
		return false;
	c->timeout_ms = want;
	return true;
}

void
db_thread_stats(int *up, int *down)
{
	*up = atomic_load(&n_up);
	*down = atomic_load(&n_down);
}

/*
 * The HTTP status of a SQLSTATE. Client mistakes the database found (bad
 * values, unknown names, refused queries, and every class a client's own
 * statement can raise through analyze-query) are 4xx; a lost connection
 * 503; a cancelled statement 504; the rest (the server's own trouble:
 * classes 40, 58, 72, F0, HV, XX, ...) 500, without any SQL in the body.
 * gateway/openapi.json (info.description) documents this table.
 */
int
db_status_for_sqlstate(const char *s)
{
	static const struct
	{
		const char *prefix;
		int			status;
	}			map[] = {
		/*
		 * The server's own state, never the client's request: a named
		 * statement that exists already or not at all (a pooler in
		 * transaction mode handing our session's statements to another
		 * client), a database without pg_leadgen.
		 */
		{"42P05", 500},			/* duplicate_prepared_statement */
		{"26000", 500},			/* invalid_sql_statement_name */
		{"3F000", 503},			/* invalid_schema_name: pg_leadgen is not installed */
		{"28", 401},			/* invalid_authorization_specification: the API key */
		{"42501", 403},			/* insufficient_privilege */
		{"42P01", 404},			/* undefined_table */
		{"42704", 404},			/* undefined_object */
		{"42883", 404},			/* undefined_function */
		{"P0002", 404},			/* no_data_found */
		{"23505", 409},			/* unique_violation */
		{"57014", 504},			/* query_canceled (statement timeout) */
		{"57P", 503},			/* server shutting down */
		{"08", 503},			/* connection exceptions */
		{"53", 503},			/* insufficient resources */
		{"22", 400},			/* data exceptions: bad values, bad JSON, bad UTF-8 */
		{"23", 400},			/* other integrity violations: missing or invalid fields */
		{"42", 400},			/* syntax errors and unknown names in client queries */
		{"55000", 422},			/* a prerequisite is missing (an extension, enough snapshots) */
		{"0A", 400},			/* feature not supported, e.g. a refused statement */
		{"54", 400},			/* program limits: input nested or sized past them */
		{"P0", 400},			/* PL/pgSQL: raise_exception, too_many_rows, assert_failure */
		{"25006", 503},			/* read-only transaction: a standby, or a primary being demoted */
		{"25", 400},			/* invalid transaction state (statements that need their own) */

		/*
		 * What a client's own statement (analyze-query) can raise besides:
		 * its mistakes, never the server's.
		 */
		{"09", 400},			/* triggered action exception */
		{"0B", 400},			/* invalid transaction initiation */
		{"0F", 400},			/* locator exception */
		{"0L", 400},			/* invalid grantor */
		{"0P", 400},			/* invalid role specification */
		{"0Z", 400},			/* diagnostics exception */
		{"20", 400},			/* case not found (a CASE without ELSE in PL/pgSQL) */
		{"21", 400},			/* cardinality violation: a scalar subquery with more than one row */
		{"24", 400},			/* invalid cursor state */
		{"27", 400},			/* triggered data change violation */
		{"2B", 400},			/* dependent objects still exist */
		{"2D", 400},			/* invalid transaction termination */
		{"2F", 400},			/* SQL routine exception: a function that ended without RETURN */
		{"34", 400},			/* invalid cursor name */
		{"38", 400},			/* external routine exception */
		{"39", 400},			/* external routine invocation exception */
		{"3B", 400},			/* savepoint exception */
		{"3D", 400},			/* invalid catalog name */
		{"44", 400},			/* WITH CHECK OPTION violation */
	};

	if (s == NULL)
		return 503;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(s, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].status;
	return 500;
}

/*
 * The cancel handles of every connected Conn, so that a stop can cancel
 * the statements requests wait on (db_cancel_all).
 */
#define MAX_CANCELS 1024
static pthread_mutex_t cancels_lock = PTHREAD_MUTEX_INITIALIZER;
static PGcancel *cancels[MAX_CANCELS];

static void
cancel_register(Conn *c)
{
	c->cancel = PQgetCancel(c->pg);
	if (c->cancel == NULL)
		return;
	pthread_mutex_lock(&cancels_lock);
	for (int i = 0; i < MAX_CANCELS; i++)
		if (cancels[i] == NULL)
		{
			cancels[i] = c->cancel;
			pthread_mutex_unlock(&cancels_lock);
			return;
		}
	pthread_mutex_unlock(&cancels_lock);
	PQfreeCancel(c->cancel);	/* no room: this one cannot be cancelled */
	c->cancel = NULL;
}

static void
cancel_unregister(Conn *c)
{
	if (c->cancel == NULL)
		return;
	pthread_mutex_lock(&cancels_lock);
	for (int i = 0; i < MAX_CANCELS; i++)
		if (cancels[i] == c->cancel)
			cancels[i] = NULL;
	pthread_mutex_unlock(&cancels_lock);
	PQfreeCancel(c->cancel);
	c->cancel = NULL;
}

int
db_cancel_all(void)
{
	char		err[256];
	int			n = 0;

	pthread_mutex_lock(&cancels_lock);
	for (int i = 0; i < MAX_CANCELS; i++)
		if (cancels[i] && PQcancel(cancels[i], err, sizeof(err)))
			n++;
	pthread_mutex_unlock(&cancels_lock);
	return n;
}

static void
conn_drop(Conn *c)
{
	cancel_unregister(c);
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	for (int i = 0; i < c->nstmts; i++)
		free(c->stmts[i].key);
	c->nstmts = 0;
	if (c->counted)
	{
		atomic_fetch_sub(&n_up, 1);
		atomic_fetch_add(&n_down, 1);
		c->counted = false;
	}
}

/*
 * Connect. The defaults before dbname apply unless the conninfo (expanded
 * from dbname) sets them: which server of a multi-host conninfo to take
 * (target: read-write for the primary and the listener, prefer-standby
 * for reads), and TCP keepalives, so that a server that vanished without
 * closing its sockets (a machine lost) is noticed in about 20 s, also by
 * the listener, which otherwise waits on its socket.
 */
static PGconn *
connect_to(const char *conninfo, const char *target, bool session)
{
	const char *const keys[] = {"application_name", "connect_timeout", "target_session_attrs", "keepalives_idle",
	"keepalives_interval", "keepalives_count", "dbname", NULL};
	const char *const vals[] = {"leadgen-gateway", "3", target, "10", "3", "3", conninfo, NULL};
	PGconn	   *pg = PQconnectdbParams(keys, vals, 1);
	PGresult   *r;

	if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
	{
		if (pg)
			PQfinish(pg);
		return NULL;
	}
	/*
	 * Behind a pooler in transaction mode a session setting would land on
	 * whichever server connection ran it, for its other clients too: none
	 * is made (every statement of the gateway names its schema).
	 */
	if (!session)
		return pg;

	/*
	 * Generic plans: the gateway's statements are prepared once and run
	 * with new values; a custom plan each time costs more than the query.
	 */
	r = PQexec(pg, "SET search_path = leadgen, public; SET plan_cache_mode = force_generic_plan");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		PQclear(r);
		PQfinish(pg);
		return NULL;
	}
	PQclear(r);
	return pg;
}

/*
 * A new connection with the default class's statement timeout (the
 * listener's too; session is false only behind a pooler, where each
 * statement carries its own timeout and *timeout_ms is left 0). NULL when
 * it cannot connect.
 */
PGconn *
db_connect(const char *conninfo, const char *target, int *timeout_ms, bool session)
{
	PGconn	   *pg = connect_to(conninfo, target, session);

	if (pg == NULL)
		return NULL;
	*timeout_ms = 0;
	if (!session)
		return pg;
	if (!set_statement_timeout(pg, gw_settings.statement_timeout_ms))
	{
		PQfinish(pg);
		return NULL;
	}
	*timeout_ms = gw_settings.statement_timeout_ms;
	return pg;
}

/*
 * A conninfo whose host list (and hostaddr and port lists, when they have
 * one entry per host) starts at its k-th entry, so that the threads of a
 * gateway given several replicas do not all read from the first
 * (libpq 15 has no load_balance_hosts). NULL when there is nothing to
 * rotate (one host, or a conninfo libpq cannot parse: it will say why).
 */
static char *
conninfo_rotated(const char *conninfo, unsigned k)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *hosts = NULL;
	int			nhosts = 1;
	Buf			out = {0};

	if (opts == NULL)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "host") == 0 && o->val)
			hosts = o->val;
	for (const char *h = hosts; h && *h; h++)
		nhosts += *h == ',';
	if (hosts == NULL || nhosts < 2 || k % nhosts == 0)
	{
		PQconninfoFree(opts);
		return NULL;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
	{
		const char *v = o->val;
		int			n = 1;

		if (v == NULL)
			continue;
		for (const char *x = v; *x; x++)
			n += *x == ',';
		buf_printf(&out, "%s%s='", out.len ? " " : "", o->keyword);
		for (int i = 0; i < n; i++)
		{
			/* entry (i + k) mod n of a per-host list; other values as they are */
			int			want = (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "hostaddr") == 0 ||
								strcmp(o->keyword, "port") == 0) && n == nhosts ? (int) ((i + k) % n) : i;
			const char *e = v;

			for (int j = 0; j < want; j++)
				e = strchr(e, ',') + 1;
			if (i > 0)
				buf_puts(&out, ",");
			for (; *e && (*e != ',' || n == 1); e++)
			{
				if (*e == '\\' || *e == '\'')
					buf_puts(&out, "\\");
				buf_printf(&out, "%c", *e);
			}
			if (n == 1)
				break;
		}
		buf_puts(&out, "'");
	}
	PQconninfoFree(opts);
	return out.data;
}

/* The connection, connected; NULL while the database is unreachable (and until the backoff passes). */
static Conn *
conn_get(Conn *c, const char *conninfo, const char *target, bool *first_use)
{
	double		now;

	if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
		return c;
	if (c->pg)
		conn_drop(c);
	now = now_seconds();
	if (c->conninfo && now < c->next_try &&
		atomic_load(&connected_at_us) <= (long long) (c->failed_at * 1e6))
		return NULL;
	if (c->conninfo == NULL)
	{
		/* a thread's first connection */
		atomic_fetch_add(&n_down, 1);
		pthread_once(&conn_key_once, conn_key_make);
		pthread_setspecific(conn_key, &tl_primary);
	}
	c->conninfo = conninfo;
	c->pg = db_connect(conninfo, target, &c->timeout_ms, !gw_settings.pooler);
	if (c->pg == NULL)
	{
		c->backoff = c->backoff < BACKOFF_MIN ? BACKOFF_MIN : c->backoff * 2;
		if (c->backoff > BACKOFF_MAX)
			c->backoff = BACKOFF_MAX;
		c->next_try = now + c->backoff;
		c->failed_at = now_seconds();
		return NULL;
	}
	c->backoff = 0;
	atomic_store(&connected_at_us, (long long) (now_seconds() * 1e6));
	cancel_register(c);
	c->counted = true;
	atomic_fetch_add(&n_up, 1);
	atomic_fetch_sub(&n_down, 1);
	if (first_use)
		*first_use = true;
	return c;
}

static void
set_unavailable(Answer *ans)
{
	ans->status = 503;
	ans->retry_after = 2;
	ans->body = error_json("unavailable", "The database is unreachable; try again shortly.", NULL, &ans->len);
}

static void
set_error(PGresult *r, PGconn *pg, Answer *ans)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
	int			status = (pg && PQstatus(pg) != CONNECTION_OK) ? 503 : db_status_for_sqlstate(state);
	Buf			d = {0};

	if (status == 503)
	{
		set_unavailable(ans);
		if (state && strcmp(state, "3F000") == 0)
		{
			free(ans->body);
			ans->retry_after = 10;
			ans->body = error_json("unavailable", "The database does not have pg_leadgen installed.",
								   "{\"sqlstate\":\"3F000\"}", &ans->len);
		}
		return;
	}
	buf_puts(&d, "{\"sqlstate\":");
	buf_json_string(&d, state ? state : "");
	if (status == 504)
		buf_printf(&d, ",\"timeout_ms\":%d",
				   tl_report_ms > 0 && tl_report_ms < timeout_wanted() ? tl_report_ms : timeout_wanted());
	if (hint && status != 500)
	{
		buf_puts(&d, ",\"hint\":");
		buf_json_string(&d, hint);
	}
	buf_puts(&d, "}");
	ans->status = status;
	ans->body = error_json(error_code(status),
						   (status == 500 || msg == NULL) ? "The request failed inside the database." : msg,
						   d.data, &ans->len);
	buf_free(&d);
}

/*
 * The name of the prepared statement of sql, preparing it on first use.
 */
static const char *
stmt_name(Conn *c, const char *sql, Answer *ans)
{
	uint64_t	h = fnv1a(sql, strlen(sql));
	PGresult   *r;
	Stmt	   *s;

	for (int i = 0; i < c->nstmts; i++)
		if (c->stmts[i].hash == h && strcmp(c->stmts[i].key, sql) == 0)
			return c->stmts[i].name;
	if (c->nstmts == MAX_STMTS)
	{
		/* unusual shapes filled the table: start again */
		r = PQexec(c->pg, "DEALLOCATE ALL");
		PQclear(r);
		for (int i = 0; i < c->nstmts; i++)
			free(c->stmts[i].key);
		c->nstmts = 0;
	}
	s = &c->stmts[c->nstmts];
	snprintf(s->name, sizeof(s->name), "g%d", c->next_id++);
	r = PQprepare(c->pg, s->name, sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		/*
		 * The statement is the gateway's and no value of the client's is
		 * in it yet: whatever failed is on the server's side (5xx).
		 */
		set_error(r, c->pg, ans);
		if (ans->status < 500)
		{
			free(ans->body);
			ans->status = 500;
			ans->body = error_json("internal", "The request failed inside the database.", NULL, &ans->len);
		}
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	s->hash = h;
	s->key = strdup(sql);
	c->nstmts++;
	return s->name;
}

/*
 * Run sql behind a pooler in transaction mode (--pooler): the server
 * connection under c is the pooler's to hand to another client after each
 * transaction, so nothing may outlive one (no named statement, no session
 * setting). The statement goes unnamed, in one pipeline after a
 * transaction-local statement_timeout, with one Sync: one round trip and
 * one implicit transaction, which the pooler takes back when it ends.
 * Returns the statement's result (or the first error), or NULL when the
 * connection failed.
 */
static PGresult *
exec_pooled(PGconn *pg, const char *sql, int nparams, const char *const *params)
{
	char		txt[24];
	const char *p[1] = {txt};
	PGresult   *res = NULL;
	int			query = 0;		/* whose results are read: 0 set_config, 1 sql */

	snprintf(txt, sizeof(txt), "%d", timeout_wanted());
	if (!PQenterPipelineMode(pg))
		return NULL;
	if (!PQsendQueryParams(pg, "SELECT pg_catalog.set_config('statement_timeout', $1, true)", 1, NULL, p, NULL,
						   NULL, 0) ||
		!PQsendQueryParams(pg, sql, nparams, NULL, params, NULL, NULL, 0) ||
		!PQpipelineSync(pg))
		return NULL;			/* the caller drops the connection */
	for (;;)
	{
		PGresult   *r = PQgetResult(pg);
		ExecStatusType st;

		if (r == NULL)
		{
			/* the end of one query's results */
			if (PQstatus(pg) != CONNECTION_OK || ++query > 2)
				break;
			continue;
		}
		st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_SYNC)
		{
			PQclear(r);
			if (!PQexitPipelineMode(pg))
				break;
			return res;
		}
		/* keep the statement's result, or the first error of either */
		if (res == NULL && st != PGRES_PIPELINE_ABORTED && (query == 1 || st != PGRES_TUPLES_OK))
			res = r;
		else
			PQclear(r);
	}
	PQclear(res);
	return NULL;
}

/*
 * Whether a lead submission's result acknowledges a lead: a row whose
 * status column is 2xx (stored now, or already stored). Refusals only
 * (400, 422, ...) wrote nothing a standby must have: they are answered as
 * they are.
 */
static bool
acknowledges(const PGresult *r)
{
	int			col = PQfnumber(r, "status");

	if (col < 0)
		return true;
	for (int i = 0; i < PQntuples(r); i++)
		if (atoi(PQgetvalue(r, i, col)) < 300)
			return true;
	return false;
}

/*
 * --ack-standby-ms: after a lead submission committed on c, whether a
 * physical standby has flushed it (leadgen.wait_for_standby, on the same
 * server: WAL positions are a server's own). When none has within the
 * time, or the question fails, ans says so (503 not_replicated): the
 * leads are committed on the primary, and sent again with the same
 * external_id they are stored once, so the client's retry is safe; what
 * it must not get is an acknowledgement that a failover can take back.
 */
static bool
standby_confirmed(Conn *c, Answer *ans)
{
	/*
	 * Its own connection: this session's last commit. Through a pooler
	 * the server connection may have served another client since: all
	 * WAL written so far, which holds this commit too.
	 */
	const char *sql = gw_settings.pooler ? "SELECT leadgen.wait_for_standby($1::integer, 'server')"
		: "SELECT leadgen.wait_for_standby($1::integer, 'session')";
	char		ms[16];
	const char *p[1] = {ms};
	const char *name;
	PGresult   *r = NULL;
	bool		answered;
	bool		ok;
	char		details[48];

	snprintf(ms, sizeof(ms), "%d", gw_settings.ack_standby_ms);
	if (gw_settings.pooler)
		r = exec_pooled(c->pg, sql, 1, p);
	else if ((name = stmt_name(c, sql, ans)) != NULL)
		r = PQexecPrepared(c->pg, name, 1, p, NULL, NULL, 0);
	answered = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	ok = answered && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (!answered)
	{
		/*
		 * Not a "no" from the database but no answer: say why where the
		 * operator looks (a revoked grant, pg_leadgen older than 0.2.0, a
		 * statement timeout shorter than the wait, a lost connection).
		 */
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		const char *conn_msg = PQerrorMessage(c->pg);

		fprintf(stderr, "leadgen-gateway: --ack-standby-ms: could not ask whether a standby has the write: %s %.*s\n",
				state ? state : "-", msg ? (int) strlen(msg) : (int) strcspn(conn_msg, "\n"), msg ? msg : conn_msg);
	}
	PQclear(r);
	if (ok)
		return true;
	if (r == NULL || PQstatus(c->pg) != CONNECTION_OK)
	{
		/*
		 * no result at all: the connection failed, or a pooled exchange
		 * did (which may leave it mid-pipeline), or the statement could
		 * not be prepared: start again on a new one
		 */
		conn_drop(c);
		c->next_try = 0;
	}
	metrics_not_replicated();
	free(ans->body);
	snprintf(details, sizeof(details), "{\"ack_standby_ms\":%d}", gw_settings.ack_standby_ms);
	ans->status = 503;
	ans->retry_after = 2;
	ans->committed = true;
	ans->body = error_json("not_replicated",
						   answered ? "No standby confirmed this write in time. It is committed on the primary; "
						   "a lead sent again with the same external_id is stored once (one without an "
						   "external_id is stored again)."
						   : "Whether a standby has this write could not be asked. It is committed on the "
						   "primary; a lead sent again with the same external_id is stored once.",
						   details, &ans->len);
	return false;
}

/*
 * Whether a connection's server is a standby, as it reports (in_hot_standby,
 * PostgreSQL 14 and later; a server that does not say is taken for one):
 * --replica with prefer-standby falls back to a primary when no standby
 * answers.
 */
static bool
on_standby(PGconn *pg)
{
	const char *v = PQparameterStatus(pg, "in_hot_standby");

	return v == NULL || strcmp(v, "off") != 0;
}

static Conn *
pick(DbTarget target, bool *is_replica)
{
	Conn	   *c = NULL;

	*is_replica = false;
	if (target == DB_READ && replica_info)
	{
		if (tl_replica_info == NULL)
		{
			tl_replica_info = conninfo_rotated(replica_info, atomic_fetch_add(&n_threads, 1));
			if (tl_replica_info == NULL)
				tl_replica_info = strdup(replica_info);
		}
		c = conn_get(&tl_replica, tl_replica_info, "prefer-standby", NULL);
		if (c)
			*is_replica = true;
	}
	if (c == NULL)
		c = conn_get(&tl_primary, primary_info, "read-write", NULL);
	return c;
}

/*
 * Whether the server spoke on, or closed, a connection that waits for no
 * answer: on an idle connection of ours that means a FATAL before closing
 * (a restart, an administrator's termination) or the close itself.
 */
static bool
idle_conn_closed(PGconn *pg)
{
	struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN, .revents = 0};

	if (pfd.fd < 0 || PQstatus(pg) != CONNECTION_OK)
		return true;
	return poll(&pfd, 1, 0) != 0;
}

/*
 * Run sql (prepared once per connection) on the target's connection.
 * DB_PRIMARY_ACK (see standby_confirmed): a result may come back with ans
 * already answered 503 not_replicated (ans->committed); the caller gives
 * that answer to the leads the result acknowledges, and its refusals
 * their own. A read (retry) whose connection
 * turns out lost is run once more on a new connection; a write is never
 * sent twice, so before sending one an idle connection the server closed
 * is replaced.
 */
PGresult *
db_exec(DbTarget target, const char *sql, int nparams, const char *const *params, Answer *ans, bool retry)
{
	for (int attempt = 0; attempt < 2; attempt++)
	{
		bool		is_replica;
		Conn	   *c = pick(target, &is_replica);
		const char *name;
		PGresult   *r;

		if (c == NULL)
		{
			set_unavailable(ans);
			return NULL;
		}
		if (!retry && idle_conn_closed(c->pg))
		{
			/*
			 * A write is not sent twice, so learn before sending whether
			 * the server closed this idle connection (a restart): then
			 * connect again first.
			 */
			conn_drop(c);
			c->next_try = 0;
			if (attempt == 0)
				continue;
			set_unavailable(ans);
			return NULL;
		}
		if (gw_settings.pooler)
			r = exec_pooled(c->pg, sql, nparams, params);	/* NULL: the connection failed */
		else
		{
			name = conn_timeout(c) ? stmt_name(c, sql, ans) : NULL;
			if (name == NULL && PQstatus(c->pg) == CONNECTION_OK)
			{
				if (ans->status == 0)
					set_unavailable(ans);	/* the timeout could not be set */
				return NULL;	/* an error of the request, in ans */
			}
			if (name == NULL)
			{
				/* the connection failed: below */
				free(ans->body);
				ans->body = NULL;
				r = NULL;
			}
			else
				r = PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0);
		}
		if (r && (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK))
		{
			if (target == DB_PRIMARY_ACK && gw_settings.ack_standby_ms > 0 && acknowledges(r))
				(void) standby_confirmed(c, ans);
			ans->from_replica = is_replica && on_standby(c->pg);
			return r;
		}
		if (r == NULL || PQstatus(c->pg) != CONNECTION_OK)
		{
			/*
			 * The server went away (a restart), or the pooled exchange
			 * failed: one more try on a new connection for a read.
			 */
			PQclear(r);
			conn_drop(c);
			c->next_try = 0;
			if (retry && attempt == 0)
				continue;
			set_unavailable(ans);
			return NULL;
		}
		set_error(r, c->pg, ans);
		PQclear(r);
		if (ans->status == 503)
		{
			/*
			 * The server is there but cannot serve this (read-only: a
			 * standby, a primary being demoted; shutting down): the next
			 * request connects again and finds the primary.
			 */
			conn_drop(c);
			c->next_try = 0;
		}
		return NULL;
	}
	set_unavailable(ans);
	return NULL;
}
