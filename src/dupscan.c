/*-------------------------------------------------------------------------
 *
 * dupscan.c
 *		The duplicate probe: for a lead's normalized email (or phone),
 *		type and 30-day window, the earliest non-rejected lead of that
 *		contact, read with btree scans of leadgen.leads' contact indexes
 *		that this file drives itself, without the planner.
 *
 * Why not SQL: the probe is the pipeline's hot lookup, one per lead and
 * contact. Written as a query, its cost was the planner's guess: on a
 * fresh install bulk-importing leads of one type and one state, with no
 * statistics yet (or statistics saying one value covers every row), the
 * probe walked the (created_at, id) index through the whole window
 * looking for a contact that was not there, 230 ms per batch of 100, and
 * the drain fell from about 12k to 818 leads/s. Here each lookup is, by
 * construction, one descent of the (contact, insurance_type, created_at)
 * index of each partition that overlaps the window, O(log n) on any data,
 * analyzed or not.
 *
 * The scan: leadgen.leads is range-partitioned by month on created_at. Its
 * partitions come from the relation cache's partition descriptor, in bound
 * order; a lookup reads those whose range meets the window, oldest first,
 * and stops at the first that holds a match, then reads the default
 * partition (which may hold any time). In a partition, the index gives the
 * contact's leads of that type in created_at order from the window's start:
 * the first non-rejected one that is not the lead itself is the original,
 * and leads of the same microsecond are read on to keep the lowest id.
 *
 * Each partition's own index is found once per process (the partitions of
 * the parent indexes leads_email_norm_idx and leads_phone_norm_idx) and
 * forgotten on any relation cache invalidation.
 *
 * Locking and visibility: the parent, the partitions read and their
 * indexes are locked AccessShareLock until the end of the transaction, as
 * a query would. The snapshot is the transaction's (in READ COMMITTED a
 * fresh one, taken after the caller locked the batch's contact keys, so a
 * concurrent batch's committed leads are seen).
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/dupscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/partition.h"
#include "executor/tuptable.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "dupscan.h"
#include "pg_leadgen.h"
#include "spiutil.h"

static const char *const parent_index_names[2] = {"leads_email_norm_idx", "leads_phone_norm_idx"};

/* A partition's own contact indexes, found once per process. */
typedef struct PartIndexes
{
	Oid			part;
	Oid			index[2];
} PartIndexes;

#define PART_CACHE_SIZE 128
static PartIndexes part_cache[PART_CACHE_SIZE];
static int	part_cache_n = 0;
static bool callback_registered = false;

/* A partition opened for one DupScan call. */
typedef struct PartScan
{
	bool		opened;
	Relation	heap;
	Relation	index;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	AttrNumber	att_id;
	AttrNumber	att_status;
	AttrNumber	att_created_at;
	AttrNumber	att_duplicate_of;
} PartScan;

/*
 * forget_indexes
 *		Relation cache invalidation: a partition's indexes may have been
 *		dropped, rebuilt or attached; find them again on next use.
 */
static void
forget_indexes(Datum arg, Oid relid)
{
	part_cache_n = 0;
}

/*
 * partition_index
 *		The index of partition part that is the partition of the parent
 *		index parent_index (contact kind c).
 */
static Oid
partition_index(Relation part, DupContact c, Oid parent_index)
{
	Oid			found;

	for (int i = 0; i < part_cache_n; i++)
		if (part_cache[i].part == RelationGetRelid(part) && OidIsValid(part_cache[i].index[c]))
			return part_cache[i].index[c];

	found = index_get_partition(part, parent_index);
	if (!OidIsValid(found))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partition \"%s\" of leadgen.leads has no partition of index \"%s\"",
						RelationGetRelationName(part), parent_index_names[c]),
				 errhint("Duplicate detection reads that index; attach or recreate it.")));

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_indexes, (Datum) 0);
		callback_registered = true;
	}
	for (int i = 0; i < part_cache_n; i++)
		if (part_cache[i].part == RelationGetRelid(part))
		{
			part_cache[i].index[c] = found;
			return found;
		}
	if (part_cache_n == PART_CACHE_SIZE)
		part_cache_n = 0;		/* more partitions than we keep: start over */
	part_cache[part_cache_n].part = RelationGetRelid(part);
	part_cache[part_cache_n].index[1 - c] = InvalidOid;
	part_cache[part_cache_n].index[c] = found;
	part_cache_n++;
	return found;
}

static void
open_partition(PartScan *ps, Oid partoid, DupContact c, Oid parent_index, Snapshot snap)
{
	ps->heap = table_open(partoid, AccessShareLock);
	ps->index = index_open(partition_index(ps->heap, c, parent_index), AccessShareLock);
	if (ps->index->rd_rel->relam != BTREE_AM_OID || IndexRelationGetNumberOfKeyAttributes(ps->index) < 3)
		elog(ERROR, "index \"%s\" is not the btree index on (contact, insurance_type, created_at) it should be",
			 RelationGetRelationName(ps->index));
	ps->slot = table_slot_create(ps->heap, NULL);
	ps->scan = index_beginscan(ps->heap, ps->index, snap, 4, 0);
	ps->att_id = LeadgenAttnum(ps->heap, "id");
	ps->att_status = LeadgenAttnum(ps->heap, "status");
	ps->att_created_at = LeadgenAttnum(ps->heap, "created_at");
	ps->att_duplicate_of = LeadgenAttnum(ps->heap, "duplicate_of");
	ps->opened = true;
}

static void
close_partition(PartScan *ps)
{
	if (!ps->opened)
		return;
	index_endscan(ps->scan);
	ExecDropSingleTupleTableSlot(ps->slot);
	index_close(ps->index, NoLock);
	table_close(ps->heap, NoLock);
	ps->opened = false;
}

/*
 * probe_partition
 *		Read one partition's index for probe p, from the window's start.
 *		Returns whether it held a match; p keeps the best so far.
 */
static bool
probe_partition(PartScan *ps, DupProbe *p, Datum key, Datum itype)
{
	ScanKeyData keys[4];
	Oid		   *coll = ps->index->rd_indcollation;
	bool		here = false;
	TimestampTz here_at = 0;

	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid, coll[0], F_TEXTEQ, key);
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid, coll[1], F_TEXTEQ, itype);
	ScanKeyEntryInitialize(&keys[2], 0, 3, BTGreaterEqualStrategyNumber, InvalidOid, coll[2],
						   F_TIMESTAMPTZ_GE, TimestampTzGetDatum(p->lo));
	ScanKeyEntryInitialize(&keys[3], 0, 3, BTLessEqualStrategyNumber, InvalidOid, coll[2],
						   F_TIMESTAMPTZ_LE, TimestampTzGetDatum(p->hi));
	index_rescan(ps->scan, keys, 4, NULL, 0);

	while (index_getnext_slot(ps->scan, ForwardScanDirection, ps->slot))
	{
		bool		isnull;
		TimestampTz at = DatumGetTimestampTz(slot_getattr(ps->slot, ps->att_created_at, &isnull));
		int64		id;
		Datum		d;
		text	   *status;

		/* the first match's microsecond is read to its end, for the lowest id */
		if (here && at > here_at)
			break;
		d = slot_getattr(ps->slot, ps->att_status, &isnull);
		if (isnull)
			continue;
		status = DatumGetTextPP(d);
		if (VARSIZE_ANY_EXHDR(status) == 8 && memcmp(VARDATA_ANY(status), "rejected", 8) == 0)
			continue;
		id = DatumGetInt64(slot_getattr(ps->slot, ps->att_id, &isnull));
		if (id == p->self_id)
			continue;
		here = true;
		here_at = at;
		if (!p->found || at < p->at || (at == p->at && id < p->id))
		{
			d = slot_getattr(ps->slot, ps->att_duplicate_of, &isnull);
			p->found = true;
			p->at = at;
			p->id = id;
			p->ref = isnull ? id : DatumGetInt64(d);
		}
	}
	return here;
}

/*
 * bound_value
 *		A range bound of leads' partitions as a timestamp; MINVALUE and
 *		MAXVALUE as the infinities.
 */
static TimestampTz
bound_value(PartitionBoundInfo bi, int i)
{
	if (bi->kind[i][0] == PARTITION_RANGE_DATUM_MINVALUE)
		return DT_NOBEGIN;
	if (bi->kind[i][0] == PARTITION_RANGE_DATUM_MAXVALUE)
		return DT_NOEND;
	return DatumGetTimestampTz(bi->datums[i][0]);
}

/*
 * DupScan
 *		Fill in each probe's original (found, at, id, ref) from the contact
 *		index of kind c. Probes with found already set keep the earlier of
 *		the two.
 */
void
DupScan(DupContact c, DupProbe *probes, int n)
{
	Oid			nsp = get_namespace_oid(LEADGEN_SCHEMA_NAME, false);
	Oid			leads_oid = get_relname_relid("leads", nsp);
	Oid			parent_index = get_relname_relid(parent_index_names[c], nsp);
	Relation	parent;
	PartitionDesc pd;
	PartitionBoundInfo bi;
	PartScan   *parts;
	Snapshot	snap;

	if (!OidIsValid(leads_oid) || !OidIsValid(parent_index))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("leadgen.leads or its index \"%s\" does not exist", parent_index_names[c])));
	if (n == 0)
		return;

	parent = table_open(leads_oid, AccessShareLock);
	if (parent->rd_rel->relkind != RELKIND_PARTITIONED_TABLE ||
		get_partition_strategy(RelationGetPartitionKey(parent)) != PARTITION_STRATEGY_RANGE)
		elog(ERROR, "leadgen.leads is not range-partitioned");
	pd = RelationGetPartitionDesc(parent, true);
	bi = pd->boundinfo;
	parts = palloc0(sizeof(PartScan) * Max(pd->nparts, 1));
	snap = RegisterSnapshot(GetTransactionSnapshot());

	for (int k = 0; k < n && pd->nparts > 0; k++)
	{
		DupProbe   *p = &probes[k];
		Datum		key = CStringGetTextDatum(p->key);
		Datum		itype = CStringGetTextDatum(p->insurance_type);

		/*
		 * indexes[i] is the partition of [datums[i - 1], datums[i]) (-1: a
		 * gap), in bound order: the first that holds a match holds the
		 * earliest.
		 */
		for (int i = 0; i < bi->nindexes; i++)
		{
			int			part = bi->indexes[i];

			if (part < 0)
				continue;
			if (i > 0 && bound_value(bi, i - 1) > p->hi)
				break;
			if (i < bi->ndatums && bound_value(bi, i) <= p->lo)
				continue;
			if (!parts[part].opened)
				open_partition(&parts[part], pd->oids[part], c, parent_index, snap);
			if (probe_partition(&parts[part], p, key, itype))
				break;
		}
		if (bi->default_index >= 0)
		{
			int			part = bi->default_index;

			if (!parts[part].opened)
				open_partition(&parts[part], pd->oids[part], c, parent_index, snap);
			(void) probe_partition(&parts[part], p, key, itype);
		}
	}

	for (int i = 0; i < pd->nparts; i++)
		close_partition(&parts[i]);
	UnregisterSnapshot(snap);
	table_close(parent, NoLock);
}
