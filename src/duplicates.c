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
 * Leads processed out of submission order (a higher priority, a retry
 * after a failure, a retry from the dead letter) follow one rule: of two
 * leads of one contact submitted within 30 days of each other, one only
 * is an original. The lead judged first is; the other, judged later,
 * finds it in leadgen.leads whether it was submitted before or after it
 * (the window reaches 30 days either side), and is its duplicate: a lead
 * already written, given to an agent and announced is never made a
 * duplicate afterwards. Within a batch, every lead is judged against the
 * batch's leads submitted before it (by submission time, then id),
 * whatever the claim order.
 *
 * Concurrent batches: each takes its contact keys as transaction locks
 * (DuplicatesLockKeys) under the claim gate (DuplicatesGateAcquire, from
 * the claim to the key locks); its leads that share a key with a batch
 * still running judge after that batch's commit (DuplicatesWait), so that
 * batches see each other's leads as if they had run one after the other
 * in claim order, while their other leads go ahead.
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
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "duplicates.h"
#include "dupscan.h"
#include "pg_leadgen.h"
#include "shmem.h"
#include "spiutil.h"

#define S LEADGEN_SCHEMA_NAME

#define DUPLICATE_WINDOW_US		(INT64CONST(30) * USECS_PER_DAY)
#define LEADGEN_DUP_LOCK_CLASS	1818715751	/* advisory lock class of duplicate keys */
#define LEADGEN_GATE_CLASS		1818715752	/* advisory lock class of the claim gate */

/* Whether the lead (at, id) was submitted before the lead (at2, id2). */
static inline bool
earlier(TimestampTz at, int64 id, TimestampTz at2, int64 id2)
{
	return at < at2 || (at == at2 && id < id2);
}

/*
 * dup_probe
 *		Look up the original of each eligible lead's email (DUP_EMAIL) or
 *		phone in leadgen.leads (dupscan.c: index scans, no planner), in
 *		the 30 days either side of its submission, and keep, per lead, the
 *		earliest found so far in found/best_at/best_id/best_ref.
 */
static void
dup_probe(DupContact contact, Lead *leads, int n, bool *found, TimestampTz *best_at, int64 *best_id,
		  int64 *best_ref)
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
		probes[m].hi = leads[i].enqueued_at + DUPLICATE_WINDOW_US;
		m++;
	}
	DupScan(contact, probes, m);
	for (int k = 0; k < m; k++)
	{
		int			i = idx[k];

		if (probes[k].found &&
			(!found[i] || earlier(probes[k].at, probes[k].id, best_at[i], best_id[i])))
		{
			found[i] = true;
			best_at[i] = probes[k].at;
			best_id[i] = probes[k].id;
			best_ref[i] = probes[k].ref;
		}
	}
}

/* A contact key of a batch: its lock's hash, its text and its lead. */
typedef struct BatchKey
{
	uint32		hash;
	const char *key;
	int			lead;
} BatchKey;

static int
cmp_batch_key(const void *a, const void *b)
{
	const BatchKey *x = (const BatchKey *) a;
	const BatchKey *y = (const BatchKey *) b;
	int			c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return x->lead - y->lead;
}

static int
find_root(int *parent, int i)
{
	while (parent[i] != i)
	{
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

/*
 * The transactions of earlier batches that held a contact key of this
 * batch when it took its keys (DuplicatesLockKeys), waited for by
 * DuplicatesWait. In the memory of the batch's subtransaction.
 */
static VirtualTransactionId *holders = NULL;
static int	nholders = 0;
static int	holders_capacity = 0;

static void
add_holders(VirtualTransactionId *vx, int count)
{
	for (int k = 0; k < count; k++)
	{
		bool		seen = false;

		for (int j = 0; j < nholders && !seen; j++)
			seen = holders[j].backendId == vx[k].backendId &&
				holders[j].localTransactionId == vx[k].localTransactionId;
		if (seen)
			continue;
		if (nholders == holders_capacity)
		{
			holders_capacity = Max(8, holders_capacity * 2);
			holders = holders == NULL ? palloc(sizeof(VirtualTransactionId) * holders_capacity)
				: repalloc(holders, sizeof(VirtualTransactionId) * holders_capacity);
		}
		holders[nholders++] = vx[k];
	}
}

/*
 * The gate ticket of this backend's transaction: the order in which it
 * first passed the gate (0: not yet, or no shared memory).
 */
static uint64 my_ticket = 0;

/*
 * passed_gate_after_us
 *		Whether the holder vxid of a key first passed the gate after this
 *		transaction did: a later batch, which waits for this one, not the
 *		other way round. A transaction that passes the gate again (its
 *		leads retried one by one after its batch failed, or
 *		process_pending taking several batches) keeps its first ticket, so
 *		it never waits for a batch that may be waiting for it.
 */
static bool
passed_gate_after_us(VirtualTransactionId vxid)
{
	LeadgenGateSlot *slot;

	if (leadgen_gate == NULL || my_ticket == 0 ||
		vxid.backendId < 1 || vxid.backendId >= leadgen_gate->nslots)
		return false;
	slot = &leadgen_gate->slot[vxid.backendId];
	return slot->lxid == vxid.localTransactionId && slot->ticket > my_ticket;
}

/*
 * DuplicatesLockKeys
 *		Take the batch's contact keys (type and normalized email or phone)
 *		as transaction locks, and find which leads must wait for an earlier
 *		batch. Called under the claim gate (pipeline.c, process), so that
 *		batches take their keys in the order they claimed their leads.
 *
 * Every batch takes its keys in share mode: batches never block each
 * other here. A key that an earlier batch holds (one that passed the gate
 * before and has not committed) marks its leads as waiting, with every
 * lead of this batch that shares a key with them, directly or through
 * another lead (leads[i].waits); the holders' transactions are kept for
 * DuplicatesWait. Those leads are judged after the holders commit, with a
 * fresh snapshot that sees their leads; the others share no key with any
 * running batch nor with a waiting lead, so they may be judged and written
 * at once. A holder in exclusive mode (a session's pg_advisory_xact_lock
 * on the key) is waited for here, under the gate.
 *
 * Returns the number of waiting leads.
 */
int
DuplicatesLockKeys(Lead *leads, int n)
{
	BatchKey   *keys = palloc(sizeof(BatchKey) * Max(n * 2, 1));
	int		   *parent = palloc(sizeof(int) * Max(n, 1));
	bool	   *held = palloc0(sizeof(bool) * Max(n, 1));
	int			nk = 0;
	int			nwait = 0;
	bool		hash_held = false;

	holders = NULL;
	nholders = 0;
	holders_capacity = 0;
	for (int i = 0; i < n; i++)
	{
		parent[i] = i;
		leads[i].waits = false;
		if (leads[i].v.n_reasons > 0)
			continue;
		for (int c = 0; c < 2; c++)
		{
			const char *norm = c == 0 ? leads[i].v.norm_email : leads[i].v.norm_phone;
			char	   *key;

			if (norm[0] == '\0')
				continue;
			key = psprintf("%s:%c:%s", leads[i].v.norm_insurance_type, c == 0 ? 'e' : 'p', norm);
			/* the value of hashtext(key): the lock a session may take by hand */
			keys[nk].hash = DatumGetUInt32(hash_any((unsigned char *) key, strlen(key)));
			keys[nk].key = key;
			keys[nk].lead = i;
			nk++;
		}
	}
	/* in lock order (two sessions taking keys by hand cannot deadlock with us) */
	qsort(keys, nk, sizeof(BatchKey), cmp_batch_key);

	for (int k = 0; k < nk; k++)
	{
		if (k > 0 && strcmp(keys[k].key, keys[k - 1].key) == 0)
		{
			/* leads sharing a key are judged together */
			int			a = find_root(parent, keys[k].lead);
			int			b = find_root(parent, keys[k - 1].lead);

			if (a != b)
				parent[Max(a, b)] = Min(a, b);
		}
		if (k == 0 || keys[k].hash != keys[k - 1].hash)
		{
			LOCKTAG		tag;
			VirtualTransactionId *vx;
			int			count;

			SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, LEADGEN_DUP_LOCK_CLASS, keys[k].hash, 2);
			(void) LockAcquire(&tag, ShareLock, false, false);
			vx = GetLockConflicts(&tag, ExclusiveLock, &count);
			hash_held = false;
			for (int h = 0; h < count; h++)
			{
				if (passed_gate_after_us(vx[h]))
					continue;
				add_holders(&vx[h], 1);
				hash_held = true;
			}
			pfree(vx);
		}
		if (hash_held)
			held[keys[k].lead] = true;
	}

	/* a lead waits when a lead it is connected to has a held key */
	for (int i = 0; i < n; i++)
		if (held[i])
			held[find_root(parent, i)] = true;
	for (int i = 0; i < n; i++)
	{
		leads[i].waits = held[find_root(parent, i)];
		if (leads[i].waits)
			nwait++;
	}
	return nwait;
}

/*
 * DuplicatesWait
 *		Wait until the earlier batches that held a key of this batch when it
 *		took them (DuplicatesLockKeys) have ended. They passed the gate
 *		before this batch and never wait for it: no deadlock.
 */
void
DuplicatesWait(void)
{
	for (int k = 0; k < nholders; k++)
		(void) VirtualXactLock(holders[k], true);
	holders = NULL;
	nholders = 0;
	holders_capacity = 0;
}

/*
 * The claim gate: a session advisory lock held from a batch's claim to the
 * end of its DuplicatesLockKeys. Without it, a batch that claimed later leads
 * could take a shared contact key first, find no original (the earlier
 * lead is not committed yet) and keep its lead as an original; the other
 * batch, next, finds that lead in its lead's future: two originals where
 * DOMAIN.md has one duplicate. Through the gate, concurrent batches see
 * each other's leads as if they had run one after the other in claim
 * order: a batch records as holders of its keys only transactions that
 * first passed the gate before it (tickets, passed_gate_after_us), so
 * waits go from later to earlier tickets only: no deadlock. Whoever holds
 * the gate waits only for a session holding a key in exclusive mode by
 * hand, never for a batch.
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

	/* this transaction's ticket: taken at its first pass */
	my_ticket = 0;
	if (leadgen_gate != NULL && MyBackendId >= 1 && MyBackendId < leadgen_gate->nslots)
	{
		LeadgenGateSlot *slot = &leadgen_gate->slot[MyBackendId];

		if (slot->lxid != MyProc->lxid || slot->ticket == 0)
		{
			slot->ticket = ++leadgen_gate->last_ticket;
			slot->lxid = MyProc->lxid;
		}
		my_ticket = slot->ticket;
	}
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

static int
cmp_submission(const void *a, const void *b, void *arg)
{
	const Lead *leads = (const Lead *) arg;
	const Lead *x = &leads[*(const int *) a];
	const Lead *y = &leads[*(const int *) b];

	if (x->enqueued_at != y->enqueued_at)
		return x->enqueued_at < y->enqueued_at ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
}

/*
 * DuplicatesFind
 *		Mark eligible leads whose normalized email or phone matches a
 *		non-rejected lead of the same insurance type created in the 30 days
 *		either side of their own submission (edges included) in
 *		leadgen.leads, or submitted in the 30 days before them in this
 *		batch. The reference is the original lead (the earliest match's own
 *		original). Batch leads are judged in submission order, so that a
 *		batch lead's original is known before the later ones look at it.
 */
void
DuplicatesFind(Lead *leads, int n)
{
	bool	   *found = palloc0(sizeof(bool) * n);
	TimestampTz *best_at = palloc0(sizeof(TimestampTz) * n);
	int64	   *best_id = palloc0(sizeof(int64) * n);
	int64	   *best_ref = palloc0(sizeof(int64) * n);
	int		   *order = palloc(sizeof(int) * Max(n, 1));

	dup_probe(DUP_EMAIL, leads, n, found, best_at, best_id, best_ref);
	dup_probe(DUP_PHONE, leads, n, found, best_at, best_id, best_ref);

	for (int i = 0; i < n; i++)
		order[i] = i;
	qsort_arg(order, n, sizeof(int), cmp_submission, leads);

	for (int a = 0; a < n; a++)
	{
		int			i = order[a];
		Lead	   *l = &leads[i];

		if (l->v.n_reasons > 0)
			continue;

		/* the batch's leads submitted before it, judged already */
		for (int b = 0; b < a; b++)
		{
			Lead	   *o = &leads[order[b]];

			if (o->v.n_reasons > 0 || strcmp(o->v.norm_insurance_type, l->v.norm_insurance_type) != 0)
				continue;
			if (o->enqueued_at < l->enqueued_at - DUPLICATE_WINDOW_US)
				continue;
			if (!((o->v.norm_email[0] && strcmp(o->v.norm_email, l->v.norm_email) == 0) ||
				  (o->v.norm_phone[0] && strcmp(o->v.norm_phone, l->v.norm_phone) == 0)))
				continue;
			if (!found[i] || earlier(o->enqueued_at, o->id, best_at[i], best_id[i]))
			{
				found[i] = true;
				best_at[i] = o->enqueued_at;
				best_id[i] = o->id;
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
