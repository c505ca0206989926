/*
 * submitter.c
 *		POST /api/v1/leads without a commit per request. The HTTP thread
 *		suspends the connection and hands the lead to a submitter thread,
 *		which takes every lead waiting (up to a batch), submits them in one
 *		statement and one transaction (leadgen.api_lead_submit_many), and
 *		resumes each connection with its own answer. Under load a commit
 *		then acknowledges many leads; alone, a lead waits for nothing.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "gateway.h"

#define BATCH_MAX	256

/*
 * Two submitters, each with its own connection: while one waits for its
 * commit to reach disk, the other gathers and submits the next leads, and
 * PostgreSQL flushes both commits together when they meet.
 */
#define SUBMITTERS	2

typedef struct Pending
{
	Request    *req;
	struct Pending *next;
} Pending;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static Pending *qhead;
static Pending *qtail;
static bool stopping;
static pthread_t submitters[SUBMITTERS];

/* Called by the HTTP thread after it suspended req's connection. */
void
submit_defer(Request *req)
{
	Pending    *p = calloc(1, sizeof(Pending));

	if (p == NULL)
		abort();
	p->req = req;
	pthread_mutex_lock(&qlock);
	if (qtail)
		qtail->next = p;
	else
		qhead = p;
	qtail = p;
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
}

/* A PostgreSQL array literal element: quoted, with " and \ escaped. */
static void
array_element(Buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (const char *c = s; *c; c++)
	{
		if (*c == '"' || *c == '\\')
			buf_append(b, "\\", 1);
		buf_append(b, c, 1);
	}
	buf_puts(b, "\"");
}

static void
answer_from_row(Answer *ans, PGresult *r, int row, int status_col)
{
	ans->status = atoi(PQgetvalue(r, row, status_col));
	ans->len = (size_t) PQgetlength(r, row, status_col + 1);
	ans->body = malloc(ans->len + 1);
	if (ans->body == NULL)
		abort();
	memcpy(ans->body, PQgetvalue(r, row, status_col + 1), ans->len + 1);
}

/* One lead alone: the way back when the batch as a whole failed. */
static void
submit_one(Request *req, Answer *ans)
{
	char		broker[24] = "";
	const char *p[2];
	PGresult   *r;

	if (req->broker)
		snprintf(broker, sizeof(broker), "%lld", (long long) req->broker);
	p[0] = req->body.data;
	p[1] = broker[0] ? broker : NULL;
	r = db_exec(DB_PRIMARY_ACK, "SELECT status, body FROM leadgen.api_lead_submit($1::jsonb, $2::bigint)", 2, p, ans,
				false);
	if (r == NULL)
		return;
	if (!ans->committed)
		answer_from_row(ans, r, 0, 0);
	PQclear(r);
}

static void
submit_batch(Pending **items, int n)
{
	Buf			payloads = {0};
	Buf			brokers = {0};
	const char *p[2];
	Answer		err = {0};
	PGresult   *r;

	buf_puts(&payloads, "{");
	buf_puts(&brokers, "{");
	for (int i = 0; i < n; i++)
	{
		Request    *req = items[i]->req;

		if (i > 0)
		{
			buf_puts(&payloads, ",");
			buf_puts(&brokers, ",");
		}
		array_element(&payloads, req->body.data);
		if (req->broker)
			buf_printf(&brokers, "%lld", (long long) req->broker);
		else
			buf_puts(&brokers, "NULL");
	}
	buf_puts(&payloads, "}");
	buf_puts(&brokers, "}");
	p[0] = payloads.data;
	p[1] = brokers.data;
	r = db_exec(DB_PRIMARY_ACK, "SELECT ord, status, body FROM leadgen.api_lead_submit_many($1::text[], $2::bigint[])",
				2, p, &err, false);
	buf_free(&payloads);
	buf_free(&brokers);

	for (int i = 0; i < n; i++)
	{
		Request    *req = items[i]->req;
		Answer	   *ans = &req->deferred_answer;

		if (r && i < PQntuples(r) && !(err.committed && atoi(PQgetvalue(r, i, 1)) < 300))
			answer_from_row(ans, r, i, 1);	/* a refusal keeps its answer when no standby confirmed */
		else if (err.status >= 500)
		{
			/*
			 * the database failed the batch (down, cancelled), or no
			 * standby confirmed its commit: each gets a copy
			 */
			*ans = err;
			ans->body = err.body ? strdup(err.body) : NULL;
			if (err.body && ans->body == NULL)
				abort();
		}
		else
			submit_one(req, ans);	/* one lead failed the batch: each on its own */
		if (ans->status < 300 || ans->committed)
			writes_note(req);
		req->answer_ready = true;
		MHD_resume_connection(req->conn);
		free(items[i]);
	}
	if (r)
		PQclear(r);
	free(err.body);
}

static void *
submitter_main(void *arg)
{
	Pending    *items[BATCH_MAX];

	(void) arg;
	for (;;)
	{
		int			n = 0;

		pthread_mutex_lock(&qlock);
		while (qhead == NULL && !stopping)
			pthread_cond_wait(&qcond, &qlock);
		if (qhead == NULL && stopping)
		{
			pthread_mutex_unlock(&qlock);
			break;
		}
		while (qhead && n < BATCH_MAX)
		{
			items[n++] = qhead;
			qhead = qhead->next;
		}
		if (qhead == NULL)
			qtail = NULL;
		pthread_mutex_unlock(&qlock);
		submit_batch(items, n);
	}
	return NULL;
}

void
submit_start(void)
{
	for (int i = 0; i < SUBMITTERS; i++)
		if (pthread_create(&submitters[i], NULL, submitter_main, NULL) != 0)
		{
			fprintf(stderr, "leadgen-gateway: could not start the submitter threads\n");
			exit(1);
		}
}

void
submit_stop(void)
{
	pthread_mutex_lock(&qlock);
	stopping = true;
	pthread_cond_broadcast(&qcond);
	pthread_mutex_unlock(&qlock);
	for (int i = 0; i < SUBMITTERS; i++)
		pthread_join(submitters[i], NULL);
}
