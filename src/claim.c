/*-------------------------------------------------------------------------
 *
 * claim.c
 *		Taking due rows of leadgen.leads_pending for a batch.
 *
 * A claim deletes the rows it takes (DELETE ... RETURNING) in the batch's
 * transaction, locking them with SKIP LOCKED so that concurrent batches
 * take different rows, highest priority first, then submission order.
 *
 * The caller holds a transaction and is connected to SPI.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/claim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "claim.h"
#include "pg_leadgen.h"
#include "queue.h"
#include "spiutil.h"

#define S LEADGEN_SCHEMA_NAME

/* Leads this process counts in the shared "active" gauge. */
static int	active_added = 0;

static SPIPlanPtr plan_claim = NULL;
static SPIPlanPtr plan_claim_above = NULL;
static SPIPlanPtr plan_claim_after = NULL;
static SPIPlanPtr plan_claim_below = NULL;
static SPIPlanPtr plan_claim_one = NULL;
#define CLAIM_COLUMNS \
	" RETURNING p.id, p.payload, p.broker_id, p.external_id, p.attempts, p.enqueued_at, p.priority"

/* The claim of the first due rows in claim order among those meeting cond. */
#define CLAIM_SQL(cond) \
	"DELETE FROM " S ".leads_pending p WHERE p.id = ANY (ARRAY(" \
	" SELECT q.id FROM " S ".leads_pending q" \
	"  WHERE q.next_attempt_at <= $2 AND " cond \
	"    AND NOT EXISTS (SELECT 1 FROM " S ".queues z WHERE z.name = 'leads' AND z.paused)" \
	"  ORDER BY q.priority DESC, q.id LIMIT $1 FOR UPDATE SKIP LOCKED))" \
	CLAIM_COLUMNS

/*
 * Where this process's last claim ended, for the next one (pipeline workers
 * only, see Claim). A claim from the queue's head runs at least every
 * CLAIM_FROM_HEAD_US.
 */
static bool claim_hints = false;
static bool claim_hint_valid = false;
static int32 claim_hint_priority;
static int64 claim_hint_id;
static TimestampTz claim_head_at = 0;

#define CLAIM_FROM_HEAD_US		USECS_PER_SEC

/*
 * ClaimPrepare
 *		Prepare the claim statements once per process.
 */
void
ClaimPrepare(void)
{
	if (plan_claim != NULL)
		return;

	{
		Oid			t[2] = {INT4OID, TIMESTAMPTZOID};

		/*
		 * The ids are taken once, as an array (an InitPlan), then deleted
		 * through the primary key. Written as "p.id IN (subquery)", the
		 * planner may pick a nested-loop semi join that runs the LIMIT
		 * subquery again for every pending row when leads_pending's
		 * statistics say it is nearly empty (a queue often is when
		 * autovacuum analyzes it): seen claiming all 5,000 waiting rows at
		 * once in 3.3 s instead of 100 in 2 ms.
		 */
		plan_claim = LeadgenKeepPlan(CLAIM_SQL("true"), 2, t);
	}
	{
		Oid			t[4] = {INT4OID, TIMESTAMPTZOID, INT4OID, INT8OID};

		/* from where the last claim ended (Claim) */
		plan_claim_above = LeadgenKeepPlan(CLAIM_SQL("q.priority > $3"), 3, t);
		plan_claim_after = LeadgenKeepPlan(CLAIM_SQL("q.priority = $3 AND q.id > $4"), 4, t);
		plan_claim_below = LeadgenKeepPlan(CLAIM_SQL("q.priority < $3"), 3, t);
	}
	{
		Oid			t[1] = {INT8OID};

		plan_claim_one = LeadgenKeepPlan(
								   "DELETE FROM " S ".leads_pending p WHERE p.id = ANY (ARRAY("
								   " SELECT q.id FROM " S ".leads_pending q WHERE q.id = $1 FOR UPDATE SKIP LOCKED))"
								   CLAIM_COLUMNS, 1, t);
	}
}

/* Claim order: highest priority first, then submission (id) order. */
static int
cmp_claim_order(const void *a, const void *b)
{
	const Lead *x = (const Lead *) a;
	const Lead *y = (const Lead *) b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/*
 * claim_rows
 *		Run a claim statement for up to limit rows and append what it took
 *		to leads[at..]. Returns how many it took.
 */
static int
claim_rows(SPIPlanPtr plan, Datum *args, Lead *leads, int at)
{
	int			ret = SPI_execute_plan(plan, args, NULL, false, 0);
	int			n;

	if (ret != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "claiming pending leads failed: %s", SPI_result_code_string(ret));

	n = (int) SPI_processed;
	QueueAddActive(n);
	active_added += n;
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Lead	   *l = &leads[at + i];
		bool		isnull;
		Datum		d;

		l->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		l->payload = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 2, &isnull));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		l->has_broker = !isnull;
		l->broker_id = isnull ? 0 : DatumGetInt64(d);
		l->external_id = SPI_getvalue(tup, desc, 4);
		l->attempts = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		l->enqueued_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 6, &isnull));
		l->priority = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/*
 * Claim
 *		Take due pending rows (or the one row one_id) for this transaction.
 *		Returns the leads, in priority then submission order.
 *
 * A claim reads the claim index from the queue's head, past the entries
 * of the rows earlier claims deleted, until VACUUM removes them; in a
 * backlog that is most of the index (autovacuum visits the table once a
 * minute at most), and the claim grew from 0.5 to over 1 ms a batch. So a
 * pipeline worker whose last claim took a full batch starts the next one
 * where that one ended: rows of a higher priority, then those of its last
 * row's priority after its id, then lower priorities, three statements
 * each reading the index from its own bound. Rows behind that point
 * cannot be new (ids grow) but can become due there: a retry whose
 * backoff ended, a submission that committed after later ones, rows of a
 * batch that failed in another worker. They are taken by the next claim
 * from the head: when a claim from the point takes nothing, when a claim
 * takes less than a full batch, and at least every CLAIM_FROM_HEAD_US.
 */
Lead *
Claim(int batch_size, int64 one_id, TimestampTz now, int *nleads)
{
	Lead	   *leads;
	int			n = 0;
	int			want = one_id > 0 ? 1 : batch_size;

	leads = palloc0(sizeof(Lead) * Max(want, 1));
	if (one_id > 0)
	{
		Datum		arg = Int64GetDatum(one_id);

		n = claim_rows(plan_claim_one, &arg, leads, 0);
	}
	else
	{
		Datum		args[4];

		args[0] = Int32GetDatum(batch_size);
		args[1] = TimestampTzGetDatum(now);
		if (claim_hints && claim_hint_valid && now - claim_head_at < CLAIM_FROM_HEAD_US)
		{
			args[2] = Int32GetDatum(claim_hint_priority);
			args[3] = Int64GetDatum(claim_hint_id);
			n = claim_rows(plan_claim_above, args, leads, 0);
			if (n < batch_size)
			{
				args[0] = Int32GetDatum(batch_size - n);
				n += claim_rows(plan_claim_after, args, leads, n);
			}
			if (n < batch_size)
			{
				args[0] = Int32GetDatum(batch_size - n);
				n += claim_rows(plan_claim_below, args, leads, n);
			}
			args[0] = Int32GetDatum(batch_size);
		}
		if (n == 0)
		{
			n = claim_rows(plan_claim, args, leads, 0);
			claim_head_at = now;
		}
	}

	/* DELETE ... RETURNING gives no order: restore the claim order. */
	qsort(leads, n, sizeof(Lead), cmp_claim_order);
	claim_hint_valid = one_id <= 0 && n == batch_size;
	if (claim_hint_valid)
	{
		claim_hint_priority = leads[n - 1].priority;
		claim_hint_id = leads[n - 1].id;
	}
	*nleads = n;
	return leads;
}

/*
 * ClaimFromLastEnd
 *		Let this process's claims start where its last one ended (Claim);
 *		for the pipeline workers, which claim batch after batch.
 */
void
ClaimFromLastEnd(bool on)
{
	claim_hints = on;
	claim_hint_valid = false;
}

/*
 * ClaimForgetEnd
 *		The rows of the last claim are back in the queue (its batch failed):
 *		the next claim starts from the head.
 */
void
ClaimForgetEnd(void)
{
	claim_hint_valid = false;
}

/*
 * ClaimResetActive
 *		Take this process's claimed leads out of the "active" gauge.
 */
void
ClaimResetActive(void)
{
	QueueAddActive(-active_added);
	active_added = 0;
}
