/*
 * workers.c
 *		The database workers. An HTTP thread never waits on the database:
 *		a request that needs it (a key to verify, a rate-limit window, a
 *		statement) has its connection suspended and waits here for one of
 *		the workers, each with its own database connection, which serves
 *		it and resumes the connection with the answer. While the database
 *		stalls (a lock, a hung server), the HTTP threads go on answering
 *		what needs no database: GET /health, cached answers.
 *
 * A request that waits in the queue longer than its route's statement
 * timeout is answered 503 without being run (the reaper thread looks every
 * 50 ms), so a stall bounds every request's time, not only its
 * statements': at most the timeout waiting, then at most the timeout for
 * each statement.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gateway.h"

#define MAX_WORKERS	64

#define REAP_EVERY_MS	50

typedef struct Waiting
{
	Request    *req;
	double		deadline;		/* now_seconds() after which it is not run */
	struct Waiting *next;
} Waiting;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t reap_cond = PTHREAD_COND_INITIALIZER;
static Waiting *qhead;
static Waiting *qtail;
static int	qlen;
static bool stopping;
static bool draining;
static int	nworkers;
static pthread_t workers[MAX_WORKERS];
static pthread_t reaper;
static WorkerServe serve_fn;
static atomic_int busy;			/* workers serving a request now */

/*
 * Called by an HTTP thread after it suspended req's connection; the
 * request is run if a worker takes it within wait_ms.
 */
void
workers_defer(Request *req, int wait_ms)
{
	Waiting    *w = calloc(1, sizeof(Waiting));

	if (w == NULL)
		abort();
	w->req = req;
	w->deadline = now_seconds() + wait_ms / 1000.0;
	pthread_mutex_lock(&qlock);
	if (qtail)
		qtail->next = w;
	else
		qhead = w;
	qtail = w;
	qlen++;
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
}

int
workers_queued(void)
{
	int			n;

	pthread_mutex_lock(&qlock);
	n = qlen;
	pthread_mutex_unlock(&qlock);
	return n;
}

static void *
worker_main(void *arg)
{
	(void) arg;
	for (;;)
	{
		Waiting    *w;
		WorkReason	why;

		pthread_mutex_lock(&qlock);
		while (qhead == NULL && !stopping)
			pthread_cond_wait(&qcond, &qlock);
		if (qhead == NULL)
		{
			pthread_mutex_unlock(&qlock);
			break;
		}
		w = qhead;
		qhead = w->next;
		if (qhead == NULL)
			qtail = NULL;
		qlen--;
		why = draining ? WORK_STOPPING : now_seconds() > w->deadline ? WORK_EXPIRED : WORK_RUN;
		pthread_mutex_unlock(&qlock);
		atomic_fetch_add(&busy, 1);
		serve_fn(w->req, why);
		atomic_fetch_sub(&busy, 1);
		free(w);
	}
	return NULL;
}

int
workers_busy(void)
{
	return atomic_load(&busy);
}

/* Answers the requests that waited past their deadline (or all, draining). */
static void *
reaper_main(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&qlock);
	while (!stopping)
	{
		struct timespec ts;
		Waiting    *expired = NULL;
		Waiting   **link = &qhead;
		double		now = now_seconds();

		qtail = NULL;
		while (*link)
		{
			Waiting    *w = *link;

			if (draining || now > w->deadline)
			{
				*link = w->next;
				w->next = expired;
				expired = w;
				qlen--;
			}
			else
			{
				qtail = w;
				link = &w->next;
			}
		}
		if (expired)
		{
			bool		drain = draining;

			pthread_mutex_unlock(&qlock);
			while (expired)
			{
				Waiting    *w = expired;

				expired = w->next;
				serve_fn(w->req, drain ? WORK_STOPPING : WORK_EXPIRED);
				free(w);
			}
			pthread_mutex_lock(&qlock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += REAP_EVERY_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
		{
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&reap_cond, &qlock, &ts);
	}
	pthread_mutex_unlock(&qlock);
	return NULL;
}

void
workers_start(int n, WorkerServe serve)
{
	serve_fn = serve;
	nworkers = n < MAX_WORKERS ? n : MAX_WORKERS;
	for (int i = 0; i < nworkers; i++)
		if (pthread_create(&workers[i], NULL, worker_main, NULL) != 0)
		{
			fprintf(stderr, "leadgen-gateway: could not start the database workers\n");
			exit(1);
		}
	if (pthread_create(&reaper, NULL, reaper_main, NULL) != 0)
	{
		fprintf(stderr, "leadgen-gateway: could not start the database workers' reaper\n");
		exit(1);
	}
}

/* From now on, requests still waiting are answered without being run. */
void
workers_drain(void)
{
	pthread_mutex_lock(&qlock);
	draining = true;
	pthread_cond_signal(&reap_cond);
	pthread_mutex_unlock(&qlock);
}

void
workers_stop(void)
{
	pthread_mutex_lock(&qlock);
	stopping = true;
	pthread_cond_broadcast(&qcond);
	pthread_cond_signal(&reap_cond);
	pthread_mutex_unlock(&qlock);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	pthread_join(reaper, NULL);
}
