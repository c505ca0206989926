/*-------------------------------------------------------------------------
 *
 * queue.c
 *		Metrics of the "leads" queue, from shared memory.
 *
 * The workers account for every committed batch here (counts, throughput
 * per minute, wait and processing times of the last LEADGEN_SAMPLES
 * leads); leadgen.queue_metrics() reads them without touching a table.
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

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "pg_leadgen.h"
#include "queue.h"
#include "shmem.h"

PG_FUNCTION_INFO_V1(pg_leadgen_queue_stats);

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
 * pg_leadgen_queue_stats
 *		The shared counters: active, completed, failed, dead_lettered,
 *		samples, wait and processing time mean/p50/p95/p99 (ms), and the
 *		throughput of the last `minutes` minutes as jsonb
 *		[{"minute": "...", "leads": n}], oldest first, the current minute
 *		included. Without the shared block (library not preloaded), every
 *		figure is zero.
 */
Datum
pg_leadgen_queue_stats(PG_FUNCTION_ARGS)
{
	int32		minutes = PG_GETARG_INT32(0);
	TupleDesc	tupdesc;
	Datum		values[14];
	bool		nulls[14];
	int64	   *wait_us = palloc(sizeof(int64) * LEADGEN_SAMPLES);
	int64	   *proc_us = palloc(sizeof(int64) * LEADGEN_SAMPLES);
	int64		mepoch[LEADGEN_MINUTES];
	uint64		mcount[LEADGEN_MINUTES];
	int			n = 0;
	uint64		completed = 0,
				failed = 0,
				dead = 0;
	uint32		active = 0;
	int64		now_min = (int64) (time(NULL) / 60);
	StringInfoData tp;

	if (minutes < 1 || minutes > LEADGEN_MINUTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("minutes must be between 1 and %d", LEADGEN_MINUTES)));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	memset(mepoch, 0, sizeof(mepoch));
	memset(mcount, 0, sizeof(mcount));
	if (ShmemAttached())
	{
		LeadgenQueueStats *st = &leadgen_shared->stats;

		completed = pg_atomic_read_u64(&st->completed);
		failed = pg_atomic_read_u64(&st->failed);
		dead = pg_atomic_read_u64(&st->dead);
		active = pg_atomic_read_u32(&st->active);
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

	qsort(wait_us, n, sizeof(int64), cmp_int64);
	qsort(proc_us, n, sizeof(int64), cmp_int64);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum((int32) active);
	values[1] = Int64GetDatum((int64) completed);
	values[2] = Int64GetDatum((int64) failed);
	values[3] = Int64GetDatum((int64) dead);
	values[4] = Int32GetDatum(n);
	values[5] = Float8GetDatum(mean_ms(wait_us, n));
	values[6] = Float8GetDatum(percentile_ms(wait_us, n, 0.50));
	values[7] = Float8GetDatum(percentile_ms(wait_us, n, 0.95));
	values[8] = Float8GetDatum(percentile_ms(wait_us, n, 0.99));
	values[9] = Float8GetDatum(mean_ms(proc_us, n));
	values[10] = Float8GetDatum(percentile_ms(proc_us, n, 0.50));
	values[11] = Float8GetDatum(percentile_ms(proc_us, n, 0.95));
	values[12] = Float8GetDatum(percentile_ms(proc_us, n, 0.99));
	values[13] = DirectFunctionCall1(jsonb_in, CStringGetDatum(tp.data));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
