/*-------------------------------------------------------------------------
 *
 * queue.c
 *		Metrics of the "leads" queue, from shared memory.
 *
 * The workers account for every committed batch here (counts, throughput
 * per minute, wait and processing times of the last LEADGEN_SAMPLES
 * leads); leadgen.queue_metrics() reads them, through QueueReadStats,
 * without touching a table.
 * The counters start at zero when the server starts.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/queue.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "lib/stringinfo.h"
#include "pgtime.h"

#include "pg_leadgen.h"
#include "queue.h"
#include "shmem.h"

/*
 * QueueRecordResult
 *		Account for a committed batch. Every failed attempt counts as
 *		failed, the ones that will be retried and the ones that went to the
 *		dead letter (a failure that is not retried went there at once, and
 *		was failed all the same).
 */
void
QueueRecordResult(const PipelineResult *res)
{
	if (!ShmemAttached())
		return;
	ShmemRecordBatch(res->nsamples, res->wait_us, res->proc_us, res->now_unix_s);
	if (res->retried + res->dead > 0)
		pg_atomic_fetch_add_u64(&leadgen_shared->stats.failed, res->retried + res->dead);
	if (res->dead > 0)
		pg_atomic_fetch_add_u64(&leadgen_shared->stats.dead, res->dead);
}

/*
 * QueueAddActive
 *		Move the gauge of leads in flight.
 */
void
QueueAddActive(int delta)
{
	if (!ShmemAttached() || delta == 0)
		return;
	if (delta > 0)
		pg_atomic_fetch_add_u32(&leadgen_shared->stats.active, (uint32) delta);
	else
		pg_atomic_fetch_sub_u32(&leadgen_shared->stats.active, (uint32) -delta);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Nearest-rank percentile of sorted microseconds, in milliseconds. */
static double
percentile_ms(const int64 *sorted, int n, double p)
{
	int			rank;

	if (n == 0)
		return 0;
	rank = (int) ceil(p * n);
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1] / 1000.0;
}

static double
mean_ms(const int64 *v, int n)
{
	double		sum = 0;

	if (n == 0)
		return 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum / n / 1000.0;
}

/*
 * QueueReadStats
 *		A snapshot of the shared counters: active, completed, failed,
 *		dead-lettered, the number of samples, wait and processing time
 *		mean/p50/p95/p99 (ms), and the throughput of the last `minutes`
 *		minutes as a JSON array [{"minute": "...", "leads": n}], oldest
 *		first, the current minute included. Without the shared block
 *		(library not preloaded), every figure is zero.
 */
void
QueueReadStats(int minutes, QueueStats *out)
{
	int64	   *wait_us = palloc(sizeof(int64) * LEADGEN_SAMPLES);
	int64	   *proc_us = palloc(sizeof(int64) * LEADGEN_SAMPLES);
	int64		mepoch[LEADGEN_MINUTES];
	uint64		mcount[LEADGEN_MINUTES];
	int			n = 0;
	int64		now_min = (int64) (time(NULL) / 60);
	StringInfoData tp;

	if (minutes < 1 || minutes > LEADGEN_MINUTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("minutes must be between 1 and %d", LEADGEN_MINUTES)));

	memset(out, 0, sizeof(*out));
	memset(mepoch, 0, sizeof(mepoch));
	memset(mcount, 0, sizeof(mcount));
	if (ShmemAttached())
	{
		LeadgenQueueStats *st = &leadgen_shared->stats;

		out->completed = pg_atomic_read_u64(&st->completed);
		out->failed = pg_atomic_read_u64(&st->failed);
		out->dead = pg_atomic_read_u64(&st->dead);
		out->active = pg_atomic_read_u32(&st->active);
		SpinLockAcquire(&st->mutex);
		n = (int) st->nsamples;
		memcpy(wait_us, st->wait_us, sizeof(int64) * n);
		memcpy(proc_us, st->proc_us, sizeof(int64) * n);
		memcpy(mepoch, st->minute_epoch, sizeof(mepoch));
		memcpy(mcount, st->minute_count, sizeof(mcount));
		SpinLockRelease(&st->mutex);
	}

	initStringInfo(&tp);
	appendStringInfoChar(&tp, '[');
	for (int64 m = now_min - minutes + 1; m <= now_min; m++)
	{
		int			slot = (int) (m % LEADGEN_MINUTES);
		uint64		c = mepoch[slot] == m ? mcount[slot] : 0;
		pg_time_t	t = (pg_time_t) (m * 60);
		struct pg_tm *tm = pg_gmtime(&t);

		appendStringInfo(&tp, "%s{\"minute\": \"%04d-%02d-%02dT%02d:%02dZ\", \"leads\": " UINT64_FORMAT "}",
						 tp.len > 1 ? ", " : "",
						 tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, c);
	}
	appendStringInfoChar(&tp, ']');
	out->throughput_json = tp.data;

	qsort(wait_us, n, sizeof(int64), cmp_int64);
	qsort(proc_us, n, sizeof(int64), cmp_int64);
	out->samples = n;
	out->wait_ms[0] = mean_ms(wait_us, n);
	out->wait_ms[1] = percentile_ms(wait_us, n, 0.50);
	out->wait_ms[2] = percentile_ms(wait_us, n, 0.95);
	out->wait_ms[3] = percentile_ms(wait_us, n, 0.99);
	out->proc_ms[0] = mean_ms(proc_us, n);
	out->proc_ms[1] = percentile_ms(proc_us, n, 0.50);
	out->proc_ms[2] = percentile_ms(proc_us, n, 0.95);
	out->proc_ms[3] = percentile_ms(proc_us, n, 0.99);
	pfree(wait_us);
	pfree(proc_us);
}
