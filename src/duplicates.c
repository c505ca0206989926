/*-------------------------------------------------------------------------
 *
 * duplicates.c
 *		Which leads of a batch are duplicates, and of which original.
 *
 * A lead whose normalized email or phone matches a non-rejected lead of
 * the same insurance type created in the 30 days up to its own submission
 * (edge included) is a duplicate of that lead's original (DOMAIN.md). The
 * originals are looked up in leadgen.leads by index scans driven from C
 * (dupscan.c) and earlier in the batch.
 *
 * Concurrent batches: each takes its contact keys as transaction locks
 * (DuplicatesLockKeys) before it looks, and takes them under the claim
 * gate (DuplicatesGateAcquire, from the claim to the key locks), so that
 * batches see each other's leads as if they had run one after the other
 * in claim order.
 *
 * The caller holds a transaction and is connected to SPI.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/duplicates.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "duplicates.h"
#include "dupscan.h"
#include "pg_leadgen.h"
#include "spiutil.h"

#define S LEADGEN_SCHEMA_NAME

#define DUPLICATE_WINDOW_US		(INT64CONST(30) * USECS_PER_DAY)
#define LEADGEN_DUP_LOCK_CLASS	1818715751	/* advisory lock class of duplicate keys */
#define LEADGEN_GATE_CLASS		1818715752	/* advisory lock class of the claim gate */

static SPIPlanPtr plan_dup_locks = NULL;

/*
 * prepare_dup_locks
 *		The statement that takes a batch's contact keys as locks.
 */
static void
prepare_dup_locks(void)
{
	Oid			t[1] = {TEXTARRAYOID};

	/*
	 * Duplicate detection across concurrent batches: each batch takes a
	 * transaction lock per contact key (type and normalized email or
	 * phone) before it looks for originals, in key order so that two
	 * batches cannot deadlock. A batch holding a key commits its lead
	 * before another batch with that key looks, and that one's fresh
	 * snapshot sees it.
	 */
	plan_dup_locks = LeadgenKeepPlan(
									 "SELECT count(pg_advisory_xact_lock(" CppAsString2(LEADGEN_DUP_LOCK_CLASS) ", h))"
									 "  FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) k ORDER BY 1) s",
									 1, t);
}

/*
 * dup_probe
 *		Look up the original of each eligible lead's email (DUP_EMAIL) or
 *		phone in leadgen.leads (dupscan.c: index scans, no planner) and
 *		keep, per lead, the earliest found so far in found/best_at/best_ref.
 */
static void
dup_probe(DupContact contact, Lead *leads, int n, bool *found, TimestampTz *best_at, int64 *best_ref)
{
	DupProbe   *probes = palloc0(sizeof(DupProbe) * n);
	int		   *idx = palloc(sizeof(int) * n);
	int			m = 0;

	for (int i = 0; i < n; i++)
	{
		const char *key = contact == DUP_PHONE ? leads[i].v.norm_phone : leads[i].v.norm_email;

		if (leads[i].v.n_reasons > 0 || key[0] == '\0')
			continue;
		idx[m] = i;
		probes[m].key = key;
		probes[m].insurance_type = leads[i].v.norm_insurance_type;
		probes[m].self_id = leads[i].id;
		probes[m].lo = leads[i].enqueued_at - DUPLICATE_WINDOW_US;
		probes[m].hi = leads[i].enqueued_at;
		m++;
	}
	DupScan(contact, probes, m);
	for (int k = 0; k < m; k++)
	{
		int			i = idx[k];

		if (probes[k].found && (!found[i] || probes[k].at < best_at[i]))
		{
			found[i] = true;
			best_at[i] = probes[k].at;
			best_ref[i] = probes[k].ref;
		}
	}
}

/*
 * DuplicatesLockKeys
 *		Take the batch's contact keys (type and normalized email or phone)
 *		as transaction locks, in key order so that two batches cannot
 *		deadlock: a batch holding a key commits its lead before another
 *		batch with that key looks for originals, and that one's fresh
 *		snapshot sees it. Called under the claim gate (pipeline.c, process), so that
 *		batches take their keys in the order they claimed their leads.
 */
void
DuplicatesLockKeys(Lead *leads, int n)
{
	Datum	   *keys = palloc(sizeof(Datum) * n * 2);
	int			nk = 0;
	int			ret;

	for (int i = 0; i < n; i++)
	{
		if (leads[i].v.n_reasons > 0)
			continue;
		if (leads[i].v.norm_email[0])
			keys[nk++] = CStringGetTextDatum(psprintf("%s:e:%s", leads[i].v.norm_insurance_type, leads[i].v.norm_email));
		if (leads[i].v.norm_phone[0])
			keys[nk++] = CStringGetTextDatum(psprintf("%s:p:%s", leads[i].v.norm_insurance_type, leads[i].v.norm_phone));
	}
	if (nk == 0)
		return;
	{
		Datum		karg = LeadgenMakeArray(keys, NULL, nk, TEXTOID);

		if (plan_dup_locks == NULL)
			prepare_dup_locks();
		ret = SPI_execute_plan(plan_dup_locks, &karg, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "locking duplicate keys failed: %s", SPI_result_code_string(ret));
		SPI_freetuptable(SPI_tuptable);
	}
}

/*
 * The claim gate: a session advisory lock held from a batch's claim to the
 * end of its DuplicatesLockKeys. Without it, a batch that claimed later leads
 * could take a shared contact key first, find no original (the earlier
 * lead is not committed yet) and keep its lead as an original; the other
 * batch, next, finds that lead in its lead's future: two originals where
 * DOMAIN.md has one duplicate. Through the gate, concurrent batches see
 * each other's leads as if they had run one after the other in claim
 * order. Whoever holds the gate waits only for keys of batches that have
 * passed it, which do not wait for the gate in their transaction.
 */
static bool gate_held = false;

static void
gate_lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, LEADGEN_GATE_CLASS, 0, 2);
}

void
DuplicatesGateAcquire(void)
{
	LOCKTAG		tag;

	gate_lock_tag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
	gate_held = true;
}

/* Idempotent: also called on every error path of a batch. */
void
DuplicatesGateRelease(void)
{
	LOCKTAG		tag;

	if (!gate_held)
		return;
	gate_lock_tag(&tag);
	gate_held = false;
	if (!LockRelease(&tag, ExclusiveLock, true))
		elog(WARNING, "pg_leadgen claim gate was not held");
}

/*
 * DuplicatesFind
 *		Mark eligible leads whose normalized email or phone matches a
 *		non-rejected lead of the same insurance type created in the 30 days
 *		up to their own submission (edge included): in leadgen.leads, or
 *		earlier in this batch. The reference is the original lead (the
 *		earliest match's own original).
 */
void
DuplicatesFind(Lead *leads, int n)
{
	bool	   *found = palloc0(sizeof(bool) * n);
	TimestampTz *best_at = palloc0(sizeof(TimestampTz) * n);
	int64	   *best_ref = palloc0(sizeof(int64) * n);

	dup_probe(DUP_EMAIL, leads, n, found, best_at, best_ref);
	dup_probe(DUP_PHONE, leads, n, found, best_at, best_ref);

	for (int i = 0; i < n; i++)
	{
		Lead	   *l = &leads[i];

		if (l->v.n_reasons > 0)
			continue;

		/* earlier leads of this batch */
		for (int j = 0; j < i; j++)
		{
			Lead	   *o = &leads[j];

			if (o->v.n_reasons > 0 || strcmp(o->v.norm_insurance_type, l->v.norm_insurance_type) != 0)
				continue;
			if (o->enqueued_at < l->enqueued_at - DUPLICATE_WINDOW_US || o->enqueued_at > l->enqueued_at)
				continue;
			if (!((o->v.norm_email[0] && strcmp(o->v.norm_email, l->v.norm_email) == 0) ||
				  (o->v.norm_phone[0] && strcmp(o->v.norm_phone, l->v.norm_phone) == 0)))
				continue;
			if (!found[i] || o->enqueued_at < best_at[i])
			{
				found[i] = true;
				best_at[i] = o->enqueued_at;
				best_ref[i] = o->has_dup ? o->dup_of : o->id;
			}
		}

		if (found[i])
		{
			l->has_dup = true;
			l->dup_of = best_ref[i];
		}
	}
}

